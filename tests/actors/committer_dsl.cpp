// SPDX-License-Identifier: Apache-2.0
// The committer as a stream companion, on the deterministic test coordinator (virtual time):
// real signed VES events (SQLite) flow from the sequencer through the supervisor's
// events_committed into the committer, which commits through a commit I/O worker on the same
// database: automatic commitments by count and by age, manual ones serialised with them,
// idempotent repeats, range mistakes, and proofs from the cached trees.
#define CAF_SUITE committer
#include "tests/actors/projection_fixture.hpp"

#include "actors/committer/commit_io.hpp"
#include "actors/committer/committer.hpp"
#include "messages/commitment.hpp"

#include <new>
#include <utility>

using namespace seq;
using namespace std::chrono_literals;
using test::domain_event;

namespace {

struct fixture : test::projection_fixture {
  actors::committer::committer_deps cdeps;

  /// Every stream supervisor spawns a committer with these options (before spawn_registry).
  void start_committer(uint64_t max_events, caf::timespan max_age, bool automatic = true) {
    auto url = "sqlite://" + db_path;
    actors::store_factory plain = [url]() -> caf::expected<actors::store_ptr> {
      return storage::open_store(url);
    };
    auto io = actors::committer::spawn_commit_io(sys, 1, false, plain);
    for (auto& w : io.workers)
      keep(w);
    cdeps.io = io;
    cdeps.options.automatic = automatic;
    cdeps.options.max_events = max_events;
    cdeps.options.max_age = max_age;
    cdeps.io_timeout = std::chrono::hours{1000};
    cdeps.retry_delay = std::chrono::seconds{1};
    cfg.companions = {actors::committer::committer_companion(cdeps)};
    cfg_ptr = std::make_shared<const actors::ingest_config>(cfg);
    spawn_registry();
  }

  caf::actor committer() {
    auto a = ask<caf::actor>(registry, msg::get_companion{stream, "committer"});
    sched.run();
    CAF_REQUIRE(a->done && a->value);
    return *a->value;
  }

  void ingest_n(size_t n) {
    std::vector<domain_event> ds;
    for (size_t i = 0; i < n; ++i)
      ds.push_back({"order", "O" + std::to_string(i), "order.created"});
    ingest_ves(ds);
  }

  std::vector<msg::ves_commitment> stored() {
    auto db = direct_store();
    msg::commitment_filter f;
    f.stream = stream;
    f.anchored = msg::anchored_filter::all;
    auto xs = storage::commitments_of(*db).list_ves_commitments(f);
    CAF_REQUIRE(xs);
    std::sort(xs->begin(), xs->end(),
              [](auto& a, auto& b) { return a.sequence_start < b.sequence_start; });
    return std::move(*xs);
  }

  std::shared_ptr<test::answer<msg::ves_commitment>> manual(uint64_t start, uint64_t end) {
    return ask<msg::ves_commitment>(committer(), msg::create_ves_commitment{stream, start, end});
  }

  /// The state root chain of `xs` (ordered) checked against ves-crypto §8.
  void check_chain(const std::vector<msg::ves_commitment>& xs) {
    msg::hash32 prev{};
    auto sid = ves::stream_id(stream.tenant_id, stream.store_id);
    for (auto& c : xs) {
      CAF_CHECK(c.prev_state_root == prev);
      CAF_CHECK(c.new_state_root
                == ves::state_root(sid, prev, c.merkle_root, c.sequence_start, c.sequence_end,
                                   c.leaf_count));
      prev = c.new_state_root;
    }
  }

  /// The stored commitments: exactly `ranges` ([start, end] each, in order), and chained.
  std::vector<msg::ves_commitment>
  expect_stored(const std::vector<std::pair<uint64_t, uint64_t>>& ranges) {
    auto xs = stored();
    CAF_REQUIRE_EQUAL(xs.size(), ranges.size());
    for (size_t i = 0; i < xs.size(); ++i) {
      CAF_CHECK_EQUAL(xs[i].sequence_start, ranges[i].first);
      CAF_CHECK_EQUAL(xs[i].sequence_end, ranges[i].second);
    }
    check_chain(xs);
    return xs;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(committer_tests, fixture)

CAF_TEST(automatic commitment by count) {
  start_committer(3, std::chrono::hours{1});
  ingest_n(2);
  CAF_CHECK(stored().empty());
  ingest_n(2);
  auto xs = stored();
  CAF_REQUIRE_EQUAL(xs.size(), 1u);
  CAF_CHECK_EQUAL(xs[0].sequence_start, 1u);
  CAF_CHECK_EQUAL(xs[0].sequence_end, 3u);
  CAF_CHECK_EQUAL(xs[0].leaf_count, 3u);
  CAF_CHECK_EQUAL(xs[0].padded_leaf_count, 4u);
  CAF_CHECK_EQUAL(xs[0].tree_depth, 2u);
  // The tree matches the stored events.
  auto db = direct_store();
  auto evs = db->read_ves_events(stream, 1, 3);
  CAF_REQUIRE(evs && evs->size() == 3);
  std::vector<msg::hash32> leaves;
  for (auto& e : *evs)
    leaves.push_back(ves::leaf_hash(stream.tenant_id, stream.store_id, e.sequence_number,
                                    e.ev.event_signing_hash, e.ev.agent_signature));
  CAF_CHECK(ves::build_merkle_tree(leaves).root() == xs[0].merkle_root);
  check_chain(xs);
  // Two more make the next batch of three.
  ingest_n(2);
  expect_stored({{1, 3}, {4, 6}});
}

CAF_TEST(automatic commitment by age) {
  start_committer(100, std::chrono::seconds{5});
  ingest_n(2);
  CAF_CHECK(stored().empty());
  advance_time(std::chrono::seconds{4});
  sched.run();
  CAF_CHECK(stored().empty());
  advance_time(std::chrono::seconds{1});
  sched.run();
  auto xs = stored();
  CAF_REQUIRE_EQUAL(xs.size(), 1u);
  CAF_CHECK_EQUAL(xs[0].sequence_start, 1u);
  CAF_CHECK_EQUAL(xs[0].sequence_end, 2u);
  // Nothing new: nothing more.
  advance_time(std::chrono::seconds{30});
  sched.run();
  CAF_CHECK_EQUAL(stored().size(), 1u);
  ingest_n(1);
  advance_time(std::chrono::seconds{5});
  sched.run();
  expect_stored({{1, 2}, {3, 3}});
}

CAF_TEST(automatic commits are off when disabled) {
  start_committer(1, std::chrono::seconds{1}, false);
  ingest_n(3);
  advance_time(std::chrono::seconds{10});
  sched.run();
  CAF_CHECK(stored().empty());
  auto m = manual(1, 3);
  sched.run();
  CAF_REQUIRE(m->done && m->value);
  CAF_CHECK_EQUAL(stored().size(), 1u);
}

CAF_TEST(manual and automatic commitments are serialised and idempotent) {
  start_committer(100, std::chrono::seconds{5});
  ingest_n(3);
  auto m = manual(1, 2);
  sched.run();
  CAF_REQUIRE(m->done && m->value);
  CAF_CHECK_EQUAL(m->value->sequence_end, 2u);
  // The same range again: the same commitment.
  auto again = manual(1, 2);
  sched.run();
  CAF_REQUIRE(again->done && again->value);
  CAF_CHECK(again->value->batch_id == m->value->batch_id);
  // Same start, other end: a client mistake.
  auto other_end = manual(1, 3);
  sched.run();
  CAF_REQUIRE(other_end->done);
  CAF_CHECK_EQUAL(other_end->err, errc::invalid_request);
  // The automatic commitment continues the chain after the manual one.
  advance_time(std::chrono::seconds{5});
  sched.run();
  auto xs = expect_stored({{1, 2}, {3, 3}});
  CAF_CHECK(xs[0].batch_id == m->value->batch_id);
  // A manual request queued while nothing is uncommitted is answered in order.
  ingest_n(2);
  auto m2 = manual(4, 5);
  auto m3 = manual(4, 5);
  sched.run();
  CAF_REQUIRE(m2->done && m2->value && m3->done && m3->value);
  CAF_CHECK(m2->value->batch_id == m3->value->batch_id);
  xs = stored();
  CAF_REQUIRE_EQUAL(xs.size(), 3u);
  check_chain(xs);
}

CAF_TEST(range mistakes are invalid requests) {
  start_committer(100, std::chrono::hours{1});
  ingest_n(5);
  auto first = manual(1, 2);
  sched.run();
  CAF_REQUIRE(first->done && first->value);
  for (auto [s, e] : {std::pair<uint64_t, uint64_t>{4, 5}, {2, 4}, {3, 9}, {5, 3}}) {
    auto bad = manual(s, e);
    sched.run();
    CAF_REQUIRE(bad->done);
    CAF_CHECK_EQUAL(bad->err, errc::invalid_request);
  }
  CAF_CHECK_EQUAL(stored().size(), 1u);
  // A range as large as a commitment may be, on a stream of five events: refused from what
  // is stored, without room for 2^24 events.
  auto huge = manual(3, 2 + (uint64_t{1} << 24));
  sched.run();
  CAF_REQUIRE(huge->done);
  CAF_CHECK_EQUAL(huge->err, errc::invalid_request);
  CAF_CHECK_EQUAL(stored().size(), 1u);
}

CAF_TEST(a commit I/O job that throws fails alone and the worker serves the next) {
  // The first connection attempt throws (as std::bad_alloc would from a read too large for
  // the process); CAF would end the worker, and every later job of its streams would hang.
  auto url = "sqlite://" + db_path;
  auto throws = std::make_shared<bool>(true);
  actors::store_factory flaky = [url, throws]() -> caf::expected<actors::store_ptr> {
    if (std::exchange(*throws, false))
      throw std::bad_alloc{};
    return storage::open_store(url);
  };
  auto io = actors::committer::spawn_commit_io(sys, 1, false, flaky);
  auto w = keep(io.workers.front());
  auto first = ask<msg::committer_loaded>(w, msg::committer_load{stream});
  sched.run();
  CAF_REQUIRE(first->done);
  CAF_CHECK_EQUAL(first->err, errc::internal);
  auto second = ask<msg::committer_loaded>(w, msg::committer_load{stream});
  sched.run();
  CAF_REQUIRE(second->done && second->value);
  CAF_CHECK_EQUAL(second->value->ves_head, 0u);
}

CAF_TEST(a storage error while proving is not reported as a missing or corrupt commitment) {
  start_committer(4, std::chrono::hours{1});
  ingest_n(4);
  auto xs = stored();
  CAF_REQUIRE_EQUAL(xs.size(), 1u);
  // The events can no longer be read: a storage failure, not a root mismatch.
  exec_sql("ALTER TABLE ves_events RENAME TO ves_events_away");
  auto c = committer();
  caf::anon_send_exit(c, caf::exit_reason::kill); // no cached tree
  sched.run();
  auto fresh = committer();
  auto no_events = ask<msg::ves_proof>(fresh, msg::get_ves_proof{stream, 2, true, xs[0].batch_id});
  sched.run();
  CAF_REQUIRE(no_events->done);
  CAF_CHECK_EQUAL(no_events->err, errc::storage_failure);
  // The commitments can no longer be read: a storage failure, not "Commitment not found".
  exec_sql("ALTER TABLE ves_events_away RENAME TO ves_events");
  exec_sql("ALTER TABLE ves_commitments RENAME TO ves_commitments_away");
  auto no_rows = ask<msg::ves_proof>(fresh, msg::get_ves_proof{stream, 2, true, xs[0].batch_id});
  sched.run();
  CAF_REQUIRE(no_rows->done);
  CAF_CHECK_EQUAL(no_rows->err, errc::storage_failure);
  exec_sql("ALTER TABLE ves_commitments_away RENAME TO ves_commitments");
  auto ok = ask<msg::ves_proof>(fresh, msg::get_ves_proof{stream, 2, true, xs[0].batch_id});
  sched.run();
  CAF_REQUIRE(ok->done && ok->value);
  CAF_CHECK(ves::verify_proof(ok->value->leaf_hash, xs[0].merkle_root, ok->value->proof_path, 1));
}

CAF_TEST(proofs come from the cached tree or a reload) {
  start_committer(4, std::chrono::hours{1});
  ingest_n(5);
  auto xs = stored();
  CAF_REQUIRE_EQUAL(xs.size(), 1u);
  auto c = committer();
  for (uint64_t seq = 1; seq <= 4; ++seq) {
    auto p = ask<msg::ves_proof>(c, msg::get_ves_proof{stream, seq, false, {}});
    sched.run();
    CAF_REQUIRE(p->done && p->value);
    CAF_CHECK(p->value->batch_id == xs[0].batch_id);
    CAF_CHECK_EQUAL(p->value->leaf_index, seq - 1);
    CAF_CHECK_EQUAL(p->value->proof_path.size(), 2u);
    CAF_CHECK(ves::verify_proof(p->value->leaf_hash, xs[0].merkle_root, p->value->proof_path,
                                p->value->leaf_index));
  }
  // Not covered yet.
  auto none = ask<msg::ves_proof>(c, msg::get_ves_proof{stream, 5, false, {}});
  // By batch id, but outside its range.
  auto out = ask<msg::ves_proof>(c, msg::get_ves_proof{stream, 5, true, xs[0].batch_id});
  auto unknown = ask<msg::ves_proof>(c, msg::get_ves_proof{stream, 1, true, msg::uuid::random_v4()});
  sched.run();
  CAF_CHECK_EQUAL(none->err, errc::not_found);
  CAF_CHECK_EQUAL(out->err, errc::invalid_request);
  CAF_CHECK_EQUAL(unknown->err, errc::not_found);
  // A fresh committer (empty cache) reloads the leaves from storage.
  caf::anon_send_exit(c, caf::exit_reason::kill);
  sched.run();
  auto fresh = committer();
  CAF_REQUIRE_NOT_EQUAL(fresh, c);
  auto p = ask<msg::ves_proof>(fresh, msg::get_ves_proof{stream, 3, true, xs[0].batch_id});
  sched.run();
  CAF_REQUIRE(p->done && p->value);
  CAF_CHECK(ves::verify_proof(p->value->leaf_hash, xs[0].merkle_root, p->value->proof_path, 2));
}

CAF_TEST(no committer runs while the age limit runs and once woken it commits and stops) {
  start_committer(100, std::chrono::seconds{5});
  auto running = [this] { return static_cast<bool>(supervisor().companions.front().actor); };
  ingest_n(2);
  CAF_CHECK(!running()); // the supervisor keeps the age limit
  advance_time(std::chrono::seconds{4});
  sched.run();
  CAF_CHECK(!running());
  CAF_CHECK(stored().empty());
  advance_time(std::chrono::seconds{1});
  sched.run();
  auto xs = stored();
  CAF_REQUIRE_EQUAL(xs.size(), 1u);
  CAF_CHECK_EQUAL(xs[0].sequence_start, 1u);
  CAF_CHECK_EQUAL(xs[0].sequence_end, 2u);
  CAF_CHECK(running());
  advance_time(cfg.companion_idle_stop); // everything committed, nothing to do
  sched.run();
  CAF_CHECK(!running());
  // The next event: again no committer until its age limit; the chain goes on.
  ingest_n(1);
  CAF_CHECK(!running());
  advance_time(std::chrono::seconds{5});
  sched.run();
  xs = expect_stored({{1, 2}, {3, 3}});
  advance_time(cfg.companion_idle_stop);
  sched.run();
  CAF_CHECK(!running());
  CAF_CHECK_EQUAL(supervisor().companion_starts, 2u);
  // A proof request starts one (get_companion); its tree comes from the stored leaves.
  auto p = ask<msg::ves_proof>(committer(), msg::get_ves_proof{stream, 2, false, {}});
  sched.run();
  CAF_REQUIRE(p->done && p->value);
  CAF_CHECK(p->value->batch_id == xs[0].batch_id);
  CAF_CHECK(ves::verify_proof(p->value->leaf_hash, xs[0].merkle_root, p->value->proof_path, 1));
  CAF_CHECK_EQUAL(supervisor().companion_starts, 3u);
}

CAF_TEST(a committer started by count commits the rest when the age limit wakes it) {
  start_committer(3, std::chrono::seconds{5});
  ingest_n(4); // 4 ≥ 3: started at once, commits 1..3; 4 waits
  auto xs = stored();
  CAF_REQUIRE_EQUAL(xs.size(), 1u);
  CAF_CHECK_EQUAL(xs[0].sequence_end, 3u);
  advance_time(std::chrono::seconds{5});
  sched.run();
  expect_stored({{1, 3}, {4, 4}});
  advance_time(cfg.companion_idle_stop);
  sched.run();
  CAF_CHECK(!supervisor().companions.front().actor);
}

CAF_TEST_FIXTURE_SCOPE_END()
