// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Process-wide metrics rendered as Prometheus text for GET /metrics (the HTTP adapter adds
/// its own request counters and latency histograms).

#include "actors/metrics.hpp"

#include <string>

namespace seq::runtime {

struct node_metrics {
  actors::ingest_metrics actors;
  std::string render() const;
};

} // namespace seq::runtime
