// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Counters the projectors and the DLQ retry actor update and the runtime reads for
/// Prometheus `/metrics`. One object lives as long as the actor system; actors get a
/// pointer (null: nothing is counted). Relaxed atomics: each value is exact on its own, the
/// set is not a consistent snapshot. Projection lag per stream is head − checkpoint (both
/// in storage: the routes compute it); DLQ sizes per reason come from
/// projection_store::dlq_counts.

#include <atomic>
#include <cstdint>

namespace seq::actors::projection {

struct projection_metrics {
  /// Events applied to a projection (by the tail or by a successful retry).
  std::atomic<uint64_t> events_applied{0};
  /// Batches the projectors ran (each one storage transaction); with events_applied and
  /// events_skipped it gives the mean batch size.
  std::atomic<uint64_t> batches{0};
  /// Events the projectors took from the committed groups they were handed instead of
  /// reading them back from storage (a batch whose start they no longer hold reads).
  std::atomic<uint64_t> events_fed{0};
  /// Events skipped: entity type without a handler, or unknown event type.
  std::atomic<uint64_t> events_skipped{0};
  /// Encrypted VES events (payload_kind 1) skipped: the sequencer cannot read them.
  std::atomic<uint64_t> encrypted_skipped{0};
  /// Events that failed and got a DLQ row of their own.
  std::atomic<uint64_t> events_parked{0};
  /// Of those, rows that were dead at once (reason not retryable).
  std::atomic<uint64_t> events_dead{0};
  /// Events parked behind an unresolved DLQ row of their entity.
  std::atomic<uint64_t> events_blocked_behind{0};
  /// Streams whose projection stopped at a failed event (halt mode).
  std::atomic<uint64_t> halts{0};
  /// Projector jobs that failed on storage (retried after a pause).
  std::atomic<uint64_t> storage_errors{0};
  /// DLQ retries started (automatic and operator).
  std::atomic<uint64_t> retries_attempted{0};
  /// Retries that applied the event (its row is resolved).
  std::atomic<uint64_t> retries_succeeded{0};
  /// Retries that failed and were rescheduled (row pending again).
  std::atomic<uint64_t> retries_failed{0};
  /// Retries that failed for good (row dead).
  std::atomic<uint64_t> retries_dead{0};
  /// Retries that could not run (projector unreachable, storage down, waits behind).
  std::atomic<uint64_t> retries_not_run{0};
  /// Rows parked behind a retried row that were applied after it.
  std::atomic<uint64_t> chain_resolved{0};
};

} // namespace seq::actors::projection
