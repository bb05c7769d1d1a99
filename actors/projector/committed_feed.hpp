// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The committed events a projector was handed (msg::events_committed::group), kept as the
/// projectable events a read would return until it has projected them, so that a batch is
/// projected from memory instead of being read back from storage. A plain class (no CAF) the
/// projector shell owns.
///
/// Per space (legacy, VES) it holds a run of groups with consecutive sequence numbers. A group
/// that does not continue the run starts a new one (the old run is dropped): whatever is not
/// held is read from storage, so the feed only ever saves reads, it never decides what is
/// projected. At most `capacity` events are held per space; beyond that the oldest groups go
/// (a projector that has fallen that far behind reads from storage until it catches up).
/// Only the projectable fields are copied: the committed group itself (receipts, hashes,
/// signatures) is not kept alive.

#include "messages/projector.hpp"
#include "messages/store.hpp"

#include <array>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace seq::actors::projection {

class committed_feed {
public:
  explicit committed_feed(size_t capacity) : capacity_(capacity) {
  }

  /// The events of `space` committed in `g`.
  void add(uint8_t space, const storage::write_group& g);

  /// The held groups with events of `space` in [from, from + limit − 1], in order, when the
  /// held run contains `from`; otherwise none.
  std::vector<msg::fed_events> covering(uint8_t space, uint64_t from, uint32_t limit) const;

  /// Forgets the groups of `space` whose events are all at or below `checkpoint`.
  void drop_through(uint8_t space, uint64_t checkpoint);

  /// Events of `space` held.
  size_t held(uint8_t space) const;

private:
  struct entry {
    uint64_t first = 0, last = 0;
    msg::fed_events events;
  };
  static bool known(uint8_t space);
  void pop(uint8_t space);

  size_t capacity_;
  std::array<std::vector<entry>, 2> runs_; ///< short; a vector: no allocation while empty
  std::array<size_t, 2> held_{};
};

} // namespace seq::actors::projection
