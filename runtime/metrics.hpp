// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Process-wide metrics rendered as Prometheus text for GET /metrics (the HTTP adapter adds
/// its own request counters and latency histograms).

#include "actors/metrics.hpp"
#include "actors/projector/projection_metrics.hpp"
#include "actors/x402_batcher/x402_metrics.hpp"
#include "messages/domain.hpp"

#include <functional>
#include <string>

namespace seq::storage {
class store_pool;
namespace sqlite {
class wal_checkpointer;
} // namespace sqlite
} // namespace seq::storage

namespace seq::runtime {

/// The x402 part of /metrics (runtime/metrics_x402.cpp): batch sizes, time to seal and to
/// settle, settlement failures, expiries, nonce cleanup; with `pool`, intents by status.
std::string x402_metrics_text(const actors::x402::x402_metrics& m, storage::store_pool* pool);

struct node_metrics {
  actors::ingest_metrics actors;
  actors::projection::projection_metrics projections;
  actors::x402::x402_metrics x402;
  /// The SQLite WAL checkpointer, if the node runs one (null on PostgreSQL).
  const storage::sqlite::wal_checkpointer* wal = nullptr;
  /// Counters as Prometheus text. With `pool`, also what storage knows and is computed on
  /// each scrape: projection lag per stream (head − checkpoint, streams with a checkpoint
  /// row) and DLQ sizes per reason and per status (a storage failure leaves them out and
  /// sets ves_projection_scrape_errors 1). Per-stream series only for the streams `visible`
  /// accepts (all without it).
  std::string render(storage::store_pool* pool = nullptr,
                     const std::function<bool(const msg::stream_key&)>& visible = {}) const;
};

} // namespace seq::runtime
