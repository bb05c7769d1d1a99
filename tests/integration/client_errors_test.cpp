// SPDX-License-Identifier: Apache-2.0
// Client mistakes are 4xx with the one JSON error shape (never 500): malformed JSON, wrong
// types, missing fields, bad UUIDs and numbers in queries, limits, unknown routes. Runs its own
// server with small limits (MAX_EVENTS_PER_BATCH=3, small payload and body caps).
#include "tests/integration/ves_agent.hpp"

#include <catch2/catch.hpp>

namespace seq::it {
namespace {

constexpr const char* ingest_path = "/api/v1/ves/events/ingest";

/// A valid single-event body with one envelope field replaced.
std::string with_field(const agent_identity& a, const std::string& key, const json::value& v) {
  auto e = make_event(a);
  e.envelope.set(key, v);
  return ingest_body(a.agent, {e}).dump();
}

/// What the sweeps require of every answer: never a 5xx (nor a broken connection), and an
/// error in the one JSON shape.
void require_client_answer(const response& r) {
  REQUIRE(r.status > 0);
  REQUIRE(r.status < 500);
  if (r.status >= 400)
    check_error(r, r.status);
}

/// One server with small limits, shared by the cases below.
struct limits_fixture {
  server_process& srv = server();
  api_client admin{srv.port()};
  agent_identity a = agent_identity::random();
  sequencer_info seq_info = fetch_sequencer(admin);

  limits_fixture() { register_key(admin, a); }

  static server_process& server() {
    static temp_dir dir{"ves-it-limits"};
    static server_process srv{server_config{dir.path(),
                                            {},
                                            {{"MAX_EVENTS_PER_BATCH", "3"},
                                             {"MAX_EVENT_PAYLOAD_SIZE", "512"},
                                             {"MAX_BODY_SIZE_BYTES", "65536"}}}};
    return ensure_alive(srv);
  }
};

} // namespace

TEST_CASE_METHOD(limits_fixture, "malformed JSON is 400 INVALID_REQUEST_BODY",
                 "[integration][errors]") {
  check_error(admin.post(ingest_path, std::string{R"({"agentId": "x", "events": [)"}), 400,
              "INVALID_REQUEST_BODY");
  check_error(admin.post(ingest_path, std::string{"not json at all"}), 400);
  check_error(admin.post(ingest_path, std::string{R"({"agentId":1,})"}), 400);
  check_error(admin.post("/api/v1/agents/keys", std::string{"{"}), 400);
  check_error(admin.post("/api/v1/events/ingest", std::string{"[1,2"}), 400);
}

TEST_CASE_METHOD(limits_fixture, "a body without a JSON content type is 415",
                 "[integration][errors]") {
  check_error(admin.post(ingest_path, ingest_body(a.agent, {make_event(a)}).dump(),
                         "text/plain"),
              415);
  // The media type is matched without case, with parameters, and as any +json subtype.
  for (auto type : {"Application/JSON; charset=UTF-8", "application/vnd.api+json"}) {
    auto e = make_event(a);
    auto r = admin.post(ingest_path, ingest_body(a.agent, {e}).dump(), type);
    INFO(type << ": " << r.describe());
    CHECK(r.status == 200);
  }
}

TEST_CASE_METHOD(limits_fixture, "wrong types and missing fields are 422",
                 "[integration][errors]") {
  check_error(admin.post(ingest_path, std::string{"[]"}), 422);
  check_error(admin.post(ingest_path, obj({{"agentId", num(5)}, {"events", json::array{}}})),
              422);
  check_error(admin.post(ingest_path, obj({{"agentId", a.agent.str()}, {"events", "nope"}})),
              422);
  check_error(admin.post(ingest_path, obj({{"events", json::array{}}})), 422,
              "MISSING_REQUIRED_FIELD");
  check_error(admin.post(ingest_path, with_field(a, "ves_version", "1")), 422);
  check_error(admin.post(ingest_path, with_field(a, "agent_key_id", num(1ull << 40))), 422);
  check_error(admin.post(ingest_path, with_field(a, "payload_kind", num(7))), 422);
  check_error(admin.post(ingest_path, with_field(a, "event_id", "not-a-uuid")), 422);
  check_error(admin.post(ingest_path, with_field(a, "payload_plain_hash", "0xzz")), 422);
  check_error(
    admin.post(ingest_path, with_field(a, "base_version", json::value::from_double(-1.5))), 422);
  auto missing = make_event(a);
  auto& o = missing.envelope.as_object();
  o.erase(std::remove_if(o.begin(), o.end(), [](auto& m) { return m.first == "entity_id"; }),
          o.end());
  check_error(admin.post(ingest_path, ingest_body(a.agent, {missing})), 422,
              "MISSING_REQUIRED_FIELD");
  check_error(admin.post("/api/v1/agents/keys",
                         obj({{"tenantId", a.tenant.str()}, {"agentId", a.agent.str()},
                              {"keyId", "one"}, {"publicKey", ves::to_hex(a.public_key)}})),
              422);
  check_error(admin.post("/api/v1/agents/" + a.agent.str() + "/api-keys",
                         obj({{"readOnly", "yes"}})),
              422);
}

TEST_CASE_METHOD(limits_fixture, "agent key ids above 2^31 - 1 are 422 on every backend",
                 "[integration][errors]") {
  // The tables keep key ids in INTEGER columns: PostgreSQL used to refuse 2^31 only at the
  // insert (500 DATABASE_ERROR) while SQLite stored it.
  for (uint64_t id : {2147483648ull, 4294967295ull}) {
    auto big = agent_identity::random();
    big.key_id = static_cast<uint32_t>(id);
    auto r = admin.post("/api/v1/agents/keys", key_registration(big));
    check_error(r, 422, "INVALID_FIELD_VALUE");
    CHECK(error_message(r) == "keyId: expected an integer in 0..2147483647");
  }
  // The largest id registers, and its events are sequenced (a one-event group, then a group of
  // two, which PostgreSQL copies in) and read back with it.
  auto top = agent_identity::random();
  top.key_id = 2147483647;
  register_key(admin, top);
  auto one = make_event(top, spec("top-1"));
  check_receipts(ingest(admin, top, {one}), {one}, seq_info);
  std::vector<signed_event> two{make_event(top, spec("top-2")), make_event(top, spec("top-3"))};
  check_receipts(ingest(admin, top, two), two, seq_info);
  key_book book;
  add_key(book, top);
  auto pulled = pull_all(admin, top, book, seq_info);
  REQUIRE(pulled.size() == 3);
  for (auto& p : pulled)
    CHECK(u64_of(p.raw, "agent_key_id") == 2147483647);
}

TEST_CASE_METHOD(limits_fixture, "a U+0000 in a body, a path or a query is 400 and stores nothing",
                 "[integration][errors]") {
  // PostgreSQL's text and jsonb cannot hold the character (a payload with it was a 500 that
  // failed its whole group commit) and libpq's text parameters cut a string short at it (an
  // entity id with it was stored truncated, so its signature no longer verified).
  const std::string nul(1, '\0');
  json::value note{json::object{}};
  note.set("note", "a" + nul + "b");
  auto before = ves_head(admin, a);
  auto in_payload = ingest(admin, a, {make_event(a, spec("nul-1").with_payload(note))});
  check_error(in_payload, 400, "INVALID_FIELD_VALUE");
  CHECK(error_message(in_payload)
        == "events[0].payload.note: the character U+0000 (\\u0000) is not accepted in strings "
           "or member names");
  auto in_entity = ingest(admin, a, {make_event(a, spec("ok")), make_event(a, spec("x" + nul))});
  check_error(in_entity, 400, "INVALID_FIELD_VALUE");
  CHECK_THAT(error_message(in_entity), Catch::StartsWith("events[1].entity_id: "));
  json::value key{json::object{}};
  key.set("a" + nul, 1);
  check_error(ingest(admin, a, {make_event(a, spec("nul-3").with_payload(key))}), 400,
              "INVALID_FIELD_VALUE");
  CHECK(ves_head(admin, a) == before);
  check_error(admin.get("/api/v1/ves/events" + a.query() + "%00"), 400);
  check_error(admin.get("/api/v1/ves/events/%00"), 400);
  // The six characters of the escape itself are an ordinary string: stored and read back.
  json::value text{json::object{}};
  text.set("note", std::string{"\\u0000"});
  auto e = make_event(a, spec("nul-text").with_payload(text));
  check_receipts(ingest(admin, a, {e}), {e}, seq_info);
  key_book book;
  add_key(book, a);
  auto pulled = pull_all(admin, a, book, seq_info);
  REQUIRE(pulled.size() == before + 1);
  CHECK(member(pulled.back().raw, "payload").dump() == R"({"note":"\\u0000"})");
}

TEST_CASE_METHOD(limits_fixture, "well-typed but invalid values are 400",
                 "[integration][errors]") {
  auto empty =
    admin.post(ingest_path, obj({{"agentId", a.agent.str()}, {"events", json::array{}}}));
  check_error(empty, 400, "INVALID_FIELD_VALUE");
  CHECK(error_message(empty) == "events must not be empty");
  auto blank = admin.post(ingest_path, with_field(a, "entity_type", ""));
  check_error(blank, 400, "INVALID_FIELD_VALUE");
  CHECK_THAT(error_message(blank), Catch::Contains("entity_type"));
  check_error(admin.post(ingest_path, with_field(a, "entity_id", std::string(513, 'x'))), 400);
  auto no_payload = make_event(a);
  no_payload.envelope.set("payload", nullptr);
  check_error(admin.post(ingest_path, ingest_body(a.agent, {no_payload})), 400);
}

TEST_CASE_METHOD(limits_fixture, "bad UUIDs and numbers in queries and paths are 400",
                 "[integration][errors]") {
  auto bad_tenant = admin.get("/api/v1/ves/events?tenant_id=nope&store_id=" + a.store.str());
  check_error(bad_tenant, 400, "INVALID_FIELD_VALUE");
  CHECK_THAT(error_message(bad_tenant), Catch::Contains("tenant_id"));
  check_error(admin.get("/api/v1/ves/events?tenant_id=" + a.tenant.str()), 400);
  check_error(admin.get("/api/v1/ves/head?tenant_id=" + a.tenant.str() + "&store_id=123"), 400);
  check_error(admin.get("/api/v1/events?tenant_id=zz&store_id=" + a.store.str()), 400);
  check_error(admin.get("/api/v1/ves/events" + a.query() + "&from=-1"), 400);
  check_error(admin.get("/api/v1/ves/events" + a.query() + "&limit=abc"), 400);
  check_error(admin.get("/api/v1/ves/events" + a.query(1, 0)), 400);
  check_error(admin.get("/api/v1/agents/not-a-uuid"), 400);
  check_error(admin.get("/api/v1/agents/not-a-uuid/api-keys"), 400);
}

TEST_CASE_METHOD(limits_fixture, "a path or query that is not UTF-8 is 400 on every backend",
                 "[integration][errors]") {
  // A UTF-8 PostgreSQL refuses such bytes in a text parameter: these reads were 500
  // DATABASE_ERROR there.
  check_error(admin.get("/api/v1/projections/inventory/%ff%fe" + a.query()), 400);
  check_error(admin.get("/api/v1/entities/inventory/sku-1%ff" + a.query()), 400);
  check_error(admin.get("/api/v1/projections/inventory" + a.query() + "&after=%ff"), 400);
  check_error(admin.get("/api/v1/x402/payments" + a.query() + "&payer_address=%c0%80"), 400);
  check_error(admin.get("/api/v1/dlq/%ed%a0%80"), 400);
  // A multi-byte character is an ordinary value: an unknown projection is 404.
  check_error(admin.get("/api/v1/projections/inventory/%C3%A9t%C3%A9" + a.query()), 404);
}

TEST_CASE_METHOD(limits_fixture, "an oversize batch, payload or body is 413",
                 "[integration][errors]") {
  std::vector<signed_event> four;
  for (int i = 0; i < 4; ++i)
    four.push_back(make_event(a, spec("lim-" + std::to_string(i))));
  auto too_many = ingest(admin, a, four);
  check_error(too_many, 413, "PAYLOAD_TOO_LARGE");
  CHECK_THAT(error_message(too_many), Catch::Contains("max_events_per_batch"));
  // The reference's order: the whole body decodes first (422), one stream per batch (400) and
  // the caller's rights (401/403) come before the size.
  auto text = ingest_body(a.agent, four).dump();
  auto at = text.find(four[1].id());
  REQUIRE(at != std::string::npos);
  check_error(admin.post(ingest_path, text.replace(at, four[1].id().size(), "nope")), 422);
  auto elsewhere = a;
  elsewhere.store = ves::uuid::random_v4();
  auto mixed = four;
  mixed.back() = make_event(elsewhere, spec("lim-other"));
  check_error(ingest(admin, a, mixed), 400, "INVALID_FIELD_VALUE");
  api_client stranger{srv.port(), "ss_00000000notarealkeynotarealkeynotarealkey"};
  check_error(ingest(stranger, a, four), 401, "INVALID_API_KEY");
  // Exactly the limit is fine.
  four.pop_back();
  check_receipts(ingest(admin, a, four), four, seq_info);

  event_spec big;
  big.payload = obj({{"blob", std::string(600, 'b')}});
  check_error(ingest(admin, a, {make_event(a, big)}), 413, "PAYLOAD_TOO_LARGE");

  std::string huge = R"({"agentId":")" + a.agent.str() + R"(","events":[],"pad":")"
                     + std::string(70000, 'p') + R"("})";
  auto r = admin.post(ingest_path, huge);
  INFO(r.describe());
  CHECK(r.status == 413);
  if (r.status == 413)
    check_error(r, 413);
  CHECK(ves_head(admin, a) == 3);
}

TEST_CASE_METHOD(limits_fixture, "unknown routes are 404 with the JSON error shape",
                 "[integration][errors]") {
  check_error(admin.get("/api/v1/nothing-here"), 404, "RESOURCE_NOT_FOUND");
  check_error(admin.post("/api/v2/ves/events/ingest", std::string{"{}"}), 404);
  check_error(admin.get("/"), 404);
  auto unknown_agent = admin.get("/api/v1/agents/" + ves::uuid::random_v4().str());
  check_error(unknown_agent, 404, "RESOURCE_NOT_FOUND");
  CHECK(error_message(unknown_agent) == "Agent not found");
}

TEST_CASE_METHOD(limits_fixture, "a known path with another method is 405 with the JSON error shape",
                 "[integration][errors]") {
  // A route without path parameters owns its path (as in the reference): these are the POST
  // routes' paths, not lookups of an id called "keys", "anchor" or "verify".
  for (auto path : {"/api/v1/agents/keys", "/api/v1/ves/commitments/anchor",
                    "/api/v1/ves/proofs/verify", "/api/v1/proofs/verify",
                    "/api/v1/x402/batches/settle", "/api/v1/ves/events/ingest"})
    check_error(admin.get(path), 405, "INVALID_REQUEST_BODY");
  check_error(admin.del("/api/v1/ves/events"), 405, "INVALID_REQUEST_BODY");
  // A sequence number in a proof path that is not one is a bad request, not an unknown path.
  auto q = "?tenant_id=" + ves::uuid::random_v4().str()
           + "&store_id=" + ves::uuid::random_v4().str();
  for (auto seq : {"abc", "-1", "1.0", "18446744073709551616"}) {
    for (auto prefix : {"/api/v1/ves/proofs/", "/api/v1/proofs/"}) {
      auto r = admin.get(prefix + std::string{seq} + q);
      check_error(r, 400, "INVALID_FIELD_VALUE");
      CHECK(error_message(r) == "Invalid sequence_number");
    }
  }
  check_error(admin.get("/api/v1/agents/register"), 405, "INVALID_REQUEST_BODY");
  // The reference's routes this server does not serve are 404, and say so where a parameter
  // route would otherwise have taken the path.
  auto reg = admin.post("/api/v1/agents/register", std::string{"{}"});
  check_error(reg, 404, "RESOURCE_NOT_FOUND");
  CHECK(error_message(reg).find("is not served") != std::string::npos);
  for (const std::string& path : std::vector<std::string>{
         "/admin", "/api/v1/admin/overview", "/api/v1/schemas",
         "/api/v1/ves/validity/proofs/" + ves::uuid::random_v4().str()})
    check_error(admin.get(path), 404, "RESOURCE_NOT_FOUND");
  // The parameter routes still take their ids.
  check_error(admin.get("/api/v1/agents/" + ves::uuid::random_v4().str()), 404,
              "RESOURCE_NOT_FOUND");
}

TEST_CASE_METHOD(limits_fixture, "no mutation of a valid body gets a 5xx",
                 "[integration][errors]") {
  // Each field of a well-formed body of every write route, replaced by extreme numbers, wrong
  // types, empty and long strings, or dropped: the answer is never a 5xx, and every error has
  // the one JSON shape. (Routes that need a chain, which this server has not, are left out.)
  const auto t = a.tenant.str(), s = a.store.str(), ag = a.agent.str();
  const auto hex32 = std::string(64, 'a');
  const auto payload = obj({{"a", num(1)}});
  const auto legacy_hash = ves::to_hex(ves::legacy_payload_hash(payload.legacy_canonical()));
  std::vector<std::pair<std::string, json::value>> routes = {
    {"/api/v1/agents/keys",
     obj({{"tenantId", t}, {"agentId", ves::uuid::random_v4().str()}, {"keyId", num(7)},
          {"publicKey", ves::to_hex(a.public_key)}, {"validFrom", "2026-01-01T00:00:00Z"},
          {"validTo", "2027-01-01T00:00:00Z"}, {"keyAlgorithm", num(1)}})},
    {"/api/v1/agents/" + ag + "/api-keys",
     obj({{"tenantId", t}, {"storeIds", json::array{json::value{s}}}, {"readOnly", false},
          {"rateLimit", num(10)}})},
    {"/api/v1/ves/commitments",
     obj({{"tenant_id", t}, {"store_id", s}, {"sequence_start", num(1)},
          {"sequence_end", num(2)}})},
    {"/api/v1/commitments",
     obj({{"tenant_id", t}, {"store_id", s}, {"sequence_start", num(1)},
          {"sequence_end", num(2)}})},
    {"/api/v1/ves/proofs/verify",
     obj({{"leaf_hash", hex32}, {"merkle_root", hex32},
          {"proof_path", json::array{json::value{hex32}}}, {"leaf_index", num(0)},
          {"leaf_count", num(2)}})},
    {"/v1/commitments/" + ves::uuid::random_v4().str() + "/anchored",
     obj({{"chain_tx_hash", hex32}, {"chain_id", num(1)}, {"block_number", num(5)}})},
    {"/api/v1/projections/resume", obj({{"tenant_id", t}, {"store_id", s}})},
    {"/api/v1/dlq/purge", obj({{"tenant_id", t}, {"store_id", s}, {"status", "resolved"}})},
    {"/api/v1/x402/payments",
     obj({{"tenant_id", t}, {"store_id", s}, {"agent_id", ag}, {"agent_key_id", num(1)},
          {"payer_address", "0x" + std::string(40, '1')},
          {"payee_address", "0x" + std::string(40, '2')}, {"amount", num(100)},
          {"asset", "usdc"}, {"network", "set_chain"}, {"valid_until", num(2000000000)},
          {"nonce", num(1)}, {"signing_hash", hex32}, {"payer_signature", std::string(128, '0')},
          {"idempotency_key", "k"}, {"metadata", obj({{"a", num(1)}})}})},
    {"/api/v1/x402/batches", obj({{"tenant_id", t}, {"store_id", s}, {"network", "set_chain"}})},
    {"/api/v1/events/ingest",
     obj({{"agent_id", ag},
          {"events",
           json::array{obj({{"event_id", ves::uuid::random_v4().str()}, {"tenant_id", t},
                            {"store_id", s}, {"entity_type", "order"}, {"entity_id", "o1"},
                            {"event_type", "order.created"}, {"payload", payload},
                            {"payload_hash", legacy_hash}, {"created_at", "2026-01-01T00:00:00Z"},
                            {"source_agent", ag}, {"base_version", num(0)}})}}})},
    {"/api/v1/ves/events/ingest", ingest_body(a.agent, {make_event(a, spec("sweep"))})},
  };
  std::vector<json::value> values = {
    num(1ull << 31), num(1ull << 63), num(~0ull), parse_json("18446744073709551616"),
    parse_json("-1"), parse_json("-9223372036854775809"), parse_json("1.5"),
    parse_json("1e308"), json::value{""}, json::value{std::string(3000, 'x')},
    json::value{std::string(300, 'e') + "\xC3\xA9"}, json::value{json::object{}},
    json::value{json::array{}}, json::value{nullptr}, json::value{true}};
  size_t requests = 0, expected = 0, stored = 0;
  auto send = [&](const std::string& path, const json::value& body, const std::string& what) {
    auto r = admin.post(path, body);
    ++requests;
    INFO(path << " " << what << ": " << r.describe());
    require_client_answer(r);
    for (auto* k : {"events_accepted", "eventsAccepted"})
      if (r.status == 200 && r.json && has_member(*r.json, k))
        stored += u64_of(*r.json, k);
  };
  // The object whose fields are replaced: the body, or the first event of a batch.
  auto target_of = [](json::value& body) -> json::value& {
    for (auto& [k, v] : body.as_object())
      if (k == "events")
        return v.as_array()[0];
    return body;
  };
  for (auto& [path, tpl] : routes) {
    send(path, tpl, "as is");
    auto copy = parse_json(tpl.dump());
    const auto& fields = target_of(copy).as_object();
    // A legacy event gets a fresh id and entity (so that it can be stored); a VES event keeps
    // its signed fields (so that only the replaced one can make it fail).
    const bool fresh = path == "/api/v1/events/ingest";
    expected += 1 + fields.size() * (values.size() + 1);
    for (size_t i = 0; i < fields.size(); ++i) {
      for (size_t v = 0; v <= values.size(); ++v) {
        auto body = parse_json(tpl.dump()); // a deep copy
        auto& target = target_of(body);
        auto& members = target.as_object();
        if (v == values.size())
          members.erase(members.begin() + static_cast<std::ptrdiff_t>(i));
        else
          members[i].second = values[v];
        for (auto* k : {"event_id", "entity_id"})
          if (fresh && fields[i].first != k)
            target.set(k, ves::uuid::random_v4().str());
        send(path, body,
             fields[i].first + (v == values.size() ? " dropped" : " = " + values[v].dump()));
      }
    }
  }
  CHECK(requests == expected);
  // Both ingest templates are stored (so their variants reach the sequencer and storage), and
  // so are the legacy variants the server takes as they are (without a base version, say).
  CHECK(stored >= 3);
  CHECK(admin.get("/health").status == 200);
}

TEST_CASE_METHOD(limits_fixture, "no odd query or path value of a read route gets a 5xx",
                 "[integration][errors]") {
  // Each query parameter and path segment of every read route, replaced by numbers out of
  // range, malformed escapes, bytes that are not UTF-8, long strings, or dropped or repeated:
  // the answer is never a 5xx, and every error has the one JSON shape. The routes read a
  // stream with events and a commitment. (Routes that need a chain are left out.)
  auto events = std::vector<signed_event>{make_event(a, spec("r1")), make_event(a, spec("r2"))};
  check_receipts(ingest(admin, a, events), events, seq_info);
  const auto t = a.tenant.str(), s = a.store.str(), some = ves::uuid::random_v4().str();
  auto head = ves_head(admin, a);
  auto committed = admin.post("/api/v1/ves/commitments",
                              obj({{"tenant_id", t}, {"store_id", s},
                                   {"sequence_start", num(head - 1)},
                                   {"sequence_end", num(head)}}));
  auto batch = committed.status == 200 ? member(committed.doc(), "batch_id").as_string() : some;
  using params = std::vector<std::pair<std::string, std::string>>;
  struct route {
    std::string path; // {0}, {1}: the path segments of `segments`
    params segments;
    params query;
  };
  const params stream = {{"tenant_id", t}, {"store_id", s}};
  auto with = [](params p, params more) {
    p.insert(p.end(), more.begin(), more.end());
    return p;
  };
  std::vector<route> routes = {
    {"/api/v1/agents/{0}", {{"agent", a.agent.str()}}, {}},
    {"/api/v1/agents/{0}/api-keys", {{"agent", a.agent.str()}}, {{"tenant_id", t}}},
    {"/api/v1/ves/commitments/{0}", {{"batch", batch}}, {}},
    {"/api/v1/commitments/{0}", {{"batch", some}}, {}},
    {"/api/v1/ves/commitments", {}, with(stream, {{"anchored", "false"}, {"limit", "5"}})},
    {"/api/v1/commitments", {}, with(stream, {{"anchored", "true"}, {"limit", "5"}})},
    {"/api/v1/ves/proofs/{0}", {{"seq", std::to_string(head)}}, with(stream, {{"batch_id", batch}})},
    {"/api/v1/proofs/{0}", {{"seq", "1"}}, with(stream, {{"batch_id", some}})},
    {"/api/v1/ves/events", {}, with(stream, {{"from", "1"}, {"limit", "5"}})},
    {"/api/v1/events", {}, with(stream, {{"from", "1"}, {"limit", "5"}})},
    {"/api/v1/ves/head", {}, stream},
    {"/api/v1/head", {}, stream},
    {"/api/v1/entities/{0}/{1}", {{"type", "order"}, {"id", "r1"}},
     with(stream, {{"from", "1"}, {"limit", "5"}})},
    {"/api/v1/projections/status", {}, stream},
    {"/api/v1/projections/{0}/{1}", {{"type", "order"}, {"id", "r1"}}, stream},
    {"/api/v1/projections/{0}", {{"type", "order"}}, with(stream, {{"limit", "5"}, {"after", "a"}})},
    {"/api/v1/dlq/{0}", {{"id", some}}, {}},
    {"/api/v1/dlq", {}, with(stream, {{"status", "pending"}, {"limit", "5"}})},
    {"/api/v1/x402/batches/{0}", {{"batch", some}}, {}},
    {"/api/v1/x402/payments/{0}", {{"intent", some}}, {}},
    {"/api/v1/x402/payments/{0}/receipt", {{"intent", some}}, {}},
    {"/api/v1/x402/payments", {},
     with(stream, {{"payer_address", "0x" + std::string(40, '1')}, {"status", "pending"},
                   {"network", "set_chain"}, {"limit", "5"}})},
    {"/v1/commitments/pending", {}, {{"limit", "5"}}},
  };
  std::string e_acute;
  for (int i = 0; i < 100; ++i)
    e_acute += "%C3%A9";
  const std::vector<std::string> values = {
    "", "-1", "0", "18446744073709551615", "18446744073709551616", "9223372036854775808",
    "1e3", "1.5", "0x10", "+1", "%20", "abc", "%ff%fe", "%c0%80", "%ed%a0%80", "%", "%zz",
    std::string(3000, 'x'), e_acute, "null", "00000000-0000-0000-0000-000000000000",
    "%27%3B%20DROP%20TABLE%20x%3B%20--", "..", "%2F", "a%2Fb", "*"};
  size_t requests = 0, expected = 0;
  auto build = [](const route& r, const params& segments, const params& query) {
    auto path = r.path;
    for (size_t i = 0; i < segments.size(); ++i) {
      auto at = path.find("{" + std::to_string(i) + "}");
      path.replace(at, 3, segments[i].second);
    }
    for (size_t i = 0; i < query.size(); ++i)
      path += (i == 0 ? "?" : "&") + query[i].first + "=" + query[i].second;
    return path;
  };
  auto send = [&](const std::string& path) {
    auto r = admin.get(path);
    ++requests;
    INFO(path.substr(0, 300) << ": " << r.describe());
    require_client_answer(r);
  };
  for (const auto& r : routes) {
    send(build(r, r.segments, r.query));
    expected += 1 + r.query.size() * (values.size() + 2) + r.segments.size() * (values.size() - 1);
    for (size_t i = 0; i < r.query.size(); ++i) {
      for (const auto& v : values) {
        auto q = r.query;
        q[i].second = v;
        send(build(r, r.segments, q));
      }
      auto dropped = r.query;
      dropped.erase(dropped.begin() + static_cast<std::ptrdiff_t>(i));
      send(build(r, r.segments, dropped));
      auto repeated = r.query;
      repeated.push_back(r.query[i]);
      send(build(r, r.segments, repeated));
    }
    for (size_t i = 0; i < r.segments.size(); ++i)
      for (const auto& v : values) {
        if (v.empty())
          continue; // an empty segment is another route
        auto seg = r.segments;
        seg[i].second = v;
        send(build(r, seg, r.query));
      }
  }
  CHECK(requests == expected);
  CHECK(committed.status == 200);
  CHECK(admin.get("/health").status == 200);
}

TEST_CASE_METHOD(limits_fixture, "the server stays healthy after client mistakes",
                 "[integration][errors]") {
  auto h = admin.get("/health");
  REQUIRE(h.status == 200);
  REQUIRE(h.json.has_value());
  CHECK(str_of(*h.json, "status") == "healthy");
  CHECK(str_of(*h.json, "service") == "ves-sequencer");
  CHECK(!str_of(*h.json, "version").empty());
  CHECK(str_of(*h.json, "timestamp").ends_with("+00:00")); // chrono's to_rfc3339, as the reference
  auto ready = admin.get("/ready");
  INFO(ready.describe());
  REQUIRE(ready.status == 200);
  REQUIRE(ready.json.has_value());
  CHECK(str_of(*ready.json, "status") == "ready");
  CHECK(member(member(*ready.json, "database"), "connected").as_bool());
  CHECK(member(member(*ready.json, "database"), "response_time_ms").is_number());
  auto* pool = ready.json->find("pool");
  REQUIRE(pool != nullptr);
  CHECK(pool->is_null()); // the reference's "pool may be null": this server has no pool gauge
  auto detailed = admin.get("/health/detailed");
  REQUIRE(detailed.status == 200);
  REQUIRE(detailed.json.has_value());
  CHECK(str_of(*detailed.json, "timestamp").ends_with("+00:00"));
  CHECK(str_of(member(member(*detailed.json, "components"), "database"), "name")
        == (is_postgres() ? "postgresql" : "sqlite"));
  auto e = make_event(a);
  check_receipts(ingest(admin, a, {e}), {e}, seq_info);
}

} // namespace seq::it
