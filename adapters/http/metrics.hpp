// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Request counters and latency histograms per route, rendered as Prometheus text.

#include <array>
#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <tuple>

namespace seq::http {

class request_metrics {
public:
  /// Upper bounds of the latency buckets in seconds.
  static constexpr std::array<double, 12> buckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                     0.05, 0.1, 0.25, 0.5, 1.0, 5.0};
  void record(const std::string& method, const std::string& route, int status, double seconds);
  std::string render() const;

private:
  struct histogram {
    std::array<uint64_t, buckets.size()> counts{};
    uint64_t count = 0;
    double sum = 0;
  };
  mutable std::mutex mtx_;
  std::map<std::tuple<std::string, std::string, int>, uint64_t> requests_;
  std::map<std::pair<std::string, std::string>, histogram> latency_;
};

} // namespace seq::http
