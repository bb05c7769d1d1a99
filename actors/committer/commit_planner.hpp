// SPDX-License-Identifier: Apache-2.0
#pragma once

/// When to commit automatically (CAF-free; the committer actor feeds it and asks it).
///
/// Tracks the stream's VES head, the end of the last commitment and since when uncommitted
/// events exist. A commitment is due when at least `max_events` events are uncommitted, or
/// when the oldest uncommitted one has waited `max_age`. The due range is
/// [last_end + 1, min(last_end + max_events, head)]; the first commitment of a stream starts
/// at 1 (the first VES sequence number).

#include <chrono>
#include <cstdint>
#include <optional>
#include <utility>

namespace seq::actors::committer {

struct commit_options {
  /// Commit automatically (VES_AUTO_COMMIT / commitments.auto).
  bool automatic = true;
  /// Uncommitted events that trigger a commitment; also the most one commitment covers.
  uint64_t max_events = 1024;
  /// Age of the oldest uncommitted event that triggers a commitment.
  std::chrono::nanoseconds max_age = std::chrono::seconds{5};
};

class commit_planner {
public:
  using time_point = std::chrono::nanoseconds; ///< any monotonic clock's time since its epoch
  using range = std::pair<uint64_t, uint64_t>;

  explicit commit_planner(commit_options opts) : opts_(opts) {
    if (opts_.max_events == 0)
      opts_.max_events = 1;
  }

  /// After a (re)load: the last committed end and the stored head.
  void reset(uint64_t last_end, uint64_t head, time_point now);
  /// New VES events up to `last` are stored.
  void on_events(uint64_t last, time_point now);
  /// A commitment up to `end` exists (automatic or manual).
  void on_commitment(uint64_t end, time_point now);

  /// The range to commit now, if any (never when automatic commits are off).
  std::optional<range> due(time_point now) const;
  /// When the age trigger fires next (nullopt when nothing is uncommitted or auto is off).
  std::optional<time_point> deadline() const;

  uint64_t head() const { return head_; }
  uint64_t last_end() const { return last_end_; }
  uint64_t uncommitted() const { return head_ > last_end_ ? head_ - last_end_ : 0; }
  const commit_options& options() const { return opts_; }

private:
  commit_options opts_;
  uint64_t head_ = 0;
  uint64_t last_end_ = 0;
  std::optional<time_point> oldest_; ///< when the oldest uncommitted event was seen
};

} // namespace seq::actors::committer
