// SPDX-License-Identifier: Apache-2.0
#include "adapters/http/metrics.hpp"

#include <sstream>

namespace seq::http {

void request_metrics::record(const std::string& method, const std::string& route, int status,
                             double seconds) {
  std::lock_guard guard{mtx_};
  ++requests_[{method, route, status}];
  auto& h = latency_[{method, route}];
  for (size_t i = 0; i < buckets.size(); ++i)
    if (seconds <= buckets[i])
      ++h.counts[i];
  ++h.count;
  h.sum += seconds;
}

std::string request_metrics::render() const {
  std::ostringstream out;
  std::lock_guard guard{mtx_};
  out << "# HELP ves_http_requests_total HTTP requests by method, route and status.\n"
         "# TYPE ves_http_requests_total counter\n";
  for (auto& [k, n] : requests_)
    out << "ves_http_requests_total{method=\"" << std::get<0>(k) << "\",route=\""
        << std::get<1>(k) << "\",status=\"" << std::get<2>(k) << "\"} " << n << '\n';
  out << "# HELP ves_http_request_duration_seconds HTTP request latency.\n"
         "# TYPE ves_http_request_duration_seconds histogram\n";
  for (auto& [k, h] : latency_) {
    auto labels = "method=\"" + k.first + "\",route=\"" + k.second + "\"";
    for (size_t i = 0; i < buckets.size(); ++i)
      out << "ves_http_request_duration_seconds_bucket{" << labels << ",le=\"" << buckets[i]
          << "\"} " << h.counts[i] << '\n';
    out << "ves_http_request_duration_seconds_bucket{" << labels << ",le=\"+Inf\"} " << h.count
        << '\n';
    out << "ves_http_request_duration_seconds_sum{" << labels << "} " << h.sum << '\n';
    out << "ves_http_request_duration_seconds_count{" << labels << "} " << h.count << '\n';
  }
  return out.str();
}

} // namespace seq::http
