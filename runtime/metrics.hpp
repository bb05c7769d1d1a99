// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Process-wide metrics rendered as Prometheus text for GET /metrics (the HTTP adapter adds
/// its own request counters and latency histograms).

#include "actors/metrics.hpp"
#include "actors/projector/projection_metrics.hpp"

#include <string>

namespace seq::storage {
class store_pool;
} // namespace seq::storage

namespace seq::runtime {

struct node_metrics {
  actors::ingest_metrics actors;
  actors::projection::projection_metrics projections;
  /// Counters as Prometheus text. With `pool`, also what storage knows and is computed on
  /// each scrape: projection lag per stream (head − checkpoint, streams with a checkpoint
  /// row) and DLQ sizes per reason and per status (a storage failure leaves them out and
  /// sets ves_projection_scrape_errors 1).
  std::string render(storage::store_pool* pool = nullptr) const;
};

} // namespace seq::runtime
