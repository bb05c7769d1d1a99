// SPDX-License-Identifier: Apache-2.0
#pragma once

/// When a stream supervisor restarts its crashed sequencer, and when it gives up: a plain
/// class (no CAF actors), driven with explicit time points so tests control time.
///
/// Failures older than `window` are forgotten. The n-th failure inside the window is
/// restarted after `delay(n)`: 0 for n = 1, then base_delay · 2^(n-2) capped at max_delay.
/// More than `max_restarts` failures inside the window → give up (the supervisor stops
/// with the child's exit reason; the registry forgets the stream and the next request
/// starts a fresh supervisor).

#include "actors/ingest_config.hpp"

#include <chrono>
#include <cstddef>
#include <vector>

#include "caf/timespan.hpp"

namespace seq::actors {

class restart_policy {
public:
  using time_point = std::chrono::steady_clock::time_point;

  struct decision {
    bool restart = false;
    caf::timespan delay{0}; ///< wait this long before respawning
  };

  explicit restart_policy(restart_options opts);

  /// Records a failure at `now` and decides.
  decision on_failure(time_point now);

  /// Failures currently inside the window (as of the last call).
  size_t recent_failures() const {
    return failures_.size();
  }

  /// The delay for the n-th failure inside a window (n ≥ 1).
  caf::timespan delay(size_t n) const;

private:
  restart_options opts_;
  std::vector<time_point> failures_; ///< inside the window, oldest first (a handful)
};

} // namespace seq::actors
