// SPDX-License-Identifier: Apache-2.0
// The x402 space of the sequencer actor on the deterministic test coordinator, with real SQLite
// storage: numbering and group commit next to VES events, the batcher notification, nonce and
// idempotency duplicates (also when a second owner only learns them from the storage fence),
// restart, and a failed write.
#define CAF_SUITE sequencer_x402
#include "tests/actors/ingest_fixture.hpp"

#include "messages/x402_store.hpp"

using namespace seq;
using seq::test::iota_numbers;

namespace {

/// What a one-shot x402 client received.
struct x402_reply {
  bool done = false;
  caf::error err;
  std::shared_ptr<const msg::x402_ingest_outcome> out;
};

struct sink_log {
  std::vector<msg::x402_sequenced> got;
};

caf::behavior sink(caf::event_based_actor*, std::shared_ptr<sink_log> log) {
  return {[log](msg::x402_sequenced& x) { log->got.push_back(std::move(x)); }};
}

struct fixture : seq::test::ingest_fixture {
  std::shared_ptr<sink_log> log = std::make_shared<sink_log>();
  uint8_t counter = 0;

  fixture() {
    cfg.x402_sink = keep(sys.spawn(sink, log));
    cfg_ptr = std::make_shared<const actors::ingest_config>(cfg);
  }

  msg::x402_intent intent(uint64_t nonce, std::optional<std::string> key = {}) {
    msg::x402_intent x;
    x.intent_id = msg::uuid::random_v4();
    x.tenant_id = stream.tenant_id;
    x.store_id = stream.store_id;
    x.source_agent_id = agent;
    x.payer_address = "0x1111111111111111111111111111111111111111";
    x.payee_address = "0x2222222222222222222222222222222222222222";
    x.amount = 100 + ++counter;
    x.asset = "usdc";
    x.network = "set_chain";
    x.chain_id = 84532001;
    x.created_at_unix = static_cast<uint64_t>(msg::now_us() / 1'000'000);
    x.valid_until = x.created_at_unix + 600;
    x.nonce = nonce;
    x.idempotency_key = std::move(key);
    x.signing_hash = msg::x402_signing_hash(x);
    x.payer_signature = ves::ed25519_sign(agent_seed, x.signing_hash);
    x.created_at = msg::now_us();
    return x;
  }

  std::shared_ptr<x402_reply> pay(const caf::actor& dest, msg::x402_intent x) {
    auto r = std::make_shared<x402_reply>();
    msg::ingest_x402 m{stream, std::make_shared<const msg::x402_intent>(std::move(x))};
    sys.spawn([dest, m, r](caf::event_based_actor* c) {
      c->request(dest, caf::infinite, m)
        .then(
          [r](msg::x402_ingested& v) {
            r->done = true;
            r->out = v.outcome;
          },
          [r](caf::error& e) {
            r->done = true;
            r->err = e;
          });
    });
    return r;
  }

  std::vector<uint64_t> stored_x402() {
    auto db = direct_store();
    msg::x402_intent_filter f;
    f.tenant_id = stream.tenant_id;
    auto xs = storage::x402_of(*db).list_x402_intents(f);
    CAF_REQUIRE(xs);
    std::vector<uint64_t> out;
    for (auto i = xs->rbegin(); i != xs->rend(); ++i)
      out.push_back(i->sequence_number);
    std::sort(out.begin(), out.end());
    return out;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(sequencer_x402_tests, fixture)

CAF_TEST(intents are numbered in their own space and share the group commit) {
  auto writer_gate = spawn_gate(spawn_writer());
  auto seqr = spawn_sequencer(spawn_pool(), writer_gate);
  sched.run();
  gate_of(writer_gate).open = false;
  auto first = ingest(seqr, events(1, 0));
  sched.run();
  // While the first write is held, an event and two intents queue up for the next group.
  auto ev = ingest(seqr, events(1, 1));
  auto a = pay(seqr, intent(1));
  auto b = pay(seqr, intent(2));
  sched.run();
  CAF_CHECK(!a->done && !b->done);
  self->send(writer_gate, caf::put_atom_v, true);
  sched.run();
  CAF_REQUIRE(first->done && ev->done && a->done && b->done);
  CAF_REQUIRE(!a->err && !b->err);
  CAF_CHECK_EQUAL(ev->numbers(), iota_numbers(2, 2));
  CAF_CHECK_EQUAL(a->out->sequence_number, 1u);
  CAF_CHECK_EQUAL(b->out->sequence_number, 2u);
  CAF_CHECK(!a->out->existing);
  CAF_CHECK(a->out->sequenced_at > 0);
  CAF_CHECK_EQUAL(faults->commits().size(), 2u); // one transaction for the event and intents
  CAF_CHECK_EQUAL(stored_x402(), iota_numbers(1, 2));
  CAF_CHECK_EQUAL(seq_state(seqr).st->heads().x402, 2u);
  CAF_CHECK_EQUAL(seq_state(seqr).st->heads().ves, 2u);
  // The batchers heard of both intents, in one notice.
  CAF_REQUIRE_EQUAL(log->got.size(), 1u);
  CAF_CHECK_EQUAL(log->got[0].stream, stream);
  CAF_REQUIRE_EQUAL(log->got[0].intents.size(), 2u);
  CAF_CHECK_EQUAL(log->got[0].intents[1].sequence_number, 2u);
  CAF_CHECK_EQUAL(log->got[0].intents[1].network, "set_chain");
}

CAF_TEST(racing requests with one nonce get one number and one refusal) {
  auto writer_gate = spawn_gate(spawn_writer());
  auto seqr = spawn_sequencer(spawn_pool(), writer_gate);
  sched.run();
  gate_of(writer_gate).open = false;
  auto blocker = pay(seqr, intent(1));
  sched.run();
  auto a = pay(seqr, intent(7));
  auto b = pay(seqr, intent(7));
  sched.run();
  self->send(writer_gate, caf::put_atom_v, true);
  sched.run();
  CAF_REQUIRE(blocker->done && a->done && b->done);
  CAF_REQUIRE(!a->err);
  CAF_CHECK_EQUAL(a->out->sequence_number, 2u);
  CAF_CHECK_EQUAL(b->err, errc::invalid_request);
  CAF_CHECK_EQUAL(error_message(b->err), "Nonce already used for this payer");
  auto c = pay(seqr, intent(8));
  sched.run();
  CAF_CHECK_EQUAL(c->out->sequence_number, 3u); // no gap for the refused one
  CAF_CHECK_EQUAL(stored_x402(), iota_numbers(1, 3));
}

CAF_TEST(an idempotency key returns the existing intent) {
  auto seqr = spawn_sequencer(spawn_pool(), spawn_writer());
  sched.run();
  auto a = pay(seqr, intent(1, "invoice-1"));
  sched.run();
  CAF_REQUIRE(a->done && !a->err);
  auto again = pay(seqr, intent(2, "invoice-1")); // other nonce and amount: still the same
  sched.run();
  CAF_REQUIRE(again->done && !again->err);
  CAF_CHECK(again->out->existing);
  CAF_CHECK_EQUAL(again->out->intent_id, a->out->intent_id);
  CAF_CHECK_EQUAL(stored_x402(), iota_numbers(1, 1));
}

CAF_TEST(a second owner learns used nonces and keys from the storage fence) {
  auto pool = spawn_pool();
  auto writer = spawn_writer();
  auto one = spawn_sequencer(pool, writer);
  auto two = spawn_sequencer(pool, writer); // e.g. a partitioned cluster node
  sched.run();
  auto a = pay(one, intent(5, "k"));
  sched.run();
  CAF_REQUIRE(a->done && !a->err);
  // `two` believes the x402 head is 0 and knows neither the nonce nor the key.
  CAF_CHECK(!seq_state(two).st->knows_x402_nonce({intent(5).payer_address, 5}));
  auto reused_nonce = pay(two, intent(5));
  sched.run();
  CAF_REQUIRE(reused_nonce->done);
  CAF_CHECK_EQUAL(reused_nonce->err, errc::invalid_request);
  CAF_CHECK_EQUAL(faults->conflicts, 1u);
  auto reused_key = pay(two, intent(6, "k"));
  auto fresh = pay(two, intent(9));
  sched.run();
  CAF_REQUIRE(reused_key->done && fresh->done);
  CAF_REQUIRE(!reused_key->err && !fresh->err);
  CAF_CHECK(reused_key->out->existing);
  CAF_CHECK_EQUAL(reused_key->out->intent_id, a->out->intent_id);
  CAF_CHECK_EQUAL(fresh->out->sequence_number, 2u);
  CAF_CHECK_EQUAL(stored_x402(), iota_numbers(1, 2));
}

CAF_TEST(a restarted sequencer continues the x402 space from storage) {
  auto pool = spawn_pool();
  auto writer = spawn_writer();
  auto one = spawn_sequencer(pool, writer);
  sched.run();
  auto a = pay(one, intent(1));
  auto b = pay(one, intent(2));
  sched.run();
  CAF_REQUIRE(b->done && !b->err);
  self->send_exit(one, caf::exit_reason::kill);
  sched.run();
  auto again = spawn_sequencer(pool, writer);
  sched.run();
  CAF_CHECK_EQUAL(seq_state(again).st->heads().x402, 2u);
  auto c = pay(again, intent(3));
  sched.run();
  CAF_REQUIRE(c->done && !c->err);
  CAF_CHECK_EQUAL(c->out->sequence_number, 3u);
}

CAF_TEST(a failed write fails exactly its intents and leaves no gap) {
  auto seqr = spawn_sequencer(spawn_pool(), spawn_writer());
  sched.run();
  faults->fail_next_commits(1, errc::storage_unavailable);
  auto doomed = pay(seqr, intent(1));
  sched.run();
  CAF_REQUIRE(doomed->done);
  CAF_CHECK_EQUAL(doomed->err, errc::storage_unavailable);
  // The same nonce is free: nothing was written.
  auto retry = pay(seqr, intent(1));
  sched.run();
  CAF_REQUIRE(retry->done && !retry->err);
  CAF_CHECK_EQUAL(retry->out->sequence_number, 1u);
  CAF_CHECK_EQUAL(stored_x402(), iota_numbers(1, 1));
  CAF_CHECK(log->got.size() == 1u); // only the committed group was announced
}

CAF_TEST_FIXTURE_SCOPE_END()
