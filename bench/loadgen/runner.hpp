// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Sends a range of pre-built requests over N keep-alive connections and records the latency
/// of each in a histogram. One thread drives all connections (non-blocking sockets in one
/// epoll set, at most one request in flight per connection): the client shares the 2 cores
/// with the server, and a thread per connection cost a wake-up and a context switch per
/// response.
/// - closed loop: every connection sends its next request as soon as the previous answer is
///   in (fixed concurrency, maximum throughput); latency = answer − send; new requests stop
///   at the deadline.
/// - open loop: request j of the range is due at t0 + j/rate, whichever connection is free
///   takes it; latency = answer − due time, so a stalled server is charged for every request
///   it delayed (no coordinated omission).
/// Connections are opened before the clock starts.

#include "bench/loadgen/histogram.hpp"
#include "bench/loadgen/verify.hpp"

#include <chrono>
#include <cstdint>
#include <vector>

namespace seq::bench {

using clock_type = std::chrono::steady_clock;

struct phase_options {
  size_t begin = 0;                 ///< first request index
  size_t end = 0;                   ///< one past the last
  size_t connections = 1;
  bool open_loop = false;
  double requests_per_s = 0;        ///< open loop only
  std::chrono::milliseconds max_duration{60000}; ///< no new request after t0 + this
};

struct phase_result {
  histogram latency_us;
  clock_type::time_point t0;
  clock_type::time_point last_done;
  uint64_t sent = 0;
  uint64_t transport_errors = 0;
  uint64_t reconnects = 0;          ///< connections opened beyond the first per connection slot
  uint64_t max_lateness_us = 0;     ///< open loop: worst send delay behind schedule
};

phase_result run_phase(const workload& w, std::vector<request_result>& results,
                       const phase_options& o);

} // namespace seq::bench
