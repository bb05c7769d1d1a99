// SPDX-License-Identifier: Apache-2.0
#include "actors/circuit_breaker/breaker.hpp"

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>

namespace seq::actors {

breaker_options breaker_options::anchor_defaults() {
  breaker_options o;
  o.name = "anchor";
  o.failure_threshold = 5;
  o.success_threshold = 2;
  o.failure_window = std::chrono::seconds{120};
  o.open_timeout = std::chrono::seconds{60};
  o.backoff_multiplier = 2.0;
  o.max_backoff = std::chrono::seconds{300};
  o.jitter = 0.1;
  o.half_open_max_calls = 1;
  o.slow_call_threshold = std::chrono::seconds{30};
  return o;
}

breaker::breaker(breaker_options opts, clock_fn clock, random_fn random)
  : opts_(std::move(opts)), clock_(std::move(clock)), random_(std::move(random)) {
  if (!random_) {
    auto gen = std::make_shared<std::mt19937_64>(std::random_device{}());
    random_ = [gen] { return std::uniform_real_distribution<double>{0.0, 1.0}(*gen); };
  }
  opts_.failure_threshold = std::max<size_t>(opts_.failure_threshold, 1);
  opts_.success_threshold = std::max<size_t>(opts_.success_threshold, 1);
  opts_.half_open_max_calls = std::max<size_t>(opts_.half_open_max_calls, 1);
  counters_.name = opts_.name;
}

caf::timespan breaker::backoff(size_t n) const {
  using rep = caf::timespan::rep;
  double base = static_cast<double>(opts_.open_timeout.count());
  double cap = static_cast<double>(opts_.max_backoff.count());
  double v = base * std::pow(std::max(opts_.backoff_multiplier, 1.0), static_cast<double>(n));
  return caf::timespan{static_cast<rep>(std::min(v, cap))};
}

std::optional<breaker::permit> breaker::try_acquire() {
  auto now = clock_();
  if (state_ == msg::breaker_state::open) {
    if (now < open_until_) {
      ++counters_.rejected;
      return std::nullopt;
    }
    state_ = msg::breaker_state::half_open;
    ++generation_;
    probes_in_flight_ = 0;
    probe_successes_ = 0;
  }
  if (state_ == msg::breaker_state::half_open) {
    if (probes_in_flight_ >= opts_.half_open_max_calls) {
      ++counters_.rejected;
      return std::nullopt;
    }
    ++probes_in_flight_;
    ++counters_.calls;
    return permit{generation_, true};
  }
  ++counters_.calls;
  return permit{generation_, false};
}

void breaker::on_success(const permit& p, caf::timespan elapsed) {
  if (opts_.slow_call_threshold.count() > 0 && elapsed > opts_.slow_call_threshold) {
    ++counters_.slow_calls;
    record_failure(p);
    return;
  }
  ++counters_.successes;
  if (p.generation != generation_ || !p.probe || state_ != msg::breaker_state::half_open)
    return;
  --probes_in_flight_;
  if (++probe_successes_ >= opts_.success_threshold)
    close();
}

void breaker::on_failure(const permit& p) {
  record_failure(p);
}

void breaker::record_failure(const permit& p) {
  ++counters_.failures;
  if (p.generation != generation_)
    return; // started under an earlier state: it says nothing about the current one
  auto now = clock_();
  if (state_ == msg::breaker_state::half_open) {
    trip(now);
    return;
  }
  if (state_ != msg::breaker_state::closed)
    return;
  failures_.push_back(now);
  forget_old_failures(now);
  if (failures_.size() >= opts_.failure_threshold)
    trip(now);
}

void breaker::trip(time_point now) {
  auto d = backoff(consecutive_opens_);
  double r = std::clamp(random_(), 0.0, 1.0);
  auto jitter = static_cast<caf::timespan::rep>(static_cast<double>(d.count()) * opts_.jitter * r);
  open_until_ = now + d + caf::timespan{jitter};
  ++consecutive_opens_;
  state_ = msg::breaker_state::open;
  ++generation_;
  ++counters_.opened;
  failures_.clear();
  probes_in_flight_ = 0;
  probe_successes_ = 0;
}

void breaker::close() {
  state_ = msg::breaker_state::closed;
  ++generation_;
  consecutive_opens_ = 0;
  failures_.clear();
  probes_in_flight_ = 0;
  probe_successes_ = 0;
}

void breaker::forget_old_failures(time_point now) const {
  while (!failures_.empty() && now - failures_.front() > opts_.failure_window)
    failures_.pop_front();
}

caf::timespan breaker::retry_in() const {
  if (state_ != msg::breaker_state::open)
    return caf::timespan{0};
  auto now = clock_();
  if (now >= open_until_)
    return caf::timespan{0};
  return std::chrono::duration_cast<caf::timespan>(open_until_ - now);
}

msg::breaker_status breaker::status() const {
  auto s = counters_;
  s.state = state_;
  forget_old_failures(clock_());
  s.window_failures = failures_.size();
  s.retry_in_ms = std::chrono::duration_cast<std::chrono::milliseconds>(retry_in()).count();
  return s;
}

} // namespace seq::actors
