// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Counters and histograms of x402 batching, updated by the batchers and the hub and rendered
/// by the runtime for /metrics (intents by status are read from storage at each scrape).
/// Lock-free atomics with relaxed ordering, like actors/metrics.hpp.

#include "actors/metrics.hpp"

#include <array>
#include <atomic>
#include <cstdint>

namespace seq::actors::x402 {

inline constexpr std::array<uint64_t, 11> batch_size_bounds = {1,  2,   5,   10,  25,  50,
                                                               100, 250, 500, 750, 1000};
/// Milliseconds: 10 ms … 1 h.
inline constexpr std::array<uint64_t, 14> latency_bounds_ms = {
  10, 50, 100, 500, 1000, 2500, 5000, 10000, 30000, 60000, 120000, 300000, 900000, 3600000};

struct x402_metrics {
  /// Batches sealed (automatic and manual).
  std::atomic<uint64_t> batches_sealed{0};
  /// Intents per sealed batch.
  histogram<batch_size_bounds.size()> batch_size{batch_size_bounds};
  /// Time to seal: how long the oldest intent of a batch waited (ms).
  histogram<latency_bounds_ms.size()> seal_wait_ms{latency_bounds_ms};
  /// Time to settle: from commit to confirmed settlement on chain (ms).
  histogram<latency_bounds_ms.size()> settle_latency_ms{latency_bounds_ms};
  /// Batches settled on chain by the batchers.
  std::atomic<uint64_t> batches_settled{0};
  /// Settlement attempts that failed (retried later, or the batch failed when refused).
  std::atomic<uint64_t> settlement_failures{0};
  /// Batches the chain refused (they and their intents became failed).
  std::atomic<uint64_t> batches_failed{0};
  /// Committed batches left for manual settlement (non-EVM address, no token, other chain).
  std::atomic<uint64_t> batches_unsettleable{0};
  /// Intents that expired before they were batched.
  std::atomic<uint64_t> intents_expired{0};
  /// Nonce rows removed by the background cleanup.
  std::atomic<uint64_t> nonces_pruned{0};
  /// Batchers running on this node.
  std::atomic<int64_t> batchers{0};
};

} // namespace seq::actors::x402
