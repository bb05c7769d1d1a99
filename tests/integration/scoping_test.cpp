// SPDX-License-Identifier: Apache-2.0
// API key scoping end to end: keys minted through /api/v1/agents/{id}/api-keys are bound to a
// tenant, optionally to stores and to an agent, may be read-only, and can never mint keys
// wider than themselves. Also the agent and key-management routes that go with them.
#include "tests/integration/projection_harness.hpp"
#include "tests/integration/ves_agent.hpp"

#include <catch2/catch.hpp>

namespace seq::it {
namespace {

struct minted {
  std::string key;
  std::string prefix;
  std::string permissions;
};

minted mint(api_client& c, const ves::uuid& agent, const json::value& body) {
  auto r = c.post("/api/v1/agents/" + agent.str() + "/api-keys", body);
  INFO(r.describe());
  REQUIRE(r.status == 200);
  minted m{str_of(r.doc(), "apiKey"), str_of(r.doc(), "keyHashPrefix"),
           str_of(r.doc(), "permissions")};
  CHECK(m.key.rfind("ss_", 0) == 0);
  CHECK(m.prefix.size() == 16);
  CHECK(ves::api_key_hash(m.key).rfind(m.prefix, 0) == 0);
  return m;
}

response mint_raw(api_client& c, const ves::uuid& agent, const json::value& body) {
  return c.post("/api/v1/agents/" + agent.str() + "/api-keys", body);
}

json::value stores(std::initializer_list<ves::uuid> ids) {
  json::array a;
  for (auto& i : ids)
    a.push_back(i.str());
  return json::value{std::move(a)};
}

} // namespace

TEST_CASE("minted keys are confined to their tenant, stores, agent and rights",
          "[integration][auth]") {
  auto& srv = shared_server();
  api_client admin{srv.port()};
  auto seq_info = fetch_sequencer(admin);
  auto a = agent_identity::random();          // tenant T, store S1
  auto other_store = a;                       // tenant T, store S2, same agent
  other_store.store = ves::uuid::random_v4();
  auto b = a.sibling();                       // tenant T, store S1, another agent
  auto foreign = agent_identity::random();    // tenant T2, with agent a's id
  foreign.agent = a.agent;
  foreign.seed = a.seed;
  foreign.public_key = a.public_key;
  for (auto* x : {&a, &b, &foreign})
    register_key(admin, *x);

  // The bootstrap admin mints the first key of agent a: read-write, store S1 only.
  auto ka = mint(admin, a.agent,
                 obj({{"tenantId", a.tenant.str()}, {"storeIds", stores({a.store})}}));
  CHECK(ka.permissions == "read_write");
  api_client as_a{srv.port(), ka.key};
  api_client as_a_header{srv.port(), ka.key, auth_style::x_api_key};

  SECTION("the key writes and reads its own stream") {
    auto e = make_event(a);
    check_receipts(ingest(as_a, a, {e}), {e}, seq_info);
    CHECK(ves_head(as_a, a) == 1);
    CHECK(ves_head(as_a_header, a) == 1);
    auto r = as_a.get("/api/v1/ves/events" + a.query());
    REQUIRE(r.status == 200);
    CHECK(u64_of(r.doc(), "count") == 1);
    auto legacy = as_a.get("/api/v1/events" + a.query());
    CHECK(legacy.status == 200);
  }

  SECTION("another store of the same tenant is out of reach") {
    auto e = make_event(other_store);
    check_error(ingest(as_a, other_store, {e}), 403, "INSUFFICIENT_PERMISSIONS");
    check_error(as_a.get("/api/v1/ves/events" + other_store.query()), 403);
    check_error(as_a.get("/api/v1/ves/head" + other_store.query()), 403);
    check_error(as_a.get("/api/v1/events" + other_store.query()), 403);
    CHECK(ves_head(admin, other_store) == 0);
  }

  SECTION("another tenant is out of reach") {
    auto e = make_event(foreign);
    check_error(ingest(as_a, foreign, {e}), 403, "INSUFFICIENT_PERMISSIONS");
    check_error(as_a.get("/api/v1/ves/events" + foreign.query()), 403);
    CHECK(ves_head(admin, foreign) == 0);
  }

  SECTION("the key cannot ingest as another agent") {
    auto e = make_event(b);
    check_error(ingest(as_a, b, {e}), 403, "INSUFFICIENT_PERMISSIONS");
    CHECK(ves_head(admin, b) == 0);
  }

  SECTION("a read-only key reads but cannot write") {
    auto ro = mint(as_a, a.agent, obj({{"readOnly", true}}));
    CHECK(ro.permissions == "read");
    api_client as_ro{srv.port(), ro.key};
    CHECK(ves_head(as_ro, a) == 0);
    check_error(ingest(as_ro, a, {make_event(a)}), 403, "INSUFFICIENT_PERMISSIONS");
    // It inherited the store scope.
    check_error(as_ro.get("/api/v1/ves/head" + other_store.query()), 403);
    // And cannot mint a writer.
    check_error(mint_raw(as_ro, a.agent, obj({{"readOnly", false}})), 403);
    // Without readOnly, a key minted by a reader is a reader too.
    CHECK(mint(as_ro, a.agent, obj({})).permissions == "read");
  }

  SECTION("a minted key cannot widen the minting key's rights") {
    check_error(mint_raw(as_a, a.agent, obj({{"admin", true}})), 403);
    check_error(mint_raw(as_a, a.agent, obj({{"storeIds", stores({other_store.store})}})), 403);
    check_error(mint_raw(as_a, a.agent, obj({{"storeIds", json::array{}}})), 403);
    check_error(mint_raw(as_a, b.agent, obj({})), 403); // another agent's keys
    check_error(as_a.get("/api/v1/agents/" + b.agent.str()), 403);
    check_error(as_a.get("/metrics"), 403);
    check_error(as_a.post("/api/v1/agents/keys", key_registration(a.sibling())), 403);

    // Narrowing is allowed, and the narrowed key keeps the narrow scope.
    auto narrow =
      mint(as_a, a.agent, obj({{"storeIds", stores({a.store})}, {"rateLimit", num(50)}}));
    CHECK(narrow.permissions == "read_write");
  }

  SECTION("keys are listed, described and revoked") {
    auto second = mint(as_a, a.agent, obj({{"readOnly", true}}));
    auto list = as_a.get("/api/v1/agents/" + a.agent.str() + "/api-keys");
    INFO(list.describe());
    REQUIRE(list.status == 200);
    CHECK(u64_of(list.doc(), "count") == 2);
    std::vector<std::string> prefixes;
    for (auto& k : arr_of(list.doc(), "keys"))
      prefixes.push_back(str_of(k, "keyHashPrefix"));
    CHECK(std::find(prefixes.begin(), prefixes.end(), ka.prefix) != prefixes.end());
    CHECK(std::find(prefixes.begin(), prefixes.end(), second.prefix) != prefixes.end());

    auto info = as_a.get("/api/v1/agents/" + a.agent.str());
    REQUIRE(info.status == 200);
    CHECK(str_of(info.doc(), "tenantId") == a.tenant.str());
    CHECK(str_of(info.doc(), "agentId") == a.agent.str());

    api_client as_second{srv.port(), second.key};
    CHECK(ves_head(as_second, a) == 0);
    auto del = as_a.del("/api/v1/agents/" + a.agent.str() + "/api-keys/" + second.prefix);
    INFO(del.describe());
    REQUIRE(del.status == 200);
    check_error(as_second.get("/api/v1/ves/head" + a.query()), 401);
    check_error(as_a.del("/api/v1/agents/" + a.agent.str() + "/api-keys/ffffffffffffffff"), 404);
    // The revoking key itself still works.
    CHECK(ves_head(as_a, a) == 0);
  }

  SECTION("a key with a rate limit gets that many requests per window, then 429") {
    auto limited = mint(admin, a.agent, obj({{"rateLimit", num(3)}}));
    api_client as_limited{srv.port(), limited.key};
    for (int i = 0; i < 3; ++i)
      CHECK(ves_head(as_limited, a) == 0);
    auto over = as_limited.get("/api/v1/ves/head" + a.query());
    check_error(over, 429, "RATE_LIMIT_EXCEEDED");
    CHECK(error_message(over) == "Rate limit exceeded");
    CHECK(over.retry_after == "60");
    // Other keys, and the keys without a limit, go on.
    CHECK(ves_head(as_a, a) == 0);
    CHECK(ves_head(admin, a) == 0);
  }

  SECTION("a tenant admin administers its own tenant only") {
    auto admin_agent = a.sibling();
    auto kadm = mint(admin, admin_agent.agent,
                     obj({{"tenantId", a.tenant.str()}, {"admin", true}}));
    CHECK(kadm.permissions == "admin");
    api_client as_admin{srv.port(), kadm.key};
    // Registers signing keys in its tenant, not in another.
    register_key(as_admin, a.sibling());
    auto outsider = agent_identity::random();
    check_error(as_admin.post("/api/v1/agents/keys", key_registration(outsider)), 403);
    // Mints keys for agents of its tenant; reads any store of its tenant.
    auto kb = mint(as_admin, a.agent, obj({{"readOnly", true}}));
    CHECK(kb.permissions == "read");
    // tenantId, when sent, must be a UUID, the agent's tenant, and never the nil tenant.
    check_error(mint_raw(as_admin, a.agent, obj({{"tenantId", foreign.tenant.str()}})), 403);
    check_error(mint_raw(admin, a.agent, obj({{"tenantId", foreign.tenant.str()}})), 400,
                "INVALID_FIELD_VALUE");
    check_error(mint_raw(admin, a.agent, obj({{"tenantId", num(7)}})), 422);
    auto nil = ves::uuid{}.str();
    auto nobody = agent_identity::random();
    check_error(mint_raw(admin, nobody.agent, obj({{"tenantId", nil}})), 400,
                "INVALID_FIELD_VALUE");
    nobody.tenant = ves::uuid{};
    check_error(admin.post("/api/v1/agents/keys", key_registration(nobody)), 400,
                "INVALID_FIELD_VALUE");
    CHECK(ves_head(as_admin, other_store) == 0);
    check_error(as_admin.get("/api/v1/ves/head" + foreign.query()), 403);
    // Its /metrics has the node-wide counters, but per-stream series of its tenant only.
    for (auto* x : {&a, &foreign}) {
      auto r = ingest(admin, *x, {make_event(*x)});
      INFO(r.describe());
      REQUIRE(r.status == 200);
    }
    auto lag_of = [](const agent_identity& x) {
      return "ves_projection_lag_events{tenant_id=\"" + x.tenant.str() + "\"";
    };
    REQUIRE(proj::eventually([&] {
      auto all = admin.get("/metrics").body;
      return all.find(lag_of(a)) != std::string::npos
             && all.find(lag_of(foreign)) != std::string::npos;
    }));
    auto mine = as_admin.get("/metrics");
    REQUIRE(mine.status == 200);
    CHECK(mine.body.find(lag_of(a)) != std::string::npos);
    CHECK(mine.body.find(lag_of(foreign)) == std::string::npos);
    CHECK(mine.body.find("\nves_events_accepted_total ") != std::string::npos);
  }
}

TEST_CASE("requests without valid credentials are 401", "[integration][auth]") {
  auto& srv = shared_server();
  auto a = agent_identity::random();
  api_client none{srv.port(), "", auth_style::none};
  check_error(none.get("/api/v1/ves/head" + a.query()), 401, "AUTH_REQUIRED");
  check_error(none.post("/api/v1/ves/events/ingest", ingest_body(a.agent, {make_event(a)})),
              401);
  api_client wrong{srv.port(), "ss_00000000notarealkeynotarealkeynotarealkey"};
  check_error(wrong.get("/api/v1/ves/head" + a.query()), 401, "INVALID_API_KEY");
  api_client junk{srv.port(), "not-even-a-key"};
  check_error(junk.get("/api/v1/ves/head" + a.query()), 401, "INVALID_API_KEY");
  // A value that is no key and no known scheme (here `Basic …`) is no credential at all.
  api_client basic{srv.port(), "Basic dXNlcjpwdw==", auth_style::x_api_key};
  check_error(basic.get("/api/v1/ves/head" + a.query()), 401, "AUTH_REQUIRED");
  // Health needs no credentials; metrics needs an admin.
  auto h = none.get("/health");
  REQUIRE(h.status == 200);
  CHECK(str_of(h.doc(), "status") == "healthy");
  check_error(none.get("/metrics"), 401);
  api_client admin{srv.port()};
  auto m = admin.get("/metrics");
  REQUIRE(m.status == 200);
  CHECK(m.body.find("# TYPE") != std::string::npos);
}

TEST_CASE("RATE_LIMIT_PER_MINUTE gives each tenant one budget for all its keys",
          "[integration][auth]") {
  temp_dir dir{"ves-it-tenant-limit"};
  server_process srv{server_config{dir.path(), {}, {{"RATE_LIMIT_PER_MINUTE", "8"}}}};
  api_client admin{srv.port()};
  auto a = agent_identity::random();
  auto b = agent_identity::random(); // another tenant
  // Five requests of the bootstrap admin, which is a tenant of its own ("bootstrap").
  register_key(admin, a);
  register_key(admin, b);
  auto a1 = mint(admin, a.agent, obj({{"tenantId", a.tenant.str()}}));
  auto a2 = mint(admin, a.agent, obj({{"readOnly", true}}));
  auto b1 = mint(admin, b.agent, obj({{"tenantId", b.tenant.str()}}));
  api_client as_a1{srv.port(), a1.key}, as_a2{srv.port(), a2.key}, as_b1{srv.port(), b1.key};

  // Tenant a's two keys share eight requests; the ninth is refused, whichever key sends it.
  for (int i = 0; i < 5; ++i)
    CHECK(ves_head(as_a1, a) == 0);
  for (int i = 0; i < 3; ++i)
    CHECK(ves_head(as_a2, a) == 0);
  for (auto* c : {&as_a1, &as_a2}) {
    auto over = c->get("/api/v1/ves/head" + a.query());
    check_error(over, 429, "RATE_LIMIT_EXCEEDED");
    CHECK(error_message(over) == "Rate limit exceeded for the tenant");
    CHECK(over.retry_after == "60");
  }
  // Tenant b has its own budget; so has the admin, which has used five of its eight.
  CHECK(ves_head(as_b1, b) == 0);
  for (int i = 0; i < 3; ++i)
    CHECK(ves_head(admin, a) == 0);
  check_error(admin.get("/api/v1/ves/head" + a.query()), 429, "RATE_LIMIT_EXCEEDED");
  // A request without a valid key is refused as such (401), not as over the budget.
  api_client wrong{srv.port(), "ss_00000000notarealkeynotarealkeynotarealkey"};
  check_error(wrong.get("/api/v1/ves/head" + a.query()), 401, "INVALID_API_KEY");
  // Health needs no credentials and no budget.
  api_client none{srv.port(), "", auth_style::none};
  CHECK(none.get("/health").status == 200);
}

} // namespace seq::it
