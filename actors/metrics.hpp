// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Counters the ingest actors update and the runtime reads for Prometheus `/metrics`.
/// One `ingest_metrics` object lives as long as the actor system; actors get a pointer
/// (which may be null: then nothing is counted). All fields are lock-free atomics updated
/// with relaxed ordering; a reader sees each value on its own, not a consistent snapshot.

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

namespace seq::actors {

/// A fixed-bucket histogram. `buckets[i]` counts observations v with
/// bounds[i-1] < v <= bounds[i] (NOT cumulative); `buckets[N]` counts v > bounds[N-1].
/// Prometheus wants cumulative `le` buckets: sum buckets[0..i] when rendering.
template <size_t N>
struct histogram {
  explicit constexpr histogram(const std::array<uint64_t, N>& upper_bounds)
    : bounds(upper_bounds) {
  }
  const std::array<uint64_t, N> bounds;
  std::array<std::atomic<uint64_t>, N + 1> buckets{};
  std::atomic<uint64_t> count{0};
  std::atomic<uint64_t> sum{0};

  void observe(uint64_t v) {
    size_t i = 0;
    while (i < N && v > bounds[i])
      ++i;
    buckets[i].fetch_add(1, std::memory_order_relaxed);
    count.fetch_add(1, std::memory_order_relaxed);
    sum.fetch_add(v, std::memory_order_relaxed);
  }
};

inline constexpr std::array<uint64_t, 11> group_size_bounds = {1,  2,   4,   8,   16,  32,
                                                                64, 128, 256, 512, 1024};
inline constexpr std::array<uint64_t, 13> write_latency_bounds_us = {
  100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000, 1000000, 5000000};

struct ingest_metrics {
  /// Newly sequenced events (VES and legacy).
  std::atomic<uint64_t> events_accepted{0};
  /// Per-event rejections returned to clients.
  std::atomic<uint64_t> events_rejected{0};
  /// Exact replays answered with the stored receipt.
  std::atomic<uint64_t> events_replayed{0};
  /// Whole requests failed with an error (storage failure, overload, shutdown, …).
  std::atomic<uint64_t> requests_failed{0};
  /// Events per committed group.
  histogram<group_size_bounds.size()> group_commit_events{group_size_bounds};
  /// Duration of one commit_group call in the storage writer (µs), successful or not.
  histogram<write_latency_bounds_us.size()> write_latency_us{write_latency_bounds_us};
  /// Events waiting in all sequencers (being verified or queued for the next group).
  std::atomic<int64_t> queued_events{0};
  /// Groups that hit a storage conflict and were re-planned.
  std::atomic<uint64_t> write_conflicts{0};
  /// Groups that failed with another storage error.
  std::atomic<uint64_t> write_failures{0};
  /// Sequencers restarted by their supervisor after a crash.
  std::atomic<uint64_t> sequencer_restarts{0};
  /// Streams with a live supervisor.
  std::atomic<int64_t> streams_active{0};
  /// Agent key look-ups answered from the key cache / from storage.
  std::atomic<uint64_t> key_cache_hits{0};
  std::atomic<uint64_t> key_cache_misses{0};
};

} // namespace seq::actors
