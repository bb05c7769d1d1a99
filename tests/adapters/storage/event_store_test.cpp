// SPDX-License-Identifier: Apache-2.0
// Sequencing through the storage contract: group commits, reads, heads, the uniqueness and
// compare-and-set fences, and conflict inspection. Runs against SEQ_TEST_BACKEND.

#include "tests/adapters/storage/storage_fixture.hpp"

#include "messages/ves/json.hpp"

#include <chrono>
#include <map>

using namespace seq;
using namespace seq::storage;
using namespace seq::storage::test;

namespace {

/// The sequence numbers of `xs`, in order.
template <class Rows>
std::vector<uint64_t> seqs(const Rows& xs) {
  std::vector<uint64_t> out;
  for (const auto& x : xs)
    out.push_back(x.sequence_number);
  return out;
}

std::vector<uuid> ids_of(const std::vector<msg::sequenced_ves_event>& xs) {
  std::vector<uuid> out;
  for (const auto& x : xs)
    out.push_back(x.ev.event_id);
  return out;
}

int64_t version_of(event_store& st, const stream_key& s, const entity_key& k) {
  auto vs = st.load_entity_versions(s);
  REQUIRE(vs);
  for (const auto& [key, v] : *vs)
    if (key == k)
      return v;
  return 0;
}

/// VES events 1..3 of stream `s`: plaintext, encrypted, plaintext without a base version.
write_group three_ves_events(const stream_key& s) {
  write_group g;
  g.stream = s;
  g.ves.push_back(make_ves(s, 1, "order-1"));
  g.ves.push_back(make_ves(s, 2, "order-2", /*encrypted*/ true));
  g.ves.push_back(make_ves(s, 3, "order-3"));
  g.ves[2].ev.base_version.reset();
  return g;
}

/// Asserts that nothing of `g` is stored: no event rows, no command reservations.
void require_nothing_of(event_store& st, const write_group& g) {
  auto rep = st.inspect_conflict(g);
  REQUIRE(rep);
  CHECK(rep->existing_ves.empty());
  CHECK(rep->existing_legacy_ids.empty());
  CHECK(rep->existing_ves_commands.empty());
  CHECK(rep->existing_legacy_commands.empty());
}

/// Quotes, backslashes, commas, braces and the word NULL: they must survive every encoding.
const std::string weird_id = R"(we"ird\id, {x} NULL)";

/// A VES event with every optional field empty and a created_at with an offset.
msg::sequenced_ves_event bare_ves(const stream_key& s, uint64_t seq) {
  auto x = make_ves(s, seq, weird_id);
  x.ev.command_id.reset();
  x.ev.base_version.reset();
  x.rcpt.sequencer_signature.reset();
  x.ev.created_at = "2024-01-15T10:30:00+05:30";
  return x;
}

/// A legacy event with every optional field empty and awkward text.
msg::sequenced_legacy_event bare_legacy(const stream_key& s, uint64_t seq) {
  auto x = make_legacy(s, seq, "sku-1");
  x.ev.command_id.reset();
  x.ev.base_version.reset();
  x.ev.signature.reset();
  x.ev.payload = R"({"q":"a\"b\\c","n":"NULL","e":""})";
  x.ev.event_type = "";
  return x;
}

} // namespace

TEST_CASE("the test payloads are in RFC 8785 form", "[storage]") {
  CHECK(ves::json::try_parse(jcs_payload())->jcs() == jcs_payload());
  CHECK(ves::json::try_parse(jcs_encrypted())->jcs() == jcs_encrypted());
}

TEST_CASE("a committed group reads back byte-exact", "[storage]") {
  // A group of more than one event takes PostgreSQL's binary COPY path (pg_event_store.cpp,
  // copy_min_events); the 40 more events mix plaintext and encrypted rows after the odd ones.
  const uint64_t filler = GENERATE(uint64_t{0}, uint64_t{40});
  CAPTURE(filler);
  store_fixture f;
  write_group g;
  g.stream = f.stream;
  g.ves.push_back(make_ves(f.stream, 1, "order-1"));
  g.ves.push_back(make_ves(f.stream, 2, "order-2", true)); // encrypted payload
  g.ves.push_back(bare_ves(f.stream, 3));
  g.legacy.push_back(make_legacy(f.stream, 1, "sku-1"));
  g.legacy.push_back(bare_legacy(f.stream, 2));
  g.ves_commands = {*g.ves[0].ev.command_id, *g.ves[1].ev.command_id};
  g.legacy_commands = {*g.legacy[0].ev.command_id};
  g.versions = {{{"order", "order-1"}, 0, 1}, {{"order", "order-2"}, 0, 1},
                {{"inventory", "sku-1"}, 0, 2}, {{"order", weird_id}, 0, 1}};
  for (uint64_t i = 4; i < 4 + filler; ++i)
    g.ves.push_back(make_ves(f.stream, i, "filler-" + std::to_string(i), i % 2 == 0));
  auto* pg = dynamic_cast<pg_event_store*>(f.store.get());
  auto trips_before = pg ? pg->round_trips() : 0;
  SEQ_REQUIRE_OK(f.store->commit_group(g));
  // PostgreSQL: the query to the first COPY, three COPY inputs (VES events, receipts, legacy
  // events) and the pipeline of the rest.
  if (pg)
    CHECK(pg->round_trips() - trips_before == 5);

  auto ves = f.store->read_ves_events(f.stream, 1, 100);
  SEQ_REQUIRE_OK(ves);
  check_same(*ves, g.ves);
  auto found = f.store->find_ves_events({g.ves[2].ev.event_id, g.ves[0].ev.event_id});
  SEQ_REQUIRE_OK(found);
  REQUIRE(found->size() == 2);
  check_same((*found)[0], g.ves[2]);
  check_same((*found)[1], g.ves[0]);

  auto legacy = f.store->read_legacy_events(f.stream, 1, 10);
  SEQ_REQUIRE_OK(legacy);
  check_same(*legacy, g.legacy);
  auto sku = f.store->read_entity_events(f.stream, {"inventory", "sku-1"});
  SEQ_REQUIRE_OK(sku);
  check_same(*sku, g.legacy);

  auto heads = f.store->load_heads(f.stream);
  SEQ_REQUIRE_OK(heads);
  CHECK(heads->ves == 3 + filler);
  CHECK(heads->legacy == 2);
  CHECK(heads->x402 == 0);

  auto versions = f.store->load_entity_versions(f.stream);
  SEQ_REQUIRE_OK(versions);
  using row = std::pair<entity_key, int64_t>;
  CHECK(*versions
        == std::vector<row>{{{"inventory", "sku-1"}, 2},
                            {{"order", "order-1"}, 1},
                            {{"order", "order-2"}, 1},
                            {{"order", weird_id}, 1}});
  auto weird_events = f.store->read_ves_events(f.stream, 3, 1);
  SEQ_REQUIRE_OK(weird_events);
  REQUIRE(weird_events->size() == 1);
  CHECK(weird_events->front().ev.entity_id == weird_id);
}

TEST_CASE("a group with a value PostgreSQL's columns cannot hold fails whole", "[storage][pg]") {
  // Binary COPY would write an INTEGER column at its width, so such a group takes the
  // `INSERT … FROM unnest(…)` form instead (pg_event_store.cpp, copy_fits), where the server
  // refuses the value itself. (SQLite's INTEGER holds it.)
  if (!is_postgres()) {
    SUCCEED("PostgreSQL only");
    return;
  }
  store_fixture f;
  auto* pg = dynamic_cast<pg_event_store*>(f.store.get());
  REQUIRE(pg != nullptr);
  auto g = three_ves_events(f.stream);
  g.ves[1].ev.agent_key_id = uint32_t{1} << 31;
  auto res = f.store->commit_group(g);
  SEQ_REQUIRE_ERRC(res, errc::storage_failure);
  // (Written by COPY, the value would have wrapped to a negative key id without complaint.)
  CHECK(error_message(res.error()).find("out of range") != std::string::npos);
  require_nothing_of(*f.store, g);
  auto heads = f.store->load_heads(f.stream);
  SEQ_REQUIRE_OK(heads);
  CHECK(heads->ves == 0);

  // The same group with a key id that fits is copied in and commits.
  g.ves[1].ev.agent_key_id = (uint32_t{1} << 31) - 1;
  auto trips_before = pg->round_trips();
  SEQ_REQUIRE_OK(f.store->commit_group(g));
  CHECK(pg->round_trips() - trips_before == 4); // first COPY, events, receipts, pipeline
  auto back = f.store->read_ves_events(f.stream, 1, 10);
  SEQ_REQUIRE_OK(back);
  check_same(*back, g.ves);
}

TEST_CASE("one-event groups read back byte-exact", "[storage]") {
  // PostgreSQL writes a group's only row with scalar parameters instead of column arrays
  // (pg_event_store.cpp, insert_all): every kind of value and every NULL must survive it too.
  store_fixture f;
  std::vector<msg::sequenced_ves_event> ves;
  ves.push_back(make_ves(f.stream, 1, "order-1"));
  ves.push_back(make_ves(f.stream, 2, "order-2", /*encrypted*/ true));
  ves.push_back(bare_ves(f.stream, 3));
  auto odd_time = make_ves(f.stream, 4, weird_id);
  odd_time.ev.created_at = "yesterday, around noon";
  ves.push_back(odd_time);
  std::vector<msg::sequenced_legacy_event> legacy;
  legacy.push_back(make_legacy(f.stream, 1, "sku-1"));
  legacy.push_back(bare_legacy(f.stream, 2));

  std::map<std::string, int64_t> versions; // entity id → version
  for (const auto& x : ves) {
    write_group g;
    g.stream = f.stream;
    g.ves.push_back(x);
    if (x.ev.command_id)
      g.ves_commands.push_back(*x.ev.command_id);
    auto& v = versions[x.ev.entity_id];
    g.versions.push_back({{x.ev.entity_type, x.ev.entity_id}, v, v + 1});
    ++v;
    SEQ_REQUIRE_OK(f.store->commit_group(g));
  }
  for (size_t i = 0; i < legacy.size(); ++i) {
    write_group g;
    g.stream = f.stream;
    g.legacy.push_back(legacy[i]);
    g.versions.push_back({{"inventory", "sku-1"}, static_cast<int64_t>(i),
                          static_cast<int64_t>(i + 1)});
    SEQ_REQUIRE_OK(f.store->commit_group(g));
  }

  auto ves_back = f.store->read_ves_events(f.stream, 1, 100);
  SEQ_REQUIRE_OK(ves_back);
  check_same(*ves_back, ves);
  auto legacy_back = f.store->read_legacy_events(f.stream, 1, 10);
  SEQ_REQUIRE_OK(legacy_back);
  check_same(*legacy_back, legacy);
  CHECK(version_of(*f.store, f.stream, {"order", weird_id}) == 2);
  CHECK(version_of(*f.store, f.stream, {"inventory", "sku-1"}) == 2);
  auto heads = f.store->load_heads(f.stream);
  SEQ_REQUIRE_OK(heads);
  CHECK(heads->ves == 4);
  CHECK(heads->legacy == 2);
}

TEST_CASE("a created_at that is not RFC 3339 is still stored verbatim", "[storage]") {
  store_fixture f;
  write_group g;
  g.stream = f.stream;
  g.ves.push_back(make_ves(f.stream, 1));
  g.ves[0].ev.created_at = "yesterday, around noon";
  SEQ_REQUIRE_OK(f.store->commit_group(g));
  auto back = f.store->find_ves_events({g.ves[0].ev.event_id});
  SEQ_REQUIRE_OK(back);
  REQUIRE(back->size() == 1);
  CHECK((*back)[0].ev.created_at == "yesterday, around noon");
}

TEST_CASE("heads are the highest sequence number of each space", "[storage]") {
  store_fixture f;
  auto empty = f.store->load_heads(f.stream);
  SEQ_REQUIRE_OK(empty);
  CHECK(empty->legacy == 0);
  CHECK(empty->ves == 0);
  CHECK(empty->x402 == 0);

  SEQ_REQUIRE_OK(f.store->commit_group(make_group(f.stream, 1, 3)));
  write_group g;
  g.stream = f.stream;
  g.ves.push_back(make_ves(f.stream, 4));
  g.ves.push_back(make_ves(f.stream, 5));
  SEQ_REQUIRE_OK(f.store->commit_group(g));
  auto heads = f.store->load_heads(f.stream);
  SEQ_REQUIRE_OK(heads);
  CHECK(heads->ves == 5);
  CHECK(heads->legacy == 3);
  CHECK(heads->x402 == 0);

  // Another stream is independent.
  auto other = f.store->load_heads(random_stream());
  SEQ_REQUIRE_OK(other);
  CHECK(other->ves == 0);
  CHECK(other->legacy == 0);
}

TEST_CASE("a duplicate event id fails the whole group and stores nothing of it", "[storage]") {
  store_fixture f;
  auto first = make_group(f.stream, 1, 2);
  SEQ_REQUIRE_OK(f.store->commit_group(first));

  SECTION("VES event id already stored in this stream") {
    auto g = make_group(f.stream, 3, 4);
    g.ves[1].ev.event_id = first.ves[0].ev.event_id;
    g.ves[1].rcpt.event_id = first.ves[0].ev.event_id;
    g.versions = {{{"order", "fresh"}, 0, 1}};
    SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_conflict);
    auto clean = g;
    clean.ves.pop_back();
    require_nothing_of(*f.store, clean);
    CHECK(version_of(*f.store, f.stream, {"order", "fresh"}) == 0);
  }
  SECTION("VES event id stored in another stream") {
    auto other = random_stream();
    write_group g;
    g.stream = other;
    g.ves.push_back(make_ves(other, 1));
    g.ves[0].ev.event_id = first.ves[1].ev.event_id;
    g.ves[0].rcpt.event_id = first.ves[1].ev.event_id;
    g.ves_commands = {*g.ves[0].ev.command_id};
    SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_conflict);
    auto heads = f.store->load_heads(other);
    SEQ_REQUIRE_OK(heads);
    CHECK(heads->ves == 0);
  }
  SECTION("legacy event id already stored") {
    auto g = make_group(f.stream, 3, 4);
    g.legacy[0].ev.event_id = first.legacy[1].ev.event_id;
    SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_conflict);
    auto clean = g;
    clean.legacy.erase(clean.legacy.begin());
    require_nothing_of(*f.store, clean);
  }
  SECTION("the same event id twice inside the group") {
    auto g = make_group(f.stream, 3, 4);
    g.ves[1].ev.event_id = g.ves[0].ev.event_id;
    g.ves[1].rcpt.event_id = g.ves[0].ev.event_id;
    SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_conflict);
    require_nothing_of(*f.store, g);
  }
  auto heads = f.store->load_heads(f.stream);
  SEQ_REQUIRE_OK(heads);
  CHECK(heads->ves == 2);
  CHECK(heads->legacy == 2);
  auto ves = f.store->read_ves_events(f.stream, 1, 100);
  SEQ_REQUIRE_OK(ves);
  check_same(*ves, first.ves);
}

TEST_CASE("a sequence number that is already used fails the group", "[storage]") {
  store_fixture f;
  SEQ_REQUIRE_OK(f.store->commit_group(make_group(f.stream, 1, 2)));
  SECTION("VES space") {
    write_group g;
    g.stream = f.stream;
    g.ves.push_back(make_ves(f.stream, 3));
    g.ves.push_back(make_ves(f.stream, 2)); // taken
    SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_conflict);
    require_nothing_of(*f.store, g);
  }
  SECTION("legacy space") {
    write_group g;
    g.stream = f.stream;
    g.legacy.push_back(make_legacy(f.stream, 1)); // taken
    g.ves.push_back(make_ves(f.stream, 3));
    SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_conflict);
    require_nothing_of(*f.store, g);
  }
  SECTION("the same number twice inside the group") {
    write_group g;
    g.stream = f.stream;
    g.ves.push_back(make_ves(f.stream, 3));
    g.ves.push_back(make_ves(f.stream, 3));
    SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_conflict);
    require_nothing_of(*f.store, g);
  }
  auto heads = f.store->load_heads(f.stream);
  SEQ_REQUIRE_OK(heads);
  CHECK(heads->ves == 2);
  CHECK(heads->legacy == 2);
}

TEST_CASE("a reserved command id fails the group", "[storage]") {
  store_fixture f;
  auto first = make_group(f.stream, 1, 1);
  SEQ_REQUIRE_OK(f.store->commit_group(first));
  SECTION("VES command") {
    auto g = make_group(f.stream, 2, 2);
    g.ves_commands.push_back(first.ves_commands[0]);
    SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_conflict);
    auto rep = f.store->inspect_conflict(g);
    SEQ_REQUIRE_OK(rep);
    CHECK(rep->existing_ves_commands == std::vector<uuid>{first.ves_commands[0]});
    CHECK(rep->existing_legacy_commands.empty());
    CHECK(rep->existing_ves.empty());
  }
  SECTION("legacy command") {
    auto g = make_group(f.stream, 2, 2);
    g.legacy_commands.push_back(first.legacy_commands[0]);
    SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_conflict);
    auto rep = f.store->inspect_conflict(g);
    SEQ_REQUIRE_OK(rep);
    CHECK(rep->existing_legacy_commands == std::vector<uuid>{first.legacy_commands[0]});
    CHECK(rep->existing_ves_commands.empty());
  }
  SECTION("the same command id is free in another stream") {
    auto other = random_stream();
    auto g = make_group(other, 1, 1);
    g.ves_commands = first.ves_commands;
    g.legacy_commands = first.legacy_commands;
    SEQ_REQUIRE_OK(f.store->commit_group(g));
  }
  SECTION("command spaces are separate") {
    auto g = make_group(f.stream, 2, 2);
    g.legacy_commands.push_back(first.ves_commands[0]);
    SEQ_REQUIRE_OK(f.store->commit_group(g));
  }
}

TEST_CASE("entity versions are compare-and-set", "[storage]") {
  store_fixture f;
  const entity_key a{"order", "A"};
  const entity_key b{"order", "B"};
  auto commit = [&](std::vector<entity_cas> vs, uint64_t seq) {
    write_group g;
    g.stream = f.stream;
    g.ves.push_back(make_ves(f.stream, seq, "A"));
    g.versions = std::move(vs);
    return f.store->commit_group(g);
  };
  SEQ_REQUIRE_OK(commit({{a, 0, 1}}, 1));
  CHECK(version_of(*f.store, f.stream, a) == 1);
  SEQ_REQUIRE_OK(commit({{a, 1, 2}, {b, 0, 1}}, 2));
  CHECK(version_of(*f.store, f.stream, a) == 2);
  CHECK(version_of(*f.store, f.stream, b) == 1);

  SECTION("a stale expected version fails the group") {
    SEQ_REQUIRE_ERRC(commit({{b, 1, 2}, {a, 1, 2}}, 3), errc::storage_conflict);
    CHECK(version_of(*f.store, f.stream, a) == 2);
    CHECK(version_of(*f.store, f.stream, b) == 1); // the hit on b was rolled back
    auto heads = f.store->load_heads(f.stream);
    SEQ_REQUIRE_OK(heads);
    CHECK(heads->ves == 2);
  }
  SECTION("expected 0 on an existing row fails") {
    SEQ_REQUIRE_ERRC(commit({{a, 0, 1}}, 3), errc::storage_conflict);
    CHECK(version_of(*f.store, f.stream, a) == 2);
  }
  SECTION("an expected version ahead of the stored one fails") {
    SEQ_REQUIRE_ERRC(commit({{a, 5, 6}}, 3), errc::storage_conflict);
    CHECK(version_of(*f.store, f.stream, a) == 2);
  }
  SECTION("a chain on one entity inside the group applies in order") {
    SEQ_REQUIRE_OK(commit({{a, 2, 3}, {a, 3, 4}, {a, 4, 5}}, 3));
    CHECK(version_of(*f.store, f.stream, a) == 5);
  }
  SECTION("a broken chain inside the group fails") {
    SEQ_REQUIRE_ERRC(commit({{a, 2, 3}, {a, 2, 3}}, 3), errc::storage_conflict);
    CHECK(version_of(*f.store, f.stream, a) == 2);
  }
  SECTION("a stored version 0 counts as absent") {
    f.exec_sql("INSERT INTO entity_versions (tenant_id, store_id, entity_type, entity_id, version,"
               " updated_at) VALUES ('"
                 + f.stream.tenant_id.str() + "', '" + f.stream.store_id.str()
                 + "', 'order', 'Z', 0, 0)",
               "INSERT INTO entity_versions (tenant_id, store_id, entity_type, entity_id, version)"
               " VALUES ('"
                 + f.stream.tenant_id.str() + "', '" + f.stream.store_id.str()
                 + "', 'order', 'Z', 0)");
    SEQ_REQUIRE_OK(commit({{{"order", "Z"}, 0, 1}}, 3));
    CHECK(version_of(*f.store, f.stream, {"order", "Z"}) == 1);
  }
  SECTION("8 and 9 entities (PostgreSQL: a statement each, then one over arrays) apply whole") {
    for (size_t n : {size_t{8}, size_t{9}}) {
      CAPTURE(n);
      auto key = [n](size_t i) {
        return entity_key{"sku", std::to_string(n) + "-" + std::to_string(i)};
      };
      std::vector<entity_cas> fresh; // n entities, created
      std::vector<entity_cas> bump;  // the first n - 1 of them, 1 → 2
      for (size_t i = 0; i < n; ++i)
        fresh.push_back({key(i), 0, 1});
      for (size_t i = 0; i + 1 < n; ++i)
        bump.push_back({key(i), 1, 2});
      auto stale = bump; // n entities: the last one does not exist
      stale.push_back({key(n), 1, 2});
      SEQ_REQUIRE_OK(commit(fresh, 3 + 2 * (n - 8)));
      SEQ_REQUIRE_ERRC(commit(stale, 4 + 2 * (n - 8)), errc::storage_conflict);
      CHECK(version_of(*f.store, f.stream, key(0)) == 1); // nothing of the group applied
      SEQ_REQUIRE_OK(commit(bump, 4 + 2 * (n - 8)));
      CHECK(version_of(*f.store, f.stream, key(0)) == 2);
    }
  }
  SECTION("versions are per stream") {
    auto other = random_stream();
    write_group g;
    g.stream = other;
    g.versions = {{a, 0, 1}};
    g.ves.push_back(make_ves(other, 1, "A"));
    SEQ_REQUIRE_OK(f.store->commit_group(g));
    CHECK(version_of(*f.store, other, a) == 1);
    CHECK(version_of(*f.store, f.stream, a) == 2);
  }
}

TEST_CASE("inspect_conflict reports exactly what conflicts", "[storage]") {
  store_fixture f;
  const entity_key x{"order", "X"};
  const entity_key y{"order", "Y"};
  auto stored = make_group(f.stream, 1, 2);
  stored.legacy.pop_back();
  stored.legacy_commands.pop_back();
  stored.versions = {{x, 0, 2}};
  SEQ_REQUIRE_OK(f.store->commit_group(stored));
  auto elsewhere_stream = random_stream();
  auto elsewhere = make_group(elsewhere_stream, 1, 1);
  SEQ_REQUIRE_OK(f.store->commit_group(elsewhere));

  write_group g;
  g.stream = f.stream;
  auto dup_here = stored.ves[1];        // same id and sequence, stored in this stream
  auto fresh = make_ves(f.stream, 3);
  auto dup_there = make_ves(f.stream, 4); // id stored in another stream
  dup_there.ev.event_id = elsewhere.ves[0].ev.event_id;
  dup_there.rcpt.event_id = dup_there.ev.event_id;
  g.ves = {dup_here, fresh, dup_there};
  g.legacy = {stored.legacy[0], make_legacy(f.stream, 2)};
  auto new_ves_cmd = uuid::random_v4();
  auto new_legacy_cmd = uuid::random_v4();
  g.ves_commands = {new_ves_cmd, stored.ves_commands[1]};
  g.legacy_commands = {stored.legacy_commands[0], new_legacy_cmd};
  g.versions = {{x, 1, 2}, {y, 0, 1}, {x, 2, 3}};
  SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_conflict);

  auto rep = f.store->inspect_conflict(g);
  SEQ_REQUIRE_OK(rep);
  REQUIRE(rep->existing_ves.size() == 2);
  check_same(rep->existing_ves[0], stored.ves[1]);
  check_same(rep->existing_ves[1], elsewhere.ves[0]);
  CHECK(rep->existing_legacy_ids == std::vector<uuid>{stored.legacy[0].ev.event_id});
  CHECK(rep->existing_ves_commands == std::vector<uuid>{stored.ves_commands[1]});
  CHECK(rep->existing_legacy_commands == std::vector<uuid>{stored.legacy_commands[0]});
  using row = std::pair<entity_key, int64_t>;
  CHECK(rep->versions == std::vector<row>{{x, 2}, {y, 0}});
  CHECK(rep->heads.ves == 2);
  CHECK(rep->heads.legacy == 1);
  CHECK(rep->heads.x402 == 0);

  // A group without conflicts reports nothing but versions and heads.
  write_group clean;
  clean.stream = f.stream;
  clean.ves = {fresh};
  clean.ves_commands = {new_ves_cmd};
  clean.versions = {{y, 0, 1}};
  auto none = f.store->inspect_conflict(clean);
  SEQ_REQUIRE_OK(none);
  CHECK(none->existing_ves.empty());
  CHECK(none->existing_legacy_ids.empty());
  CHECK(none->existing_ves_commands.empty());
  CHECK(none->existing_legacy_commands.empty());
  CHECK(none->versions == std::vector<row>{{y, 0}});
  CHECK(none->heads.ves == 2);
}

TEST_CASE("a 1000-event group commits in one transaction", "[storage]") {
  store_fixture f;
  constexpr uint64_t n = 1000;
  write_group g;
  g.stream = f.stream;
  for (uint64_t i = 1; i <= n; ++i) {
    g.ves.push_back(make_ves(f.stream, i, "order-" + std::to_string(i), i % 3 == 0));
    g.ves_commands.push_back(*g.ves.back().ev.command_id);
    g.legacy.push_back(make_legacy(f.stream, i, "sku-" + std::to_string(i)));
    g.legacy_commands.push_back(*g.legacy.back().ev.command_id);
    g.versions.push_back({{"order", "order-" + std::to_string(i)}, 0, 1});
  }
  auto* pg = dynamic_cast<pg_event_store*>(f.store.get());
  auto trips_before = pg ? pg->round_trips() : 0;
  auto t0 = std::chrono::steady_clock::now();
  SEQ_REQUIRE_OK(f.store->commit_group(g));
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
              std::chrono::steady_clock::now() - t0)
              .count();
  WARN(f.store->backend() << ": 1000 VES + 1000 legacy events + 2000 commands + 1000 versions "
                          << "committed in " << ms << " ms");
  // PostgreSQL: one round trip to the first COPY, one per COPY (events, receipts, legacy
  // events) and one for the pipeline of the rest.
  if (pg)
    CHECK(pg->round_trips() - trips_before == 5);

  auto ves = f.store->read_ves_events(f.stream, 1, 1000);
  SEQ_REQUIRE_OK(ves);
  check_same(*ves, g.ves);
  auto legacy = f.store->read_legacy_events(f.stream, 1, 1000);
  SEQ_REQUIRE_OK(legacy);
  check_same(*legacy, g.legacy);
  auto heads = f.store->load_heads(f.stream);
  SEQ_REQUIRE_OK(heads);
  CHECK(heads->ves == n);
  CHECK(heads->legacy == n);
  auto versions = f.store->load_entity_versions(f.stream);
  SEQ_REQUIRE_OK(versions);
  CHECK(versions->size() == n);

  // A failing group of the same size leaves nothing behind.
  write_group again;
  again.stream = f.stream;
  for (uint64_t i = n + 1; i <= 2 * n; ++i)
    again.ves.push_back(make_ves(f.stream, i));
  again.ves.back().sequence_number = 5; // taken
  again.ves.back().rcpt.sequence_number = 5;
  SEQ_REQUIRE_ERRC(f.store->commit_group(again), errc::storage_conflict);
  auto after = f.store->load_heads(f.stream);
  SEQ_REQUIRE_OK(after);
  CHECK(after->ves == n);
  auto found = f.store->find_ves_events(ids_of(again.ves));
  SEQ_REQUIRE_OK(found);
  CHECK(found->empty());
}

TEST_CASE("a large group is all or nothing whichever statement fails", "[storage]") {
  // On PostgreSQL a group this large is copied in (binary COPY) before the rest runs in a
  // pipeline; a failure in either part must roll back both.
  store_fixture f;
  constexpr uint64_t n = 40;
  auto big = [&](uint64_t from) {
    auto g = make_group(f.stream, from, from + n - 1);
    for (uint64_t i = from; i < from + n; ++i)
      g.versions.push_back({{"order", "order-" + std::to_string(i)}, 0, 1});
    return g;
  };
  auto first = big(1);
  SEQ_REQUIRE_OK(f.store->commit_group(first));

  SECTION("a duplicate event id inside the copied rows") {
    auto g = big(n + 1);
    g.legacy[7].ev.event_id = g.legacy[3].ev.event_id;
    SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_conflict);
    auto clean = g;
    clean.legacy.erase(clean.legacy.begin() + 7);
    require_nothing_of(*f.store, clean);
  }
  SECTION("a compare-and-set miss after the rows were copied") {
    auto g = big(n + 1);
    g.versions.back().expected = 3;
    SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_conflict);
    require_nothing_of(*f.store, g);
    CHECK(version_of(*f.store, f.stream, g.versions.front().key) == 0);
  }
  SECTION("a reserved command id after the rows were copied") {
    auto g = big(n + 1);
    g.ves_commands.back() = first.ves_commands.front();
    SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_conflict);
    auto clean = g;
    clean.ves_commands.pop_back();
    require_nothing_of(*f.store, clean);
  }
  auto heads = f.store->load_heads(f.stream);
  SEQ_REQUIRE_OK(heads);
  CHECK(heads->ves == n);
  CHECK(heads->legacy == n);

  // The store goes on after the failure.
  auto next = big(n + 1);
  SEQ_REQUIRE_OK(f.store->commit_group(next));
  auto ves = f.store->read_ves_events(f.stream, n + 1, n);
  SEQ_REQUIRE_OK(ves);
  check_same(*ves, next.ves);
  auto legacy = f.store->read_legacy_events(f.stream, n + 1, n);
  SEQ_REQUIRE_OK(legacy);
  check_same(*legacy, next.legacy);
}

TEST_CASE("range reads return [from, from + limit - 1] in ascending order", "[storage]") {
  store_fixture f;
  // Committed out of order, in two groups.
  write_group g1;
  g1.stream = f.stream;
  write_group g2;
  g2.stream = f.stream;
  for (uint64_t i = 10; i >= 1; --i) {
    auto entity = (i % 3 == 0) ? std::string{"sku-3"} : "sku-" + std::to_string(i);
    (i % 2 ? g1 : g2).ves.push_back(make_ves(f.stream, i));
    (i % 2 ? g1 : g2).legacy.push_back(make_legacy(f.stream, i, entity));
  }
  SEQ_REQUIRE_OK(f.store->commit_group(g1));
  SEQ_REQUIRE_OK(f.store->commit_group(g2));

  using v = std::vector<uint64_t>;
  auto r1 = f.store->read_ves_events(f.stream, 4, 3);
  SEQ_REQUIRE_OK(r1);
  CHECK(seqs(*r1) == v{4, 5, 6});
  auto r2 = f.store->read_ves_events(f.stream, 9, 10);
  SEQ_REQUIRE_OK(r2);
  CHECK(seqs(*r2) == v{9, 10});
  auto r3 = f.store->read_ves_events(f.stream, 11, 5);
  SEQ_REQUIRE_OK(r3);
  CHECK(r3->empty());
  auto r4 = f.store->read_ves_events(f.stream, 1, 0);
  SEQ_REQUIRE_OK(r4);
  CHECK(r4->empty());
  auto r5 = f.store->read_ves_events(f.stream, 1, 1);
  SEQ_REQUIRE_OK(r5);
  CHECK(seqs(*r5) == v{1});
  auto r6 = f.store->read_ves_events(f.stream, std::numeric_limits<uint64_t>::max(), 100);
  SEQ_REQUIRE_OK(r6);
  CHECK(r6->empty());
  auto r7 = f.store->read_ves_events(f.stream, 0, 3);
  SEQ_REQUIRE_OK(r7);
  CHECK(seqs(*r7) == v{1, 2});
  auto l1 = f.store->read_legacy_events(f.stream, 2, 4);
  SEQ_REQUIRE_OK(l1);
  CHECK(seqs(*l1) == v{2, 3, 4, 5});
  auto e3 = f.store->read_entity_events(f.stream, {"inventory", "sku-3"});
  SEQ_REQUIRE_OK(e3);
  CHECK(seqs(*e3) == v{3, 6, 9});
  auto none = f.store->read_entity_events(f.stream, {"inventory", "nope"});
  SEQ_REQUIRE_OK(none);
  CHECK(none->empty());
  auto elsewhere = f.store->read_ves_events(random_stream(), 1, 10);
  SEQ_REQUIRE_OK(elsewhere);
  CHECK(elsewhere->empty());
}

TEST_CASE("the lean VES reads return the columns of the full read", "[storage]") {
  store_fixture f;
  auto g = three_ves_events(f.stream);
  SEQ_REQUIRE_OK(f.store->commit_group(g));
  auto full = f.store->read_ves_events(f.stream, 1, 10);
  SEQ_REQUIRE_OK(full);
  REQUIRE(full->size() == 3);

  auto proj = f.store->read_ves_projectable(f.stream, 1, 10);
  SEQ_REQUIRE_OK(proj);
  REQUIRE(proj->size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    const auto& want = (*full)[i];
    const auto& got = (*proj)[i];
    INFO("event " << i);
    CHECK(got.space == static_cast<uint8_t>(msg::space::ves));
    CHECK(got.sequence_number == want.sequence_number);
    CHECK(got.event_id == want.ev.event_id);
    CHECK(got.entity_type == want.ev.entity_type);
    CHECK(got.entity_id == want.ev.entity_id);
    CHECK(got.event_type == want.ev.event_type);
    CHECK(got.encrypted == (want.ev.payload_kind != 0));
    CHECK(got.payload == want.ev.payload); // JCS, as stored and signed; empty when encrypted
    CHECK(got.base_version == want.ev.base_version);
  }
  CHECK((*proj)[0].payload == jcs_payload());
  CHECK((*proj)[1].encrypted);
  CHECK((*proj)[1].payload.empty());
  CHECK_FALSE((*proj)[2].base_version);

  auto leaves = f.store->read_ves_leaf_rows(f.stream, 1, 10);
  SEQ_REQUIRE_OK(leaves);
  REQUIRE(leaves->size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK((*leaves)[i].sequence_number == g.ves[i].sequence_number);
    CHECK((*leaves)[i].event_signing_hash == g.ves[i].ev.event_signing_hash);
    CHECK((*leaves)[i].agent_signature == g.ves[i].ev.agent_signature);
  }

  // The same range rules as read_ves_events.
  using v = std::vector<uint64_t>;
  auto p23 = f.store->read_ves_projectable(f.stream, 2, 2);
  SEQ_REQUIRE_OK(p23);
  CHECK(seqs(*p23) == v{2, 3});
  auto l01 = f.store->read_ves_leaf_rows(f.stream, 0, 2);
  SEQ_REQUIRE_OK(l01);
  CHECK(seqs(*l01) == v{1});
  auto none = f.store->read_ves_leaf_rows(f.stream, 1, 0);
  SEQ_REQUIRE_OK(none);
  CHECK(none->empty());
  auto past = f.store->read_ves_projectable(f.stream, std::numeric_limits<uint64_t>::max(), 5);
  SEQ_REQUIRE_OK(past);
  CHECK(past->empty());
  auto elsewhere = f.store->read_ves_leaf_rows(random_stream(), 1, 10);
  SEQ_REQUIRE_OK(elsewhere);
  CHECK(elsewhere->empty());
}

TEST_CASE("a projector fed the committed group sees what it would read back", "[storage]") {
  // The projector projects from the committed group it is handed (msg::to_projectable) and
  // reads storage only when it no longer holds it: both must give the same events, byte for
  // byte, or a projection would depend on which path ran.
  store_fixture f;
  auto g = three_ves_events(f.stream);
  g.legacy.push_back(make_legacy(f.stream, 1, "sku-1"));
  g.legacy.push_back(make_legacy(f.stream, 2, "sku-2"));
  // A legacy payload keeps its document order and its number forms.
  g.legacy[1].ev.payload = R"({"z":1.50,"a":{"y":[1e2,"\u00e9"]},"m":-0})";
  g.legacy[1].ev.base_version.reset();
  SEQ_REQUIRE_OK(f.store->commit_group(g));

  auto same = [](const msg::projectable_event& fed, const msg::projectable_event& read) {
    CHECK(fed.space == read.space);
    CHECK(fed.sequence_number == read.sequence_number);
    CHECK(fed.event_id == read.event_id);
    CHECK(fed.entity_type == read.entity_type);
    CHECK(fed.entity_id == read.entity_id);
    CHECK(fed.event_type == read.event_type);
    CHECK(fed.encrypted == read.encrypted);
    CHECK(fed.payload == read.payload);
    CHECK(fed.base_version == read.base_version);
  };
  auto ves = f.store->read_ves_projectable(f.stream, 1, 10);
  SEQ_REQUIRE_OK(ves);
  REQUIRE(ves->size() == g.ves.size());
  for (size_t i = 0; i < g.ves.size(); ++i) {
    INFO("VES event " << i);
    same(msg::to_projectable(g.ves[i]), (*ves)[i]);
  }
  CHECK(msg::to_projectable(g.ves[0]).payload == jcs_payload());
  CHECK(msg::to_projectable(g.ves[1]).payload.empty());
  auto legacy = f.store->read_legacy_events(f.stream, 1, 10);
  SEQ_REQUIRE_OK(legacy);
  REQUIRE(legacy->size() == g.legacy.size());
  for (size_t i = 0; i < g.legacy.size(); ++i) {
    INFO("legacy event " << i);
    same(msg::to_projectable(g.legacy[i]), msg::to_projectable((*legacy)[i]));
  }
}

TEST_CASE("a group whose events belong to another stream is rejected", "[storage]") {
  store_fixture f;
  write_group g;
  g.stream = f.stream;
  g.ves.push_back(make_ves(random_stream(), 1));
  SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::invalid_request);
  write_group h;
  h.stream = f.stream;
  h.ves.push_back(make_ves(f.stream, 1));
  h.ves[0].rcpt.event_id = uuid::random_v4();
  SEQ_REQUIRE_ERRC(f.store->commit_group(h), errc::invalid_request);
  auto heads = f.store->load_heads(f.stream);
  SEQ_REQUIRE_OK(heads);
  CHECK(heads->ves == 0);
}
