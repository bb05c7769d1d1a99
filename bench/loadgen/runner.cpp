// SPDX-License-Identifier: Apache-2.0
#include "bench/loadgen/runner.hpp"

#include "bench/loadgen/raw_http.hpp"

#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <ctime>
#include <optional>
#include <stdexcept>
#include <string>

namespace seq::bench {

namespace {

uint64_t micros(clock_type::duration d) {
  auto us = std::chrono::duration_cast<std::chrono::microseconds>(d).count();
  return us < 0 ? 0 : static_cast<uint64_t>(us);
}

constexpr size_t none = static_cast<size_t>(-1);
constexpr size_t read_chunk = 64 * 1024;
/// A request whose connection makes no progress for this long fails (as a transport error),
/// so a stuck server cannot hang a run.
constexpr auto io_timeout = std::chrono::seconds{60};

/// One keep-alive connection and the request it has in flight.
struct connection {
  int fd = -1;
  size_t idx = none;              ///< request in flight
  size_t written = 0;             ///< bytes of it sent so far
  bool wants_out = false;         ///< registered for EPOLLOUT (a write would block)
  clock_type::time_point sent_at; ///< latency origin (open loop: the due time)
  clock_type::time_point last_io; ///< the request's last progress (start, bytes in or out)
  std::string buf;                ///< response bytes received so far
  uint64_t connects = 0;
};

/// The event loop of one phase: one thread, every connection non-blocking in one epoll set.
class loop {
public:
  loop(const workload& w, std::vector<request_result>& results, const phase_options& o)
    : w_(w), results_(results), o_(o), conns_(std::max<size_t>(1, o.connections)) {
    ep_ = ::epoll_create1(EPOLL_CLOEXEC);
    if (ep_ < 0)
      throw std::runtime_error("epoll_create1 failed");
    next_ = o.begin;
  }
  ~loop() {
    for (auto& c : conns_)
      if (c.fd >= 0)
        ::close(c.fd);
    ::close(ep_);
  }

  phase_result run() {
    // Connections are opened before the clock starts; a failure is retried (and counted) when
    // the connection's first request is due.
    for (size_t i = 0; i < conns_.size(); ++i)
      connect(i);
    t0_ = clock_type::now();
    deadline_ = t0_ + o_.max_duration;
    if (o_.open_loop && o_.requests_per_s > 0)
      interval_ = std::chrono::duration<double>(1.0 / o_.requests_per_s);
    for (size_t i = conns_.size(); i-- > 0;)
      idle_.push_back(i);
    std::array<epoll_event, 64> evs;
    for (;;) {
      auto wake = dispatch();
      if (in_flight_ == 0 && done_sending_)
        break;
      if (in_flight_ > 0) {
        // Look for stuck requests at least once a second.
        auto check = expire_stuck();
        wake = wake ? std::min(*wake, check) : check;
      }
      timespec ts{};
      timespec* tp = nullptr;
      if (wake) {
        auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(*wake - clock_type::now());
        auto n = ns.count() < 0 ? 0 : ns.count();
        ts.tv_sec = static_cast<time_t>(n / 1'000'000'000);
        ts.tv_nsec = static_cast<long>(n % 1'000'000'000);
        tp = &ts;
      }
      int n = wait(evs.data(), static_cast<int>(evs.size()), tp);
      if (n < 0 && errno != EINTR)
        throw std::runtime_error("epoll wait failed");
      for (int k = 0; k < n; ++k) {
        auto i = static_cast<size_t>(evs[static_cast<size_t>(k)].data.u64);
        auto e = evs[static_cast<size_t>(k)].events;
        if (conns_[i].idx == none) {
          // Readable while idle: the server closed the connection (or sent something it
          // should not have). Drop it; its next request reconnects.
          disconnect(i);
          continue;
        }
        if ((e & EPOLLOUT) != 0)
          write_some(i);
        if ((e & (EPOLLIN | EPOLLHUP | EPOLLERR)) != 0 && conns_[i].idx != none)
          read_some(i);
      }
    }
    out_.t0 = t0_;
    out_.last_done = std::max(last_done_, t0_);
    for (const auto& c : conns_)
      out_.reconnects += c.connects > 0 ? c.connects - 1 : 0;
    return out_;
  }

private:
  /// Gives due requests to idle connections. Returns when the loop must wake up at the latest
  /// (the next open-loop due time), or nothing (wait for I/O only).
  std::optional<clock_type::time_point> dispatch() {
    auto now = clock_type::now();
    while (!done_sending_ && !idle_.empty()) {
      if (next_ >= o_.end) {
        done_sending_ = true;
        break;
      }
      auto due = now;
      if (o_.open_loop) {
        due = t0_ + std::chrono::duration_cast<clock_type::duration>(
                      interval_ * static_cast<double>(next_ - o_.begin));
        if (due > deadline_) {
          done_sending_ = true;
          break;
        }
        if (due > now)
          return due;
        out_.max_lateness_us = std::max(out_.max_lateness_us, micros(now - due));
      } else if (now >= deadline_) {
        done_sending_ = true;
        break;
      }
      auto i = idle_.back();
      idle_.pop_back();
      start(i, due);
    }
    return std::nullopt;
  }

  /// epoll_pwait2 (timeouts in ns, Linux ≥ 5.11), else epoll_wait (whole milliseconds, rounded
  /// up so that a due time is never missed).
  int wait(epoll_event* evs, int max, const timespec* tp) {
    if (pwait2_) {
      int n = ::epoll_pwait2(ep_, evs, max, tp, nullptr);
      if (n >= 0 || errno != ENOSYS)
        return n;
      pwait2_ = false;
    }
    int ms = -1;
    if (tp)
      ms = static_cast<int>(tp->tv_sec * 1000 + (tp->tv_nsec + 999'999) / 1'000'000);
    return ::epoll_wait(ep_, evs, max, ms);
  }

  /// At most once a second: fails requests whose connection has made no progress for
  /// io_timeout. Returns when to look again.
  clock_type::time_point expire_stuck() {
    auto now = clock_type::now();
    if (now < next_check_)
      return next_check_;
    for (size_t i = 0; i < conns_.size(); ++i)
      if (conns_[i].idx != none && now - conns_[i].last_io >= io_timeout)
        finish(i, 0);
    next_check_ = now + std::chrono::seconds{1};
    return next_check_;
  }

  void connect(size_t i) {
    auto& c = conns_[i];
    c.fd = open_nonblocking(w_.spec.host, w_.spec.port);
    if (c.fd < 0)
      return;
    ++c.connects;
    c.wants_out = false;
    c.buf.clear();
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = i;
    if (::epoll_ctl(ep_, EPOLL_CTL_ADD, c.fd, &ev) != 0) {
      ::close(c.fd);
      c.fd = -1;
    }
  }

  void disconnect(size_t i) {
    auto& c = conns_[i];
    if (c.fd >= 0)
      ::close(c.fd); // also leaves the epoll set
    c.fd = -1;
    c.buf.clear();
  }

  void start(size_t i, clock_type::time_point sent_at) {
    auto& c = conns_[i];
    c.idx = next_++;
    c.written = 0;
    c.sent_at = sent_at;
    c.last_io = clock_type::now();
    c.buf.clear();
    ++in_flight_;
    ++out_.sent;
    results_[c.idx].body.clear();
    if (c.fd < 0)
      connect(i);
    if (c.fd < 0) {
      finish(i, 0);
      return;
    }
    write_some(i);
  }

  void write_some(size_t i) {
    auto& c = conns_[i];
    const auto& req = w_.requests[c.idx].wire;
    while (c.written < req.size()) {
      auto n = ::send(c.fd, req.data() + c.written, req.size() - c.written,
                      MSG_NOSIGNAL | MSG_DONTWAIT);
      if (n > 0) {
        c.written += static_cast<size_t>(n);
        c.last_io = clock_type::now();
        continue;
      }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
        watch_out(i, true);
        return;
      }
      finish(i, 0);
      return;
    }
    watch_out(i, false);
  }

  void watch_out(size_t i, bool on) {
    auto& c = conns_[i];
    if (c.wants_out == on)
      return;
    epoll_event ev{};
    ev.events = on ? EPOLLIN | EPOLLOUT : EPOLLIN;
    ev.data.u64 = i;
    ::epoll_ctl(ep_, EPOLL_CTL_MOD, c.fd, &ev);
    c.wants_out = on;
  }

  void read_some(size_t i) {
    auto& c = conns_[i];
    bool eof = false;
    for (;;) {
      auto old = c.buf.size();
      c.buf.resize(old + read_chunk);
      auto n = ::recv(c.fd, c.buf.data() + old, read_chunk, MSG_DONTWAIT);
      c.buf.resize(old + static_cast<size_t>(n > 0 ? n : 0));
      if (n > 0) {
        c.last_io = clock_type::now();
        continue;
      }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        break;
      eof = true; // 0: the server closed; < 0: the connection failed
      break;
    }
    parsed_response r;
    switch (parse_response(c.buf, eof, r)) {
      case parse_status::incomplete:
        if (eof)
          finish(i, 0);
        return;
      case parse_status::malformed:
        finish(i, 0);
        return;
      case parse_status::done:
        break;
    }
    results_[c.idx].body = std::move(r.body);
    // Keep-alive only if the request went out whole and the answer left the stream clean.
    bool reuse = !r.close && !eof && r.consumed == c.buf.size()
                 && c.written == w_.requests[c.idx].wire.size();
    finish(i, r.status);
    if (!reuse)
      disconnect(i);
  }

  /// Ends connection i's request with `status` (0: transport failure, which also drops the
  /// connection; the next request on it reconnects).
  void finish(size_t i, int status) {
    auto& c = conns_[i];
    auto done = clock_type::now();
    results_[c.idx].status = status;
    out_.latency_us.record(micros(done - c.sent_at));
    last_done_ = std::max(last_done_, done);
    if (status == 0) {
      ++out_.transport_errors;
      disconnect(i);
    }
    c.idx = none;
    c.buf.clear();
    --in_flight_;
    idle_.push_back(i);
  }

  const workload& w_;
  std::vector<request_result>& results_;
  const phase_options& o_;
  std::vector<connection> conns_;
  std::vector<size_t> idle_;
  int ep_ = -1;
  size_t next_ = 0;
  size_t in_flight_ = 0;
  bool done_sending_ = false;
  bool pwait2_ = true;
  clock_type::time_point t0_{};
  clock_type::time_point deadline_{};
  clock_type::time_point last_done_{};
  clock_type::time_point next_check_{}; ///< of expire_stuck
  std::chrono::duration<double> interval_{0};
  phase_result out_;
};

} // namespace

phase_result run_phase(const workload& w, std::vector<request_result>& results,
                       const phase_options& o) {
  loop l{w, results, o};
  return l.run();
}

} // namespace seq::bench
