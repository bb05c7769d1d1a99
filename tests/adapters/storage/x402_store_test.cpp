// SPDX-License-Identifier: Apache-2.0
// The x402 store (messages/x402_store.hpp) on both backends (SEQ_TEST_BACKEND): intents written
// by commit_group round-trip with every field, the nonce / idempotency / sequence fences and
// what inspect_conflict reports about them, the x402 head, batches (claiming intents
// atomically, compare-and-set status changes that carry the member intents along), expiry,
// the open-work scan, nonce pruning and the status counts.

#include "messages/x402_store.hpp"
#include "tests/adapters/storage/storage_fixture.hpp"

#include <algorithm>

using namespace seq;
using namespace seq::storage;
using namespace seq::storage::test;

namespace {

constexpr int64_t base_time = 1'700'000'000'000'000; // µs
constexpr uint64_t base_unix = 1'700'000'000;

msg::x402_intent make_intent(const stream_key& s, uint64_t seq, uint64_t nonce,
                             std::string payer = "0x1111111111111111111111111111111111111111",
                             std::string network = "set_chain") {
  msg::x402_intent x;
  x.intent_id = uuid::random_v4();
  x.status = msg::x402_status::sequenced;
  x.tenant_id = s.tenant_id;
  x.store_id = s.store_id;
  x.source_agent_id = uuid::random_v4();
  x.payer_address = std::move(payer);
  x.payee_address = "0x2222222222222222222222222222222222222222";
  x.amount = 1000 + seq;
  x.asset = "usdc";
  x.network = std::move(network);
  x.chain_id = ves::x402_chain_id(x.network);
  x.created_at_unix = base_unix + seq;
  x.valid_until = base_unix + 3600 + seq;
  x.nonce = nonce;
  x.signing_hash = random_bytes<32>();
  x.payer_signature = random_bytes<64>();
  x.sequence_number = seq;
  x.sequenced_at = base_time + static_cast<int64_t>(seq) * 1000;
  x.created_at = x.updated_at = *x.sequenced_at;
  return x;
}

/// Every optional field set (and a u64 nonce above i64::MAX).
msg::x402_intent full_intent(const stream_key& s, uint64_t seq) {
  auto x = make_intent(s, seq, UINT64_MAX);
  x.agent_key_id = 3;
  x.token_address = "0x833589fCD6eDb6E08f4c7C32D4f71b54bdA02913";
  x.idempotency_key = "order-" + std::to_string(seq);
  x.resource_uri = "https://example.test/r/1";
  x.description = "two coffees, é";
  x.order_id = uuid::random_v4();
  x.merchant_id = "merchant-7";
  x.payer_public_key = random_bytes<32>();
  x.metadata = R"({"n":[1,2],"note":"x"})"; // JSONB key order
  return x;
}

write_group group_of(const stream_key& s, std::vector<msg::x402_intent> xs) {
  write_group g;
  g.stream = s;
  g.x402 = std::move(xs);
  return g;
}

msg::x402_batch batch_of(std::vector<msg::x402_intent> xs, int64_t at = base_time + 5'000'000) {
  return msg::build_x402_batch(uuid::random_v4(), xs, at);
}

} // namespace

TEST_CASE("x402 intents written by commit_group round-trip with every field", "[storage][x402]") {
  store_fixture f;
  auto& xs = x402_of(*f.store);
  auto a = full_intent(f.stream, 1);
  auto b = make_intent(f.stream, 2, 0);
  SEQ_REQUIRE_OK(f.store->commit_group(group_of(f.stream, {a, b})));
  auto got = xs.get_x402_intent(a.intent_id);
  SEQ_REQUIRE_OK(got);
  CHECK(*got == a);
  got = xs.get_x402_intent(b.intent_id);
  SEQ_REQUIRE_OK(got);
  CHECK(*got == b);
  SEQ_REQUIRE_ERRC(xs.get_x402_intent(uuid::random_v4()), errc::not_found);

  auto heads = f.store->load_heads(f.stream);
  SEQ_REQUIRE_OK(heads);
  CHECK(heads->x402 == 2);
  CHECK(heads->ves == 0);
  CHECK(heads->legacy == 0);

  auto by_key = xs.find_x402_intent_by_key(f.stream, "order-1");
  SEQ_REQUIRE_OK(by_key);
  REQUIRE(by_key->has_value());
  CHECK((*by_key)->intent_id == a.intent_id);
  auto none = xs.find_x402_intent_by_key(random_stream(), "order-1");
  SEQ_REQUIRE_OK(none);
  CHECK_FALSE(none->has_value());

  auto many = xs.get_x402_intents({b.intent_id, uuid::random_v4(), a.intent_id});
  SEQ_REQUIRE_OK(many);
  CHECK(many->size() == 2);
}

TEST_CASE("x402 intents are listed newest first with filters", "[storage][x402]") {
  store_fixture f;
  auto& xs = x402_of(*f.store);
  auto a = make_intent(f.stream, 1, 1);
  auto b = make_intent(f.stream, 2, 2, "0x3333333333333333333333333333333333333333", "base");
  auto c = make_intent(f.stream, 3, 3);
  SEQ_REQUIRE_OK(f.store->commit_group(group_of(f.stream, {a, b, c})));
  msg::x402_intent_filter all;
  all.tenant_id = f.stream.tenant_id;
  auto got = xs.list_x402_intents(all);
  SEQ_REQUIRE_OK(got);
  REQUIRE(got->size() == 3);
  CHECK((*got)[0].intent_id == c.intent_id);
  CHECK((*got)[2].intent_id == a.intent_id);

  auto only = all;
  only.store_id = f.stream.store_id;
  only.network = "base";
  got = xs.list_x402_intents(only);
  SEQ_REQUIRE_OK(got);
  REQUIRE(got->size() == 1);
  CHECK((*got)[0].intent_id == b.intent_id);

  only = all;
  only.payer_address = a.payer_address;
  only.limit = 1;
  only.offset = 1;
  got = xs.list_x402_intents(only);
  SEQ_REQUIRE_OK(got);
  REQUIRE(got->size() == 1);
  CHECK((*got)[0].intent_id == a.intent_id);

  only = all;
  only.from = b.created_at;
  only.to = b.created_at;
  got = xs.list_x402_intents(only);
  SEQ_REQUIRE_OK(got);
  REQUIRE(got->size() == 1);
  CHECK((*got)[0].intent_id == b.intent_id);

  only = all;
  only.status = msg::x402_status::settled;
  got = xs.list_x402_intents(only);
  SEQ_REQUIRE_OK(got);
  CHECK(got->empty());
}

TEST_CASE("a reused nonce fails the whole group and is reported", "[storage][x402]") {
  store_fixture f;
  auto& xs = x402_of(*f.store);
  auto first = make_intent(f.stream, 1, 42);
  SEQ_REQUIRE_OK(f.store->commit_group(group_of(f.stream, {first})));
  // Same payer and nonce at the next number, next to a fresh intent: nothing is written.
  auto fresh = make_intent(f.stream, 2, 7);
  auto again = make_intent(f.stream, 3, 42);
  auto g = group_of(f.stream, {fresh, again});
  SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_conflict);
  SEQ_REQUIRE_ERRC(xs.get_x402_intent(fresh.intent_id), errc::not_found);
  auto rep = f.store->inspect_conflict(g);
  SEQ_REQUIRE_OK(rep);
  REQUIRE(rep->existing_x402_nonces.size() == 1);
  CHECK(rep->existing_x402_nonces[0] == msg::x402_nonce_key{first.payer_address, 42});
  CHECK(rep->existing_x402_keys.empty());
  CHECK(rep->heads.x402 == 1);
  // Another payer, or the same payer in another stream, may use that nonce.
  auto other_payer = make_intent(f.stream, 2, 42, "0x4444444444444444444444444444444444444444");
  SEQ_REQUIRE_OK(f.store->commit_group(group_of(f.stream, {other_payer})));
  auto s2 = random_stream();
  SEQ_REQUIRE_OK(f.store->commit_group(group_of(s2, {make_intent(s2, 1, 42)})));
}

TEST_CASE("a reused idempotency key or sequence number fails the group", "[storage][x402]") {
  store_fixture f;
  auto first = make_intent(f.stream, 1, 1);
  first.idempotency_key = "pay-once";
  SEQ_REQUIRE_OK(f.store->commit_group(group_of(f.stream, {first})));
  auto dup_key = make_intent(f.stream, 2, 2);
  dup_key.idempotency_key = "pay-once";
  auto g = group_of(f.stream, {dup_key});
  SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_conflict);
  auto rep = f.store->inspect_conflict(g);
  SEQ_REQUIRE_OK(rep);
  REQUIRE(rep->existing_x402_keys.size() == 1);
  CHECK(rep->existing_x402_keys[0].first == "pay-once");
  CHECK(rep->existing_x402_keys[0].second == first.intent_id);
  CHECK(rep->existing_x402_nonces.empty());
  // A second owner that believed the head was 0 collides on the sequence number.
  auto dup_seq = make_intent(f.stream, 1, 9);
  g = group_of(f.stream, {dup_seq});
  SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_conflict);
  rep = f.store->inspect_conflict(g);
  SEQ_REQUIRE_OK(rep);
  CHECK(rep->heads.x402 == 1);
  CHECK(rep->existing_x402_nonces.empty());
  CHECK(rep->existing_x402_keys.empty());
}

TEST_CASE("x402 intents and VES events share one group transaction", "[storage][x402]") {
  store_fixture f;
  auto g = group_of(f.stream, {make_intent(f.stream, 1, 1)});
  g.ves.push_back(make_ves(f.stream, 1));
  SEQ_REQUIRE_OK(f.store->commit_group(g));
  // The next group holds a new VES event and a conflicting intent: neither is written.
  auto g2 = group_of(f.stream, {make_intent(f.stream, 2, 1)});
  g2.ves.push_back(make_ves(f.stream, 2));
  SEQ_REQUIRE_ERRC(f.store->commit_group(g2), errc::storage_conflict);
  auto heads = f.store->load_heads(f.stream);
  SEQ_REQUIRE_OK(heads);
  CHECK(heads->x402 == 1);
  CHECK(heads->ves == 1);
}

TEST_CASE("a batch claims its intents atomically", "[storage][x402]") {
  store_fixture f;
  auto& xs = x402_of(*f.store);
  std::vector<msg::x402_intent> in;
  for (uint64_t i = 1; i <= 4; ++i)
    in.push_back(make_intent(f.stream, i, i));
  in.push_back(make_intent(f.stream, 5, 5, "0x1111111111111111111111111111111111111111", "base"));
  SEQ_REQUIRE_OK(f.store->commit_group(group_of(f.stream, in)));

  auto pending = xs.x402_pending(f.stream, "set_chain");
  SEQ_REQUIRE_OK(pending);
  CHECK(pending->count == 4);
  CHECK(pending->oldest_sequenced_at == *in[0].sequenced_at);
  CHECK(pending->earliest_valid_until == in[0].valid_until);
  CHECK(pending->last_sequence == 5); // the stream's head, any network
  auto oldest = xs.sequenced_x402_intents(f.stream, "set_chain", 2);
  SEQ_REQUIRE_OK(oldest);
  REQUIRE(oldest->size() == 2);
  CHECK((*oldest)[0].intent_id == in[0].intent_id);
  CHECK((*oldest)[1].intent_id == in[1].intent_id);

  // Out of order on purpose: the batch sorts by sequence number.
  auto b = batch_of({in[2], in[0], in[1]});
  SEQ_REQUIRE_OK(xs.insert_x402_batch(b));
  auto got = xs.get_x402_batch(b.batch_id);
  SEQ_REQUIRE_OK(got);
  CHECK(*got == b);
  CHECK(got->intent_ids
        == (std::vector<uuid>{in[0].intent_id, in[1].intent_id, in[2].intent_id}));
  CHECK(got->sequence_start == 1);
  CHECK(got->sequence_end == 3);
  REQUIRE(got->total_amounts.size() == 1);
  CHECK(got->total_amounts[0].total_amount == std::to_string(1001 + 1002 + 1003));
  auto members = xs.x402_batch_intents(b.batch_id);
  SEQ_REQUIRE_OK(members);
  REQUIRE(members->size() == 3);
  CHECK((*members)[1].status == msg::x402_status::batched);
  CHECK((*members)[1].batch_id == b.batch_id);

  // Intent 3 is batched already: a second batch with it writes nothing.
  auto b2 = batch_of({in[2], in[3]});
  SEQ_REQUIRE_ERRC(xs.insert_x402_batch(b2), errc::storage_conflict);
  SEQ_REQUIRE_ERRC(xs.get_x402_batch(b2.batch_id), errc::not_found);
  auto four = xs.get_x402_intent(in[3].intent_id);
  SEQ_REQUIRE_OK(four);
  CHECK(four->status == msg::x402_status::sequenced);
  // Another network's intent cannot be claimed by a set_chain batch.
  auto wrong = batch_of({in[3]});
  wrong.intent_ids.push_back(in[4].intent_id);
  SEQ_REQUIRE_ERRC(xs.insert_x402_batch(wrong), errc::storage_conflict);

  auto committed = xs.x402_batches_in(f.stream, "set_chain", msg::x402_batch_status::committed,
                                      10);
  SEQ_REQUIRE_OK(committed);
  REQUIRE(committed->size() == 1);
  CHECK(committed->front().batch_id == b.batch_id);
  pending = xs.x402_pending(f.stream, "set_chain");
  SEQ_REQUIRE_OK(pending);
  CHECK(pending->count == 1);
}

TEST_CASE("batch status changes are compare-and-set and carry the intents", "[storage][x402]") {
  store_fixture f;
  auto& xs = x402_of(*f.store);
  std::vector<msg::x402_intent> in{make_intent(f.stream, 1, 1), make_intent(f.stream, 2, 2)};
  SEQ_REQUIRE_OK(f.store->commit_group(group_of(f.stream, in)));
  auto b = batch_of(in);
  SEQ_REQUIRE_OK(xs.insert_x402_batch(b));
  auto tx = random_bytes<32>();

  msg::x402_batch_update u;
  u.batch_id = b.batch_id;
  u.from = msg::x402_batch_status::committed;
  u.to = msg::x402_batch_status::submitted;
  u.tx_hash = tx;
  u.at = base_time + 10'000'000;
  SEQ_REQUIRE_OK(xs.update_x402_batch(u));
  // The same change again: the batch is no longer committed.
  SEQ_REQUIRE_ERRC(xs.update_x402_batch(u), errc::storage_conflict);
  auto unknown = u;
  unknown.batch_id = uuid::random_v4();
  SEQ_REQUIRE_ERRC(xs.update_x402_batch(unknown), errc::not_found);
  auto got = xs.get_x402_batch(b.batch_id);
  SEQ_REQUIRE_OK(got);
  CHECK(got->status == msg::x402_batch_status::submitted);
  CHECK(got->tx_hash == tx);
  CHECK(got->submitted_at == u.at);
  CHECK_FALSE(got->settled_at.has_value());

  msg::x402_batch_update s;
  s.batch_id = b.batch_id;
  s.from = msg::x402_batch_status::submitted;
  s.to = msg::x402_batch_status::settled;
  s.block_number = 1234;
  s.gas_used = 21000;
  s.at = base_time + 20'000'000;
  SEQ_REQUIRE_OK(xs.update_x402_batch(s));
  got = xs.get_x402_batch(b.batch_id);
  SEQ_REQUIRE_OK(got);
  CHECK(got->status == msg::x402_batch_status::settled);
  CHECK(got->tx_hash == tx); // kept
  CHECK(got->block_number == 1234u);
  CHECK(got->gas_used == 21000u);
  CHECK(got->submitted_at == u.at);
  CHECK(got->settled_at == s.at);
  for (const auto& x : in) {
    auto i = xs.get_x402_intent(x.intent_id);
    SEQ_REQUIRE_OK(i);
    CHECK(i->status == msg::x402_status::settled);
    CHECK(i->tx_hash == tx);
    CHECK(i->block_number == 1234u);
    CHECK(i->settled_at == s.at);
  }
}

TEST_CASE("a failed batch fails its intents", "[storage][x402]") {
  store_fixture f;
  auto& xs = x402_of(*f.store);
  std::vector<msg::x402_intent> in{make_intent(f.stream, 1, 1)};
  SEQ_REQUIRE_OK(f.store->commit_group(group_of(f.stream, in)));
  auto b = batch_of(in);
  SEQ_REQUIRE_OK(xs.insert_x402_batch(b));
  msg::x402_batch_update u;
  u.batch_id = b.batch_id;
  u.from = msg::x402_batch_status::committed;
  u.to = msg::x402_batch_status::failed;
  u.at = base_time;
  SEQ_REQUIRE_OK(xs.update_x402_batch(u));
  auto i = xs.get_x402_intent(in[0].intent_id);
  SEQ_REQUIRE_OK(i);
  CHECK(i->status == msg::x402_status::failed);
  CHECK_FALSE(i->tx_hash.has_value());
}

TEST_CASE("sequenced intents past valid_until expire, others stay", "[storage][x402]") {
  store_fixture f;
  auto& xs = x402_of(*f.store);
  auto early = make_intent(f.stream, 1, 1);
  early.valid_until = base_unix + 10;
  auto late = make_intent(f.stream, 2, 2);
  late.valid_until = base_unix + 1000;
  auto batched = make_intent(f.stream, 3, 3);
  batched.valid_until = base_unix + 10;
  SEQ_REQUIRE_OK(f.store->commit_group(group_of(f.stream, {early, late, batched})));
  SEQ_REQUIRE_OK(xs.insert_x402_batch(batch_of({batched})));
  auto n = xs.expire_x402_intents(f.stream, "set_chain", base_unix + 11);
  SEQ_REQUIRE_OK(n);
  CHECK(*n == 1);
  auto e = xs.get_x402_intent(early.intent_id);
  SEQ_REQUIRE_OK(e);
  CHECK(e->status == msg::x402_status::expired);
  auto l = xs.get_x402_intent(late.intent_id);
  SEQ_REQUIRE_OK(l);
  CHECK(l->status == msg::x402_status::sequenced);
  auto b = xs.get_x402_intent(batched.intent_id);
  SEQ_REQUIRE_OK(b);
  CHECK(b->status == msg::x402_status::batched);
  n = xs.expire_x402_intents(f.stream, "set_chain", base_unix + 11);
  SEQ_REQUIRE_OK(n);
  CHECK(*n == 0);
}

TEST_CASE("open work, nonce pruning and status counts", "[storage][x402]") {
  store_fixture f;
  auto& xs = x402_of(*f.store);
  auto s2 = random_stream();
  auto a = make_intent(f.stream, 1, 1);
  SEQ_REQUIRE_OK(f.store->commit_group(group_of(f.stream, {a})));
  auto b = make_intent(s2, 1, 1, "0x1111111111111111111111111111111111111111", "base");
  SEQ_REQUIRE_OK(f.store->commit_group(group_of(s2, {b})));
  SEQ_REQUIRE_OK(xs.insert_x402_batch(batch_of({b})));

  auto work = xs.x402_open_work();
  SEQ_REQUIRE_OK(work);
  auto has = [&](const stream_key& s, const std::string& n) {
    return std::find(work->begin(), work->end(), msg::x402_work{s, n}) != work->end();
  };
  CHECK(has(f.stream, "set_chain")); // a sequenced intent
  CHECK(has(s2, "base"));            // a committed batch
  CHECK_FALSE(has(f.stream, "base"));

  auto counts = xs.x402_status_counts();
  SEQ_REQUIRE_OK(counts);
  auto count_of = [&](msg::x402_status s) {
    for (auto& [k, v] : *counts)
      if (k == s)
        return v;
    return uint64_t{0};
  };
  CHECK(count_of(msg::x402_status::sequenced) >= 1);
  CHECK(count_of(msg::x402_status::batched) >= 1);

  // Nonce rows were created at the intents' created_at (base_time + …): a cut before them
  // removes nothing of this stream, a cut after removes both; the nonce is then free again.
  auto none = xs.prune_x402_nonces(base_time);
  SEQ_REQUIRE_OK(none);
  auto pruned = xs.prune_x402_nonces(base_time + 1'000'000'000);
  SEQ_REQUIRE_OK(pruned);
  CHECK(*pruned >= 2);
  SEQ_REQUIRE_OK(f.store->commit_group(group_of(f.stream, {make_intent(f.stream, 2, 1)})));
}
