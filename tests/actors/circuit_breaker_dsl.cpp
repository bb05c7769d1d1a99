// SPDX-License-Identifier: Apache-2.0
// The circuit-breaker actor and its chain worker on the deterministic test coordinator, with a
// scripted in-memory chain gateway and virtual time: calls pass through, the breaker opens
// after failures, fails fast while open, lets one probe through after the backoff, closes
// after successes, counts slow calls and survives a crashing worker.
#define CAF_SUITE circuit_breaker
#define FAIL(msg) CAF_FAIL(msg) // 0.17.6: dsl.hpp's request<T>() helper calls FAIL()
#include "caf/test/dsl.hpp"

#include "actors/circuit_breaker/circuit_breaker.hpp"
#include "tests/actors/fake_chain.hpp"
#include "messages/chain.hpp"
#include "messages/errc.hpp"
#include "messages/type_ids.hpp"

#include <memory>
#include <optional>
#include <stdexcept>

#include "caf/all.hpp"

using namespace seq;
using seq::test::chain_script;
using seq::test::fake_gateway;
using namespace std::chrono_literals;

namespace {

struct breaker_test_config : caf::actor_system_config {
  breaker_test_config() {
    add_message_types<caf::id_block::seq>();
  }
};

/// What a one-shot client received.
template <class T>
struct answer {
  bool done = false;
  std::optional<T> value;
  caf::error err;
};

struct fixture : test_coordinator_fixture<breaker_test_config> {
  std::shared_ptr<chain_script> chain = std::make_shared<chain_script>();
  caf::actor breaker;

  fixture() {
    actors::circuit_breaker_config cfg;
    cfg.breaker.name = "anchor";
    cfg.breaker.failure_threshold = 3;
    cfg.breaker.success_threshold = 2;
    cfg.breaker.failure_window = 60s;
    cfg.breaker.open_timeout = 10s;
    cfg.breaker.backoff_multiplier = 2.0;
    cfg.breaker.max_backoff = 60s;
    cfg.breaker.jitter = 0.1;
    cfg.breaker.half_open_max_calls = 1;
    cfg.breaker.slow_call_threshold = 5s;
    cfg.call_timeout = 30s;
    cfg.detached_io = false;         // the worker runs on the test coordinator
    cfg.random = [] { return 0.5; }; // +5 % jitter, deterministic
    auto script = chain;
    breaker = sys.spawn(actors::circuit_breaker, cfg,
                        chain::chain_gateway_factory{
                          [script]() -> caf::expected<std::unique_ptr<chain::chain_gateway>> {
                            ++script->opened;
                            return std::make_unique<fake_gateway>(script);
                          }});
    sched.run();
  }

  ~fixture() {
    caf::anon_send_exit(breaker, caf::exit_reason::user_shutdown);
    sched.run();
  }

  /// Sends `x` to the breaker from a one-shot client; run the scheduler to get the answer.
  template <class Reply, class Request>
  std::shared_ptr<answer<Reply>> ask(Request x) {
    auto a = std::make_shared<answer<Reply>>();
    auto dest = breaker;
    sys.spawn([dest, a, x](caf::event_based_actor* c) mutable {
      c->request(dest, caf::infinite, std::move(x))
        .then(
          [a](Reply& r) {
            a->done = true;
            a->value = std::move(r);
          },
          [a](caf::error& e) {
            a->done = true;
            a->err = std::move(e);
          });
    });
    return a;
  }

  std::shared_ptr<answer<msg::chain_head>> probe() {
    return ask<msg::chain_head>(msg::probe_chain{});
  }

  msg::breaker_status status() {
    auto a = ask<msg::breaker_status>(caf::get_atom_v);
    sched.run();
    CAF_REQUIRE(a->done && a->value);
    return *a->value;
  }

  /// Makes `n` calls fail while the chain is down.
  void fail_calls(size_t n) {
    chain->up = false;
    for (size_t i = 0; i < n; ++i) {
      auto a = probe();
      sched.run();
      CAF_REQUIRE(a->done);
      CAF_REQUIRE(a->err == errc::chain_unavailable);
    }
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(circuit_breaker_tests, fixture)

CAF_TEST(calls pass through to the chain worker while the breaker is closed) {
  auto a = probe();
  sched.run();
  CAF_REQUIRE(a->done);
  CAF_REQUIRE(a->value);
  CAF_CHECK_EQUAL(a->value->chain_id, 84532001u);
  CAF_CHECK_EQUAL(a->value->block_number, 100u);
  msg::chain_commitment c;
  c.batch_id = msg::uuid::random_v4();
  auto t = ask<msg::chain_tx>(msg::anchor_commitment{c});
  auto chk = ask<msg::anchored_state>(msg::check_anchored{c.batch_id});
  sched.run();
  CAF_REQUIRE(t->done && t->value);
  CAF_CHECK_EQUAL(t->value->block_number, 101u);
  CAF_REQUIRE(chk->done && chk->value);
  CAF_CHECK(chk->value->anchored);
  CAF_CHECK_EQUAL(chain->opened, 1u); // one gateway, opened on first use
  auto st = status();
  CAF_CHECK_EQUAL(st.state, msg::breaker_state::closed);
  CAF_CHECK_EQUAL(st.calls, 3u);
  CAF_CHECK_EQUAL(st.successes, 3u);
  CAF_CHECK_EQUAL(st.name, "anchor");
}

CAF_TEST(a refusal by the chain is passed on and does not count as a failure) {
  msg::chain_commitment c;
  c.batch_id = msg::uuid::random_v4();
  for (int i = 0; i < 5; ++i) {
    auto t = ask<msg::chain_tx>(msg::anchor_commitment{c});
    sched.run();
    CAF_REQUIRE(t->done);
    if (i > 0)
      CAF_CHECK(t->err == errc::chain_rejected);
  }
  auto st = status();
  CAF_CHECK_EQUAL(st.state, msg::breaker_state::closed);
  CAF_CHECK_EQUAL(st.failures, 0u);
}

CAF_TEST(the breaker opens after failure_threshold failures and then fails fast) {
  fail_calls(3);
  auto st = status();
  CAF_CHECK_EQUAL(st.state, msg::breaker_state::open);
  CAF_CHECK_EQUAL(st.opened, 1u);
  CAF_CHECK_EQUAL(st.failures, 3u);
  CAF_CHECK_EQUAL(st.retry_in_ms, 10500); // 10 s + 5 % jitter
  chain->up = true;                       // even a healthy chain is not asked while open
  auto calls_before = chain->calls;
  auto a = probe();
  sched.run();
  CAF_REQUIRE(a->done);
  CAF_CHECK(a->err == errc::circuit_open);
  CAF_CHECK(error_message(a->err).find("anchor circuit breaker is open") != std::string::npos);
  CAF_CHECK_EQUAL(chain->calls, calls_before);
  CAF_CHECK_EQUAL(status().rejected, 1u);
}

CAF_TEST(after the backoff one half-open probe goes through and successes close the breaker) {
  fail_calls(3);
  chain->up = true;
  advance_time(10s);
  auto early = probe();
  sched.run();
  CAF_CHECK(early->err == errc::circuit_open); // 10.5 s with jitter
  advance_time(500ms);
  auto p1 = probe();
  auto p2 = probe(); // only one probe at a time
  sched.run();
  CAF_REQUIRE(p1->done && p2->done);
  CAF_CHECK(p1->value.has_value());
  CAF_CHECK(p2->err == errc::circuit_open);
  CAF_CHECK_EQUAL(status().state, msg::breaker_state::half_open);
  auto p3 = probe();
  sched.run();
  CAF_REQUIRE(p3->done && p3->value);
  auto st = status();
  CAF_CHECK_EQUAL(st.state, msg::breaker_state::closed);
  CAF_CHECK_EQUAL(st.retry_in_ms, 0);
}

CAF_TEST(a failed half-open probe re-opens the breaker with a longer backoff) {
  fail_calls(3);
  advance_time(10500ms);
  fail_calls(1); // the probe fails
  auto st = status();
  CAF_CHECK_EQUAL(st.state, msg::breaker_state::open);
  CAF_CHECK_EQUAL(st.opened, 2u);
  CAF_CHECK_EQUAL(st.retry_in_ms, 21000); // 20 s + 5 %
  chain->up = true;
  advance_time(21s);
  auto a = probe();
  sched.run();
  CAF_CHECK(a->value.has_value());
}

CAF_TEST(a call slower than the slow-call threshold counts as a failure) {
  for (int i = 0; i < 3; ++i) {
    auto a = probe();
    sched.run_once(); // the client sends
    sched.run_once(); // the breaker forwards to the worker
    advance_time(6s); // the chain takes 6 s
    sched.run();
    CAF_REQUIRE(a->done);
    CAF_CHECK(a->value.has_value()); // the caller still gets the answer
  }
  auto st = status();
  CAF_CHECK_EQUAL(st.slow_calls, 3u);
  CAF_CHECK_EQUAL(st.state, msg::breaker_state::open);
}

CAF_TEST(a crashed worker fails its call and is respawned for the next one) {
  chain->crash_next = true;
  auto a = probe();
  sched.run();
  CAF_REQUIRE(a->done);
  CAF_CHECK(a->err == caf::sec::runtime_error); // the worker's exit reason answers the call
  CAF_CHECK(actors::counts_as_failure(a->err));
  auto b = probe();
  sched.run();
  CAF_REQUIRE(b->done);
  CAF_CHECK(b->value.has_value());
  CAF_CHECK_EQUAL(chain->opened, 2u); // a new worker opened a new gateway
  CAF_CHECK_EQUAL(status().failures, 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()
