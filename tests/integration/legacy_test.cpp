// SPDX-License-Identifier: Apache-2.0
// The legacy (non-VES) event API end to end: POST /api/v1/events/ingest, GET /api/v1/events,
// /api/v1/head and /api/v1/entities/{type}/{id}. Its sequence space is separate from VES.
#include "tests/integration/ves_agent.hpp"

#include <catch2/catch.hpp>

namespace seq::it {
namespace {

struct legacy_event {
  std::string id;
  json::value envelope;
};

/// Bare hex SHA256 of the serde_json form of `payload`.
std::string legacy_hash(const json::value& payload) {
  return ves::to_hex(ves::legacy_payload_hash(payload.legacy_canonical()));
}

legacy_event make_legacy(const agent_identity& a, const std::string& entity_id,
                         const json::value& payload, std::optional<uint64_t> base_version = {},
                         std::optional<ves::uuid> command_id = {}) {
  legacy_event e;
  e.id = ves::uuid::random_v4().str();
  json::object o{{"event_id", e.id},
                 {"tenant_id", a.tenant.str()},
                 {"store_id", a.store.str()},
                 {"entity_type", "order"},
                 {"entity_id", entity_id},
                 {"event_type", "order.updated"},
                 {"payload", payload},
                 {"payload_hash", legacy_hash(payload)},
                 {"created_at", "2025-03-04T05:06:07.250Z"},
                 {"source_agent", a.agent.str()}};
  if (base_version)
    o.emplace_back("base_version", num(*base_version));
  if (command_id)
    o.emplace_back("command_id", command_id->str());
  e.envelope = obj(std::move(o));
  return e;
}

response legacy_ingest(api_client& c, const agent_identity& a,
                       const std::vector<legacy_event>& events) {
  json::array arr;
  for (auto& e : events)
    arr.push_back(e.envelope);
  return c.post("/api/v1/events/ingest",
                obj({{"agent_id", a.agent.str()}, {"events", std::move(arr)}}));
}

} // namespace

TEST_CASE("legacy events are ingested, read back in order, and kept apart from VES",
          "[integration][legacy]") {
  auto& srv = shared_server();
  api_client admin{srv.port()};
  auto a = agent_identity::random();

  // Key order and number forms matter for the legacy hash (serde_json canonical form).
  auto p1 = parse_json(R"({"zeta":1,"alpha":{"b":2.5,"a":[3,"x"]},"ok":true})");
  auto p2 = parse_json(R"({"status":"shipped","weight":12.75})");
  auto p3 = parse_json(R"({"status":"delivered"})");
  std::vector<legacy_event> batch{make_legacy(a, "o-1", p1, 0), make_legacy(a, "o-1", p2, 1),
                                  make_legacy(a, "o-2", p3)};
  auto r = legacy_ingest(admin, a, batch);
  INFO(r.describe());
  REQUIRE(r.status == 200);
  CHECK(u64_of(r.doc(), "events_accepted") == 3);
  CHECK(u64_of(r.doc(), "events_rejected") == 0);
  CHECK(u64_of(r.doc(), "assigned_sequence_start") == 1);
  CHECK(u64_of(r.doc(), "assigned_sequence_end") == 3);
  CHECK(u64_of(r.doc(), "head_sequence") == 3);
  CHECK(ves::uuid::parse(str_of(r.doc(), "batch_id")).has_value());

  // Rejections: wrong hash, replayed id, repeated command, stale base_version.
  auto bad_hash = make_legacy(a, "o-3", p3);
  bad_hash.envelope.set("payload_hash", ves::to_hex(ves::sha256(std::string{"nope"})));
  auto cmd = ves::uuid::random_v4();
  auto with_cmd = make_legacy(a, "o-4", p3, std::nullopt, cmd);
  auto same_cmd = make_legacy(a, "o-4", p3, std::nullopt, cmd);
  auto stale = make_legacy(a, "o-1", p3, 0);
  auto r2 = legacy_ingest(admin, a, {bad_hash, batch[0], with_cmd, same_cmd, stale});
  INFO(r2.describe());
  REQUIRE(r2.status == 200);
  CHECK(u64_of(r2.doc(), "events_accepted") == 1);
  CHECK(u64_of(r2.doc(), "events_rejected") == 4);
  CHECK(u64_of(r2.doc(), "assigned_sequence_start") == 4);
  CHECK(u64_of(r2.doc(), "head_sequence") == 4);
  check_rejected(r2, bad_hash.id, "InvalidPayloadHash");
  check_rejected(r2, batch[0].id, "DuplicateEventId");
  check_rejected(r2, same_cmd.id, "DuplicateCommandId");
  check_rejected(r2, stale.id, "VersionConflict");

  // Pull: envelopes in order, with sequence numbers and the payload as sent.
  auto pull = admin.get("/api/v1/events" + a.query());
  INFO(pull.describe());
  REQUIRE(pull.status == 200);
  auto& events = arr_of(pull.doc(), "events");
  REQUIRE(events.size() == 4);
  CHECK(u64_of(pull.doc(), "count") == 4);
  std::vector<std::string> want{batch[0].id, batch[1].id, batch[2].id, with_cmd.id};
  for (size_t i = 0; i < events.size(); ++i) {
    auto& env = member(events[i], "envelope");
    CHECK(u64_of(env, "sequence_number") == i + 1);
    CHECK(str_of(env, "event_id") == want[i]);
    CHECK(str_of(env, "tenant_id") == a.tenant.str());
    CHECK(str_of(env, "source_agent") == a.agent.str());
    auto& payload = member(env, "payload");
    CHECK(str_of(env, "payload_hash") == legacy_hash(payload));
    CHECK(msg::parse_rfc3339(str_of(events[i], "sequenced_at")).has_value());
  }
  CHECK(member(member(events[0], "envelope"), "payload") == p1);

  // Paging by from/limit.
  auto page = admin.get("/api/v1/events" + a.query(3, 5));
  REQUIRE(page.status == 200);
  auto& tail = arr_of(page.doc(), "events");
  REQUIRE(tail.size() == 2);
  CHECK(u64_of(member(tail[0], "envelope"), "sequence_number") == 3);

  auto head = admin.get("/api/v1/head" + a.query());
  REQUIRE(head.status == 200);
  CHECK(u64_of(head.doc(), "head_sequence") == 4);
  // The VES space of the same stream is untouched.
  CHECK(ves_head(admin, a) == 0);

  // Entity history.
  auto ent = admin.get("/api/v1/entities/order/o-1" + a.query());
  INFO(ent.describe());
  REQUIRE(ent.status == 200);
  CHECK(u64_of(ent.doc(), "total") == 2);
  CHECK(u64_of(ent.doc(), "count") == 2);
  CHECK_FALSE(member(ent.doc(), "has_more").as_bool());
  auto& hist = arr_of(ent.doc(), "events");
  REQUIRE(hist.size() == 2);
  CHECK(str_of(member(hist[1], "envelope"), "event_id") == batch[1].id);
  auto none = admin.get("/api/v1/entities/order/missing" + a.query());
  REQUIRE(none.status == 200);
  CHECK(u64_of(none.doc(), "total") == 0);

  // A VES event in the same stream starts the VES space at 1.
  register_key(admin, a);
  auto v = make_event(a);
  auto vr = ingest(admin, a, {v});
  auto acks = check_receipts(vr, {v}, fetch_sequencer(admin));
  CHECK(acks[0].sequence_number == 1);
  auto head2 = admin.get("/api/v1/head" + a.query());
  CHECK(u64_of(head2.doc(), "head_sequence") == 4);
}

TEST_CASE("a legacy payload may be JSON null, but not absent", "[integration][legacy]") {
  auto& srv = shared_server();
  api_client admin{srv.port()};
  auto a = agent_identity::random();
  json::value null_payload;
  auto e = make_legacy(a, "n-1", null_payload);
  CHECK(str_of(e.envelope, "payload_hash") == ves::to_hex(ves::sha256(std::string{"null"})));
  auto r = legacy_ingest(admin, a, {e});
  INFO(r.describe());
  REQUIRE(r.status == 200);
  CHECK(u64_of(r.doc(), "events_accepted") == 1);

  auto pull = admin.get("/api/v1/events" + a.query());
  REQUIRE(pull.status == 200);
  auto& events = arr_of(pull.doc(), "events");
  REQUIRE(events.size() == 1);
  auto* payload = member(events[0], "envelope").find("payload");
  REQUIRE(payload != nullptr);
  CHECK(payload->is_null());

  auto absent = make_legacy(a, "n-2", parse_json("{}"));
  auto o = absent.envelope.as_object();
  std::erase_if(o, [](const auto& kv) { return kv.first == "payload"; });
  absent.envelope = obj(std::move(o));
  check_error(legacy_ingest(admin, a, {absent}), 422, "MISSING_REQUIRED_FIELD");
  // The server goes on: the next event follows the null one.
  auto next = legacy_ingest(admin, a, {make_legacy(a, "n-3", parse_json(R"({"k":1})"))});
  REQUIRE(next.status == 200);
  CHECK(u64_of(next.doc(), "head_sequence") == 2);
}

TEST_CASE("an entity id with a slash or a space is read back through its encoded form",
          "[integration][legacy]") {
  auto& srv = shared_server();
  api_client admin{srv.port()};
  auto a = agent_identity::random();
  auto p = parse_json(R"({"k":"v"})");
  auto r = legacy_ingest(admin, a, {make_legacy(a, "sku/1 a", p), make_legacy(a, "sku", p)});
  INFO(r.describe());
  REQUIRE(r.status == 200);
  CHECK(u64_of(r.doc(), "events_accepted") == 2);
  // %2F stays inside its segment, as the reference routes the path before decoding it.
  auto ent = admin.get("/api/v1/entities/order/sku%2F1%20a" + a.query());
  INFO(ent.describe());
  REQUIRE(ent.status == 200);
  CHECK(str_of(ent.doc(), "entity_id") == "sku/1 a");
  CHECK(u64_of(ent.doc(), "total") == 1);
  // A raw slash is another path: no route has three segments there.
  check_error(admin.get("/api/v1/entities/order/sku/1" + a.query()), 404, "RESOURCE_NOT_FOUND");
}

TEST_CASE("legacy ingest refuses malformed and mixed batches", "[integration][legacy]") {
  auto& srv = shared_server();
  api_client admin{srv.port()};
  auto a = agent_identity::random();
  auto p = parse_json(R"({"k":"v"})");

  // 0x-prefixed payload hash is not accepted by the legacy API.
  auto e = make_legacy(a, "x", p);
  e.envelope.set("payload_hash", "0x" + legacy_hash(p));
  check_error(legacy_ingest(admin, a, {e}), 422);

  auto other = a;
  other.store = ves::uuid::random_v4();
  check_error(legacy_ingest(admin, a, {make_legacy(a, "x", p), make_legacy(other, "x", p)}), 400);

  auto bad_time = make_legacy(a, "x", p);
  bad_time.envelope.set("created_at", "yesterday");
  check_error(legacy_ingest(admin, a, {bad_time}), 422);

  // An empty batch is a no-op with zeros.
  auto empty = admin.post("/api/v1/events/ingest",
                          obj({{"agent_id", a.agent.str()}, {"events", json::array{}}}));
  INFO(empty.describe());
  REQUIRE(empty.status == 200);
  CHECK(u64_of(empty.doc(), "events_accepted") == 0);
  CHECK(u64_of(empty.doc(), "head_sequence") == 0);
  auto head = admin.get("/api/v1/head" + a.query());
  REQUIRE(head.status == 200);
  CHECK(u64_of(head.doc(), "head_sequence") == 0);
}

} // namespace seq::it
