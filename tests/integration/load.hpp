// SPDX-License-Identifier: Apache-2.0
#pragma once

/// End-to-end test harness, part 4: a bounded load generator (N client threads pushing signed
/// events into a few streams) and the checks that follow a run: every acknowledged event is
/// stored with the sequence number and receipt hash its client received, and each stream is
/// gap-free. Worker threads never touch Catch2 (its assertions are not thread-safe): they only
/// record what they sent and what came back; the checks run on the test's thread.

#include "tests/integration/ves_agent.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>
#include <vector>

namespace seq::it {

struct load_options {
  std::vector<agent_identity> streams;  ///< thread i pushes into streams[i % size]
  size_t threads = 8;
  size_t requests_per_thread = 50;      ///< upper bound per thread
  size_t max_events_per_request = 1;    ///< each request carries 1..max events
  std::chrono::milliseconds max_duration{20000};
  std::chrono::milliseconds pause_after_failure{20};
  std::string tag = "load";
};

/// One request a worker sent and what came back.
struct load_record {
  size_t stream = 0;                    ///< index into load_options::streams
  std::vector<signed_event> events;
  response res;
};

class load_generator {
public:
  load_generator(uint16_t port, load_options opts) : opts_(std::move(opts)), port_(port) {}
  load_generator(const load_generator&) = delete;
  load_generator& operator=(const load_generator&) = delete;
  ~load_generator() {
    stop();
    join();
  }

  void start() {
    deadline_ = std::chrono::steady_clock::now() + opts_.max_duration;
    running_ = static_cast<int>(opts_.threads);
    for (size_t t = 0; t < opts_.threads; ++t)
      threads_.emplace_back([this, t] { run(t); });
  }

  void stop() { stop_ = true; }

  void join() {
    for (auto& t : threads_)
      if (t.joinable())
        t.join();
    threads_.clear();
  }

  /// Events acknowledged with HTTP 200 so far.
  size_t acked_events() const { return acked_; }
  size_t requests_sent() const { return sent_; }
  /// Requests answered with anything but 200 (or not answered) so far.
  size_t failures() const { return failed_; }

  /// The first failures as "status: body" (≤ 20), available while running.
  std::vector<std::string> failure_samples() const {
    std::lock_guard guard{mtx_};
    return samples_;
  }

  /// Waits until at least `n` events were acknowledged, or `timeout` passed, or every worker
  /// finished. Returns whether `n` was reached.
  bool wait_for_acks(size_t n, std::chrono::milliseconds timeout) const {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (acked_ < n && std::chrono::steady_clock::now() < end && running_ > 0)
      std::this_thread::sleep_for(std::chrono::milliseconds{5});
    return acked_ >= n;
  }

  /// All records; call after join().
  const std::vector<load_record>& records() const { return records_; }

  const load_options& options() const { return opts_; }

private:
  void run(size_t t) {
    api_client c{port_};
    std::mt19937 rng{static_cast<unsigned>(t * 7919 + 17)};
    std::uniform_int_distribution<size_t> count{1,
                                                std::max<size_t>(1, opts_.max_events_per_request)};
    size_t stream = t % opts_.streams.size();
    auto& a = opts_.streams[stream];
    std::vector<load_record> mine;
    for (size_t i = 0; i < opts_.requests_per_thread && !stop_; ++i) {
      if (std::chrono::steady_clock::now() > deadline_)
        break;
      load_record rec;
      rec.stream = stream;
      auto n = count(rng);
      for (size_t k = 0; k < n; ++k) {
        event_spec s;
        s.entity_id = opts_.tag + "-" + std::to_string(t) + "-" + std::to_string(i % 5);
        s.payload = numbered_payload(i * 100 + k, opts_.tag);
        rec.events.push_back(make_event(a, s));
      }
      ++sent_;
      rec.res = ingest(c, a, rec.events);
      if (rec.res.status == 200)
        acked_ += n;
      bool failed = rec.res.status != 200;
      if (failed) {
        ++failed_;
        std::lock_guard guard{mtx_};
        if (samples_.size() < 20)
          samples_.push_back(rec.res.describe());
      }
      mine.push_back(std::move(rec));
      if (failed)
        std::this_thread::sleep_for(opts_.pause_after_failure);
    }
    {
      std::lock_guard guard{mtx_};
      for (auto& r : mine)
        records_.push_back(std::move(r));
    }
    --running_;
  }

  load_options opts_;
  uint16_t port_;
  std::chrono::steady_clock::time_point deadline_;
  std::atomic<bool> stop_{false};
  std::atomic<size_t> acked_{0}, sent_{0}, failed_{0};
  std::atomic<int> running_{0};
  std::vector<std::thread> threads_;
  mutable std::mutex mtx_;
  std::vector<load_record> records_;
  std::vector<std::string> samples_;
};

/// Acknowledged events per stream: event id → ack.
using ack_map = std::map<std::string, ack>;

/// Checks the receipts of every 200 response (each event of such a request must have one:
/// the load sends only valid events) and returns the acks per stream index.
inline std::vector<ack_map> collect_acks(const load_generator& g, const sequencer_info& s) {
  std::vector<ack_map> out(g.options().streams.size());
  for (auto& rec : g.records()) {
    if (rec.res.status != 200)
      continue;
    INFO(rec.res.describe());
    REQUIRE_FALSE(has_member(rec.res.doc(), "rejections"));
    for (auto& a : check_receipts(rec.res, rec.events, s)) {
      auto [it, fresh] = out[rec.stream].emplace(a.event_id, a);
      REQUIRE(fresh); // every event id was sent once
    }
  }
  return out;
}

/// Counts responses by status (-1 = transport error).
inline std::map<int, size_t> status_histogram(const load_generator& g) {
  std::map<int, size_t> h;
  for (auto& rec : g.records())
    ++h[rec.res.status];
  return h;
}

/// Distinct failures as "status code: message" → count (transport errors by their name).
inline std::map<std::string, size_t> failure_kinds(const load_generator& g) {
  std::map<std::string, size_t> k;
  for (auto& rec : g.records()) {
    if (rec.res.status == 200)
      continue;
    if (rec.res.status < 0)
      ++k["transport: " + rec.res.transport_error];
    else
      ++k[std::to_string(rec.res.status) + " " + rec.res.error_header + ": "
          + error_message(rec.res)];
  }
  return k;
}

inline std::string describe(const std::map<std::string, size_t>& kinds) {
  std::string s;
  for (auto& [what, n] : kinds)
    s += "\n  " + std::to_string(n) + " x " + what;
  return s;
}

inline std::string describe(const std::map<int, size_t>& h) {
  std::string s;
  for (auto& [status, n] : h)
    s += (s.empty() ? "" : ", ") + std::to_string(status) + ": " + std::to_string(n);
  return s;
}

/// REQUIREs that every ack is in `pulled` with the same sequence number and receipt hash.
/// (`pulled` is already checked to be exactly 1..head by pull_all.)
inline void check_acks_stored(const ack_map& acks, const std::vector<pulled_event>& pulled) {
  std::map<std::string, const pulled_event*> by_id;
  for (auto& p : pulled) {
    auto [it, fresh] = by_id.emplace(p.event_id, &p);
    INFO("event " << p.event_id << " stored twice");
    REQUIRE(fresh);
  }
  size_t missing = 0, moved = 0;
  for (auto& [id, a] : acks) {
    auto i = by_id.find(id);
    if (i == by_id.end()) {
      ++missing;
      UNSCOPED_INFO("acknowledged event " << id << " (seq " << a.sequence_number
                                          << ") is not stored");
      continue;
    }
    if (i->second->sequence_number != a.sequence_number
        || i->second->receipt_hash != a.receipt_hash) {
      ++moved;
      UNSCOPED_INFO("acknowledged event " << id << " was seq " << a.sequence_number
                                          << ", stored as seq " << i->second->sequence_number);
    }
  }
  REQUIRE(missing == 0);
  REQUIRE(moved == 0);
}

/// The key book for a set of identities.
inline key_book book_of(const std::vector<agent_identity>& ids) {
  key_book b;
  for (auto& a : ids)
    add_key(b, a);
  return b;
}

} // namespace seq::it
