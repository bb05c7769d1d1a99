// SPDX-License-Identifier: Apache-2.0
// Agent signing keys and API keys through the storage contract (SEQ_TEST_BACKEND).

#include "tests/adapters/storage/storage_fixture.hpp"

using namespace seq;
using namespace seq::storage;
using namespace seq::storage::test;

namespace {

msg::agent_key make_agent_key(const uuid& tenant, const uuid& agent, uint32_t key_id) {
  msg::agent_key k;
  k.tenant_id = tenant;
  k.agent_id = agent;
  k.key_id = key_id;
  k.public_key = random_bytes<32>();
  k.key_algorithm = 1;
  k.status = "active";
  k.valid_from = random_time();
  k.valid_to = *k.valid_from + 86'400'000'000;
  k.created_at = random_time();
  return k;
}

void check_same(const msg::agent_key& a, const msg::agent_key& b) {
  CHECK(a.tenant_id == b.tenant_id);
  CHECK(a.agent_id == b.agent_id);
  CHECK(a.key_id == b.key_id);
  CHECK(a.public_key == b.public_key);
  CHECK(a.key_algorithm == b.key_algorithm);
  CHECK(a.status == b.status);
  CHECK(a.valid_from == b.valid_from);
  CHECK(a.valid_to == b.valid_to);
  CHECK(a.revoked_at == b.revoked_at);
  CHECK(a.created_at == b.created_at);
}

/// A µs timestamp in 2020–2023: always before now.
int64_t past_time() {
  return 1'600'000'000'000'000 + static_cast<int64_t>(rng()() % 100'000'000'000'000);
}

/// 64 hex characters, unique per call.
std::string random_hash() {
  auto a = random_bytes<32>();
  return ves::to_hex(a);
}

msg::api_key_record make_api_key(const uuid& tenant, std::optional<uuid> agent, int64_t updated) {
  msg::api_key_record k;
  k.key_hash = random_hash();
  k.tenant_id = tenant;
  k.store_ids = {uuid::random_v4(), uuid::random_v4()};
  k.can_read = true;
  k.can_write = true;
  k.can_admin = false;
  k.agent_id = agent;
  k.active = true;
  k.rate_limit = 120;
  k.created_at = updated - 1000;
  k.updated_at = updated;
  return k;
}

void check_same(const msg::api_key_record& a, const msg::api_key_record& b) {
  INFO("API key " << a.key_hash);
  CHECK(a.key_hash == b.key_hash);
  CHECK(a.tenant_id == b.tenant_id);
  CHECK(a.store_ids == b.store_ids);
  CHECK(a.can_read == b.can_read);
  CHECK(a.can_write == b.can_write);
  CHECK(a.can_admin == b.can_admin);
  CHECK(a.agent_id == b.agent_id);
  CHECK(a.active == b.active);
  CHECK(a.rate_limit == b.rate_limit);
  CHECK(a.created_at == b.created_at);
  CHECK(a.updated_at == b.updated_at);
}

std::vector<std::string> hashes(const std::vector<msg::api_key_record>& xs) {
  std::vector<std::string> out;
  for (const auto& x : xs)
    out.push_back(x.key_hash);
  return out;
}

} // namespace

TEST_CASE("agent signing keys are inserted once and read back", "[storage][keys]") {
  store_fixture f;
  auto tenant = uuid::random_v4();
  auto agent = uuid::random_v4();
  auto k1 = make_agent_key(tenant, agent, 1);
  SEQ_REQUIRE_OK(f.store->insert_agent_key(k1));
  auto back = f.store->get_agent_key(tenant, agent, 1);
  SEQ_REQUIRE_OK(back);
  check_same(*back, k1);

  auto dup = make_agent_key(tenant, agent, 1);
  SEQ_REQUIRE_ERRC(f.store->insert_agent_key(dup), errc::already_exists);
  auto unchanged = f.store->get_agent_key(tenant, agent, 1);
  SEQ_REQUIRE_OK(unchanged);
  CHECK(unchanged->public_key == k1.public_key);

  auto revoked = make_agent_key(tenant, agent, 2);
  revoked.status = "revoked";
  revoked.revoked_at = random_time();
  revoked.valid_from.reset();
  revoked.valid_to.reset();
  revoked.key_algorithm = 0;
  SEQ_REQUIRE_OK(f.store->insert_agent_key(revoked));
  auto back2 = f.store->get_agent_key(tenant, agent, 2);
  SEQ_REQUIRE_OK(back2);
  check_same(*back2, revoked);

  SEQ_REQUIRE_ERRC(f.store->get_agent_key(tenant, agent, 3), errc::not_found);
  SEQ_REQUIRE_ERRC(f.store->get_agent_key(uuid::random_v4(), agent, 1), errc::not_found);
  // The same key id under another agent is a different key.
  SEQ_REQUIRE_OK(f.store->insert_agent_key(make_agent_key(tenant, uuid::random_v4(), 1)));
}

TEST_CASE("API keys are upserted, listed newest first and revoked by prefix", "[storage][keys]") {
  store_fixture f;
  auto tenant = uuid::random_v4();
  auto agent = uuid::random_v4();
  auto base = past_time();
  auto k1 = make_api_key(tenant, agent, base);
  auto k2 = make_api_key(tenant, agent, base + 2000);
  auto k3 = make_api_key(tenant, std::nullopt, base + 1000);
  k3.store_ids.clear();
  k3.rate_limit.reset();
  k3.can_admin = true;
  auto other_tenant = uuid::random_v4();
  auto k4 = make_api_key(other_tenant, agent, base + 3000);
  for (const auto& k : {k1, k2, k3, k4})
    SEQ_REQUIRE_OK(f.store->upsert_api_key(k));

  auto g3 = f.store->get_api_key(k3.key_hash);
  SEQ_REQUIRE_OK(g3);
  check_same(*g3, k3);
  SEQ_REQUIRE_ERRC(f.store->get_api_key(random_hash()), errc::not_found);

  SECTION("upsert overwrites every field") {
    auto changed = k1;
    changed.tenant_id = other_tenant;
    changed.store_ids = {uuid::random_v4()};
    changed.can_write = false;
    changed.can_admin = true;
    changed.agent_id.reset();
    changed.active = false;
    changed.rate_limit = 5;
    changed.created_at = base - 5;
    changed.updated_at = base + 10;
    SEQ_REQUIRE_OK(f.store->upsert_api_key(changed));
    auto back = f.store->get_api_key(k1.key_hash);
    SEQ_REQUIRE_OK(back);
    check_same(*back, changed);
  }
  SECTION("lists filter by agent and tenant, newest updated_at first") {
    auto by_agent = f.store->list_api_keys(agent, std::nullopt);
    SEQ_REQUIRE_OK(by_agent);
    CHECK(hashes(*by_agent) == std::vector<std::string>{k4.key_hash, k2.key_hash, k1.key_hash});
    check_same((*by_agent)[1], k2);
    auto by_agent_tenant = f.store->list_api_keys(agent, tenant);
    SEQ_REQUIRE_OK(by_agent_tenant);
    CHECK(hashes(*by_agent_tenant) == std::vector<std::string>{k2.key_hash, k1.key_hash});
    auto by_tenant = f.store->list_api_keys(std::nullopt, tenant);
    SEQ_REQUIRE_OK(by_tenant);
    CHECK(hashes(*by_tenant)
          == std::vector<std::string>{k2.key_hash, k3.key_hash, k1.key_hash});
    auto nobody = f.store->list_api_keys(uuid::random_v4(), std::nullopt);
    SEQ_REQUIRE_OK(nobody);
    CHECK(nobody->empty());
  }
  SECTION("revoke deactivates the key whose hash starts with the prefix") {
    auto r = f.store->revoke_api_key(k2.key_hash.substr(0, 16), agent, std::nullopt);
    SEQ_REQUIRE_OK(r);
    CHECK(r->key_hash == k2.key_hash);
    CHECK_FALSE(r->active);
    CHECK(r->updated_at > k2.updated_at);
    auto back = f.store->get_api_key(k2.key_hash);
    SEQ_REQUIRE_OK(back);
    CHECK_FALSE(back->active);
    CHECK(back->tenant_id == k2.tenant_id);
    auto still = f.store->get_api_key(k1.key_hash);
    SEQ_REQUIRE_OK(still);
    CHECK(still->active);
  }
  SECTION("revoke respects the agent and tenant filters") {
    SEQ_REQUIRE_ERRC(f.store->revoke_api_key(k3.key_hash.substr(0, 12), agent, std::nullopt),
                     errc::not_found);
    SEQ_REQUIRE_ERRC(f.store->revoke_api_key(k4.key_hash.substr(0, 12), agent, tenant),
                     errc::not_found);
    auto r = f.store->revoke_api_key(k4.key_hash.substr(0, 12), agent, other_tenant);
    SEQ_REQUIRE_OK(r);
    CHECK(r->key_hash == k4.key_hash);
    auto any = f.store->revoke_api_key(k3.key_hash, std::nullopt, std::nullopt);
    SEQ_REQUIRE_OK(any);
    CHECK(any->key_hash == k3.key_hash);
  }
  SECTION("revoke of an unknown or empty prefix fails") {
    SEQ_REQUIRE_ERRC(f.store->revoke_api_key("zz-not-hex", std::nullopt, std::nullopt),
                     errc::not_found);
    SEQ_REQUIRE_ERRC(f.store->revoke_api_key("", agent, std::nullopt), errc::invalid_request);
  }
}
