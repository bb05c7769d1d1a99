// SPDX-License-Identifier: Apache-2.0
// The anchor actor's rules without actors: queue order and de-duplication, what a failure
// drops, and the counters.
#include "actors/anchor/anchor_core.hpp"

#include <catch2/catch.hpp>

#include "caf/sec.hpp"

using namespace seq;
using actors::anchor::anchor_core;
using actors::anchor::classify;
using actors::anchor::failure_kind;

namespace {

msg::anchor_pending pending(std::initializer_list<std::pair<msg::uuid, msg::stream_key>> xs) {
  msg::anchor_pending p;
  for (auto& [id, s] : xs) {
    p.batch_ids.push_back(id);
    p.streams.push_back(s);
  }
  return p;
}

msg::stream_key stream() {
  return {msg::uuid::random_v4(), msg::uuid::random_v4()};
}

} // namespace

TEST_CASE("errors are classified by what they say about the chain", "[anchor]") {
  CHECK(classify(make_error(errc::chain_unavailable, "down")) == failure_kind::transient);
  CHECK(classify(make_error(errc::timeout, "slow")) == failure_kind::transient);
  CHECK(classify(make_error(errc::circuit_open, "open")) == failure_kind::transient);
  CHECK(classify(make_error(caf::sec::request_timeout)) == failure_kind::transient);
  CHECK(classify(make_error(errc::chain_rejected, "gap")) == failure_kind::rejected);
  CHECK(classify(make_error(errc::not_found, "gone")) == failure_kind::other);
}

TEST_CASE("jobs run one at a time in arrival order; a repeated batch joins its job",
          "[anchor]") {
  anchor_core core{true};
  auto s = stream();
  auto a = msg::uuid::random_v4(), b = msg::uuid::random_v4(), c = msg::uuid::random_v4();
  CHECK(core.request(a, msg::anchor_kind::ves, 1));
  CHECK_FALSE(core.request(a, msg::anchor_kind::ves, 2)); // joins
  CHECK(core.add_round(pending({{a, s}, {b, s}, {c, s}})) == 2);
  CHECK(core.queued() == 3);
  auto* j = core.start_next();
  REQUIRE(j);
  CHECK(j->batch_id == a);
  CHECK_FALSE(j->automatic());
  CHECK(core.start_next() == nullptr); // one at a time
  msg::anchor_outcome o;
  o.batch_id = a;
  auto waiters = core.finish(o, 42);
  CHECK(waiters == std::vector<uint64_t>{1, 2});
  j = core.start_next();
  REQUIRE(j);
  CHECK(j->batch_id == b);
  CHECK(j->automatic());
  REQUIRE(j->stream);
  CHECK(*j->stream == s);
  auto st = core.status();
  CHECK(st.anchored == 1);
  CHECK(st.last_anchored_at == 42);
  CHECK(st.queued == 2);
}

TEST_CASE("a transient failure drops the automatic jobs but keeps the clients' ones",
          "[anchor]") {
  anchor_core core{true};
  auto s = stream();
  auto a = msg::uuid::random_v4(), b = msg::uuid::random_v4(), m = msg::uuid::random_v4();
  core.add_round(pending({{a, s}, {b, s}}));
  core.request(m, msg::anchor_kind::legacy, 7);
  REQUIRE(core.start_next());
  auto w = core.fail(make_error(errc::circuit_open, "open"), "breaker open");
  CHECK(w.empty());
  CHECK(core.queued() == 1); // b dropped, m kept
  auto* j = core.start_next();
  REQUIRE(j);
  CHECK(j->batch_id == m);
  CHECK(j->kind == msg::anchor_kind::legacy);
  auto st = core.status();
  CHECK(st.failures == 1);
  CHECK(st.last_error == "breaker open");
}

TEST_CASE("a refusal drops the rest of that stream's automatic jobs only", "[anchor]") {
  anchor_core core{true};
  auto s1 = stream(), s2 = stream();
  auto a = msg::uuid::random_v4(), b = msg::uuid::random_v4(), c = msg::uuid::random_v4();
  core.add_round(pending({{a, s1}, {b, s1}, {c, s2}}));
  REQUIRE(core.start_next());
  core.fail(make_error(errc::chain_rejected, "SequenceGap"), "gap");
  auto* j = core.start_next();
  REQUIRE(j);
  CHECK(j->batch_id == c);
  CHECK(core.queued() == 1);
  msg::anchor_outcome o;
  o.already = true;
  o.recovered = true;
  core.finish(o, 1);
  auto st = core.status();
  CHECK(st.recovered == 1);
  CHECK(st.anchored == 0);
  CHECK(st.last_error.empty());
}
