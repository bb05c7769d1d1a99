// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The per-stream rules of a projector, without CAF: what it knows (checkpoints per space,
/// the committed heads it was told about, blocked entities, a halt) and what it does next.
/// The actor shell (projector.hpp) runs one job at a time and feeds the outcomes back.
///
/// Jobs, in priority order (`next`):
///   1. load — on start, and again when `reload()` was asked (after a storage failure
///      interrupted a chain, or periodically while entities are blocked: loading heals
///      orphaned chains);
///   2. a DLQ retry the shell holds (`reapply_dlq` from the DLQ retry actor);
///   3. resume — an operator asked to continue past a halt;
///   4. a batch of the space that is behind: one whose end has not been seen since the
///      load, or whose checkpoint is below the highest committed sequence announced by
///      events_committed. When both spaces are behind they take turns. A batch that would
///      not be full waits (`lingers`) while the stream is busy: until `linger` has passed
///      since the previous batch ended, so a hot stream is projected in fewer, larger
///      batches and a quiet one at once.
/// No batch runs while halted or while backing off after a storage failure.

#include "messages/projector.hpp"

#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>

namespace seq::actors::projection {

struct projector_options {
  msg::blocking_mode mode = msg::blocking_mode::park;
  /// Events per batch (one job).
  uint32_t batch_size = 100;
  /// How long after a batch the next one may wait to fill up (0: never waits).
  std::chrono::nanoseconds linger{0};
};

class projector_core {
public:
  enum class job_kind { none, load, retry, resume, batch };

  projector_core(msg::stream_key stream, projector_options opts);

  // -- inputs -----------------------------------------------------------------------------------

  void on_loaded(const msg::projection_loaded& x);
  /// msg::events_committed: events up to `last` of `space` are stored.
  void on_committed(uint8_t space, uint64_t last);
  void on_batch(uint8_t space, const msg::projection_batch_outcome& out);
  void on_retry(const msg::dlq_retry_outcome& out);
  void on_resumed(const msg::halt_resumed& x);
  /// Asks for a load before anything else (heals chains, refreshes the blocked set).
  void reload();
  /// A storage failure: no batch until `backoff_elapsed`.
  void backoff();
  void backoff_elapsed();

  // -- decisions --------------------------------------------------------------------------------

  /// The next job, given whether the shell holds retries and resume requests.
  job_kind next(bool retry_waiting, bool resume_waiting) const;

  /// Whether a due batch waits for more events, `since_last_batch` after the previous batch
  /// ended: linger is on, both ends are known, neither space has a full batch waiting, and
  /// less than `linger` has passed.
  bool lingers(std::chrono::nanoseconds since_last_batch) const;

  /// The batch to run now (call when next() == batch).
  msg::projection_batch_request make_batch();

  /// The request for a DLQ retry of `e`.
  msg::dlq_retry_request make_retry(const msg::dlq_entry& e) const;

  // -- state ----------------------------------------------------------------------------------

  bool loaded() const {
    return loaded_;
  }
  bool backing_off() const {
    return backing_off_;
  }
  bool halted() const {
    return halt_.has_value();
  }
  const std::optional<msg::projection_halt>& halt() const {
    return halt_;
  }
  uint64_t checkpoint(uint8_t space) const;
  /// Entities of `space` whose events are parked behind an unresolved DLQ row.
  const std::set<msg::entity_key>& blocked(uint8_t space) const {
    return blocked_[index(space)];
  }
  bool any_blocked() const {
    return !blocked_[0].empty() || !blocked_[1].empty();
  }
  bool behind(uint8_t space) const;
  msg::projection_status status() const;
  const msg::stream_key& stream() const {
    return stream_;
  }
  const projector_options& options() const {
    return opts_;
  }

private:
  static size_t index(uint8_t space);

  msg::stream_key stream_;
  projector_options opts_;
  bool loaded_ = false;
  bool reload_ = false;
  bool backing_off_ = false;
  /// Per space: [0] legacy, [1] ves.
  std::array<uint64_t, 2> checkpoint_{};
  std::array<uint64_t, 2> known_head_{};
  /// The end of the space has not been read since the last load.
  std::array<bool, 2> unknown_end_{true, true};
  size_t last_batch_space_ = 1;
  std::array<std::set<msg::entity_key>, 2> blocked_;
  std::optional<msg::projection_halt> halt_;
  msg::projection_status counters_;
};

} // namespace seq::actors::projection
