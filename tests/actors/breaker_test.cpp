// SPDX-License-Identifier: Apache-2.0
// actors/circuit_breaker/breaker: the state machine on a hand-driven clock and random source.

#include "actors/circuit_breaker/breaker.hpp"
#include "actors/circuit_breaker/circuit_breaker.hpp"
#include "messages/errc.hpp"

#include "caf/exit_reason.hpp"
#include "caf/sec.hpp"

#include <catch2/catch.hpp>

using namespace seq::actors;
using namespace std::chrono_literals;
using seq::msg::breaker_state;

namespace {

struct harness {
  breaker::time_point now{};
  double rnd = 0.0;
  breaker cb;

  explicit harness(breaker_options o)
    : cb(
      std::move(o), [this] { return now; }, [this] { return rnd; }) {}

  /// One call that fails.
  void fail() {
    auto p = cb.try_acquire();
    REQUIRE(p);
    cb.on_failure(*p);
  }
  /// One call that succeeds after `took`.
  void succeed(caf::timespan took = 10ms) {
    auto p = cb.try_acquire();
    REQUIRE(p);
    cb.on_success(*p, took);
  }
};

breaker_options small() {
  breaker_options o;
  o.name = "test";
  o.failure_threshold = 3;
  o.success_threshold = 2;
  o.failure_window = 10s;
  o.open_timeout = 1s;
  o.backoff_multiplier = 2.0;
  o.max_backoff = 5s;
  o.jitter = 0.1;
  o.half_open_max_calls = 1;
  o.slow_call_threshold = 2s;
  return o;
}

} // namespace

TEST_CASE("breaker opens after N failures inside the window", "[circuit_breaker]") {
  harness h{small()};
  h.fail();
  h.fail();
  CHECK(h.cb.state() == breaker_state::closed);
  CHECK(h.cb.status().window_failures == 2);
  h.fail();
  CHECK(h.cb.state() == breaker_state::open);
  auto st = h.cb.status();
  CHECK(st.opened == 1);
  CHECK(st.failures == 3);
  CHECK(st.calls == 3);
  CHECK(st.retry_in_ms == 1000);
  CHECK(st.name == "test");

  SECTION("while open every call fails fast and is counted as rejected") {
    CHECK_FALSE(h.cb.try_acquire());
    h.now += 999ms;
    CHECK_FALSE(h.cb.try_acquire());
    CHECK(h.cb.status().rejected == 2);
    CHECK(h.cb.retry_in() == 1ms);
  }
}

TEST_CASE("breaker forgets failures older than the window", "[circuit_breaker]") {
  harness h{small()};
  h.fail();
  h.fail();
  h.now += 11s;
  CHECK(h.cb.status().window_failures == 0);
  h.fail();
  h.fail();
  CHECK(h.cb.state() == breaker_state::closed);
  h.fail();
  CHECK(h.cb.state() == breaker_state::open);
}

TEST_CASE("breaker half-opens after the backoff and closes after M successes",
          "[circuit_breaker]") {
  harness h{small()};
  for (int i = 0; i < 3; ++i)
    h.fail();
  h.now += 1s;
  auto probe = h.cb.try_acquire();
  REQUIRE(probe);
  CHECK(probe->probe);
  CHECK(h.cb.state() == breaker_state::half_open);
  SECTION("only half_open_max_calls probes at a time") {
    CHECK_FALSE(h.cb.try_acquire());
    CHECK(h.cb.status().rejected == 1);
  }
  h.cb.on_success(*probe, 10ms);
  CHECK(h.cb.state() == breaker_state::half_open);
  h.succeed();
  CHECK(h.cb.state() == breaker_state::closed);
  CHECK(h.cb.status().successes == 2);
  SECTION("closing resets the backoff") {
    for (int i = 0; i < 3; ++i)
      h.fail();
    CHECK(h.cb.retry_in() == 1s);
  }
}

TEST_CASE("any half-open failure re-opens with the next, longer backoff", "[circuit_breaker]") {
  harness h{small()};
  for (int i = 0; i < 3; ++i)
    h.fail();
  CHECK(h.cb.retry_in() == 1s);
  h.now += 1s;
  h.fail(); // the probe fails
  CHECK(h.cb.state() == breaker_state::open);
  CHECK(h.cb.retry_in() == 2s);
  h.now += 2s;
  h.succeed(); // one success is not enough (success_threshold 2) …
  h.fail();    // … and a failure re-opens
  CHECK(h.cb.retry_in() == 4s);
  h.now += 4s;
  h.fail();
  CHECK(h.cb.retry_in() == 5s); // capped at max_backoff
  CHECK(h.cb.status().opened == 4);
}

TEST_CASE("backoff is exponential with up to `jitter` added", "[circuit_breaker]") {
  auto o = small();
  o.open_timeout = 60s;
  o.max_backoff = 300s;
  harness h{o};
  CHECK(h.cb.backoff(0) == 60s);
  CHECK(h.cb.backoff(1) == 120s);
  CHECK(h.cb.backoff(2) == 240s);
  CHECK(h.cb.backoff(3) == 300s);
  h.rnd = 0.5; // + 5 %
  for (int i = 0; i < 3; ++i)
    h.fail();
  CHECK(h.cb.retry_in() == 63s);
  h.now += 62s;
  CHECK_FALSE(h.cb.try_acquire());
  h.now += 1s;
  CHECK(h.cb.try_acquire());
}

TEST_CASE("a slow success counts as a failure", "[circuit_breaker]") {
  harness h{small()};
  h.succeed(2001ms);
  h.succeed(3s);
  CHECK(h.cb.state() == breaker_state::closed);
  h.succeed(2s); // exactly the threshold is not slow
  h.succeed(5s);
  CHECK(h.cb.state() == breaker_state::open);
  auto st = h.cb.status();
  CHECK(st.slow_calls == 3);
  CHECK(st.failures == 3);
  CHECK(st.successes == 1);

  SECTION("a slow probe re-opens") {
    h.now += 1s;
    h.succeed(10s);
    CHECK(h.cb.state() == breaker_state::open);
  }
}

TEST_CASE("outcomes of calls started under an earlier state do not move the state",
          "[circuit_breaker]") {
  harness h{small()};
  // five calls in flight while closed
  std::vector<breaker::permit> inflight;
  for (int i = 0; i < 5; ++i)
    inflight.push_back(*h.cb.try_acquire());
  for (int i = 0; i < 3; ++i)
    h.cb.on_failure(inflight[static_cast<size_t>(i)]);
  CHECK(h.cb.state() == breaker_state::open);
  auto until = h.cb.retry_in();
  h.cb.on_failure(inflight[3]); // arrives late: no new backoff
  CHECK(h.cb.retry_in() == until);
  h.now += 1s;
  auto probe = h.cb.try_acquire();
  REQUIRE(probe);
  h.cb.on_failure(inflight[4]); // a closed-era failure must not fail the probe
  CHECK(h.cb.state() == breaker_state::half_open);
  CHECK(h.cb.status().failures == 5);
}

TEST_CASE("the anchor defaults are the reference's", "[circuit_breaker]") {
  auto o = breaker_options::anchor_defaults();
  CHECK(o.name == "anchor");
  CHECK(o.failure_threshold == 5);
  CHECK(o.success_threshold == 2);
  CHECK(o.open_timeout == 60s);
  CHECK(o.failure_window == 120s);
  CHECK(o.half_open_max_calls == 1);
  CHECK(o.max_backoff == 300s);
  CHECK(o.jitter == Approx(0.1));
  CHECK(o.slow_call_threshold == 30s);
}

TEST_CASE("which answers say the chain is unhealthy", "[circuit_breaker]") {
  CHECK(counts_as_failure(seq::make_error(seq::errc::chain_unavailable, "refused")));
  CHECK(counts_as_failure(seq::make_error(seq::errc::timeout, "no receipt")));
  CHECK(counts_as_failure(caf::make_error(caf::sec::request_timeout)));
  CHECK(counts_as_failure(caf::make_error(caf::sec::request_receiver_down)));
  CHECK(counts_as_failure(caf::make_error(caf::sec::runtime_error)));
  CHECK(counts_as_failure(caf::make_error(caf::exit_reason::kill)));
  // the chain answered: it is up
  CHECK_FALSE(counts_as_failure(seq::make_error(seq::errc::chain_rejected, "Already anchored")));
  CHECK_FALSE(counts_as_failure(seq::make_error(seq::errc::invalid_request, "bad key")));
  CHECK_FALSE(counts_as_failure(caf::error{}));
}
