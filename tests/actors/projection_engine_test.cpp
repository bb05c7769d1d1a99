// SPDX-License-Identifier: Apache-2.0
// The projection engine: batches, parking, halting, retries and their chains, resume and
// the healing load — on an in-memory event source and the projection_store test double.
#include "actors/projector/projection_engine.hpp"

#include "tests/actors/projection_event_source.hpp"
#include "tests/actors/projection_store_double.hpp"

#include <catch2/catch.hpp>

#include <memory>

using namespace seq;
using actors::projection::projection_engine;
using msg::dlq_reason;
using msg::dlq_status;

namespace {

constexpr auto sp_ves = static_cast<uint8_t>(msg::space::ves);
constexpr auto sp_legacy = static_cast<uint8_t>(msg::space::legacy);
constexpr msg::timestamp_us t0 = 1'700'000'000'000'000;

struct engine_fixture {
  msg::stream_key stream{*msg::uuid::parse("00000000-0000-0000-0000-0000000000a1"),
                         *msg::uuid::parse("00000000-0000-0000-0000-0000000000b2")};
  test::memory_event_source events;
  std::shared_ptr<test::projection_db> db = std::make_shared<test::projection_db>();
  test::projection_store_double store{db};
  actors::dlq::dlq_policy policy{
    actors::dlq::retry_schedule{actors::dlq::retry_options{}, [] { return 0.5; }}};
  msg::timestamp_us now = t0;

  projection_engine engine() {
    return projection_engine{events, store, policy, [this] { return now; }};
  }

  msg::projection_batch_outcome batch(uint8_t space, uint64_t from, uint32_t limit = 100,
                                      msg::blocking_mode mode = msg::blocking_mode::park,
                                      std::set<msg::entity_key> blocked = {}) {
    msg::projection_batch_request req;
    req.stream = stream;
    req.space = space;
    req.from = from;
    req.limit = limit;
    req.mode = mode;
    req.blocked = std::move(blocked);
    return engine().run_batch(req);
  }

  caf::expected<msg::dlq_retry_outcome> retry(const msg::uuid& id, uint64_t checkpoint) {
    auto e = db->entry(id);
    REQUIRE(e);
    REQUIRE(policy.start_retry(*e, true, now));
    msg::dlq_retry_request req;
    req.stream = stream;
    req.entry = *e;
    req.checkpoint = checkpoint;
    return engine().retry(req);
  }

  std::string status(const std::string& type, const std::string& id) {
    auto row = db->projection(stream, type, id);
    REQUIRE(row);
    auto state = ves::json::try_parse(row->state);
    REQUIRE(state);
    auto s = state->find("status");
    REQUIRE(s);
    return s->as_string();
  }

  int64_t version(const std::string& type, const std::string& id) {
    auto row = db->projection(stream, type, id);
    return row ? row->version : 0;
  }
};

} // namespace

TEST_CASE_METHOD(engine_fixture, "a batch applies events in order, one step each",
                 "[projection_engine]") {
  events.ves("order", "O1", "order.created", R"({"customer_id":"C1"})");
  events.ves("order", "O1", "order.confirmed");
  events.ves("product", "P1", "product.created", R"({"sku":"S"})");
  auto out = batch(sp_ves, 1);
  CHECK(out.applied == 3);
  CHECK(out.checkpoint == 3);
  CHECK(out.events_read == 3);
  CHECK(out.end_reached);
  CHECK_FALSE(out.error);
  CHECK(db->step_count() == 3);
  CHECK(db->checkpoint(stream).ves == 3);
  CHECK(db->checkpoint(stream).legacy == 0);
  CHECK(status("order", "O1") == "confirmed");
  CHECK(version("order", "O1") == 2);
  auto row = db->projection(stream, "order", "O1");
  CHECK(row->last_sequence == 2);
  CHECK(row->space == sp_ves);
  CHECK(row->updated_at == t0);
}

TEST_CASE_METHOD(engine_fixture, "the applied events of a batch are written in one transaction",
                 "[projection_engine]") {
  for (int i = 0; i < 5; ++i)
    events.ves("inventory", "sku-" + std::to_string(i), "inventory.initialized",
               R"({"quantity":7})");
  events.ves("inventory", "sku-0", "inventory.adjusted", R"({"adjustment":2})");
  // The first attempt fails to write: nothing is applied, the checkpoint stays.
  db->fail_next_steps(1, errc::storage_unavailable);
  auto failed = batch(sp_ves, 1);
  CHECK(failed.error == errc::storage_unavailable);
  CHECK(failed.applied == 0);
  CHECK(failed.checkpoint == 0);
  CHECK(db->checkpoint(stream).ves == 0);
  CHECK(db->step_count() == 0);
  CHECK_FALSE(db->projection(stream, "inventory", "sku-0"));
  // The retry applies all six events with one write.
  auto out = batch(sp_ves, 1);
  CHECK_FALSE(out.error);
  CHECK(out.applied == 6);
  CHECK(out.checkpoint == 6);
  CHECK(db->step_transactions == 1);
  CHECK(db->step_count() == 6);
  CHECK(db->checkpoint(stream).ves == 6);
  auto row = db->projection(stream, "inventory", "sku-0");
  REQUIRE(row);
  CHECK(row->version == 2);
  CHECK(row->last_sequence == 6);
  CHECK(row->state.find(R"("quantity_on_hand":9)") != std::string::npos);
}

TEST_CASE_METHOD(engine_fixture, "skipped and encrypted events only move the checkpoint",
                 "[projection_engine]") {
  events.ves("order", "O1", "order.created", R"({"customer_id":"C1"})");
  events.ves("order", "O1", "order.note_added");     // unknown type: skipped
  events.ves("Item", "I1", "Adjusted", R"({"n":1})"); // no handler: skipped
  auto& enc = events.ves("order", "O1", "order.confirmed");
  enc.encrypted = true;
  enc.payload.clear();
  auto out = batch(sp_ves, 1);
  CHECK(out.applied == 1);
  CHECK(out.skipped == 2);
  CHECK(out.encrypted == 1);
  CHECK(out.checkpoint == 4);
  // One step for the applied event, one checkpoint-only step for the rest.
  REQUIRE(db->step_count() == 2);
  CHECK_FALSE(db->steps[1].upsert);
  CHECK_FALSE(db->steps[1].park);
  CHECK(db->steps[1].sequence_number == 4);
  CHECK(db->checkpoint(stream).ves == 4);
  CHECK(version("order", "O1") == 1);
  CHECK(status("order", "O1") == "pending");
}

TEST_CASE_METHOD(engine_fixture, "batches read from the checkpoint on, limit at a time",
                 "[projection_engine]") {
  for (int i = 0; i < 5; ++i)
    events.ves("product", "P" + std::to_string(i), "product.created");
  auto a = batch(sp_ves, 1, 2);
  CHECK(a.checkpoint == 2);
  CHECK_FALSE(a.end_reached);
  auto b = batch(sp_ves, 3, 2);
  CHECK(b.checkpoint == 4);
  auto c = batch(sp_ves, 5, 2);
  CHECK(c.checkpoint == 5);
  CHECK(c.end_reached);
  auto d = batch(sp_ves, 6, 2);
  CHECK(d.events_read == 0);
  CHECK(d.checkpoint == 5);
  CHECK(d.end_reached);
  CHECK(db->step_count() == 5);
}

TEST_CASE_METHOD(engine_fixture,
                 "park mode: a failed event gets a DLQ row and later events of its entity wait",
                 "[projection_engine]") {
  auto& bad = events.ves("order", "O1", "order.confirmed"); // no such order yet
  events.ves("order", "O2", "order.created", R"({"customer_id":"C2"})");
  auto& behind = events.ves("order", "O1", "order.created", R"({"customer_id":"C1"})");
  events.ves("order", "O2", "order.confirmed");
  auto out = batch(sp_ves, 1);
  CHECK(out.applied == 2);
  CHECK(out.parked == 1);
  CHECK(out.blocked_behind == 1);
  CHECK(out.checkpoint == 4);
  REQUIRE(out.newly_blocked.size() == 1);
  CHECK(out.newly_blocked[0] == msg::entity_key{"order", "O1"});
  auto head = db->entry(bad.event_id);
  REQUIRE(head);
  CHECK(head->id == bad.event_id);
  CHECK(head->reason == dlq_reason::handler_error);
  CHECK(head->status == dlq_status::pending);
  CHECK(*head->next_retry_at == t0 + 60'000'000);
  CHECK(head->sequence_number == 1);
  CHECK(head->event_type == "order.confirmed");
  CHECK_FALSE(head->blocked_behind);
  auto waiting = db->entry(behind.event_id);
  REQUIRE(waiting);
  CHECK(waiting->blocked_behind);
  CHECK(waiting->status == dlq_status::pending);
  CHECK_FALSE(waiting->next_retry_at);
  CHECK_FALSE(db->projection(stream, "order", "O1")); // created did not overtake
  CHECK(status("order", "O2") == "confirmed");
  CHECK(db->audit_count("dlq_park") == 2);
  SECTION("a later batch knows the entity is blocked") {
    auto& next = events.ves("order", "O1", "order.cancelled");
    auto out2 = batch(sp_ves, 5, 100, msg::blocking_mode::park, {{"order", "O1"}});
    CHECK(out2.blocked_behind == 1);
    CHECK(db->entry(next.event_id)->blocked_behind);
  }
}

TEST_CASE_METHOD(engine_fixture, "a non-retryable failure is dead at once",
                 "[projection_engine]") {
  events.ves("inventory", "P1", "inventory.initialized", R"({"quantity":2})");
  auto& bad = events.ves("inventory", "P1", "inventory.reserved", R"({"quantity":3})");
  auto out = batch(sp_ves, 1);
  CHECK(out.parked == 1);
  CHECK(out.dead == 1);
  auto e = db->entry(bad.event_id);
  REQUIRE(e);
  CHECK(e->status == dlq_status::dead);
  CHECK(e->reason == dlq_reason::invariant_violation);
  CHECK_FALSE(e->next_retry_at);
}

TEST_CASE_METHOD(engine_fixture, "blocking is per space: sp_legacy events do not wait for VES rows",
                 "[projection_engine]") {
  events.ves("order", "O1", "order.confirmed"); // fails: no order
  auto l = batch(sp_ves, 1);
  REQUIRE(l.newly_blocked.size() == 1);
  events.legacy("order", "O1", "order.created", R"({"customer_id":"C1"})");
  auto out = batch(sp_legacy, 1, 100, msg::blocking_mode::park, {}); // blocked only in VES
  CHECK(out.applied == 1);
  CHECK(db->checkpoint(stream).legacy == 1);
  CHECK(status("order", "O1") == "pending");
  // Now the retry of the VES event succeeds (a fixed-up retry).
  auto r = retry(events.at(sp_ves, 1).event_id, 1);
  REQUIRE(r);
  CHECK(r->entry.status == dlq_status::resolved);
  CHECK(r->entity_clear);
  CHECK_FALSE(r->checkpoint_advanced);
  CHECK(status("order", "O1") == "confirmed");
  CHECK(version("order", "O1") == 2);
  CHECK(db->checkpoint(stream).ves == 1);
}

TEST_CASE_METHOD(engine_fixture, "halt mode stops at a failed event without passing it",
                 "[projection_engine]") {
  events.ves("order", "O1", "order.created", R"({"customer_id":"C1"})");
  events.ves("Item", "I1", "Adjusted");
  auto& bad = events.ves("order", "O1", "order.shipped"); // pending → shipped
  events.ves("product", "P1", "product.created");
  auto out = batch(sp_ves, 1, 100, msg::blocking_mode::halt);
  REQUIRE(out.halted);
  CHECK(out.halted->sequence_number == 3);
  CHECK(out.halted->dlq_id == bad.event_id);
  CHECK(out.halted->reason == dlq_reason::invalid_state_transition);
  CHECK(out.halted->entity == msg::entity_key{"order", "O1"});
  CHECK(out.checkpoint == 2); // the skipped event before it is passed, the failed one is not
  CHECK(db->checkpoint(stream).ves == 2);
  CHECK(out.parked == 1);
  CHECK_FALSE(db->projection(stream, "product", "P1"));
  auto e = db->entry(bad.event_id);
  REQUIRE(e);
  CHECK(e->status == dlq_status::dead);
  SECTION("after a restart the same event halts again without a second row") {
    auto steps = db->step_count();
    e->message = "edited";
    db->put_entry(*e);
    auto again = batch(sp_ves, 3, 100, msg::blocking_mode::halt);
    REQUIRE(again.halted);
    CHECK(again.halted->dlq_id == bad.event_id);
    CHECK(again.parked == 0);
    CHECK(db->step_count() == steps);
    CHECK(db->entry(bad.event_id)->message == "edited");
  }
  SECTION("a load in halt mode finds the halt again") {
    auto l = engine().load(stream, msg::blocking_mode::halt);
    REQUIRE(l);
    REQUIRE(l->halt);
    CHECK(l->halt->sequence_number == 3);
    CHECK(l->halt->dlq_id == bad.event_id);
    CHECK(l->halt->space == sp_ves);
    auto p = engine().load(stream, msg::blocking_mode::park);
    REQUIRE(p);
    CHECK_FALSE(p->halt);
  }
  SECTION("resume continues past it; its unresolved row blocks the entity") {
    auto r = engine().resume(stream, *out.halted);
    REQUIRE(r);
    CHECK(r->checkpoint == 3);
    CHECK(r->entity_blocked);
    CHECK(db->checkpoint(stream).ves == 3);
  }
  SECTION("resume after a purge skips the event and blocks nothing") {
    db->erase_entry(bad.event_id);
    auto r = engine().resume(stream, *out.halted);
    REQUIRE(r);
    CHECK_FALSE(r->entity_blocked);
  }
}

TEST_CASE_METHOD(engine_fixture, "a halted event that succeeds on retry moves the checkpoint",
                 "[projection_engine]") {
  events.ves("order", "O1", "order.created", R"({"customer_id":"C1"})");
  auto& bad = events.ves("order", "O1", "order.confirmed", "{}", 5); // stale base_version
  auto out = batch(sp_ves, 1, 100, msg::blocking_mode::halt);
  REQUIRE(out.halted);
  CHECK(out.halted->reason == dlq_reason::version_conflict);
  CHECK(out.checkpoint == 1);
  // An operator repairs the projection (version 5), then retries.
  auto row = *db->projection(stream, "order", "O1");
  row.version = 5;
  db->put_projection(row);
  auto r = retry(bad.event_id, 1);
  REQUIRE(r);
  CHECK(r->entry.status == dlq_status::resolved);
  CHECK(r->checkpoint_advanced);
  CHECK(db->checkpoint(stream).ves == 2);
  CHECK(version("order", "O1") == 6);
  CHECK(db->entry(bad.event_id)->status == dlq_status::resolved);
  CHECK(db->audit_count("dlq_resolve") == 1);
}

TEST_CASE_METHOD(engine_fixture,
                 "a successful retry applies the events parked behind it, in order",
                 "[projection_engine]") {
  auto& head = events.ves("order", "O1", "order.confirmed");
  events.ves("order", "O1", "order.processing");
  events.ves("product", "P1", "product.created");
  events.ves("order", "O1", "order.shipped");
  auto out = batch(sp_ves, 1);
  CHECK(out.blocked_behind == 2);
  CHECK(db->checkpoint(stream).ves == 4);
  // Fix: the order exists now (pending).
  msg::projection_row row;
  row.stream = stream;
  row.entity_type = "order";
  row.entity_id = "O1";
  row.state = R"({"order_id":"O1","customer_id":"C1","status":"pending","total_amount":0.0,)"
              R"("currency":"USD","line_items":[],"shipping_address":null})";
  row.version = 1;
  db->put_projection(row);
  now = t0 + 60'000'000;
  auto r = retry(head.event_id, 4);
  REQUIRE(r);
  CHECK(r->entry.status == dlq_status::resolved);
  CHECK(r->chain_resolved == 2);
  CHECK(r->entity_clear);
  CHECK_FALSE(r->new_head);
  CHECK_FALSE(r->checkpoint_advanced);
  CHECK(status("order", "O1") == "shipped");
  CHECK(version("order", "O1") == 4);
  CHECK(db->checkpoint(stream).ves == 4); // never moved backwards
  for (const auto& e : db->entries())
    CHECK(e.status == dlq_status::resolved);
  for (size_t i = db->steps.size() - 3; i < db->steps.size(); ++i)
    CHECK_FALSE(db->steps[i].advance_checkpoint);
  CHECK(db->projection(stream, "order", "O1")->last_sequence == 4);
}

TEST_CASE_METHOD(engine_fixture, "a row behind that fails on its own becomes the new head",
                 "[projection_engine]") {
  auto& head = events.ves("order", "O1", "order.cancelled");
  auto& second = events.ves("order", "O1", "order.delivered"); // cancelled → delivered: invalid
  auto& third = events.ves("order", "O1", "order.cancelled");
  batch(sp_ves, 1);
  msg::projection_row row;
  row.stream = stream;
  row.entity_type = "order";
  row.entity_id = "O1";
  row.state = R"({"status":"shipped"})";
  row.version = 1;
  db->put_projection(row);
  auto r = retry(head.event_id, 3);
  REQUIRE(r);
  CHECK(r->entry.status == dlq_status::resolved);
  CHECK(r->chain_resolved == 0);
  REQUIRE(r->new_head);
  CHECK(r->new_head->id == second.event_id);
  CHECK_FALSE(r->entity_clear);
  auto e2 = db->entry(second.event_id);
  CHECK(e2->status == dlq_status::dead);
  CHECK(e2->reason == dlq_reason::invalid_state_transition);
  CHECK_FALSE(e2->blocked_behind);
  auto e3 = db->entry(third.event_id);
  CHECK(e3->blocked_behind);
  CHECK(e3->status == dlq_status::pending);
  CHECK(status("order", "O1") == "cancelled");
}

TEST_CASE_METHOD(engine_fixture, "a row cannot be retried before the row it waits behind",
                 "[projection_engine]") {
  auto& head = events.ves("order", "O1", "order.confirmed");
  auto& behind = events.ves("order", "O1", "order.processing");
  batch(sp_ves, 1);
  auto r = retry(behind.event_id, 2);
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::invalid_request);
  CHECK(error_message(r.error()).find(head.event_id.str()) != std::string::npos);
  SECTION("once the head is purged it can") {
    db->erase_entry(head.event_id);
    auto again = retry(behind.event_id, 2);
    REQUIRE(again);
    CHECK(again->entry.status == dlq_status::pending); // still no order: retry_failed
    CHECK(again->entry.retry_count == 1);
    CHECK_FALSE(again->entry.blocked_behind);
    CHECK(*again->entry.next_retry_at == now + 120'000'000);
  }
}

TEST_CASE_METHOD(engine_fixture, "a failed retry is written with its next retry time",
                 "[projection_engine]") {
  auto& bad = events.ves("customer", "C1", "customer.created", R"({"name":"no email"})");
  batch(sp_ves, 1);
  auto e = db->entry(bad.event_id);
  CHECK(e->reason == dlq_reason::schema_validation);
  now = *e->next_retry_at;
  auto r = retry(bad.event_id, 1);
  REQUIRE(r);
  CHECK(r->entry.status == dlq_status::pending);
  CHECK(r->entry.retry_count == 1);
  CHECK(*r->entry.next_retry_at == now + 120'000'000);
  auto stored = db->entry(bad.event_id);
  CHECK(stored->retry_count == 1);
  CHECK(*stored->next_retry_at == now + 120'000'000);
  CHECK(db->checkpoint(stream).ves == 1);
}

TEST_CASE_METHOD(engine_fixture, "load reports blocked entities per space and heals orphans",
                 "[projection_engine]") {
  auto& head = events.ves("order", "O1", "order.confirmed");
  events.ves("order", "O1", "order.created", R"({"customer_id":"C1"})");
  events.ves("order", "O2", "order.confirmed");
  batch(sp_ves, 1);
  auto l = engine().load(stream);
  REQUIRE(l);
  CHECK(l->checkpoints.ves == 3);
  REQUIRE(l->blocked);
  CHECK(l->blocked->size() == 2);
  // The operator purges O1's head: its waiting order.created is applied at the next load.
  db->erase_entry(head.event_id);
  auto healed = engine().load(stream);
  REQUIRE(healed);
  REQUIRE(healed->blocked->size() == 1);
  CHECK(healed->blocked->front().entity == msg::entity_key{"order", "O2"});
  CHECK(healed->blocked->front().space == sp_ves);
  CHECK(status("order", "O1") == "pending");
}

TEST_CASE_METHOD(engine_fixture,
                 "a storage failure stops a batch with its committed progress",
                 "[projection_engine]") {
  for (int i = 0; i < 4; ++i)
    events.ves("product", "P" + std::to_string(i), "product.created");
  auto out1 = batch(sp_ves, 1, 2);
  CHECK(out1.checkpoint == 2);
  db->fail_next_steps(1, errc::storage_unavailable);
  auto out2 = batch(sp_ves, 3);
  CHECK(out2.error == errc::storage_unavailable);
  CHECK(out2.checkpoint == 2);
  CHECK(out2.applied == 0);
  auto out3 = batch(sp_ves, 3);
  CHECK_FALSE(out3.error);
  CHECK(out3.checkpoint == 4);
  for (int i = 0; i < 4; ++i)
    CHECK(version("product", "P" + std::to_string(i)) == 1);
  events.fail_reads = 1;
  auto out4 = batch(sp_ves, 5);
  CHECK(out4.error == errc::storage_unavailable);
  CHECK(out4.checkpoint == 4);
}

TEST_CASE_METHOD(engine_fixture, "unreadable payloads and projections are parked",
                 "[projection_engine]") {
  auto& bad = events.ves("order", "O1", "order.created", "{not json");
  msg::projection_row row;
  row.stream = stream;
  row.entity_type = "order";
  row.entity_id = "O2";
  row.state = "garbage";
  row.version = 1;
  db->put_projection(row);
  auto& corrupt = events.ves("order", "O2", "order.confirmed");
  auto out = batch(sp_ves, 1);
  CHECK(out.parked == 2);
  CHECK(db->entry(bad.event_id)->reason == dlq_reason::schema_validation);
  CHECK(db->entry(corrupt.event_id)->reason == dlq_reason::handler_error);
}

TEST_CASE("stored legacy events become projectable events", "[projection_engine]") {
  msg::sequenced_legacy_event l;
  l.sequence_number = 3;
  l.ev.entity_type = "customer";
  l.ev.entity_id = "C1";
  l.ev.event_type = "customer.created";
  l.ev.payload = R"({"email":"a@b"})";
  auto q = msg::to_projectable(l);
  CHECK(q.space == sp_legacy);
  CHECK(q.sequence_number == 3);
  CHECK(q.entity_id == "C1");
  CHECK(q.payload == l.ev.payload);
  CHECK_FALSE(q.encrypted);
}

// -- batches fed from committed groups ----------------------------------------------------------

namespace {

/// The projectable events of a committed group (as the projector's committed_feed keeps
/// them) numbered `first`..`last`; `fill(ev, n)` sets the rest of event n.
template <class Sequenced, class Fill>
msg::fed_events committed(uint64_t first, uint64_t last, Fill fill) {
  auto out = std::make_shared<std::vector<msg::projectable_event>>();
  for (uint64_t n = first; n <= last; ++n) {
    Sequenced x;
    x.sequence_number = n;
    x.ev.event_id = msg::uuid::random_v4();
    fill(x.ev, n);
    out->push_back(msg::to_projectable(x));
  }
  return out;
}

/// VES events `first`..`last`: inventory items sku-<n>, initialized with quantity n.
msg::fed_events committed_ves(uint64_t first, uint64_t last) {
  return committed<msg::sequenced_ves_event>(first, last, [](auto& ev, uint64_t n) {
    ev.entity_type = "inventory";
    ev.entity_id = "sku-" + std::to_string(n);
    ev.event_type = "inventory.initialized";
    ev.payload = R"({"quantity":)" + std::to_string(n) + "}";
  });
}

/// Legacy events `first`..`last`: customers C<n>.
msg::fed_events committed_legacy(uint64_t first, uint64_t last) {
  return committed<msg::sequenced_legacy_event>(first, last, [](auto& ev, uint64_t n) {
    ev.entity_type = "customer";
    ev.entity_id = "C" + std::to_string(n);
    ev.event_type = "customer.created";
    ev.payload = R"({"email":"a@b"})";
  });
}

std::vector<uint64_t> seqs_of(const std::vector<const msg::projectable_event*>& xs) {
  std::vector<uint64_t> out;
  for (const auto* x : xs)
    out.push_back(x->sequence_number);
  return out;
}

} // namespace

TEST_CASE("events_from_groups takes a gap-free run that starts at `from`",
          "[projection_engine]") {
  using actors::projection::events_from_groups;
  using v = std::vector<uint64_t>;
  std::vector<msg::fed_events> gs{committed_ves(1, 3), committed_ves(4, 6),
                                  committed_ves(9, 10)};
  auto all = events_from_groups(gs, sp_ves, 1, 100);
  REQUIRE(all);
  CHECK(seqs_of(*all) == v{1, 2, 3, 4, 5, 6}); // stops at the gap before 9
  auto mid = events_from_groups(gs, sp_ves, 2, 3);
  REQUIRE(mid);
  CHECK(seqs_of(*mid) == v{2, 3, 4});
  auto tail = events_from_groups(gs, sp_ves, 9, 100);
  REQUIRE(tail);
  CHECK(seqs_of(*tail) == v{9, 10});
  // Not held: the batch reads storage.
  CHECK_FALSE(events_from_groups(gs, sp_ves, 7, 100));
  CHECK_FALSE(events_from_groups(gs, sp_ves, 11, 100));
  CHECK_FALSE(events_from_groups({}, sp_ves, 1, 100));
  // Events of another space are never taken.
  CHECK_FALSE(events_from_groups(gs, sp_legacy, 1, 100));
  std::vector<msg::fed_events> legacy{committed_legacy(1, 2), committed_legacy(3, 3)};
  auto l = events_from_groups(legacy, sp_legacy, 1, 100);
  REQUIRE(l);
  CHECK(seqs_of(*l) == v{1, 2, 3});
  CHECK(l->front()->entity_id == "C1");
  CHECK_FALSE(events_from_groups(legacy, sp_ves, 1, 100));
  // The events are the held ones themselves, not copies.
  CHECK((*all)[1] == &(*gs[0])[1]);
  CHECK((*all)[1]->payload == R"({"quantity":2})");
}

TEST_CASE_METHOD(engine_fixture, "a batch is projected from the committed groups it is handed",
                 "[projection_engine]") {
  // Storage (the event source) is empty: every event must come from the groups.
  msg::projection_batch_request req;
  req.stream = stream;
  req.space = sp_ves;
  req.from = 1;
  req.limit = 4;
  req.fed = {committed_ves(1, 3), committed_ves(4, 5)};
  auto out = engine().run_batch(req);
  CHECK_FALSE(out.error);
  CHECK(events.reads == 0);
  CHECK(out.events_read == 4);
  CHECK(out.events_fed == 4);
  CHECK(out.applied == 4);
  CHECK(out.checkpoint == 4);
  CHECK_FALSE(out.end_reached);
  CHECK(db->checkpoint(stream).ves == 4);
  auto row = db->projection(stream, "inventory", "sku-3");
  REQUIRE(row);
  CHECK(row->state.find(R"("quantity_on_hand":3)") != std::string::npos);
  CHECK_FALSE(db->projection(stream, "inventory", "sku-5"));
  // The next batch starts inside the second group; it ends the run.
  req.from = 5;
  auto next = engine().run_batch(req);
  CHECK(events.reads == 0);
  CHECK(next.events_fed == 1);
  CHECK(next.checkpoint == 5);
  CHECK(next.end_reached);
}

TEST_CASE_METHOD(engine_fixture, "a batch whose start the groups do not hold reads storage",
                 "[projection_engine]") {
  for (int i = 1; i <= 5; ++i)
    events.ves("inventory", "sku-" + std::to_string(i), "inventory.initialized",
               R"({"quantity":1})");
  msg::projection_batch_request req;
  req.stream = stream;
  req.space = sp_ves;
  req.from = 1;
  req.limit = 100;
  req.fed = {committed_ves(4, 5)}; // the projector was started after 1..3 committed
  auto out = engine().run_batch(req);
  CHECK(events.reads == 1);
  CHECK(out.events_fed == 0);
  CHECK(out.events_read == 5);
  CHECK(out.applied == 5);
  CHECK(out.checkpoint == 5);
}
