// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Writers of the Prometheus text format shared by the /metrics parts (metrics.cpp,
/// metrics_x402.cpp): one HELP/TYPE header, one counter or gauge, one histogram.

#include "actors/metrics.hpp"

#include <cstddef>
#include <cstdint>
#include <sstream>

namespace seq::runtime::prometheus {

inline void header(std::ostringstream& out, const char* name, const char* help,
                   const char* type) {
  out << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

inline void counter(std::ostringstream& out, const char* name, const char* help, uint64_t v,
                    const char* type = "counter") {
  header(out, name, help, type);
  out << name << ' ' << v << '\n';
}

/// `scale` converts the histogram's unit to the exported one (e.g. µs → s).
template <size_t N>
void histogram(std::ostringstream& out, const char* name, const char* help,
               const actors::histogram<N>& h, double scale) {
  header(out, name, help, "histogram");
  uint64_t cumulative = 0;
  for (size_t i = 0; i < N; ++i) {
    cumulative += h.buckets[i].load(std::memory_order_relaxed);
    out << name << "_bucket{le=\"" << static_cast<double>(h.bounds[i]) * scale << "\"} "
        << cumulative << '\n';
  }
  cumulative += h.buckets[N].load(std::memory_order_relaxed);
  out << name << "_bucket{le=\"+Inf\"} " << cumulative << '\n'
      << name << "_sum " << static_cast<double>(h.sum.load()) * scale << '\n'
      << name << "_count " << h.count.load() << '\n';
}

} // namespace seq::runtime::prometheus
