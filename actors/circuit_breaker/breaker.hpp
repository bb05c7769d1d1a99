// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The circuit-breaker state machine: a plain class (no actors), driven by an injected clock
/// and random source so tests control time and jitter. The CAF shell is circuit_breaker.hpp.
///
///   closed    → open       when `failure_threshold` failures fall inside `failure_window`;
///   open      → half_open  once the backoff has passed (checked when the next call asks);
///   half_open → closed     after `success_threshold` successful probes;
///   half_open → open       on any probe failure (with the next, longer backoff).
///
/// Backoff of the n-th consecutive opening (n = 0, 1, …; reset when the breaker closes):
/// min(open_timeout · multiplier^n, max_backoff) · (1 + jitter · r), r uniform in [0, 1).
/// While open every call fails fast (counted as `rejected`); while half-open at most
/// `half_open_max_calls` probes run at once and further calls fail fast.
/// A successful call slower than `slow_call_threshold` counts as a failure (and as slow).
/// Outcomes of calls started under an earlier state (a call let through while closed that
/// fails after the breaker opened) update the counters but not the state: every transition
/// starts a new generation and each permit remembers its own.

#include "messages/chain.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <string>

#include "caf/timespan.hpp"

namespace seq::actors {

struct breaker_options {
  /// Names the breaker in status reports, errors and metrics.
  std::string name = "chain";
  size_t failure_threshold = 5;
  size_t success_threshold = 2;
  caf::timespan failure_window = std::chrono::seconds{120};
  /// The first backoff.
  caf::timespan open_timeout = std::chrono::seconds{60};
  double backoff_multiplier = 2.0;
  caf::timespan max_backoff = std::chrono::seconds{300};
  /// Up to this fraction is added to each backoff at random.
  double jitter = 0.1;
  size_t half_open_max_calls = 1;
  /// 0 = no slow-call detection.
  caf::timespan slow_call_threshold = std::chrono::seconds{30};

  /// The reference's "anchor" breaker (wire-contract §8.9): 5 failures in 120 s, 60 s first
  /// backoff ×2 up to 300 s, jitter 10 %, one half-open probe, 2 successes, slow call 30 s.
  static breaker_options anchor_defaults();
};

class breaker {
public:
  using time_point = std::chrono::steady_clock::time_point;
  using clock_fn = std::function<time_point()>;
  /// Uniform in [0, 1).
  using random_fn = std::function<double()>;

  /// What try_acquire hands out; give it back with exactly one on_success/on_failure.
  struct permit {
    uint64_t generation = 0;
    bool probe = false; ///< taken while half-open
  };

  /// `random` may be empty: a Mersenne twister seeded from std::random_device is used.
  breaker(breaker_options opts, clock_fn clock, random_fn random = {});

  /// May a call start now? none = fail fast (counted as rejected).
  std::optional<permit> try_acquire();
  /// The call answered (possibly with a refusal that says the service is healthy).
  void on_success(const permit& p, caf::timespan elapsed);
  /// The call failed in a way that says the service is unhealthy (unreachable, timed out).
  void on_failure(const permit& p);

  msg::breaker_state state() const {
    return state_;
  }
  /// While open: time until the next call becomes a half-open probe (0 otherwise).
  caf::timespan retry_in() const;
  /// State and counters (failures inside the window as of now).
  msg::breaker_status status() const;
  const breaker_options& options() const {
    return opts_;
  }
  /// The backoff the n-th consecutive opening would use, before jitter.
  caf::timespan backoff(size_t n) const;

private:
  void record_failure(const permit& p);
  void trip(time_point now);
  void close();
  void forget_old_failures(time_point now) const;

  breaker_options opts_;
  clock_fn clock_;
  random_fn random_;
  msg::breaker_state state_ = msg::breaker_state::closed;
  uint64_t generation_ = 0;
  mutable std::deque<time_point> failures_;
  time_point open_until_{};
  size_t consecutive_opens_ = 0;
  size_t probes_in_flight_ = 0;
  size_t probe_successes_ = 0;
  msg::breaker_status counters_;
};

} // namespace seq::actors
