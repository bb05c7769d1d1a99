// SPDX-License-Identifier: Apache-2.0
// Keys: POST /api/v1/agents/keys (agent signing keys), GET /api/v1/agents/{id},
// GET/POST /api/v1/agents/{id}/api-keys, DELETE /api/v1/agents/{id}/api-keys/{prefix}.
// Differences from the reference: a duplicate signing key is 409 (not 500); a supplied
// proof of possession for an Ed25519 key is verified (the reference always fails it); errors use
// the one JSON error shape.
#include "adapters/http/json_writer.hpp"
#include "adapters/http/request.hpp"
#include "adapters/http/route_common.hpp"
#include "adapters/http/server.hpp"
#include "messages/ves/ves.hpp"

#include <httplib.h>

#include <algorithm>

namespace seq::http {

namespace {

const char* permissions_of(const msg::api_key_record& k) {
  return k.can_admin ? "admin" : k.can_write ? "read_write" : "read";
}

/// The largest agent key id: the reference's API declares `keyId` a u32, but its tables (and
/// this project's) keep key ids in INTEGER columns. PostgreSQL would refuse a larger id only
/// at the insert (a 500) and SQLite would store it: it is refused here for both backends.
constexpr uint32_t max_key_id = 2147483647;

std::optional<msg::timestamp_us> opt_time(const fields& f, std::string_view key) {
  auto s = f.opt_string(key);
  if (!s)
    return std::nullopt;
  auto t = msg::parse_rfc3339(*s);
  if (!t)
    reject(api_error::bad_request("Invalid " + std::string{key} + " timestamp: \"" + *s + "\""));
  return t;
}

void register_agent_key(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto body = parse_body(req);
  fields f{body, ""};
  msg::agent_key k;
  k.tenant_id = f.uuid("tenantId");
  k.agent_id = f.uuid("agentId");
  k.key_id = f.u32("keyId");
  if (k.key_id > max_key_id)
    f.bad("keyId", "expected an integer in 0..2147483647");
  auto pk_text = f.string("publicKey");
  auto algorithm = f.opt_i64("keyAlgorithm").value_or(msg::key_algorithm_unspecified);
  ensure_admin(p, k.tenant_id, ves::uuid{});
  // The nil tenant is the bootstrap admin's: no agent belongs to it (this server's check).
  if (k.tenant_id.is_nil())
    reject(api_error::bad_request("tenantId cannot be nil"));
  if (algorithm != msg::key_algorithm_unspecified && algorithm != msg::key_algorithm_ed25519)
    reject(api_error::bad_request("key_algorithm " + std::to_string(algorithm)
                                  + " is not supported by this server (0 or 1 = Ed25519)"));
  k.key_algorithm = msg::stored_key_algorithm(static_cast<int32_t>(algorithm));
  auto pk = ves::from_hex(pk_text);
  if (!pk)
    reject(api_error::bad_request("Invalid public_key hex: \"" + pk_text + "\""));
  if (pk->size() != 32)
    reject(api_error::bad_request("Public key must be 32 bytes"));
  std::copy(pk->begin(), pk->end(), k.public_key.begin());
  k.valid_from = opt_time(f, "validFrom");
  k.valid_to = opt_time(f, "validTo");
  if (k.valid_from && k.valid_to && *k.valid_from > *k.valid_to)
    reject(api_error::bad_request("validFrom must not be after validTo"));
  if (auto* bundle = f.get("proofOfPossessionBundle")) {
    fields b{*bundle, "proofOfPossessionBundle"};
    if (auto pop = b.opt_string("ed25519Pop")) {
      auto sig = ves::from_hex_fixed<64>(*pop);
      if (!sig)
        reject(api_error::bad_request("ed25519_pop must be 64 bytes"));
      if (!ves::ed25519_verify(k.public_key, ves::pop_challenge(k.public_key), *sig))
        reject(api_error::bad_request("Proof of possession verification failed"));
    }
  }
  k.created_at = msg::now_us();
  auto ok = conn(ctx)->insert_agent_key(k);
  if (!ok) {
    if (ok.error() == errc::already_exists)
      reject(api_error::conflict("ALREADY_EXISTS", 5004,
                                 "Agent key " + std::to_string(k.key_id)
                                   + " is already registered for this agent"));
    reject(from_error(ok.error()));
  }
  json_writer w;
  w.begin_object()
    .field("success", true)
    .field("tenantId", k.tenant_id.str())
    .field("agentId", k.agent_id.str())
    .field("keyId", k.key_id)
    .field("keyAlgorithm", algorithm) // as requested, like the reference
    .field("message", "Agent key registered successfully")
    .end_object();
  write_json(res, w.take());
}

/// Self agent or an admin may use the /agents/{id} routes.
void ensure_agent_access(const principal& p, const ves::uuid& agent) {
  if (!(p.agent && *p.agent == agent) && !p.admin)
    reject(api_error::forbidden("Access denied"));
}

std::vector<msg::api_key_record> agent_keys(context& ctx, const principal& p,
                                            const ves::uuid& agent) {
  std::optional<ves::uuid> tenant;
  if (!p.bootstrap_admin())
    tenant = p.tenant;
  auto keys = conn(ctx)->list_api_keys(agent, tenant);
  if (!keys)
    reject(from_error(keys.error()));
  return std::move(*keys);
}

void get_agent(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto agent = path_uuid(req, 1, "agent_id");
  ensure_agent_access(p, agent);
  auto keys = agent_keys(ctx, p, agent);
  if (keys.empty())
    reject(api_error::not_found("Agent not found"));
  auto& k = keys.front();
  json_writer w;
  w.begin_object()
    .field("agentId", agent.str())
    .field("tenantId", k.tenant_id.str())
    .field("active", k.active)
    .field("permissions", permissions_of(k))
    .key("storeIds")
    .begin_array();
  for (auto& s : k.store_ids)
    w.str(s.str());
  w.end_array().key("rateLimit");
  if (k.rate_limit)
    w.i64(*k.rate_limit);
  else
    w.null();
  w.end_object();
  write_json(res, w.take());
}

void mint_api_key(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto agent = path_uuid(req, 1, "agent_id");
  ensure_agent_access(p, agent);
  ves::json::value empty{ves::json::object{}};
  auto body = req.body.empty() ? empty : parse_body(req);
  fields f{body, ""};
  std::optional<std::vector<ves::uuid>> stores;
  if (auto* s = f.get("storeIds")) {
    if (!s->is_array())
      f.bad("storeIds", "expected an array of UUIDs");
    stores.emplace();
    for (auto& v : s->as_array()) {
      auto u = v.is_string() ? ves::uuid::parse(v.as_string()) : std::nullopt;
      if (!u)
        f.bad("storeIds", "expected an array of UUIDs");
      stores->push_back(*u);
    }
  }
  auto read_only = f.opt_bool("readOnly");
  auto admin = f.opt_bool("admin").value_or(false);
  auto rate = f.opt_i64("rateLimit");
  if (rate && (*rate <= 0 || *rate > INT32_MAX))
    f.bad("rateLimit", "expected a positive integer");
  auto tenant = f.opt_uuid("tenantId");
  if (tenant && tenant->is_nil())
    reject(api_error::bad_request("tenantId cannot be nil"));

  msg::api_key_record k;
  if (p.bootstrap_admin()) {
    // The agent's tenant comes from its existing keys.
    auto keys = agent_keys(ctx, p, agent);
    if (!keys.empty())
      k.tenant_id = keys.front().tenant_id;
    else if (tenant)
      k.tenant_id = *tenant; // this project's addition: the first key of a new agent
    else
      reject(api_error::not_found("Agent not found (pass tenantId to mint its first key)"));
    if (tenant && *tenant != k.tenant_id)
      reject(api_error::bad_request("tenantId " + tenant->str() + " is not the agent's tenant "
                                    + k.tenant_id.str()));
  } else {
    k.tenant_id = p.tenant;
    if (tenant && *tenant != p.tenant)
      reject(api_error::forbidden("Tenant access denied"));
    if (p.admin && !(p.agent && *p.agent == agent) && agent_keys(ctx, p, agent).empty())
      reject(api_error::not_found("Agent not found"));
  }
  if (p.admin) {
    k.can_admin = admin;
    k.can_write = admin || !read_only.value_or(false);
    k.store_ids = stores.value_or(std::vector<ves::uuid>{});
    if (rate)
      k.rate_limit = static_cast<int32_t>(*rate);
  } else {
    // A key may never widen the rights of the key that mints it.
    if (admin)
      reject(api_error::forbidden("Only admins can mint admin keys"));
    bool want_write = !read_only.value_or(!p.write);
    if (want_write && !p.write)
      reject(api_error::forbidden("Cannot mint a key with broader write permissions"));
    k.can_write = want_write;
    if (!stores) {
      k.store_ids = p.stores;
    } else {
      if (stores->empty() && !p.stores.empty())
        reject(api_error::forbidden("Cannot widen store scope beyond the authenticating key"));
      for (auto& s : *stores)
        if (!p.has_store(s))
          reject(api_error::forbidden(
            "Cannot mint a key for stores outside the authenticating key scope"));
      k.store_ids = *stores;
    }
    if (rate && p.rate_limit && *rate > *p.rate_limit)
      reject(api_error::forbidden(
        "Cannot mint a key with a higher rate limit than the authenticating key"));
    k.rate_limit = rate ? std::optional<int32_t>{static_cast<int32_t>(*rate)} : p.rate_limit;
  }
  k.can_read = true;
  k.agent_id = agent;
  k.active = true;
  k.created_at = k.updated_at = msg::now_us();
  auto plain = ves::generate_api_key(k.tenant_id);
  k.key_hash = ves::api_key_hash(plain);
  auto ok = conn(ctx)->upsert_api_key(k);
  if (!ok)
    reject(from_error(ok.error()));
  json_writer w;
  w.begin_object()
    .field("success", true)
    .field("apiKey", plain)
    .field("keyHashPrefix", k.key_hash.substr(0, 16))
    .field("permissions", permissions_of(k))
    .field("message", "API key created. Store it securely - it cannot be retrieved later.")
    .end_object();
  write_json(res, w.take());
}

void list_api_keys(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto agent = path_uuid(req, 1, "agent_id");
  ensure_agent_access(p, agent);
  auto keys = agent_keys(ctx, p, agent);
  json_writer w;
  w.begin_object().key("keys").begin_array();
  for (auto& k : keys) {
    w.begin_object()
      .field("keyHashPrefix", k.key_hash.substr(0, 16))
      .field("active", k.active)
      .field("permissions", permissions_of(k))
      .key("rateLimit");
    if (k.rate_limit)
      w.i64(*k.rate_limit);
    else
      w.null();
    w.end_object();
  }
  w.end_array().field("count", static_cast<uint64_t>(keys.size())).end_object();
  write_json(res, w.take());
}

void revoke_api_key(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  auto agent = path_uuid(req, 1, "agent_id");
  ensure_agent_access(p, agent);
  auto prefix = path_param(req, 2);
  std::transform(prefix.begin(), prefix.end(), prefix.begin(), ::tolower);
  if (prefix.empty() || !ves::from_hex(prefix.size() % 2 ? prefix + "0" : prefix, false))
    reject(api_error::bad_request("key_prefix must be hex"));
  std::optional<ves::uuid> tenant;
  if (!p.bootstrap_admin())
    tenant = p.tenant;
  auto revoked = conn(ctx)->revoke_api_key(prefix, agent, tenant);
  if (!revoked) {
    if (revoked.error() == errc::not_found)
      reject(api_error::not_found("API key not found"));
    reject(from_error(revoked.error()));
  }
  ctx.auth->invalidate(revoked->key_hash);
  json_writer w;
  w.begin_object()
    .field("success", true)
    .field("message", "API key revoked successfully")
    .end_object();
  write_json(res, w.take());
}

} // namespace

void add_key_routes(context& ctx, const route_adder& add) {
  using R = const httplib::Request&;
  using S = httplib::Response&;
  add("POST", "/api/v1/agents/keys", [&ctx](R req, S res) { register_agent_key(ctx, req, res); });
  // The reference's public registration: not served, but its path is taken, as in the
  // reference (GET /api/v1/agents/register is a 405, not a lookup of an agent "register").
  add("POST", "/api/v1/agents/register", [](R, S) {
    reject(api_error::not_found("POST /api/v1/agents/register is not served: this server has "
                                "no public agent registration (an admin registers agent keys)"));
  });
  add("GET", R"(/api/v1/agents/([^/]+))", [&ctx](R req, S res) { get_agent(ctx, req, res); });
  add("POST", R"(/api/v1/agents/([^/]+)/api-keys)",
      [&ctx](R req, S res) { mint_api_key(ctx, req, res); });
  add("GET", R"(/api/v1/agents/([^/]+)/api-keys)",
      [&ctx](R req, S res) { list_api_keys(ctx, req, res); });
  add("DELETE", R"(/api/v1/agents/([^/]+)/api-keys/([^/]+))",
      [&ctx](R req, S res) { revoke_api_key(ctx, req, res); });
}

} // namespace seq::http
