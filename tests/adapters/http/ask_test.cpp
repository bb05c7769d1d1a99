// SPDX-License-Identifier: Apache-2.0
// ask_within on a real actor system: the reply, an error reply, and the deadline (enforced
// by the blocking receive, without a request timeout).
#include "adapters/http/ask.hpp"

#include "messages/errc.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <string>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/response_promise.hpp"

using namespace std::chrono_literals;

namespace {

caf::behavior answerer(caf::event_based_actor* self) {
  return {
    [](int x) -> caf::result<int> {
      if (x < 0)
        return seq::make_error(seq::errc::overloaded, "busy");
      return x + 1;
    },
    [self](const std::string&) -> caf::result<int> {
      return self->make_response_promise<int>(); // never delivered while the test waits
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
  // The scoped actor of a timed-out ask is gone; the next ask works as before.
  CHECK(seq::http::ask_within<int>(ctx, a, 10s, 1) == 2);
  caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}
