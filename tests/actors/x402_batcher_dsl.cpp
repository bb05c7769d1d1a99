// SPDX-License-Identifier: Apache-2.0
// The x402 batcher and its hub on the deterministic test coordinator (virtual time), with real
// SQLite storage behind the x402 I/O worker and the real circuit breaker in front of a scripted
// chain (tests/actors/fake_chain.hpp: the chain is the external system). Seal by size, seal by
// time, expiry, settlement (with a chain outage retried through the breaker, and a refusal),
// batches that cannot settle on chain, manual batches and manual settlement, restart.
#define CAF_SUITE x402_batcher
#define FAIL(msg) CAF_FAIL(msg) // 0.17.6: dsl.hpp's request<T>() helper calls FAIL()
#include "caf/test/dsl.hpp"

#include "actors/circuit_breaker/circuit_breaker.hpp"
#include "actors/x402_batcher/x402_batcher.hpp"
#include "actors/x402_batcher/x402_hub.hpp"
#include "adapters/storage/event_store.hpp"
#include "messages/errc.hpp"
#include "messages/type_ids.hpp"
#include "messages/x402_store.hpp"
#include "tests/actors/fake_chain.hpp"

#include <cstdio>
#include <unistd.h>

#include "caf/all.hpp"

using namespace seq;
using namespace std::chrono_literals;
using seq::test::chain_script;
using seq::test::fake_gateway;

namespace {

struct x402_test_config : caf::actor_system_config {
  x402_test_config() {
    add_message_types<caf::id_block::seq>();
  }
};

constexpr const char* token = "0x5FbDB2315678afecb367f032d93F642f64180aa3";
constexpr const char* alice = "0x1111111111111111111111111111111111111111";
constexpr const char* bob = "0x2222222222222222222222222222222222222222";

/// The scripted chain, plus a counter of settlements the contract refuses next (e.g. the payer
/// lacks allowance). TEST ONLY.
class refusing_gateway final : public chain::chain_gateway {
public:
  refusing_gateway(std::shared_ptr<chain_script> s, std::shared_ptr<int> refuse)
    : inner_(std::move(s)), refuse_(std::move(refuse)) {
  }
  caf::expected<msg::chain_head> probe() override { return inner_.probe(); }
  caf::expected<msg::chain_tx> anchor(const msg::chain_commitment& c) override {
    return inner_.anchor(c);
  }
  caf::expected<bool> is_anchored(const msg::uuid& id) override { return inner_.is_anchored(id); }
  caf::expected<msg::chain_tx> find_anchor_tx(const msg::uuid& id) override {
    return inner_.find_anchor_tx(id);
  }
  caf::expected<msg::onchain_commitment> commitment(const msg::uuid& id) override {
    return inner_.commitment(id);
  }
  caf::expected<msg::onchain_stream_head> stream_head(const msg::stream_key& s) override {
    return inner_.stream_head(s);
  }
  caf::expected<bool> verify_inclusion(const msg::uuid& id, const msg::hash32& leaf,
                                       const std::vector<msg::hash32>& path,
                                       uint64_t index) override {
    return inner_.verify_inclusion(id, leaf, path, index);
  }
  caf::expected<msg::chain_tx> settle_payment_batch(const msg::settle_payment_batch& b) override {
    if (*refuse_ > 0) {
      --*refuse_;
      return make_error(errc::chain_rejected, "transferFrom failed: insufficient allowance");
    }
    return inner_.settle_payment_batch(b);
  }
  caf::expected<bool> is_batch_settled(const msg::uuid& id) override {
    return inner_.is_batch_settled(id);
  }

private:
  fake_gateway inner_;
  std::shared_ptr<int> refuse_;
};

struct fixture : test_coordinator_fixture<x402_test_config> {
  std::string db_path;
  actors::store_factory factory;
  actors::x402::x402_io io;
  std::shared_ptr<chain_script> chain = std::make_shared<chain_script>();
  std::shared_ptr<int> refuse = std::make_shared<int>(0);
  caf::actor breaker;
  actors::x402::x402_metrics metrics;
  actors::x402::batcher_deps deps;
  msg::stream_key stream;
  std::vector<caf::actor> to_stop;
  uint64_t head = 0;
  uint64_t nonce = 0;

  fixture() {
    char tmpl[] = "/tmp/seq_x402_dsl_XXXXXX";
    int fd = mkstemp(tmpl);
    CAF_REQUIRE(fd >= 0);
    close(fd);
    db_path = tmpl;
    auto url = "sqlite://" + db_path;
    factory = [url]() -> caf::expected<actors::store_ptr> { return storage::open_store(url); };
    CAF_REQUIRE(db()->migrate());
    io = actors::x402::spawn_x402_io(sys, 1, false, factory);
    for (auto& w : io.workers)
      to_stop.push_back(w);
    actors::circuit_breaker_config bc;
    bc.breaker.name = "chain";
    bc.breaker.failure_threshold = 3;
    bc.breaker.failure_window = 60s;
    bc.breaker.open_timeout = 10s;
    bc.breaker.max_backoff = 60s;
    bc.breaker.jitter = 0;
    bc.breaker.slow_call_threshold = 0s;
    bc.call_timeout = 30s;
    bc.detached_io = false;
    bc.random = [] { return 0.0; };
    auto script = chain;
    auto no = refuse;
    breaker = sys.spawn(actors::circuit_breaker, bc,
                        chain::chain_gateway_factory{
                          [script, no]() -> caf::expected<std::unique_ptr<chain::chain_gateway>> {
                            ++script->opened;
                            return std::make_unique<refusing_gateway>(script, no);
                          }});
    to_stop.push_back(breaker);
    deps.io = io;
    deps.breaker = breaker;
    deps.settlement.chain_id = 84532001;
    deps.settlement.tokens["usdc"] = token;
    deps.options.max_size = 3;
    deps.options.max_wait = 30s;
    deps.options.auto_seal = true;
    deps.options.auto_settle = true;
    deps.options.retry_initial = 1s;
    deps.options.retry_max = 8s;
    deps.io_timeout = 1h;
    deps.settle_timeout = 1h;
    deps.metrics = &metrics;
    stream = {msg::uuid::random_v4(), msg::uuid::random_v4()};
    sched.run();
  }

  ~fixture() override {
    for (auto& a : to_stop)
      caf::anon_send_exit(a, caf::exit_reason::kill);
    sched.run();
    for (auto suffix : {"", "-wal", "-shm"})
      std::remove((db_path + suffix).c_str());
  }

  std::unique_ptr<storage::event_store> db() {
    auto s = storage::open_store("sqlite://" + db_path);
    CAF_REQUIRE(s);
    return std::move(*s);
  }

  storage::x402_store& xs(std::unique_ptr<storage::event_store>& s) {
    return storage::x402_of(*s);
  }

  caf::actor spawn_batcher(const std::string& network = "set_chain") {
    auto a = sys.spawn(actors::x402::x402_batcher, stream, network, deps);
    to_stop.push_back(a);
    sched.run();
    return a;
  }

  actors::x402::x402_batcher_state& state(const caf::actor& a) {
    return deref<caf::stateful_actor<actors::x402::x402_batcher_state>>(a).state;
  }

  /// Stores `n` sequenced intents (as the stream sequencer would) and returns the notice the
  /// sequencer sends. `at` is their sequenced_at (µs), `valid_s` their validity from then.
  msg::x402_sequenced seed(size_t n, msg::timestamp_us at, uint64_t valid_s = 3600,
                           std::string payee = bob, std::string network = "set_chain") {
    storage::write_group g;
    g.stream = stream;
    msg::x402_sequenced notice{stream, {}};
    for (size_t i = 0; i < n; ++i) {
      msg::x402_intent x;
      x.intent_id = msg::uuid::random_v4();
      x.status = msg::x402_status::sequenced;
      x.tenant_id = stream.tenant_id;
      x.store_id = stream.store_id;
      x.source_agent_id = msg::uuid::random_v4();
      x.payer_address = alice;
      x.payee_address = payee;
      x.amount = 10 * (i + 1);
      x.asset = "usdc";
      x.network = network;
      x.chain_id = ves::x402_chain_id(network);
      x.created_at_unix = static_cast<uint64_t>(at / 1'000'000);
      x.valid_until = x.created_at_unix + valid_s;
      x.nonce = ++nonce;
      x.signing_hash = msg::x402_signing_hash(x);
      x.sequence_number = ++head;
      x.sequenced_at = at;
      x.created_at = x.updated_at = at;
      g.x402.push_back(x);
      notice.intents.push_back(msg::x402_notice{network, x.sequence_number, at, x.valid_until});
    }
    auto s = db();
    CAF_REQUIRE(s->commit_group(g));
    return notice;
  }

  std::vector<msg::x402_batch> batches(msg::x402_batch_status status,
                                       const std::string& network = "set_chain") {
    auto s = db();
    auto xs = storage::x402_of(*s).x402_batches_in(stream, network, status, 100);
    CAF_REQUIRE(xs);
    return std::move(*xs);
  }

  msg::x402_pending_summary pending(const std::string& network = "set_chain") {
    auto s = db();
    auto p = storage::x402_of(*s).x402_pending(stream, network);
    CAF_REQUIRE(p);
    return *p;
  }

  std::vector<msg::x402_intent> members(const msg::uuid& batch) {
    auto s = db();
    auto xs = storage::x402_of(*s).x402_batch_intents(batch);
    CAF_REQUIRE(xs);
    return std::move(*xs);
  }

  template <class Reply, class Request>
  std::shared_ptr<std::pair<caf::expected<Reply>, bool>> ask(const caf::actor& dest, Request x) {
    auto out = std::make_shared<std::pair<caf::expected<Reply>, bool>>(
      caf::expected<Reply>{make_error(errc::internal, "no reply")}, false);
    sys.spawn([dest, x, out](caf::event_based_actor* c) mutable {
      c->request(dest, caf::infinite, std::move(x))
        .then(
          [out](Reply& r) {
            out->first = std::move(r);
            out->second = true;
          },
          [out](caf::error& e) {
            out->first = std::move(e);
            out->second = true;
          });
    });
    return out;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(x402_batcher_tests, fixture)

CAF_TEST(a batch is sealed as soon as max_size intents wait) {
  deps.breaker = nullptr; // no chain: batches stay committed
  auto b = spawn_batcher();
  auto t0 = state(b).wall0;
  self->send(b, seed(2, t0));
  sched.run();
  CAF_CHECK(batches(msg::x402_batch_status::committed).empty());
  CAF_CHECK_EQUAL(state(b).plan->waiting(), 2u);
  self->send(b, seed(2, t0));
  sched.run();
  auto bs = batches(msg::x402_batch_status::committed);
  CAF_REQUIRE_EQUAL(bs.size(), 1u);
  CAF_CHECK_EQUAL(bs[0].payment_count, 3u);
  CAF_CHECK_EQUAL(bs[0].sequence_start, 1u);
  CAF_CHECK_EQUAL(bs[0].sequence_end, 3u);
  CAF_CHECK_EQUAL(pending().count, 1u);
  CAF_CHECK_EQUAL(state(b).plan->waiting(), 1u);
  CAF_CHECK_EQUAL(metrics.batches_sealed.load(), 1u);
  CAF_CHECK_EQUAL(metrics.batch_size.count.load(), 1u);
  CAF_CHECK_EQUAL(metrics.batch_size.sum.load(), 3u);
  // A notice that arrives late (already counted by the seal's read) is not counted twice.
  self->send(b, msg::x402_sequenced{stream, {msg::x402_notice{"set_chain", 4, t0, 0}}});
  sched.run();
  CAF_CHECK_EQUAL(state(b).plan->waiting(), 1u);
}

CAF_TEST(a batch is sealed when the oldest intent has waited max_wait) {
  deps.breaker = nullptr;
  auto b = spawn_batcher();
  auto t0 = state(b).wall0;
  self->send(b, seed(1, t0));
  sched.run();
  advance_time(10s);
  self->send(b, seed(1, t0 + 10'000'000));
  sched.run();
  advance_time(19s);
  sched.run();
  CAF_CHECK(batches(msg::x402_batch_status::committed).empty());
  advance_time(1s); // the oldest has now waited 30 s
  sched.run();
  auto bs = batches(msg::x402_batch_status::committed);
  CAF_REQUIRE_EQUAL(bs.size(), 1u);
  CAF_CHECK_EQUAL(bs[0].payment_count, 2u);
  CAF_CHECK_EQUAL(metrics.seal_wait_ms.count.load(), 1u);
  CAF_CHECK_EQUAL(metrics.seal_wait_ms.sum.load(), 30000u);
  CAF_CHECK_EQUAL(state(b).plan->waiting(), 0u);
}

CAF_TEST(intents whose valid_until passes before batching become expired) {
  deps.breaker = nullptr;
  auto b = spawn_batcher();
  auto t0 = state(b).wall0 / 1'000'000 * 1'000'000; // whole second
  self->send(b, seed(1, t0, 5));     // valid for 5 s
  self->send(b, seed(1, t0, 3600));  // valid for an hour
  sched.run();
  advance_time(6s);
  sched.run();
  auto s = db();
  msg::x402_intent_filter f;
  f.tenant_id = stream.tenant_id;
  f.status = msg::x402_status::expired;
  auto expired = storage::x402_of(*s).list_x402_intents(f);
  CAF_REQUIRE(expired);
  CAF_REQUIRE_EQUAL(expired->size(), 1u);
  CAF_CHECK_EQUAL(expired->front().sequence_number, 1u);
  CAF_CHECK_EQUAL(metrics.intents_expired.load(), 1u);
  CAF_CHECK_EQUAL(pending().count, 1u);
  CAF_CHECK(batches(msg::x402_batch_status::committed).empty());
  advance_time(30s); // the survivor is sealed alone
  sched.run();
  auto bs = batches(msg::x402_batch_status::committed);
  CAF_REQUIRE_EQUAL(bs.size(), 1u);
  CAF_CHECK_EQUAL(bs[0].sequence_start, 2u);
}

CAF_TEST(a sealed batch is settled on chain with aggregated transfers) {
  auto b = spawn_batcher();
  auto t0 = state(b).wall0;
  self->send(b, seed(3, t0));
  sched.run();
  CAF_REQUIRE_EQUAL(chain->settled.size(), 1u);
  const auto& sent = chain->settled[0];
  CAF_REQUIRE_EQUAL(sent.transfers.size(), 1u); // alice → bob three times
  CAF_CHECK_EQUAL(sent.transfers[0].amount, 60u);
  // (named values: CAF's check macros keep references to their operands)
  auto alice_addr = msg::parse_evm_address(alice);
  auto token_addr = msg::parse_evm_address(token);
  CAF_REQUIRE(alice_addr && token_addr);
  CAF_CHECK_EQUAL(sent.transfers[0].from, *alice_addr);
  CAF_CHECK_EQUAL(sent.payment_count, 3u);
  CAF_CHECK_EQUAL(sent.token, *token_addr);
  auto settled = batches(msg::x402_batch_status::settled);
  CAF_REQUIRE_EQUAL(settled.size(), 1u);
  CAF_CHECK_EQUAL(sent.batch_id, settled[0].batch_id);
  CAF_CHECK_EQUAL(sent.merkle_root, *settled[0].merkle_root);
  CAF_CHECK_EQUAL(sent.state_root, *settled[0].new_state_root);
  CAF_CHECK(settled[0].tx_hash == chain->settle_txs[0].tx_hash);
  CAF_CHECK(settled[0].block_number == chain->settle_txs[0].block_number);
  for (const auto& x : members(settled[0].batch_id)) {
    CAF_CHECK(x.status == msg::x402_status::settled);
    CAF_CHECK(x.tx_hash == chain->settle_txs[0].tx_hash);
  }
  CAF_CHECK_EQUAL(metrics.batches_settled.load(), 1u);
  CAF_CHECK_EQUAL(metrics.settle_latency_ms.count.load(), 1u);
}

CAF_TEST(a settlement that fails is retried through the breaker and loses nothing) {
  chain->up = false;
  auto b = spawn_batcher();
  auto t0 = state(b).wall0;
  self->send(b, seed(3, t0));
  sched.run();
  CAF_CHECK_EQUAL(batches(msg::x402_batch_status::committed).size(), 1u);
  CAF_CHECK_EQUAL(metrics.settlement_failures.load(), 1u);
  CAF_CHECK(state(b).plan->current_delay() == std::chrono::microseconds{1s});
  // Back-off 1 s, 2 s: two more failures open the breaker (threshold 3).
  advance_time(1s);
  sched.run();
  advance_time(2s);
  sched.run();
  CAF_CHECK_EQUAL(metrics.settlement_failures.load(), 3u);
  auto calls = chain->calls;
  // Open: the next attempts fail fast without reaching the chain.
  advance_time(4s);
  sched.run();
  CAF_CHECK_EQUAL(metrics.settlement_failures.load(), 4u);
  CAF_CHECK_EQUAL(chain->calls, calls);
  // Meanwhile intents keep being sealed; nothing is lost while the chain is away.
  self->send(b, seed(3, t0 + 7'000'000));
  sched.run();
  CAF_CHECK_EQUAL(batches(msg::x402_batch_status::committed).size(), 2u);
  chain->up = true;
  advance_time(8s); // past the breaker's 10 s and the batcher's back-off: half-open probe
  sched.run();
  advance_time(8s);
  sched.run();
  CAF_CHECK(batches(msg::x402_batch_status::committed).empty());
  auto settled = batches(msg::x402_batch_status::settled);
  CAF_REQUIRE_EQUAL(settled.size(), 2u);
  CAF_REQUIRE_EQUAL(chain->settled.size(), 2u);
  CAF_CHECK_EQUAL(chain->settled[0].sequence_start, 1u); // oldest first
  CAF_CHECK_EQUAL(chain->settled[1].sequence_start, 4u);
  CAF_CHECK_EQUAL(metrics.batches_settled.load(), 2u);
  CAF_CHECK(state(b).plan->current_delay() == std::chrono::microseconds{0});
}

CAF_TEST(a refused settlement is tried again and can still succeed) {
  *refuse = 1; // e.g. the payer approves the contract after the first attempt
  auto b = spawn_batcher();
  self->send(b, seed(3, state(b).wall0));
  sched.run();
  CAF_CHECK_EQUAL(batches(msg::x402_batch_status::committed).size(), 1u);
  CAF_CHECK_EQUAL(metrics.settlement_failures.load(), 1u);
  advance_time(1s);
  sched.run();
  CAF_CHECK_EQUAL(batches(msg::x402_batch_status::settled).size(), 1u);
  CAF_CHECK_EQUAL(metrics.batches_failed.load(), 0u);
}

CAF_TEST(a settlement refused by the chain max_refusals times fails the batch and its intents) {
  *refuse = 3;
  auto b = spawn_batcher();
  self->send(b, seed(3, state(b).wall0));
  sched.run();
  advance_time(1s);
  sched.run();
  CAF_CHECK(batches(msg::x402_batch_status::failed).empty()); // refused twice so far
  advance_time(2s);
  sched.run();
  auto failed = batches(msg::x402_batch_status::failed);
  CAF_REQUIRE_EQUAL(failed.size(), 1u);
  for (const auto& x : members(failed[0].batch_id))
    CAF_CHECK(x.status == msg::x402_status::failed);
  CAF_CHECK_EQUAL(metrics.batches_failed.load(), 1u);
  CAF_CHECK_EQUAL(metrics.settlement_failures.load(), 3u);
  CAF_CHECK(chain->settled.empty());
  // The next batch settles normally.
  self->send(b, seed(3, state(b).wall0));
  sched.run();
  CAF_CHECK_EQUAL(batches(msg::x402_batch_status::settled).size(), 1u);
}

CAF_TEST(a batch that cannot settle on chain stays committed for manual settlement) {
  auto b = spawn_batcher();
  // A Solana-style payee: not a 20-byte EVM address.
  self->send(b, seed(3, state(b).wall0, 3600, "9a3f5c77e1d2"));
  sched.run();
  CAF_CHECK_EQUAL(batches(msg::x402_batch_status::committed).size(), 1u);
  CAF_CHECK(chain->settled.empty());
  CAF_CHECK_EQUAL(metrics.batches_unsettleable.load(), 1u);
  CAF_CHECK_EQUAL(state(b).plan->queued(), 0u);
}

CAF_TEST(manual batches go through the batcher with the reference rules) {
  deps.breaker = nullptr;
  deps.options.max_size = 10;
  auto b = spawn_batcher();
  seed(3, state(b).wall0); // no notice: manual batching only (max_size 10)
  auto none = ask<msg::x402_batch_made>(b, msg::create_x402_batch{stream, "set_chain",
                                                                  {msg::uuid::random_v4()}, 100});
  sched.run();
  CAF_REQUIRE(none->second);
  CAF_CHECK_EQUAL(none->first.error(), errc::not_found);
  auto s = db();
  msg::x402_intent_filter f;
  f.tenant_id = stream.tenant_id;
  auto all = storage::x402_of(*s).list_x402_intents(f);
  CAF_REQUIRE(all && all->size() == 3u);
  auto id_of = [&](uint64_t seq) {
    for (const auto& x : *all)
      if (x.sequence_number == seq)
        return x.intent_id;
    return msg::uuid{};
  };
  auto two = ask<msg::x402_batch_made>(b, msg::create_x402_batch{stream, "set_chain",
                                                                 {id_of(3), id_of(1)}, 100});
  sched.run();
  CAF_REQUIRE(two->second && two->first);
  const auto& made = *two->first->batch;
  CAF_CHECK_EQUAL(made.payment_count, 2u);
  CAF_CHECK_EQUAL(made.sequence_start, 1u);
  CAF_CHECK_EQUAL(made.sequence_end, 3u);
  CAF_CHECK_EQUAL(made.intent_ids, (std::vector<msg::uuid>{id_of(1), id_of(3)}));
  auto again = ask<msg::x402_batch_made>(b, msg::create_x402_batch{stream, "set_chain",
                                                                   {id_of(1)}, 100});
  auto rest = ask<msg::x402_batch_made>(b, msg::create_x402_batch{stream, "set_chain", {}, 100});
  auto empty = ask<msg::x402_batch_made>(b, msg::create_x402_batch{stream, "set_chain", {}, 100});
  sched.run();
  CAF_CHECK_EQUAL(again->first.error(), errc::invalid_request); // batched already
  CAF_REQUIRE(rest->first);
  CAF_CHECK_EQUAL(rest->first->batch->intent_ids, (std::vector<msg::uuid>{id_of(2)}));
  CAF_CHECK_EQUAL(empty->first.error(), errc::invalid_request);
  CAF_CHECK_EQUAL(error_message(empty->first.error()), "No pending intents found for batching");

  // Manual settlement through the hub (reference rules, compare-and-set).
  actors::x402::hub_deps hd;
  hd.batcher = deps;
  hd.scan_on_start = false;
  auto hub = sys.spawn(actors::x402::x402_hub, hd);
  to_stop.push_back(hub);
  auto id = made.batch_id;
  auto tx = ves::sha256(std::string{"tx"});
  auto no_tx = ask<msg::x402_settled>(hub, msg::settle_x402_batch{id, {}, {}, {}});
  sched.run();
  CAF_CHECK_EQUAL(no_tx->first.error(), errc::invalid_request);
  auto submitted = ask<msg::x402_settled>(hub, msg::settle_x402_batch{id, tx, {}, 21000});
  sched.run();
  CAF_REQUIRE(submitted->first);
  CAF_CHECK_EQUAL(submitted->first->message, "Batch submission recorded");
  CAF_CHECK(submitted->first->batch->status == msg::x402_batch_status::submitted);
  auto confirmed = ask<msg::x402_settled>(hub, msg::settle_x402_batch{id, tx, 77, {}});
  sched.run();
  CAF_REQUIRE(confirmed->first);
  CAF_CHECK_EQUAL(confirmed->first->message, "Batch settlement confirmed");
  CAF_CHECK(confirmed->first->batch->block_number == 77u);
  CAF_CHECK(confirmed->first->batch->gas_used == 21000u);
  for (const auto& x : members(id)) {
    CAF_CHECK(x.status == msg::x402_status::settled);
    CAF_CHECK(x.block_number == 77u);
  }
  auto idem = ask<msg::x402_settled>(hub, msg::settle_x402_batch{id, tx, 77, 21000});
  auto unknown = ask<msg::x402_settled>(hub, msg::settle_x402_batch{msg::uuid::random_v4(), tx,
                                                                    1, {}});
  sched.run();
  CAF_REQUIRE(idem->first);
  CAF_CHECK_EQUAL(idem->first->message, "Batch already settled");
  CAF_CHECK_EQUAL(unknown->first.error(), errc::not_found);
}

CAF_TEST(a failed batch cannot be settled manually) {
  *refuse = 3;
  deps.options.max_refusals = 1;
  auto b = spawn_batcher();
  self->send(b, seed(3, state(b).wall0));
  sched.run();
  auto failed = batches(msg::x402_batch_status::failed);
  CAF_REQUIRE_EQUAL(failed.size(), 1u);
  actors::x402::hub_deps hd;
  hd.batcher = deps;
  hd.scan_on_start = false;
  auto hub = sys.spawn(actors::x402::x402_hub, hd);
  to_stop.push_back(hub);
  auto r = ask<msg::x402_settled>(hub, msg::settle_x402_batch{failed[0].batch_id,
                                                              ves::sha256(std::string{"t"}), 5,
                                                              {}});
  sched.run();
  CAF_CHECK_EQUAL(r->first.error(), errc::invalid_state_transition);
}

CAF_TEST(a restarted batcher settles the committed batches of its predecessor) {
  deps.breaker = nullptr;
  auto first = spawn_batcher();
  self->send(first, seed(3, state(first).wall0));
  sched.run();
  CAF_REQUIRE_EQUAL(batches(msg::x402_batch_status::committed).size(), 1u);
  self->send_exit(first, caf::exit_reason::kill);
  sched.run();
  seed(2, msg::now_us()); // sequenced while no batcher ran (no notice)
  deps.breaker = breaker;
  auto second = spawn_batcher();
  CAF_CHECK_EQUAL(state(second).plan->waiting(), 2u);
  CAF_CHECK_EQUAL(batches(msg::x402_batch_status::settled).size(), 1u);
  CAF_CHECK_EQUAL(chain->settled.size(), 1u);
}

CAF_TEST(the hub routes notices per network and starts batchers for open work) {
  deps.breaker = nullptr;
  seed(1, msg::now_us(), 3600, bob, "base"); // open work before the hub starts
  actors::x402::hub_deps hd;
  hd.batcher = deps;
  hd.networks = {"set_chain"};
  auto hub = sys.spawn(actors::x402::x402_hub, hd);
  to_stop.push_back(hub);
  sched.run();
  auto count = ask<uint64_t>(hub, caf::get_atom_v);
  sched.run();
  CAF_CHECK_EQUAL(*count->first, 1u); // the base batcher, manual sealing only
  // set_chain is sealed automatically, optimism is not.
  auto n1 = seed(3, msg::now_us());
  auto n2 = seed(3, msg::now_us(), 3600, bob, "optimism");
  msg::x402_sequenced both{stream, n1.intents};
  both.intents.insert(both.intents.end(), n2.intents.begin(), n2.intents.end());
  self->send(hub, both);
  sched.run();
  CAF_CHECK_EQUAL(batches(msg::x402_batch_status::committed, "set_chain").size(), 1u);
  CAF_CHECK(batches(msg::x402_batch_status::committed, "optimism").empty());
  CAF_CHECK(batches(msg::x402_batch_status::committed, "base").empty());
  count = ask<uint64_t>(hub, caf::get_atom_v);
  sched.run();
  CAF_CHECK_EQUAL(*count->first, 3u); // base, set_chain, optimism (expiry only)
  // A manual batch of a network without automatic batching.
  auto made = ask<msg::x402_batch_made>(hub, msg::create_x402_batch{stream, "optimism", {}, 100});
  sched.run();
  CAF_REQUIRE(made->first);
  CAF_CHECK_EQUAL(made->first->batch->payment_count, 3u);
  CAF_CHECK_EQUAL(made->first->batch->network, "optimism");
}

CAF_TEST(the hub prunes nonce rows older than the retention in the background) {
  auto old = msg::now_us() - int64_t{3} * 86400 * 1'000'000; // three days ago
  seed(2, old);
  seed(1, msg::now_us());
  actors::x402::hub_deps hd;
  hd.batcher = deps;
  hd.scan_on_start = false;
  hd.prune_interval = 1h;
  auto hub = sys.spawn(actors::x402::x402_hub, hd);
  to_stop.push_back(hub);
  sched.run();
  CAF_CHECK_EQUAL(metrics.nonces_pruned.load(), 0u);
  advance_time(1h);
  sched.run();
  CAF_CHECK_EQUAL(metrics.nonces_pruned.load(), 2u);
  advance_time(1h); // the next round finds nothing more
  sched.run();
  CAF_CHECK_EQUAL(metrics.nonces_pruned.load(), 2u);
}

CAF_TEST_FIXTURE_SCOPE_END()
