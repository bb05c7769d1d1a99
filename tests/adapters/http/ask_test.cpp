// SPDX-License-Identifier: Apache-2.0
// ask_within on a real actor system: the reply, an error reply, and the deadline (enforced
// by the blocking receive, without a request timeout); with and without the asker pool.
#include "adapters/http/ask.hpp"

#include "messages/errc.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/response_promise.hpp"

using namespace std::chrono_literals;

namespace {

struct answerer_state {
  std::vector<caf::response_promise> held;
};

/// int x → x + 1 (an error for x < 0); a string → an answer held back until `ok_atom`
/// releases it with 1000.
caf::behavior answerer(caf::stateful_actor<answerer_state>* self) {
  return {
    [](int x) -> caf::result<int> {
      if (x < 0)
        return seq::make_error(seq::errc::overloaded, "busy");
      return x + 1;
    },
    [self](const std::string&) -> caf::result<int> {
      auto rp = self->make_response_promise<int>();
      self->state.held.push_back(rp);
      return rp;
    },
    [self](caf::ok_atom) {
      for (auto& rp : self->state.held)
        rp.deliver(1000);
      self->state.held.clear();
    },
  };
}

} // namespace

TEST_CASE("ask_within returns the reply, throws mapped errors and honours its deadline",
          "[http][ask]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  seq::http::context ctx;
  ctx.sys = &sys;
  auto pooled = GENERATE(false, true);
  CAPTURE(pooled);
  if (pooled)
    ctx.askers = seq::http::make_asker_pool(sys);
  auto a = sys.spawn(answerer);
  CHECK(seq::http::ask_within<int>(ctx, a, 10s, 41) == 42);
  try {
    seq::http::ask_within<int>(ctx, a, 10s, -1);
    FAIL("expected an error reply");
  } catch (const seq::http::request_error& e) {
    CHECK(e.err.status == 503);
  }
  auto t0 = std::chrono::steady_clock::now();
  try {
    seq::http::ask_within<int>(ctx, a, 50ms, std::string{"never"});
    FAIL("expected a timeout");
  } catch (const seq::http::request_error& e) {
    CHECK(e.err.status == 504);
  }
  CHECK(std::chrono::steady_clock::now() - t0 >= 50ms);
  // try_ask_within returns what ask_within throws.
  auto ok = seq::http::try_ask_within<int>(ctx, a, 10s, 7);
  REQUIRE(ok);
  CHECK(*ok == 8);
  auto busy = seq::http::try_ask_within<int>(ctx, a, 10s, -1);
  REQUIRE_FALSE(busy);
  CHECK(busy.error() == seq::errc::overloaded);
  auto late = seq::http::try_ask_within<int>(ctx, a, 20ms, std::string{"late"});
  REQUIRE_FALSE(late);
  CHECK(late.error() == caf::sec::request_timeout);
  // The scoped actor of a timed-out ask is gone; the next ask works as before, also once
  // the late answer has been sent (to the ended actor).
  CHECK(seq::http::ask_within<int>(ctx, a, 10s, 1) == 2);
  caf::anon_send(a, caf::ok_atom_v);
  CHECK(seq::http::ask_within<int>(ctx, a, 10s, 2) == 3);
  if (pooled)
    CHECK(ctx.askers->idle() == 1);
  ctx.askers.reset(); // before the actor system
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

TEST_CASE("the asker pool reuses answered actors and drops timed-out ones", "[http][ask]") {
  caf::actor_system_config cfg;
  caf::actor_system sys{cfg};
  seq::http::context ctx;
  ctx.sys = &sys;
  auto pool = std::make_shared<seq::http::asker_pool>(sys, 4);
  ctx.askers = pool;
  auto a = sys.spawn(answerer);

  SECTION("one thread reuses one actor, also after error replies") {
    for (int i = 0; i < 50; ++i)
      REQUIRE(seq::http::ask_within<int>(ctx, a, 10s, i) == i + 1);
    CHECK_THROWS_AS(seq::http::ask_within<int>(ctx, a, 10s, -1), seq::http::request_error);
    CHECK(pool->idle() == 1);
  }

  SECTION("a timed-out actor never comes back, so its late reply reaches no later ask") {
    REQUIRE(seq::http::ask_within<int>(ctx, a, 10s, 1) == 2);
    REQUIRE(pool->idle() == 1);
    CHECK_THROWS_AS(seq::http::ask_within<int>(ctx, a, 20ms, std::string{"late"}),
                    seq::http::request_error);
    CHECK(pool->idle() == 0);
    caf::anon_send(a, caf::ok_atom_v); // the held answer (1000) goes to the ended actor
    for (int i = 0; i < 5; ++i)
      CHECK(seq::http::ask_within<int>(ctx, a, 10s, i) == i + 1);
    CHECK(pool->idle() == 1);
  }

  SECTION("concurrent asks each get their own answer; the pool keeps at most its limit") {
    constexpr int threads = 8;
    constexpr int per_thread = 200;
    std::atomic<int> wrong{0};
    std::vector<std::thread> ts;
    for (int t = 0; t < threads; ++t)
      ts.emplace_back([&, t] {
        for (int i = 0; i < per_thread; ++i) {
          int x = t * per_thread + i;
          if (seq::http::ask_within<int>(ctx, a, 10s, x) != x + 1)
            ++wrong;
        }
      });
    for (auto& t : ts)
      t.join();
    CHECK(wrong == 0);
    CHECK(pool->idle() >= 1);
    CHECK(pool->idle() <= 4);
  }

  ctx.askers.reset();
  pool.reset(); // before the actor system
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}
