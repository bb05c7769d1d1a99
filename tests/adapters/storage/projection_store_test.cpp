// SPDX-License-Identifier: Apache-2.0
// The projection store (messages/projection.hpp) on both backends (SEQ_TEST_BACKEND):
// projections, the checkpoint fence, the dead-letter queue, the audit log, rebuild swaps and
// the lag queries.

#include "adapters/storage/projection_rows.hpp"
#include "tests/adapters/storage/storage_fixture.hpp"

#include <algorithm>

using namespace seq;
using namespace seq::storage;
using namespace seq::storage::test;

namespace {

constexpr uint8_t legacy_space = static_cast<uint8_t>(msg::space::legacy);
constexpr uint8_t ves_space = static_cast<uint8_t>(msg::space::ves);

msg::projection_row make_row(const stream_key& s, std::string type, std::string id,
                             std::string state, int64_t version, uint8_t space, uint64_t seq) {
  msg::projection_row r;
  r.stream = s;
  r.entity_type = std::move(type);
  r.entity_id = std::move(id);
  r.state = std::move(state);
  r.version = version;
  r.space = space;
  r.last_sequence = seq;
  r.updated_at = 1'700'000'000'000'000 + static_cast<int64_t>(seq);
  return r;
}

/// A step applying `row` as event `row.last_sequence` of its space.
msg::projection_step apply(const msg::projection_row& row) {
  msg::projection_step st;
  st.stream = row.stream;
  st.space = row.space;
  st.sequence_number = row.last_sequence;
  st.upsert = row;
  return st;
}

msg::dlq_entry make_entry(const stream_key& s, uint8_t space, uint64_t seq, std::string type,
                          std::string id, msg::dlq_reason reason, msg::dlq_status status) {
  msg::dlq_entry e;
  e.id = uuid::random_v4();
  e.event_id = uuid::random_v4();
  e.stream = s;
  e.space = space;
  e.sequence_number = seq;
  e.entity_type = std::move(type);
  e.entity_id = std::move(id);
  e.event_type = e.entity_type + ".something";
  e.reason = reason;
  e.message = "could not apply event " + std::to_string(seq);
  e.status = status;
  e.retry_count = 0;
  e.max_retries = 10;
  if (status == msg::dlq_status::pending)
    e.next_retry_at = 1'700'000'000'000'000 + static_cast<int64_t>(seq) * 1'000'000;
  e.created_at = 1'700'000'000'000'000 + static_cast<int64_t>(seq);
  return e;
}

/// A step parking `e` as event `e.sequence_number` of its space.
msg::projection_step park(const msg::dlq_entry& e) {
  msg::projection_step st;
  st.stream = e.stream;
  st.space = e.space;
  st.sequence_number = e.sequence_number;
  st.park = e;
  return st;
}

void check_same(const msg::dlq_entry& a, const msg::dlq_entry& b) {
  INFO("DLQ entry " << a.id.str());
  CHECK(a.id == b.id);
  CHECK(a.event_id == b.event_id);
  CHECK(a.stream == b.stream);
  CHECK(a.space == b.space);
  CHECK(a.sequence_number == b.sequence_number);
  CHECK(a.entity_type == b.entity_type);
  CHECK(a.entity_id == b.entity_id);
  CHECK(a.event_type == b.event_type);
  CHECK(a.reason == b.reason);
  CHECK(a.message == b.message);
  CHECK(a.status == b.status);
  CHECK(a.retry_count == b.retry_count);
  CHECK(a.max_retries == b.max_retries);
  CHECK(a.next_retry_at == b.next_retry_at);
  CHECK(a.blocked_behind == b.blocked_behind);
  CHECK(a.created_at == b.created_at);
}

uint64_t count_of(const std::vector<std::pair<std::string, uint64_t>>& xs, const std::string& k) {
  for (auto& [name, n] : xs)
    if (name == k)
      return n;
  FAIL("no count for " << k);
  return 0;
}

std::vector<std::string> ids_of(const std::vector<msg::projection_row>& xs) {
  std::vector<std::string> out;
  for (auto& x : xs)
    out.push_back(x.entity_id);
  return out;
}

} // namespace

TEST_CASE("a fresh stream has zero checkpoints, no projections and an empty DLQ",
          "[storage][projections]") {
  store_fixture f;
  auto& ps = projections_of(*f.store);
  auto cp = ps.load_checkpoints(f.stream);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->legacy == 0);
  CHECK(cp->ves == 0);
  SEQ_REQUIRE_ERRC(ps.get_projection(f.stream, "order", "o-1"), errc::not_found);
  auto list = ps.list_projections(f.stream, "order", "", 100);
  SEQ_REQUIRE_OK(list);
  CHECK(list->empty());
  auto blocked = ps.blocked_entities(f.stream);
  SEQ_REQUIRE_OK(blocked);
  CHECK(blocked->empty());
  auto counts = ps.dlq_counts(f.stream);
  SEQ_REQUIRE_OK(counts);
  // Every status and reason is listed, with zero.
  REQUIRE(counts->by_status.size() == 4);
  REQUIRE(counts->by_reason.size() == 5);
  for (auto& [name, n] : counts->by_status)
    CHECK(n == 0);
  for (auto& [name, n] : counts->by_reason)
    CHECK(n == 0);
  CHECK(counts->by_status[0].first == "pending");
  CHECK(counts->by_reason[0].first == "version_conflict");
  SEQ_REQUIRE_ERRC(ps.get_dlq(uuid::random_v4()), errc::not_found);
}

TEST_CASE("a step upserts the projection and moves the checkpoint of its space",
          "[storage][projections]") {
  store_fixture f;
  auto& ps = projections_of(*f.store);
  // Keys out of order, a non-ASCII string and an escape: stored and returned in RFC 8785 form.
  auto row = make_row(f.stream, "order", "o-1",
                      R"({"status":"pending","customer_id":"c-1","note":"é\n","total_amount":12.5})",
                      1, ves_space, 1);
  SEQ_REQUIRE_OK(ps.apply_step(apply(row)));
  auto got = ps.get_projection(f.stream, "order", "o-1");
  SEQ_REQUIRE_OK(got);
  CHECK(got->stream == f.stream);
  CHECK(got->entity_type == "order");
  CHECK(got->entity_id == "o-1");
  CHECK(got->state
        == R"({"customer_id":"c-1","note":"é\n","status":"pending","total_amount":12.5})");
  CHECK(got->version == 1);
  CHECK(got->space == ves_space);
  CHECK(got->last_sequence == 1);
  CHECK(got->updated_at == row.updated_at);
  auto cp = ps.load_checkpoints(f.stream);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->ves == 1);
  CHECK(cp->legacy == 0);

  // The next event of the entity overwrites it; a legacy event moves only the legacy
  // checkpoint.
  auto next = make_row(f.stream, "order", "o-1", R"({"status":"confirmed"})", 2, ves_space, 2);
  SEQ_REQUIRE_OK(ps.apply_step(apply(next)));
  auto inv = make_row(f.stream, "inventory", "sku-1:default", R"({"quantity_on_hand":5})", 1,
                      legacy_space, 1);
  SEQ_REQUIRE_OK(ps.apply_step(apply(inv)));
  got = ps.get_projection(f.stream, "order", "o-1");
  SEQ_REQUIRE_OK(got);
  CHECK(got->state == R"({"status":"confirmed"})");
  CHECK(got->version == 2);
  CHECK(got->last_sequence == 2);
  cp = ps.load_checkpoints(f.stream);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->ves == 2);
  CHECK(cp->legacy == 1);

  // A step without a row (a skipped or encrypted event) moves only the checkpoint, and may
  // jump over several numbers.
  msg::projection_step skip;
  skip.stream = f.stream;
  skip.space = ves_space;
  skip.sequence_number = 5;
  SEQ_REQUIRE_OK(ps.apply_step(skip));
  cp = ps.load_checkpoints(f.stream);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->ves == 5);

  // Another stream sees nothing of this one.
  auto other = random_stream();
  SEQ_REQUIRE_ERRC(ps.get_projection(other, "order", "o-1"), errc::not_found);
  cp = ps.load_checkpoints(other);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->ves == 0);
}

TEST_CASE("the checkpoint fence refuses a step that was already applied",
          "[storage][projections]") {
  store_fixture f;
  auto& ps = projections_of(*f.store);
  SEQ_REQUIRE_OK(ps.apply_step(apply(
    make_row(f.stream, "inventory", "sku-1", R"({"quantity_on_hand":10})", 3, ves_space, 3))));
  // Replaying event 3 (a crash between commit and the in-memory update) or an older event
  // fails as a whole: the projection keeps the first result.
  auto again = make_row(f.stream, "inventory", "sku-1", R"({"quantity_on_hand":20})", 4,
                        ves_space, 3);
  SEQ_REQUIRE_ERRC(ps.apply_step(apply(again)), errc::storage_conflict);
  auto older = make_row(f.stream, "inventory", "sku-1", R"({"quantity_on_hand":30})", 4,
                        ves_space, 2);
  auto parked = make_entry(f.stream, ves_space, 2, "inventory", "sku-1",
                           msg::dlq_reason::handler_error, msg::dlq_status::pending);
  auto st = apply(older);
  st.park = parked;
  SEQ_REQUIRE_ERRC(ps.apply_step(st), errc::storage_conflict);
  auto got = ps.get_projection(f.stream, "inventory", "sku-1");
  SEQ_REQUIRE_OK(got);
  CHECK(got->state == R"({"quantity_on_hand":10})");
  CHECK(got->version == 3);
  SEQ_REQUIRE_ERRC(ps.get_dlq(parked.id), errc::not_found);
  auto cp = ps.load_checkpoints(f.stream);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->ves == 3);

  // A retry of an already passed event does not touch the checkpoint (and is not fenced).
  auto retry = apply(make_row(f.stream, "inventory", "sku-1", R"({"quantity_on_hand":9})", 4,
                              ves_space, 2));
  retry.advance_checkpoint = false;
  SEQ_REQUIRE_OK(ps.apply_step(retry));
  cp = ps.load_checkpoints(f.stream);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->ves == 3);
}

TEST_CASE("a step that fails half-way leaves nothing behind", "[storage][projections]") {
  store_fixture f;
  auto& ps = projections_of(*f.store);
  auto boom = "boom-" + uuid::random_v4().str();
  // A trigger that fails the projection upsert of one entity, after the checkpoint statement
  // (on SQLite in the projection file, where its table is).
  f.exec_sql("CREATE TRIGGER projection.fail_" + std::to_string(rng()() % 1000000)
               + " BEFORE INSERT ON projections WHEN NEW.entity_id = '" + boom
               + "' BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
             "CREATE OR REPLACE FUNCTION seq_test_fail() RETURNS trigger LANGUAGE plpgsql AS $$"
             " BEGIN RAISE EXCEPTION 'injected failure'; END $$;"
             " DROP TRIGGER IF EXISTS seq_test_fail ON projections; CREATE TRIGGER seq_test_fail"
             " BEFORE INSERT ON projections FOR EACH ROW WHEN (NEW.entity_id = '"
               + boom + "') EXECUTE FUNCTION seq_test_fail();");
  auto st = apply(make_row(f.stream, "order", boom, R"({"status":"pending"})", 1, ves_space, 1));
  st.park = make_entry(f.stream, ves_space, 1, "order", "other", msg::dlq_reason::handler_error,
                       msg::dlq_status::pending);
  auto r = ps.apply_step(st);
  CHECK_FALSE(r);
  if (is_postgres())
    f.exec_sql("", "DROP TRIGGER seq_test_fail ON projections; DROP FUNCTION seq_test_fail();");
  auto cp = ps.load_checkpoints(f.stream);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->ves == 0);
  SEQ_REQUIRE_ERRC(ps.get_dlq(st.park->id), errc::not_found);
  // The connection is usable and the same step succeeds for another entity.
  st.upsert->entity_id = "o-ok";
  SEQ_REQUIRE_OK(ps.apply_step(st));
  cp = ps.load_checkpoints(f.stream);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->ves == 1);
}

TEST_CASE("several steps go in one transaction: all of them or none", "[storage][projections]") {
  store_fixture f;
  auto& ps = projections_of(*f.store);
  std::vector<msg::projection_step> batch{
    apply(make_row(f.stream, "inventory", "sku-1", R"({"quantity_on_hand":1})", 1, ves_space, 1)),
    apply(make_row(f.stream, "inventory", "sku-2", R"({"quantity_on_hand":2})", 1, ves_space, 2)),
    apply(make_row(f.stream, "inventory", "sku-1", R"({"quantity_on_hand":3})", 2, ves_space, 3)),
  };
  SEQ_REQUIRE_OK(ps.apply_steps(batch));
  auto cp = ps.load_checkpoints(f.stream);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->ves == 3);
  auto one = ps.get_projection(f.stream, "inventory", "sku-1");
  SEQ_REQUIRE_OK(one);
  CHECK(one->state == R"({"quantity_on_hand":3})");
  CHECK(one->version == 2);
  CHECK(one->last_sequence == 3);
  auto two = ps.get_projection(f.stream, "inventory", "sku-2");
  SEQ_REQUIRE_OK(two);
  CHECK(two->state == R"({"quantity_on_hand":2})");
  SEQ_REQUIRE_OK(ps.apply_steps({})); // nothing to do
  // Several states in one read: the existing ones, in any order; missing keys are left out.
  auto many = ps.get_projections(f.stream, {{"inventory", "sku-2"},
                                            {"inventory", "sku-9"},
                                            {"inventory", "sku-1"},
                                            {"order", "sku-1"}});
  SEQ_REQUIRE_OK(many);
  REQUIRE(many->size() == 2);
  std::sort(many->begin(), many->end(),
            [](const auto& a, const auto& b) { return a.entity_id < b.entity_id; });
  CHECK(many->at(0).entity_id == "sku-1");
  CHECK(many->at(0).state == R"({"quantity_on_hand":3})");
  CHECK(many->at(0).version == 2);
  CHECK(many->at(0).stream == f.stream);
  CHECK(many->at(1).entity_id == "sku-2");
  CHECK(many->at(1).last_sequence == 2);
  auto none = ps.get_projections(random_stream(), {{"inventory", "sku-1"}});
  SEQ_REQUIRE_OK(none);
  CHECK(none->empty());

  // The second step replays event 3: the checkpoint fence refuses it, and the first step
  // (event 4) is rolled back with it.
  std::vector<msg::projection_step> replay{
    apply(make_row(f.stream, "inventory", "sku-2", R"({"quantity_on_hand":4})", 2, ves_space, 4)),
    apply(make_row(f.stream, "inventory", "sku-1", R"({"quantity_on_hand":5})", 3, ves_space, 3)),
  };
  SEQ_REQUIRE_ERRC(ps.apply_steps(replay), errc::storage_conflict);
  cp = ps.load_checkpoints(f.stream);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->ves == 3);
  two = ps.get_projection(f.stream, "inventory", "sku-2");
  SEQ_REQUIRE_OK(two);
  CHECK(two->state == R"({"quantity_on_hand":2})");
  CHECK(two->version == 1);
  // In order, but starting at an event already applied (3): refused as a whole as well.
  std::vector<msg::projection_step> again{
    apply(make_row(f.stream, "inventory", "sku-1", R"({"quantity_on_hand":7})", 3, ves_space, 3)),
    apply(make_row(f.stream, "inventory", "sku-2", R"({"quantity_on_hand":8})", 2, ves_space, 4)),
  };
  SEQ_REQUIRE_ERRC(ps.apply_steps(again), errc::storage_conflict);
  two = ps.get_projection(f.stream, "inventory", "sku-2");
  SEQ_REQUIRE_OK(two);
  CHECK(two->version == 1);
  // A malformed step anywhere rejects the whole batch before anything is written.
  auto bad = apply(make_row(f.stream, "inventory", "sku-3", "[1]", 1, ves_space, 5));
  std::vector<msg::projection_step> mixed{
    apply(make_row(f.stream, "inventory", "sku-2", R"({"quantity_on_hand":6})", 2, ves_space, 4)),
    bad};
  SEQ_REQUIRE_ERRC(ps.apply_steps(mixed), errc::invalid_request);
  cp = ps.load_checkpoints(f.stream);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->ves == 3);
}

TEST_CASE("malformed steps are rejected before anything is written", "[storage][projections]") {
  store_fixture f;
  auto& ps = projections_of(*f.store);
  auto row = make_row(f.stream, "order", "o-1", "[1,2]", 1, ves_space, 1);
  SEQ_REQUIRE_ERRC(ps.apply_step(apply(row)), errc::invalid_request); // not an object
  row.state = "{";
  SEQ_REQUIRE_ERRC(ps.apply_step(apply(row)), errc::invalid_request); // not JSON
  row.state = "{}";
  auto st = apply(row);
  st.space = static_cast<uint8_t>(msg::space::x402);
  SEQ_REQUIRE_ERRC(ps.apply_step(st), errc::invalid_request);
  st = apply(row);
  st.sequence_number = 0;
  SEQ_REQUIRE_ERRC(ps.apply_step(st), errc::invalid_request);
  st = apply(row);
  st.upsert->stream = random_stream();
  SEQ_REQUIRE_ERRC(ps.apply_step(st), errc::invalid_request);
  auto cp = ps.load_checkpoints(f.stream);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->ves == 0);
}

TEST_CASE("projections of a type page by entity id in byte order", "[storage][projections]") {
  store_fixture f;
  auto& ps = projections_of(*f.store);
  std::vector<std::string> ids = {"b-2", "a-1", "B-3", "c", "a-10", "é-1"};
  uint64_t seq = 0;
  for (auto& id : ids)
    SEQ_REQUIRE_OK(ps.apply_step(apply(
      make_row(f.stream, "product", id, R"({"sku":")" + id + R"("})", 1, ves_space, ++seq))));
  SEQ_REQUIRE_OK(ps.apply_step(
    apply(make_row(f.stream, "customer", "a-0", R"({"email":"x@y"})", 1, ves_space, ++seq))));
  auto page1 = ps.list_projections(f.stream, "product", "", 4);
  SEQ_REQUIRE_OK(page1);
  CHECK(ids_of(*page1) == std::vector<std::string>{"B-3", "a-1", "a-10", "b-2"});
  auto page2 = ps.list_projections(f.stream, "product", page1->back().entity_id, 4);
  SEQ_REQUIRE_OK(page2);
  CHECK(ids_of(*page2) == std::vector<std::string>{"c", "é-1"});
  CHECK((*page2)[1].state == R"({"sku":"é-1"})");
  auto page3 = ps.list_projections(f.stream, "product", page2->back().entity_id, 4);
  SEQ_REQUIRE_OK(page3);
  CHECK(page3->empty());
}

TEST_CASE("parked events are listed, filtered, counted and block their entity",
          "[storage][dlq]") {
  store_fixture f;
  auto& ps = projections_of(*f.store);
  using msg::dlq_reason;
  using msg::dlq_status;
  auto a = make_entry(f.stream, ves_space, 2, "order", "o-1", dlq_reason::invalid_state_transition,
                      dlq_status::dead);
  auto b = make_entry(f.stream, ves_space, 3, "order", "o-1", dlq_reason::handler_error,
                      dlq_status::pending);
  b.blocked_behind = true;
  auto c = make_entry(f.stream, ves_space, 5, "inventory", "sku-1",
                      dlq_reason::invariant_violation, dlq_status::dead);
  auto d = make_entry(f.stream, legacy_space, 1, "customer", "c-1", dlq_reason::schema_validation,
                      dlq_status::pending);
  auto e = make_entry(f.stream, ves_space, 6, "product", "p-1", dlq_reason::version_conflict,
                      dlq_status::resolved);
  for (auto* x : {&a, &b, &c, &d, &e})
    SEQ_REQUIRE_OK(ps.apply_step(park(*x)));
  auto other = random_stream();
  auto z = make_entry(other, ves_space, 1, "order", "o-1", dlq_reason::handler_error,
                      dlq_status::pending);
  SEQ_REQUIRE_OK(ps.apply_step(park(z)));

  auto got = ps.get_dlq(b.id);
  SEQ_REQUIRE_OK(got);
  b.updated_at = got->updated_at;
  check_same(*got, b);
  CHECK(got->updated_at > 0);

  msg::dlq_filter all;
  all.stream = f.stream;
  auto xs = ps.list_dlq(all);
  SEQ_REQUIRE_OK(xs);
  REQUIRE(xs->size() == 5);
  // Ordered by space, then sequence number.
  check_same((*xs)[0], d);
  check_same((*xs)[1], a);
  check_same((*xs)[2], b);
  check_same((*xs)[3], c);
  check_same((*xs)[4], e);

  auto by_status = all;
  by_status.status = dlq_status::dead;
  xs = ps.list_dlq(by_status);
  SEQ_REQUIRE_OK(xs);
  REQUIRE(xs->size() == 2);
  CHECK((*xs)[0].id == a.id);
  CHECK((*xs)[1].id == c.id);
  auto by_reason = all;
  by_reason.reason = dlq_reason::schema_validation;
  xs = ps.list_dlq(by_reason);
  SEQ_REQUIRE_OK(xs);
  REQUIRE(xs->size() == 1);
  CHECK((*xs)[0].id == d.id);
  auto by_entity = all;
  by_entity.entity = entity_key{"order", "o-1"};
  xs = ps.list_dlq(by_entity);
  SEQ_REQUIRE_OK(xs);
  REQUIRE(xs->size() == 2);
  CHECK((*xs)[0].id == a.id);
  CHECK((*xs)[1].id == b.id);
  auto limited = all;
  limited.limit = 2;
  xs = ps.list_dlq(limited);
  SEQ_REQUIRE_OK(xs);
  CHECK(xs->size() == 2);

  // Entities with a pending, retrying or dead row are blocked; resolved rows do not block.
  auto blocked = ps.blocked_entities(f.stream);
  SEQ_REQUIRE_OK(blocked);
  CHECK(*blocked
        == std::vector<entity_key>{{"customer", "c-1"}, {"inventory", "sku-1"}, {"order", "o-1"}});

  auto counts = ps.dlq_counts(f.stream);
  SEQ_REQUIRE_OK(counts);
  CHECK(count_of(counts->by_status, "pending") == 2);
  CHECK(count_of(counts->by_status, "retrying") == 0);
  CHECK(count_of(counts->by_status, "dead") == 2);
  CHECK(count_of(counts->by_status, "resolved") == 1);
  // Reasons count the open rows (not resolved).
  CHECK(count_of(counts->by_reason, "invalid_state_transition") == 1);
  CHECK(count_of(counts->by_reason, "handler_error") == 1);
  CHECK(count_of(counts->by_reason, "invariant_violation") == 1);
  CHECK(count_of(counts->by_reason, "schema_validation") == 1);
  CHECK(count_of(counts->by_reason, "version_conflict") == 0);
  auto everywhere = ps.dlq_counts(std::nullopt);
  SEQ_REQUIRE_OK(everywhere);
  CHECK(count_of(everywhere->by_status, "pending") >= 3);
}

TEST_CASE("parking the same event again updates its row", "[storage][dlq]") {
  store_fixture f;
  auto& ps = projections_of(*f.store);
  auto e = make_entry(f.stream, ves_space, 4, "order", "o-1", msg::dlq_reason::handler_error,
                      msg::dlq_status::pending);
  SEQ_REQUIRE_OK(ps.apply_step(park(e)));
  auto again = e;
  again.id = uuid::random_v4(); // the first row's id is kept
  again.retry_count = 3;
  again.message = "still failing";
  again.reason = msg::dlq_reason::version_conflict;
  again.next_retry_at = *e.next_retry_at + 60'000'000;
  auto st = park(again);
  st.advance_checkpoint = false;
  SEQ_REQUIRE_OK(ps.apply_step(st));
  msg::dlq_filter f1;
  f1.stream = f.stream;
  auto xs = ps.list_dlq(f1);
  SEQ_REQUIRE_OK(xs);
  REQUIRE(xs->size() == 1);
  CHECK((*xs)[0].id == e.id);
  CHECK((*xs)[0].retry_count == 3);
  CHECK((*xs)[0].message == "still failing");
  CHECK((*xs)[0].reason == msg::dlq_reason::version_conflict);
  CHECK((*xs)[0].next_retry_at == again.next_retry_at);
  CHECK((*xs)[0].created_at == e.created_at);
}

TEST_CASE("a resolving step applies the retried event and closes its row", "[storage][dlq]") {
  store_fixture f;
  auto& ps = projections_of(*f.store);
  auto e = make_entry(f.stream, ves_space, 1, "order", "o-1", msg::dlq_reason::handler_error,
                      msg::dlq_status::pending);
  SEQ_REQUIRE_OK(ps.apply_step(park(e)));
  SEQ_REQUIRE_OK(ps.apply_step(
    apply(make_row(f.stream, "product", "p-1", R"({"active":true})", 1, ves_space, 2))));
  auto st = apply(make_row(f.stream, "order", "o-1", R"({"status":"pending"})", 1, ves_space, 1));
  st.advance_checkpoint = false;
  st.resolve = e.id;
  SEQ_REQUIRE_OK(ps.apply_step(st));
  auto got = ps.get_dlq(e.id);
  SEQ_REQUIRE_OK(got);
  CHECK(got->status == msg::dlq_status::resolved);
  CHECK_FALSE(got->next_retry_at.has_value());
  auto blocked = ps.blocked_entities(f.stream);
  SEQ_REQUIRE_OK(blocked);
  CHECK(blocked->empty());
  auto p = ps.get_projection(f.stream, "order", "o-1");
  SEQ_REQUIRE_OK(p);
  CHECK(p->last_sequence == 1);
  auto cp = ps.load_checkpoints(f.stream);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->ves == 2);
}

TEST_CASE("rows due for retry come oldest first and can be rescheduled", "[storage][dlq]") {
  store_fixture f;
  auto& ps = projections_of(*f.store);
  // Far in the past: due on every database (the PostgreSQL one is shared between tests, so
  // only this stream's rows are looked at).
  auto late = make_entry(f.stream, ves_space, 1, "order", "o-1", msg::dlq_reason::handler_error,
                         msg::dlq_status::pending);
  late.next_retry_at = 1'000'000'000'000'002;
  auto early = make_entry(f.stream, ves_space, 2, "order", "o-2", msg::dlq_reason::handler_error,
                          msg::dlq_status::pending);
  early.next_retry_at = 1'000'000'000'000'001;
  auto future = make_entry(f.stream, ves_space, 3, "order", "o-3",
                           msg::dlq_reason::handler_error, msg::dlq_status::pending);
  future.next_retry_at = 4'000'000'000'000'000;
  auto dead = make_entry(f.stream, ves_space, 4, "order", "o-4",
                         msg::dlq_reason::invariant_violation, msg::dlq_status::dead);
  dead.next_retry_at = 1'000'000'000'000'000;
  auto unscheduled = make_entry(f.stream, ves_space, 5, "order", "o-5",
                                msg::dlq_reason::handler_error, msg::dlq_status::pending);
  unscheduled.next_retry_at = std::nullopt;
  for (auto* x : {&late, &early, &future, &dead, &unscheduled})
    SEQ_REQUIRE_OK(ps.apply_step(park(*x)));
  auto due = ps.due_for_retry(2'000'000'000'000'000, 100000);
  SEQ_REQUIRE_OK(due);
  std::vector<uuid> mine;
  for (auto& x : *due)
    if (x.stream == f.stream)
      mine.push_back(x.id);
  CHECK(mine == std::vector<uuid>{early.id, late.id});
  auto some = ps.due_for_retry(1'000'000'000'000'001, 100000);
  SEQ_REQUIRE_OK(some);
  CHECK(std::count_if(some->begin(), some->end(),
                      [&](const msg::dlq_entry& x) { return x.stream == f.stream; })
        == 1);

  // The retry actor takes the row, then reschedules it.
  auto taken = early;
  taken.status = msg::dlq_status::retrying;
  SEQ_REQUIRE_OK(ps.update_dlq(taken));
  auto got = ps.get_dlq(early.id);
  SEQ_REQUIRE_OK(got);
  CHECK(got->status == msg::dlq_status::retrying);
  taken.status = msg::dlq_status::pending;
  taken.retry_count = 1;
  taken.next_retry_at = 3'000'000'000'000'000;
  taken.message = "retry 1 failed: still no order";
  SEQ_REQUIRE_OK(ps.update_dlq(taken));
  got = ps.get_dlq(early.id);
  SEQ_REQUIRE_OK(got);
  CHECK(got->status == msg::dlq_status::pending);
  CHECK(got->retry_count == 1);
  CHECK(got->next_retry_at == taken.next_retry_at);
  CHECK(got->message == taken.message);
  CHECK(got->reason == msg::dlq_reason::handler_error); // untouched
  due = ps.due_for_retry(2'000'000'000'000'000, 100000);
  SEQ_REQUIRE_OK(due);
  mine.clear();
  for (auto& x : *due)
    if (x.stream == f.stream)
      mine.push_back(x.id);
  CHECK(mine == std::vector<uuid>{late.id});

  auto missing = taken;
  missing.id = uuid::random_v4();
  SEQ_REQUIRE_ERRC(ps.update_dlq(missing), errc::not_found);
}

TEST_CASE("purge deletes only dead and resolved rows unless forced", "[storage][dlq]") {
  store_fixture f;
  auto& ps = projections_of(*f.store);
  using msg::dlq_reason;
  using msg::dlq_status;
  auto pending = make_entry(f.stream, ves_space, 1, "order", "o-1", dlq_reason::handler_error,
                            dlq_status::pending);
  auto dead1 = make_entry(f.stream, ves_space, 2, "order", "o-2",
                          dlq_reason::invalid_state_transition, dlq_status::dead);
  auto dead2 = make_entry(f.stream, ves_space, 3, "inventory", "s-1",
                          dlq_reason::invariant_violation, dlq_status::dead);
  auto resolved = make_entry(f.stream, ves_space, 4, "order", "o-3", dlq_reason::handler_error,
                             dlq_status::resolved);
  for (auto* x : {&pending, &dead1, &dead2, &resolved})
    SEQ_REQUIRE_OK(ps.apply_step(park(*x)));
  auto other = random_stream();
  auto other_dead = make_entry(other, ves_space, 1, "order", "o-1",
                               dlq_reason::invariant_violation, dlq_status::dead);
  SEQ_REQUIRE_OK(ps.apply_step(park(other_dead)));

  msg::dlq_filter f1;
  f1.stream = f.stream;
  f1.reason = dlq_reason::invariant_violation;
  auto n = ps.purge_dlq(f1, false);
  SEQ_REQUIRE_OK(n);
  CHECK(*n == 1);
  SEQ_REQUIRE_ERRC(ps.get_dlq(dead2.id), errc::not_found);

  msg::dlq_filter f2;
  f2.stream = f.stream;
  f2.status = dlq_status::pending;
  n = ps.purge_dlq(f2, false); // a pending row is not purged without force
  SEQ_REQUIRE_OK(n);
  CHECK(*n == 0);
  SEQ_REQUIRE_OK(ps.get_dlq(pending.id));

  msg::dlq_filter f3;
  f3.stream = f.stream;
  n = ps.purge_dlq(f3, false);
  SEQ_REQUIRE_OK(n);
  CHECK(*n == 2); // dead1, resolved
  SEQ_REQUIRE_OK(ps.get_dlq(pending.id));
  SEQ_REQUIRE_OK(ps.get_dlq(other_dead.id)); // other streams are untouched

  n = ps.purge_dlq(f3, true);
  SEQ_REQUIRE_OK(n);
  CHECK(*n == 1);
  SEQ_REQUIRE_ERRC(ps.get_dlq(pending.id), errc::not_found);
  SEQ_REQUIRE_OK(ps.get_dlq(other_dead.id));
}

TEST_CASE("audit rows are written and read back newest first", "[storage][audit]") {
  store_fixture f;
  auto& ps = projections_of(*f.store);
  auto tenant = uuid::random_v4();
  msg::audit_entry a;
  a.action = "dlq_retry";
  a.actor = "0123456789abcdef";
  a.tenant_id = tenant;
  a.resource_type = "dead_letter_event";
  a.resource_id = uuid::random_v4().str();
  a.details = R"({"store_id":"s","requested_by":"api"})";
  SEQ_REQUIRE_OK(ps.audit(a));
  msg::audit_entry b;
  b.action = "dlq_purge";
  b.actor = "cli";
  b.tenant_id = tenant;
  b.resource_type = "dead_letter_events";
  b.resource_id = "*";
  b.details = R"({"deleted":3,"force":false})";
  SEQ_REQUIRE_OK(ps.audit(b));
  msg::audit_entry c;
  c.action = "dlq_park";
  c.actor = "projector";
  SEQ_REQUIRE_OK(ps.audit(c)); // no tenant, no details
  msg::audit_entry bad; // no action
  SEQ_REQUIRE_ERRC(ps.audit(bad), errc::invalid_request);
  bad.action = "dlq_purge";
  bad.details = "[1,2]"; // details must be a JSON object
  SEQ_REQUIRE_ERRC(ps.audit(bad), errc::invalid_request);

  auto rows = list_audit(ps, tenant, 10);
  SEQ_REQUIRE_OK(rows);
  REQUIRE(rows->size() == 2);
  CHECK((*rows)[0].entry.action == "dlq_purge");
  CHECK((*rows)[0].entry.actor == "cli");
  CHECK((*rows)[0].entry.details == R"({"deleted":3,"force":false})");
  CHECK((*rows)[1].entry.action == "dlq_retry");
  CHECK((*rows)[1].entry.tenant_id == tenant);
  CHECK((*rows)[1].entry.resource_type == "dead_letter_event");
  CHECK((*rows)[1].entry.resource_id == a.resource_id);
  CHECK((*rows)[1].entry.details == R"({"requested_by":"api","store_id":"s"})");
  CHECK((*rows)[0].at >= (*rows)[1].at);
  auto any = list_audit(ps, std::nullopt, 1000);
  SEQ_REQUIRE_OK(any);
  CHECK(std::any_of(any->begin(), any->end(), [](const audit_record& r) {
    return r.entry.action == "dlq_park" && r.entry.actor == "projector"
           && !r.entry.tenant_id.has_value() && r.entry.details.empty();
  }));
}

TEST_CASE("a rebuild swaps in its projections, checkpoints and DLQ in one step",
          "[storage][rebuild]") {
  store_fixture f;
  auto& ps = projections_of(*f.store);
  // Live: two entities, a DLQ row, checkpoints (legacy 1, VES 3).
  SEQ_REQUIRE_OK(ps.apply_step(
    apply(make_row(f.stream, "order", "o-1", R"({"status":"pending"})", 1, ves_space, 1))));
  SEQ_REQUIRE_OK(ps.apply_step(
    apply(make_row(f.stream, "order", "stale", R"({"status":"pending"})", 1, ves_space, 2))));
  auto live_dlq = make_entry(f.stream, ves_space, 3, "order", "o-1",
                             msg::dlq_reason::handler_error, msg::dlq_status::pending);
  SEQ_REQUIRE_OK(ps.apply_step(park(live_dlq)));
  SEQ_REQUIRE_OK(ps.apply_step(apply(
    make_row(f.stream, "inventory", "sku-1", R"({"quantity_on_hand":1})", 1, legacy_space, 1))));
  auto other = random_stream();
  SEQ_REQUIRE_OK(ps.apply_step(
    apply(make_row(other, "order", "o-1", R"({"status":"other"})", 1, ves_space, 1))));

  SEQ_REQUIRE_OK(ps.rebuild_begin(f.stream));
  // Shadow: a different outcome of the same events (legacy 1, VES 3).
  SEQ_REQUIRE_OK(ps.rebuild_apply(
    apply(make_row(f.stream, "order", "o-1", R"({"status":"confirmed"})", 2, ves_space, 2))));
  auto shadow_dlq = make_entry(f.stream, ves_space, 3, "order", "o-2",
                               msg::dlq_reason::invariant_violation, msg::dlq_status::dead);
  SEQ_REQUIRE_OK(ps.rebuild_apply(park(shadow_dlq)));
  SEQ_REQUIRE_OK(ps.rebuild_apply(apply(
    make_row(f.stream, "inventory", "sku-1", R"({"quantity_on_hand":7})", 1, legacy_space, 1))));
  // The shadow tables have their own fence.
  SEQ_REQUIRE_ERRC(
    ps.rebuild_apply(apply(make_row(f.stream, "order", "o-9", "{}", 1, ves_space, 3))),
    errc::storage_conflict);
  // Nothing is visible before the commit.
  auto live = ps.get_projection(f.stream, "order", "o-1");
  SEQ_REQUIRE_OK(live);
  CHECK(live->state == R"({"status":"pending"})");

  SEQ_REQUIRE_OK(ps.rebuild_commit(f.stream));
  auto orders = ps.list_projections(f.stream, "order", "", 100);
  SEQ_REQUIRE_OK(orders);
  CHECK(ids_of(*orders) == std::vector<std::string>{"o-1"});
  CHECK((*orders)[0].state == R"({"status":"confirmed"})");
  CHECK((*orders)[0].version == 2);
  auto inv = ps.get_projection(f.stream, "inventory", "sku-1");
  SEQ_REQUIRE_OK(inv);
  CHECK(inv->state == R"({"quantity_on_hand":7})");
  auto cp = ps.load_checkpoints(f.stream);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->legacy == 1);
  CHECK(cp->ves == 3);
  msg::dlq_filter all;
  all.stream = f.stream;
  auto dlq = ps.list_dlq(all);
  SEQ_REQUIRE_OK(dlq);
  REQUIRE(dlq->size() == 1);
  CHECK((*dlq)[0].id == shadow_dlq.id);
  CHECK((*dlq)[0].reason == msg::dlq_reason::invariant_violation);
  auto blocked = ps.blocked_entities(f.stream);
  SEQ_REQUIRE_OK(blocked);
  CHECK(*blocked == std::vector<entity_key>{{"order", "o-2"}});
  // Other streams are untouched, and the live fence continues from the same checkpoint.
  auto o = ps.get_projection(other, "order", "o-1");
  SEQ_REQUIRE_OK(o);
  CHECK(o->state == R"({"status":"other"})");
  SEQ_REQUIRE_ERRC(ps.apply_step(apply(make_row(f.stream, "order", "o-1", "{}", 3, ves_space, 3))),
                   errc::storage_conflict);
  SEQ_REQUIRE_OK(ps.apply_step(apply(
    make_row(f.stream, "order", "o-1", R"({"status":"processing"})", 3, ves_space, 4))));
  // The shadow rows are gone: a second rebuild starts from nothing and cannot be swapped in
  // before it has caught up.
  SEQ_REQUIRE_OK(ps.rebuild_begin(f.stream));
  SEQ_REQUIRE_ERRC(ps.rebuild_commit(f.stream), errc::storage_conflict);
}

TEST_CASE("a rebuild that is not where the live projection is is refused and changes nothing",
          "[storage][rebuild]") {
  store_fixture f;
  auto& ps = projections_of(*f.store);
  SEQ_REQUIRE_OK(ps.apply_step(
    apply(make_row(f.stream, "order", "o-1", R"({"status":"pending"})", 1, ves_space, 1))));
  SEQ_REQUIRE_OK(ps.apply_step(
    apply(make_row(f.stream, "order", "o-1", R"({"status":"confirmed"})", 2, ves_space, 2))));
  SEQ_REQUIRE_OK(ps.rebuild_begin(f.stream));
  SEQ_REQUIRE_OK(ps.rebuild_apply(
    apply(make_row(f.stream, "order", "o-1", R"({"status":"pending"})", 1, ves_space, 1))));
  // Behind: the live projector applied event 2 meanwhile; swapping now would lose it.
  SEQ_REQUIRE_ERRC(ps.rebuild_commit(f.stream), errc::storage_conflict);
  auto live = ps.get_projection(f.stream, "order", "o-1");
  SEQ_REQUIRE_OK(live);
  CHECK(live->state == R"({"status":"confirmed"})");
  // Ahead: the running projector would apply event 3 a second time on top of it.
  SEQ_REQUIRE_OK(ps.rebuild_apply(
    apply(make_row(f.stream, "order", "o-1", R"({"status":"confirmed"})", 2, ves_space, 2))));
  SEQ_REQUIRE_OK(ps.rebuild_apply(
    apply(make_row(f.stream, "order", "o-1", R"({"status":"processing"})", 3, ves_space, 3))));
  SEQ_REQUIRE_ERRC(ps.rebuild_commit(f.stream), errc::storage_conflict);
  live = ps.get_projection(f.stream, "order", "o-1");
  SEQ_REQUIRE_OK(live);
  CHECK(live->state == R"({"status":"confirmed"})");
  // Level with it: the swap goes through.
  SEQ_REQUIRE_OK(ps.apply_step(
    apply(make_row(f.stream, "order", "o-1", R"({"status":"processing"})", 3, ves_space, 3))));
  SEQ_REQUIRE_OK(ps.rebuild_commit(f.stream));
  auto cp = ps.load_checkpoints(f.stream);
  SEQ_REQUIRE_OK(cp);
  CHECK(cp->ves == 3);
}

TEST_CASE("lags and streams behind compare checkpoints with the heads", "[storage][projections]") {
  store_fixture f;
  auto& ps = projections_of(*f.store);
  auto find_lag = [&](const std::vector<projection_lag>& xs) -> const projection_lag* {
    for (auto& x : xs)
      if (x.stream == f.stream)
        return &x;
    return nullptr;
  };
  auto behind = [&]() {
    auto xs = streams_behind(ps);
    REQUIRE(xs);
    return std::find(xs->begin(), xs->end(), f.stream) != xs->end();
  };
  CHECK_FALSE(behind());
  SEQ_REQUIRE_OK(f.store->commit_group(make_group(f.stream, 1, 3))); // 3 VES + 3 legacy
  CHECK(behind()); // never projected
  auto lags = projection_lags(ps);
  SEQ_REQUIRE_OK(lags);
  CHECK(find_lag(*lags) == nullptr); // no checkpoint row yet

  msg::projection_step st;
  st.stream = f.stream;
  st.space = ves_space;
  st.sequence_number = 3;
  SEQ_REQUIRE_OK(ps.apply_step(st));
  st.space = legacy_space;
  st.sequence_number = 1;
  SEQ_REQUIRE_OK(ps.apply_step(st));
  lags = projection_lags(ps);
  SEQ_REQUIRE_OK(lags);
  auto* l = find_lag(*lags);
  REQUIRE(l != nullptr);
  CHECK(l->heads.ves == 3);
  CHECK(l->heads.legacy == 3);
  CHECK(l->checkpoints.ves == 3);
  CHECK(l->checkpoints.legacy == 1);
  CHECK(l->lag() == 2);
  CHECK(behind());
  st.sequence_number = 3;
  SEQ_REQUIRE_OK(ps.apply_step(st));
  CHECK_FALSE(behind());
  lags = projection_lags(ps);
  SEQ_REQUIRE_OK(lags);
  l = find_lag(*lags);
  REQUIRE(l != nullptr);
  CHECK(l->lag() == 0);
}

TEST_CASE("open_projection_store opens its own connection to the same data",
          "[storage][projections]") {
  store_fixture f;
  auto ps = open_projection_store(f.url);
  INFO(describe(ps));
  REQUIRE(ps);
  SEQ_REQUIRE_OK((*ps)->apply_step(
    apply(make_row(f.stream, "customer", "c-1", R"({"email":"a@b.c"})", 1, ves_space, 1))));
  auto got = projections_of(*f.store).get_projection(f.stream, "customer", "c-1");
  SEQ_REQUIRE_OK(got);
  CHECK(got->state == R"({"email":"a@b.c"})");
  SEQ_REQUIRE_ERRC(open_projection_store("mysql://nope"), errc::invalid_request);
}
