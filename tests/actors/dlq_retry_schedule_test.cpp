// SPDX-License-Identifier: Apache-2.0
// The DLQ retry schedule (exact delays with a fixed random source) and the DLQ row state
// machine.
#include "actors/dlq/retry_schedule.hpp"

#include "messages/errc.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <vector>

using namespace std::chrono_literals;
using seq::actors::dlq::dlq_policy;
using seq::actors::dlq::retry_options;
using seq::actors::dlq::retry_schedule;
using seq::msg::dlq_entry;
using seq::msg::dlq_reason;
using seq::msg::dlq_status;
using us = std::chrono::microseconds;

namespace {

retry_schedule fixed(double u, retry_options o = {}) {
  return retry_schedule{o, [u] { return u; }};
}

constexpr seq::msg::timestamp_us t0 = 1'700'000'000'000'000;

} // namespace

TEST_CASE("without jitter the delays double from 1 minute up to 1 hour", "[retry_schedule]") {
  auto s = fixed(0.5); // 2u - 1 = 0: no jitter
  const std::vector<us> expected = {1min, 2min, 4min, 8min, 16min, 32min, 1h, 1h, 1h, 1h, 1h};
  for (uint32_t n = 1; n <= expected.size(); ++n) {
    INFO("attempt " << n);
    CHECK(s.base_delay(n) == expected[n - 1]);
    CHECK(s.delay(n) == expected[n - 1]);
  }
  CHECK(s.base_delay(0) == 1min);
  CHECK(s.base_delay(1000) == 1h);
}

TEST_CASE("jitter is ±25 % and the result stays within [1 s, 1 h]", "[retry_schedule]") {
  CHECK(fixed(0.0).delay(1) == 45s);  // -25 %
  CHECK(fixed(1.0).delay(1) == 75s);  // +25 % (u = 1 is clamped to the range's end)
  CHECK(fixed(0.75).delay(2) == us{135'000'000}); // 120 s · 1.125
  CHECK(fixed(0.0).delay(7) == 45min);
  CHECK(fixed(1.0).delay(7) == 1h); // capped: never more than the maximum
  retry_options tiny;
  tiny.initial_delay = 1s;
  CHECK(fixed(0.0, tiny).delay(1) == 1s); // 0.75 s raised to the 1 s minimum
}

TEST_CASE("every option is configurable", "[retry_schedule]") {
  retry_options o;
  o.initial_delay = 10s;
  o.factor = 3.0;
  o.max_delay = 5min;
  o.jitter = 0.5;
  o.min_delay = 2s;
  auto s = fixed(0.5, o);
  CHECK(s.delay(1) == 10s);
  CHECK(s.delay(2) == 30s);
  CHECK(s.delay(3) == 90s);
  CHECK(s.delay(4) == 270s);
  CHECK(s.delay(5) == 5min);
  CHECK(fixed(0.0, o).delay(1) == 5s);
  CHECK(fixed(1.0, o).delay(1) == 15s);
}

TEST_CASE("the default random source stays within the jitter band", "[retry_schedule]") {
  retry_schedule s{retry_options{}};
  for (int i = 0; i < 200; ++i) {
    auto d = s.delay(1);
    CHECK(d >= 45s);
    CHECK(d <= 75s);
  }
}

TEST_CASE("a first failure is pending with its first retry, or dead when not retryable",
          "[dlq_policy]") {
  dlq_policy p{fixed(0.5)};
  SECTION("retryable reasons") {
    for (auto r : {dlq_reason::version_conflict, dlq_reason::schema_validation,
                   dlq_reason::handler_error}) {
      dlq_entry e;
      p.first_failure(e, r, "boom", t0);
      CHECK(e.status == dlq_status::pending);
      CHECK(e.reason == r);
      CHECK(e.message == "boom");
      CHECK(e.retry_count == 0);
      CHECK(e.max_retries == 10);
      REQUIRE(e.next_retry_at);
      CHECK(*e.next_retry_at == t0 + 60'000'000);
      CHECK(e.created_at == t0);
      CHECK(e.updated_at == t0);
      CHECK_FALSE(e.blocked_behind);
    }
  }
  SECTION("invariant violations and invalid transitions are dead at once") {
    for (auto r : {dlq_reason::invariant_violation, dlq_reason::invalid_state_transition}) {
      dlq_entry e;
      p.first_failure(e, r, "no", t0);
      CHECK(e.status == dlq_status::dead);
      CHECK_FALSE(e.next_retry_at);
      CHECK(e.retry_count == 0);
    }
  }
  SECTION("max_retries 0 makes every failure dead") {
    retry_options o;
    o.max_retries = 0;
    dlq_policy none{fixed(0.5, o)};
    dlq_entry e;
    none.first_failure(e, dlq_reason::handler_error, "x", t0);
    CHECK(e.status == dlq_status::dead);
  }
  SECTION("an existing created_at is kept") {
    dlq_entry e;
    e.created_at = 5;
    e.blocked_behind = true;
    p.first_failure(e, dlq_reason::handler_error, "x", t0);
    CHECK(e.created_at == 5);
    CHECK_FALSE(e.blocked_behind);
  }
}

TEST_CASE("a row blocked behind another is pending and never due by itself", "[dlq_policy]") {
  dlq_policy p{fixed(0.5)};
  dlq_entry e;
  e.entity_type = "order";
  e.entity_id = "O1";
  p.blocked_behind(e, t0);
  CHECK(e.status == dlq_status::pending);
  CHECK(e.blocked_behind);
  CHECK_FALSE(e.next_retry_at);
  CHECK(e.reason == dlq_reason::handler_error);
  CHECK(e.message == "waits behind an earlier unresolved DLQ entry of order O1");
}

TEST_CASE("retries start only from allowed statuses", "[dlq_policy]") {
  dlq_policy p{fixed(0.5)};
  auto with = [](dlq_status s) {
    dlq_entry e;
    e.status = s;
    return e;
  };
  auto e = with(dlq_status::pending);
  REQUIRE(p.start_retry(e, false, t0));
  CHECK(e.status == dlq_status::retrying);
  CHECK(e.updated_at == t0);
  auto d = with(dlq_status::dead);
  auto r = p.start_retry(d, false, t0);
  REQUIRE_FALSE(r);
  CHECK(r.error() == seq::errc::invalid_request);
  CHECK(d.status == dlq_status::dead);
  REQUIRE(p.start_retry(d, true, t0)); // an operator may retry a dead row
  CHECK(d.status == dlq_status::retrying);
  for (auto s : {dlq_status::retrying, dlq_status::resolved}) {
    auto x = with(s);
    CHECK_FALSE(p.start_retry(x, true, t0));
    CHECK_FALSE(p.start_retry(x, false, t0));
    CHECK(x.status == s);
  }
}

TEST_CASE("failed retries follow the schedule until max_retries, then the row is dead",
          "[dlq_policy]") {
  dlq_policy p{fixed(0.5)};
  dlq_entry e;
  p.first_failure(e, dlq_reason::schema_validation, "bad", t0);
  auto now = *e.next_retry_at;
  const std::vector<us> after = {2min, 4min, 8min, 16min, 32min, 1h, 1h, 1h, 1h};
  for (uint32_t k = 1; k <= 10; ++k) {
    INFO("retry " << k);
    REQUIRE(p.start_retry(e, false, now));
    p.retry_failed(e, dlq_reason::schema_validation, "still bad", now);
    CHECK(e.retry_count == k);
    CHECK(e.message == "still bad");
    if (k < 10) {
      CHECK(e.status == dlq_status::pending);
      REQUIRE(e.next_retry_at);
      CHECK(*e.next_retry_at - now == after[k - 1].count());
      now = *e.next_retry_at;
    } else {
      CHECK(e.status == dlq_status::dead);
      CHECK_FALSE(e.next_retry_at);
    }
  }
}

TEST_CASE("a retry that fails for a non-retryable reason is dead at once", "[dlq_policy]") {
  dlq_policy p{fixed(0.5)};
  dlq_entry e;
  p.first_failure(e, dlq_reason::version_conflict, "v", t0);
  REQUIRE(p.start_retry(e, false, t0 + 1));
  p.retry_failed(e, dlq_reason::invariant_violation, "below zero", t0 + 1);
  CHECK(e.status == dlq_status::dead);
  CHECK(e.reason == dlq_reason::invariant_violation);
  CHECK(e.retry_count == 1);
  CHECK_FALSE(e.next_retry_at);
}

TEST_CASE("a successful retry resolves the row", "[dlq_policy]") {
  dlq_policy p{fixed(0.5)};
  dlq_entry e;
  p.first_failure(e, dlq_reason::handler_error, "x", t0);
  REQUIRE(p.start_retry(e, false, t0));
  p.retry_succeeded(e, t0 + 7);
  CHECK(e.status == dlq_status::resolved);
  CHECK_FALSE(e.next_retry_at);
  CHECK(e.updated_at == t0 + 7);
  CHECK(e.retry_count == 0);
}

TEST_CASE("a retry that could not run restores the previous status", "[dlq_policy]") {
  dlq_policy p{fixed(0.5)};
  SECTION("pending: rescheduled without counting an attempt") {
    dlq_entry e;
    p.first_failure(e, dlq_reason::handler_error, "x", t0);
    e.retry_count = 2;
    REQUIRE(p.start_retry(e, false, t0));
    p.retry_not_run(e, dlq_status::pending, t0 + 10);
    CHECK(e.status == dlq_status::pending);
    CHECK(e.retry_count == 2);
    CHECK(*e.next_retry_at == t0 + 10 + 240'000'000); // delay(3) = 4 min
    CHECK(e.message == "x");
  }
  SECTION("dead stays dead") {
    dlq_entry e;
    p.first_failure(e, dlq_reason::invariant_violation, "x", t0);
    REQUIRE(p.start_retry(e, true, t0));
    p.retry_not_run(e, dlq_status::dead, t0 + 10);
    CHECK(e.status == dlq_status::dead);
    CHECK_FALSE(e.next_retry_at);
  }
  SECTION("a blocked-behind row stays unscheduled") {
    dlq_entry e;
    p.blocked_behind(e, t0);
    REQUIRE(p.start_retry(e, true, t0));
    p.retry_not_run(e, dlq_status::pending, t0 + 10);
    CHECK(e.status == dlq_status::pending);
    CHECK(e.blocked_behind);
    CHECK_FALSE(e.next_retry_at);
  }
}

TEST_CASE("a stale retrying row becomes due again", "[dlq_policy]") {
  dlq_policy p{fixed(0.5)};
  dlq_entry e;
  p.first_failure(e, dlq_reason::handler_error, "x", t0);
  REQUIRE(p.start_retry(e, false, t0));
  p.reset_stale(e, t0 + 99);
  CHECK(e.status == dlq_status::pending);
  CHECK(*e.next_retry_at == t0 + 99);
}

TEST_CASE("DLQ reasons and statuses print and parse", "[dlq_policy]") {
  using seq::msg::parse_dlq_reason;
  using seq::msg::parse_dlq_status;
  for (auto r : {dlq_reason::version_conflict, dlq_reason::invariant_violation,
                 dlq_reason::invalid_state_transition, dlq_reason::schema_validation,
                 dlq_reason::handler_error})
    CHECK(parse_dlq_reason(to_string(r)) == r);
  CHECK(to_string(dlq_reason::invalid_state_transition) == "invalid_state_transition");
  CHECK_FALSE(parse_dlq_reason("unknown"));
  for (auto s : {dlq_status::pending, dlq_status::retrying, dlq_status::resolved,
                 dlq_status::dead})
    CHECK(parse_dlq_status(to_string(s)) == s);
  CHECK(to_string(dlq_status::dead) == "dead");
  CHECK_FALSE(parse_dlq_status("failed"));
  CHECK_FALSE(seq::msg::retryable(dlq_reason::invariant_violation));
  CHECK_FALSE(seq::msg::retryable(dlq_reason::invalid_state_transition));
  CHECK(seq::msg::retryable(dlq_reason::version_conflict));
  CHECK(seq::msg::retryable(dlq_reason::schema_validation));
  CHECK(seq::msg::retryable(dlq_reason::handler_error));
}
