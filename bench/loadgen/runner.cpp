// SPDX-License-Identifier: Apache-2.0
#include "bench/loadgen/runner.hpp"

#include "bench/loadgen/raw_http.hpp"

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace seq::bench {

namespace {

uint64_t micros(clock_type::duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return us < 0 ? 0 : static_cast<uint64_t>(us);
}

/// Releases all workers at once, after each has connected.
class start_gate {
public:
  explicit start_gate(size_t n) : waiting_(n) {}
  void arrive_and_wait() {
    std::unique_lock lock{mtx_};
    if (--waiting_ == 0)
      all_ready_.notify_all();
    go_.wait(lock, [&] { return open_; });
  }
  void wait_all_ready() {
    std::unique_lock lock{mtx_};
    all_ready_.wait(lock, [&] { return waiting_ == 0; });
  }
  void open() {
    {
      std::lock_guard guard{mtx_};
      open_ = true;
    }
    go_.notify_all();
  }

private:
  std::mutex mtx_;
  std::condition_variable all_ready_, go_;
  size_t waiting_;
  bool open_ = false;
};

struct worker_state {
  histogram hist;
  clock_type::time_point last_done{};
  uint64_t sent = 0;
  uint64_t errors = 0;
  uint64_t connects = 0;
  uint64_t max_lateness_us = 0;
};

} // namespace

phase_result run_phase(const workload& w, std::vector<request_result>& results,
                       const phase_options& o) {
  phase_result out;
  const auto n = std::max<size_t>(1, o.connections);
  std::vector<std::unique_ptr<worker_state>> states;
  for (size_t i = 0; i < n; ++i)
    states.push_back(std::make_unique<worker_state>());
  std::atomic<size_t> next{o.begin};
  start_gate gate{n};
  clock_type::time_point t0{};
  clock_type::time_point deadline{};
  const auto interval = o.open_loop && o.requests_per_s > 0
                          ? std::chrono::duration<double>(1.0 / o.requests_per_s)
                          : std::chrono::duration<double>(0);

  std::vector<std::thread> pool;
  for (size_t i = 0; i < n; ++i)
    pool.emplace_back([&, i] {
      auto& st = *states[i];
      raw_connection conn{w.spec.host, w.spec.port};
      (void) conn.connect(); // a failure is retried (and counted) by the first round trip
      gate.arrive_and_wait();
      for (;;) {
        auto idx = next.fetch_add(1, std::memory_order_relaxed);
        if (idx >= o.end)
          break;
        auto now = clock_type::now();
        clock_type::time_point due = now;
        if (o.open_loop) {
          due = t0 + std::chrono::duration_cast<clock_type::duration>(
                       interval * static_cast<double>(idx - o.begin));
          if (due > deadline)
            break;
          if (due > now)
            std::this_thread::sleep_until(due);
          else
            st.max_lateness_us = std::max(st.max_lateness_us, micros(now - due));
        } else if (now >= deadline) {
          break;
        }
        auto sent_at = o.open_loop ? due : clock_type::now();
        auto& res = results[idx];
        res.status = conn.round_trip(w.requests[idx].wire, res.body);
        auto done = clock_type::now();
        st.hist.record(micros(done - sent_at));
        st.last_done = std::max(st.last_done, done);
        ++st.sent;
      }
      st.errors = conn.transport_errors();
      st.connects = conn.connects();
    });
  gate.wait_all_ready();
  t0 = clock_type::now();
  deadline = t0 + o.max_duration;
  gate.open();
  for (auto& t : pool)
    t.join();
  out.t0 = t0;
  out.last_done = t0;
  for (auto& s : states) {
    out.latency_us.merge(s->hist);
    out.last_done = std::max(out.last_done, s->last_done);
    out.sent += s->sent;
    out.transport_errors += s->errors;
    out.reconnects += s->connects > 0 ? s->connects - 1 : 0;
    out.max_lateness_us = std::max(out.max_lateness_us, s->max_lateness_us);
  }
  return out;
}

} // namespace seq::bench
