// SPDX-License-Identifier: Apache-2.0
#pragma once

/// When a dead-lettered event is retried, and how its DLQ row moves between statuses: plain
/// classes (no CAF actors), driven with explicit times and an injected random source so
/// tests are exact.
///
/// Backoff: the delay before retry attempt n (n ≥ 1) is
///   base(n) = min(initial · factor^(n−1), max_delay)
///   delay(n) = clamp(base(n) · (1 + jitter · (2u − 1)), min_delay, max_delay)
/// with u uniform in [0, 1) from the random source. Defaults: initial 1 min, factor 2,
/// max 1 h, ±25 % jitter, min 1 s — so without jitter 1, 2, 4, 8, 16, 32 min, then 1 h.
///
/// DLQ row state machine (`dlq_policy`):
///   first failure        → pending, retry_count 0, next_retry_at = now + delay(1);
///                          a non-retryable reason (invariant_violation,
///                          invalid_state_transition) → dead at once, no next_retry_at
///   blocked behind       → pending, blocked_behind, no next_retry_at (never due by itself:
///                          it is re-applied right after the row it waits behind resolves)
///   retry starts         → retrying (automatic: only from pending; an operator may also
///                          retry a dead row; never a retrying or resolved one)
///   retry succeeds       → resolved, no next_retry_at
///   retry fails          → retry_count + 1, reason/message of this failure; dead when the
///                          reason is not retryable or retry_count reached max_retries, else
///                          pending with next_retry_at = now + delay(retry_count + 1)
///   retry not run        → (projector unreachable, storage down, waits behind another
///                          row, …) the status it had before, next_retry_at = now +
///                          delay(retry_count + 1) (none for dead and blocked_behind rows),
///                          retry_count unchanged (the event was not tried)
///   stale retrying       → pending, next_retry_at = now (a retry whose outcome was lost)
/// With max_retries = 10 an event is tried at most 10 more times after its first failure.

#include "messages/projection.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include "caf/expected.hpp"

namespace seq::actors::dlq {

/// Uniform random numbers in [0, 1). Must be safe to call from several threads.
using random_source = std::function<double()>;

/// A thread-safe random_source (one generator per thread, seeded from random_device).
random_source default_random_source();

struct retry_options {
  std::chrono::microseconds initial_delay = std::chrono::minutes{1};
  double factor = 2.0;
  std::chrono::microseconds max_delay = std::chrono::hours{1};
  std::chrono::microseconds min_delay = std::chrono::seconds{1};
  /// Relative jitter: 0.25 = ±25 %.
  double jitter = 0.25;
  /// Retries after the first failure before a row is dead.
  uint32_t max_retries = 10;
};

class retry_schedule {
public:
  explicit retry_schedule(retry_options opts, random_source rnd = default_random_source());

  /// The delay before attempt n without jitter (n = 0 is treated as 1).
  std::chrono::microseconds base_delay(uint32_t attempt) const;

  /// The delay before attempt n with jitter (draws one random number).
  std::chrono::microseconds delay(uint32_t attempt) const;

  const retry_options& options() const {
    return opts_;
  }

private:
  retry_options opts_;
  random_source rnd_;
};

/// The DLQ row state machine (see the file comment). Times are msg::timestamp_us.
class dlq_policy {
public:
  explicit dlq_policy(retry_schedule schedule) : schedule_(std::move(schedule)) {
  }

  /// Fills reason, message, status, retry_count, max_retries, next_retry_at, blocked_behind
  /// (false) and updated_at of `e` for an event that just failed for the first time (or
  /// failed again after the row it waited behind resolved). created_at is set when 0.
  void first_failure(msg::dlq_entry& e, msg::dlq_reason reason, std::string message,
                     msg::timestamp_us now) const;

  /// Fills `e` as a row that waits behind an earlier unresolved row of its entity.
  void blocked_behind(msg::dlq_entry& e, msg::timestamp_us now) const;

  /// Moves `e` to retrying. errc::invalid_request when its status does not allow it:
  /// `manual` (an operator) may retry pending and dead rows, the retry actor only pending.
  caf::expected<void> start_retry(msg::dlq_entry& e, bool manual, msg::timestamp_us now) const;

  void retry_succeeded(msg::dlq_entry& e, msg::timestamp_us now) const;

  void retry_failed(msg::dlq_entry& e, msg::dlq_reason reason, std::string message,
                    msg::timestamp_us now) const;

  /// The retry could not run: back to `previous` (pending or dead), next try by schedule;
  /// reason and message stay those of the last real failure.
  void retry_not_run(msg::dlq_entry& e, msg::dlq_status previous, msg::timestamp_us now) const;

  /// A row left in retrying by a lost retry goes back to pending, due now.
  void reset_stale(msg::dlq_entry& e, msg::timestamp_us now) const;

  const retry_schedule& schedule() const {
    return schedule_;
  }

private:
  retry_schedule schedule_;
};

} // namespace seq::actors::dlq
