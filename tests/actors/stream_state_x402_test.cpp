// SPDX-License-Identifier: Apache-2.0
// The x402 space of the stream planner (actors/sequencer/stream_state): numbering, the nonce
// and idempotency rules inside one group, across groups and from a conflict report, and the
// nonce retention of the cache.
#include "actors/sequencer/stream_state.hpp"

#include "messages/errc.hpp"

#include <catch2/catch.hpp>

#include <memory>
#include <string>
#include <vector>

using namespace seq;
using seq::actors::group_plan;
using seq::actors::queued_request;
using seq::actors::stream_state;

namespace {

msg::uuid id(uint8_t a, uint8_t b = 0) {
  msg::uuid u;
  u.b[0] = a;
  u.b[15] = b;
  return u;
}

const msg::stream_key stream{id(0xA1), id(0xB1)};
constexpr msg::timestamp_us t0 = 1'700'000'000'000'000;

stream_state make_state() {
  actors::receipt_signer s;
  s.seed.fill(7);
  s.sequencer_id = id(0x5E);
  return stream_state{stream, s, 100};
}

queued_request intent(uint8_t n, uint64_t nonce, std::optional<std::string> key = {},
                      std::string payer = "0x1111111111111111111111111111111111111111") {
  auto x = std::make_shared<msg::x402_intent>();
  x->intent_id = id(0x77, n);
  x->tenant_id = stream.tenant_id;
  x->store_id = stream.store_id;
  x->source_agent_id = id(0x22);
  x->payer_address = std::move(payer);
  x->payee_address = "0x2222222222222222222222222222222222222222";
  x->amount = 100 + n;
  x->asset = "usdc";
  x->network = "set_chain";
  x->chain_id = 84532001;
  x->nonce = nonce;
  x->idempotency_key = std::move(key);
  x->created_at = t0;
  queued_request r;
  r.x402 = std::move(x);
  return r;
}

group_plan plan(const stream_state& st, const std::vector<queued_request>& rs,
                msg::timestamp_us now = t0) {
  std::vector<const queued_request*> ptrs;
  for (const auto& r : rs)
    ptrs.push_back(&r);
  return st.plan(ptrs, now);
}

} // namespace

TEST_CASE("x402 intents get gap-free numbers in their own space", "[stream_state][x402]") {
  auto st = make_state();
  msg::stream_snapshot snap;
  snap.heads.ves = 40;
  snap.heads.x402 = 7;
  st.load(snap);
  auto p = plan(st, {intent(1, 1), intent(2, 2)});
  REQUIRE(p.outcomes.size() == 2);
  REQUIRE(p.group.x402.size() == 2);
  CHECK(p.group.x402[0].sequence_number == 8);
  CHECK(p.group.x402[1].sequence_number == 9);
  CHECK(p.group.x402[0].status == msg::x402_status::sequenced);
  CHECK(p.group.x402[0].sequenced_at == t0);
  CHECK(p.outcomes[1].x402->sequence_number == 9);
  CHECK_FALSE(p.outcomes[1].x402->existing);
  CHECK(p.heads_after.x402 == 9);
  CHECK(p.heads_after.ves == 40);
  CHECK(p.x402_accepted == 2);
  CHECK(p.accepted == 0);
  st.commit(p);
  CHECK(st.heads().x402 == 9);
  CHECK(st.knows_x402_nonce({"0x1111111111111111111111111111111111111111", 2}));
}

TEST_CASE("a reused nonce is refused, in the same group and later", "[stream_state][x402]") {
  auto st = make_state();
  auto other_payer = intent(3, 5, {}, "0x3333333333333333333333333333333333333333");
  auto p = plan(st, {intent(1, 5), intent(2, 5), other_payer});
  REQUIRE(p.outcomes.size() == 3);
  CHECK(p.outcomes[0].x402 != nullptr);
  CHECK(p.outcomes[1].error == errc::invalid_request);
  CHECK(error_message(p.outcomes[1].error) == "Nonce already used for this payer");
  CHECK(p.outcomes[2].x402 != nullptr); // another payer may use nonce 5
  CHECK(p.group.x402.size() == 2);
  CHECK(p.group.x402[1].sequence_number == 2); // no gap for the refused one
  st.commit(p);
  auto p2 = plan(st, {intent(4, 5)});
  CHECK(p2.outcomes[0].error == errc::invalid_request);
  CHECK(p2.group.empty());
}

TEST_CASE("a known idempotency key answers with its intent", "[stream_state][x402]") {
  auto st = make_state();
  auto p = plan(st, {intent(1, 1, "k1"), intent(2, 2, "k1")});
  REQUIRE(p.group.x402.size() == 1);
  REQUIRE(p.outcomes[1].x402 != nullptr);
  CHECK(p.outcomes[1].x402->existing);
  CHECK(p.outcomes[1].x402->intent_id == id(0x77, 1));
  st.commit(p);
  // Later, even with the nonce of another intent: the key wins (checked first).
  auto p2 = plan(st, {intent(3, 1, "k1")});
  REQUIRE(p2.outcomes[0].x402 != nullptr);
  CHECK(p2.outcomes[0].x402->existing);
  CHECK(p2.outcomes[0].x402->intent_id == id(0x77, 1));
  CHECK(p2.group.empty());
}

TEST_CASE("a conflict report teaches nonces, keys and the head", "[stream_state][x402]") {
  auto st = make_state();
  auto reqs = std::vector<queued_request>{intent(1, 9), intent(2, 10, "k2"), intent(3, 11)};
  auto p = plan(st, reqs);
  CHECK(p.group.x402.size() == 3);
  // Another owner stored intents meanwhile: nonce 9 of this payer and key k2 are used.
  storage::conflict_report rep;
  rep.heads.x402 = 4;
  rep.existing_x402_nonces.push_back({"0x1111111111111111111111111111111111111111", 9});
  rep.existing_x402_keys.emplace_back("k2", id(0x99));
  st.apply_conflict(p.group, rep);
  auto p2 = plan(st, reqs);
  CHECK(p2.outcomes[0].error == errc::invalid_request);
  REQUIRE(p2.outcomes[1].x402 != nullptr);
  CHECK(p2.outcomes[1].x402->existing);
  CHECK(p2.outcomes[1].x402->intent_id == id(0x99));
  REQUIRE(p2.group.x402.size() == 1);
  CHECK(p2.group.x402[0].sequence_number == 5);
  st.commit(p2);
  CHECK(st.knows_x402_nonce({"0x1111111111111111111111111111111111111111", 9}));
}

TEST_CASE("an intent of another stream is refused", "[stream_state][x402]") {
  auto st = make_state();
  auto r = intent(1, 1);
  auto x = std::make_shared<msg::x402_intent>(*r.x402);
  x->store_id = id(0xB2);
  r.x402 = x;
  auto p = plan(st, {r});
  CHECK(p.outcomes[0].error == errc::invalid_request);
  CHECK(p.group.empty());
}

TEST_CASE("the cache forgets nonces after the storage retention", "[stream_state][x402]") {
  auto st = make_state();
  st.commit(plan(st, {intent(1, 3)}));
  auto later = t0 + stream_state::x402_nonce_retention_us + 1;
  auto p = plan(st, {intent(2, 3)}, later);
  CHECK(p.outcomes[0].x402 != nullptr); // storage pruned the row: the nonce may be used again
  auto soon = plan(st, {intent(2, 3)}, t0 + 1'000'000);
  CHECK(soon.outcomes[0].error == errc::invalid_request);
}

TEST_CASE("a group planned on top of one being written knows its nonces and keys",
          "[stream_state][x402]") {
  auto st = make_state();
  std::vector<queued_request> first{intent(1, 10, "k1")};
  auto p1 = plan(st, first);
  std::vector<queued_request> second{intent(2, 10), intent(3, 11, "k1"), intent(4, 12)};
  auto b = st.start_group(&p1);
  for (const auto& r : second)
    b.add(r, t0);
  auto p2 = b.finish();
  REQUIRE(p2.outcomes.size() == 3);
  CHECK(p2.outcomes[0].error == errc::invalid_request); // nonce 10 used by p1
  REQUIRE(p2.outcomes[1].x402);
  CHECK(p2.outcomes[1].x402->existing);
  CHECK(p2.outcomes[1].x402->intent_id == id(0x77, 1));
  REQUIRE(p2.outcomes[2].x402);
  CHECK(p2.outcomes[2].x402->sequence_number == 2);
  CHECK(p2.heads_after.x402 == 2);
}
