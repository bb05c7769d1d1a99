// SPDX-License-Identifier: Apache-2.0
// The anchor actor on the deterministic test coordinator (virtual time), with its storage
// worker on a real SQLite database and the real circuit-breaker actor in front of a scripted
// in-memory chain (tests/actors/fake_chain.hpp): automatic rounds anchor oldest first and
// record the transaction; manual requests are serialised with them; a batch the chain already
// has (a restart after "mined" but before "recorded", or a lost reply) is recovered from the
// log, never sent twice; an outage opens the breaker and anchoring resumes after it; a refusal
// skips the rest of that stream's round.
#define CAF_SUITE anchor
#include "tests/actors/ingest_fixture.hpp"

#include "actors/anchor/anchor_actor.hpp"
#include "actors/circuit_breaker/circuit_breaker.hpp"
#include "messages/anchor.hpp"
#include "messages/commitment.hpp"
#include "tests/actors/fake_chain.hpp"

#include <algorithm>
#include <memory>
#include <optional>

using namespace seq;
using namespace std::chrono_literals;

namespace {

template <class T>
struct reply {
  bool done = false;
  std::optional<T> value;
  caf::error err;
};

struct fixture : test::ingest_fixture {
  std::shared_ptr<test::chain_script> chain = std::make_shared<test::chain_script>();
  caf::actor breaker;
  caf::actor anchor;
  msg::stream_key other{msg::uuid::random_v4(), msg::uuid::random_v4()};

  fixture() {
    actors::circuit_breaker_config bc;
    bc.breaker.name = "chain";
    bc.breaker.failure_threshold = 2;
    bc.breaker.success_threshold = 1;
    bc.breaker.failure_window = 60s;
    bc.breaker.open_timeout = 10s;
    bc.breaker.max_backoff = 60s;
    bc.breaker.jitter = 0;
    bc.breaker.slow_call_threshold = 0s;
    bc.call_timeout = 30s;
    bc.detached_io = false;
    auto script = chain;
    breaker = keep(sys.spawn(actors::circuit_breaker, bc,
                             chain::chain_gateway_factory{
                               [script]() -> caf::expected<std::unique_ptr<chain::chain_gateway>> {
                                 return std::make_unique<test::fake_gateway>(script);
                               }}));
    sched.run();
  }

  void start_anchor(bool automatic) {
    actors::anchor::anchor_config ac;
    ac.breaker = breaker;
    auto url = "sqlite://" + db_path;
    ac.factory = [url]() -> caf::expected<actors::store_ptr> { return storage::open_store(url); };
    ac.automatic = automatic;
    ac.interval = 5s;
    ac.batch_threshold = 10;
    ac.detached_io = false;
    anchor = keep(sys.spawn(actors::anchor::anchor_actor, ac));
    sched.run();
  }

  /// Inserts a VES commitment [start, end] of `s` committed at `at` (seconds).
  msg::ves_commitment commit(const msg::stream_key& s, uint64_t start, uint64_t end, int64_t at) {
    msg::ves_commitment c;
    c.batch_id = msg::uuid::random_v4();
    c.stream = s;
    c.leaf_count = static_cast<uint32_t>(end - start + 1);
    c.padded_leaf_count = c.leaf_count;
    c.merkle_root.fill(static_cast<uint8_t>(start));
    c.new_state_root.fill(static_cast<uint8_t>(end));
    c.sequence_start = start;
    c.sequence_end = end;
    c.committed_at = 1'700'000'000'000'000 + at * 1'000'000;
    auto db = direct_store();
    CAF_REQUIRE(storage::commitments_of(*db).insert_ves_commitment(c));
    return c;
  }

  msg::ves_commitment row(const msg::uuid& id) {
    auto db = direct_store();
    auto c = storage::commitments_of(*db).get_ves_commitment(id);
    CAF_REQUIRE(c);
    return *c;
  }

  template <class T, class Req>
  std::shared_ptr<reply<T>> ask(const caf::actor& dest, Req x) {
    auto a = std::make_shared<reply<T>>();
    sys.spawn([dest, a, x](caf::event_based_actor* c) mutable {
      c->request(dest, caf::infinite, std::move(x))
        .then(
          [a](T& r) {
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

  std::shared_ptr<reply<msg::anchor_outcome>> request_anchor(const msg::uuid& id) {
    return ask<msg::anchor_outcome>(anchor, msg::anchor_batch{id, msg::anchor_kind::ves});
  }

  msg::anchor_status status() {
    auto a = ask<msg::anchor_status>(anchor, caf::get_atom_v);
    sched.run();
    CAF_REQUIRE(a->done && a->value);
    return *a->value;
  }

  msg::breaker_status breaker_status() {
    auto a = ask<msg::breaker_status>(breaker, caf::get_atom_v);
    sched.run();
    CAF_REQUIRE(a->done && a->value);
    return *a->value;
  }

  /// Lets one automatic round run (the timer fires, every job finishes).
  void round() {
    sched.advance_time(5s);
    sched.run();
  }

  size_t sends_of(const msg::uuid& id) {
    return static_cast<size_t>(std::count_if(chain->sent.begin(), chain->sent.end(),
                                             [&](auto& c) { return c.batch_id == id; }));
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(anchor_tests, fixture)

CAF_TEST(an automatic round anchors pending commitments oldest first and records them) {
  auto a = commit(stream, 1, 4, 1);
  auto b = commit(stream, 5, 9, 2);
  auto c = commit(other, 1, 3, 3);
  start_anchor(true);
  CAF_CHECK(chain->sent.empty()); // nothing before the first tick
  round();
  CAF_REQUIRE_EQUAL(chain->sent.size(), 3u);
  CAF_CHECK(chain->sent[0].batch_id == a.batch_id);
  CAF_CHECK(chain->sent[1].batch_id == b.batch_id);
  CAF_CHECK(chain->sent[2].batch_id == c.batch_id);
  // what went on chain is the commitment
  CAF_CHECK(chain->sent[1].events_root == b.merkle_root);
  CAF_CHECK(chain->sent[1].new_state_root == b.new_state_root);
  CAF_CHECK_EQUAL(chain->sent[1].sequence_start, 5u);
  CAF_CHECK_EQUAL(chain->sent[1].sequence_end, 9u);
  CAF_CHECK_EQUAL(chain->sent[1].event_count, 5u);
  for (size_t i = 0; i < 3; ++i) {
    auto r = row(chain->sent[i].batch_id);
    CAF_CHECK(r.is_anchored());
    CAF_CHECK(r.chain_tx_hash == std::optional<msg::hash32>{chain->txs[i].tx_hash});
    CAF_CHECK(r.chain_block_number == std::optional<uint64_t>{chain->txs[i].block_number});
    CAF_CHECK(r.chain_id == std::optional<uint32_t>{84532001u});
  }
  round(); // nothing pending any more
  CAF_CHECK_EQUAL(chain->sent.size(), 3u);
  auto st = status();
  CAF_CHECK_EQUAL(st.anchored, 3u);
  CAF_CHECK_EQUAL(st.rounds, 2u);
  CAF_CHECK_EQUAL(st.queued, 0u);
  CAF_CHECK(st.last_error.empty());
}

CAF_TEST(a manual request anchors once and a repeat answers already anchored) {
  auto a = commit(stream, 1, 2, 1);
  start_anchor(false);
  auto r1 = request_anchor(a.batch_id);
  auto r2 = request_anchor(a.batch_id); // joins the queued job
  sched.run();
  CAF_REQUIRE(r1->done && r1->value);
  CAF_REQUIRE(r2->done && r2->value);
  CAF_CHECK(!r1->value->already);
  CAF_CHECK(r1->value->tx == chain->txs.at(0));
  CAF_CHECK(r2->value->tx == chain->txs.at(0));
  auto r3 = request_anchor(a.batch_id);
  sched.run();
  CAF_REQUIRE(r3->done && r3->value);
  CAF_CHECK(r3->value->already);
  CAF_CHECK(!r3->value->recovered);
  CAF_CHECK(r3->value->tx == chain->txs.at(0));
  CAF_CHECK_EQUAL(sends_of(a.batch_id), 1u);
  auto missing = request_anchor(msg::uuid::random_v4());
  sched.run();
  CAF_REQUIRE(missing->done);
  CAF_CHECK(missing->err == errc::not_found);
}

CAF_TEST(a batch the chain already has is recovered from its log and never sent again) {
  auto a = commit(stream, 1, 2, 1);
  auto b = commit(stream, 3, 4, 2);
  start_anchor(true);
  // The first anchor is mined but its answer is lost (a crash or a timeout after sending).
  chain->lose_reply_next = true;
  round();
  CAF_CHECK_EQUAL(sends_of(a.batch_id), 1u);
  CAF_CHECK(!row(a.batch_id).is_anchored());
  CAF_CHECK(sends_of(b.batch_id) == 0u); // a transient failure ends the round
  round();
  CAF_CHECK_EQUAL(sends_of(a.batch_id), 1u); // recovered, not re-sent
  CAF_CHECK_EQUAL(sends_of(b.batch_id), 1u);
  auto ra = row(a.batch_id);
  CAF_CHECK(ra.is_anchored());
  CAF_CHECK(ra.chain_tx_hash == std::optional<msg::hash32>{chain->txs.at(0).tx_hash});
  auto st = status();
  CAF_CHECK_EQUAL(st.recovered, 1u);
  CAF_CHECK_EQUAL(st.anchored, 1u);
  CAF_CHECK_EQUAL(st.failures, 1u);

  // A new anchor actor (a restart) with a row that lost its record: recovered again, not sent.
  sqlite3* raw = nullptr;
  CAF_REQUIRE_EQUAL(sqlite3_open(db_path.c_str(), &raw), SQLITE_OK);
  CAF_REQUIRE_EQUAL(sqlite3_exec(raw,
                                 "UPDATE ves_commitments SET chain_tx_hash = NULL, chain_id = "
                                 "NULL, chain_block_number = NULL, anchored_at = NULL",
                                 nullptr, nullptr, nullptr),
                    SQLITE_OK);
  sqlite3_close(raw);
  caf::anon_send_exit(anchor, caf::exit_reason::kill);
  sched.run();
  start_anchor(true);
  round();
  CAF_CHECK_EQUAL(chain->sent.size(), 2u);
  CAF_CHECK(row(a.batch_id).is_anchored());
  CAF_CHECK(row(b.batch_id).is_anchored());
  CAF_CHECK_EQUAL(status().recovered, 2u);
}

CAF_TEST(an outage opens the breaker and anchoring resumes after it without duplicates) {
  auto a = commit(stream, 1, 2, 1);
  start_anchor(true);
  chain->up = false;
  round(); // failure 1
  round(); // failure 2: the breaker opens
  CAF_CHECK(breaker_status().state == msg::breaker_state::open);
  auto calls = chain->calls;
  round(); // fails fast: the chain is not touched
  CAF_CHECK_EQUAL(chain->calls, calls);
  auto st = status();
  CAF_CHECK_EQUAL(st.failures, 3u);
  CAF_CHECK(st.last_error.find("circuit") != std::string::npos);
  auto manual = request_anchor(a.batch_id);
  sched.run();
  CAF_REQUIRE(manual->done);
  CAF_CHECK(manual->err == errc::circuit_open);
  chain->up = true;
  round(); // the backoff (10 s) has passed: the probe goes through and anchoring resumes
  CAF_CHECK(breaker_status().state == msg::breaker_state::closed);
  CAF_CHECK_EQUAL(sends_of(a.batch_id), 1u);
  CAF_CHECK(row(a.batch_id).is_anchored());
  round();
  CAF_CHECK_EQUAL(sends_of(a.batch_id), 1u);
}

CAF_TEST(a refusal skips the rest of that stream in the round but not other streams) {
  auto a = commit(stream, 1, 2, 1);
  auto b = commit(stream, 3, 4, 2);
  auto c = commit(other, 1, 1, 3);
  start_anchor(true);
  chain->reject_next = true; // the contract refuses a
  round();
  CAF_CHECK_EQUAL(sends_of(a.batch_id), 0u);
  CAF_CHECK_EQUAL(sends_of(b.batch_id), 0u); // skipped: it cannot pass before a
  CAF_CHECK_EQUAL(sends_of(c.batch_id), 1u);
  CAF_CHECK_EQUAL(status().failures, 1u); // (last_error was cleared by the success of c)
  round();
  CAF_CHECK_EQUAL(sends_of(a.batch_id), 1u);
  CAF_CHECK_EQUAL(sends_of(b.batch_id), 1u);
  CAF_CHECK(chain->sent.size() == 3u);
}

CAF_TEST_FIXTURE_SCOPE_END()
