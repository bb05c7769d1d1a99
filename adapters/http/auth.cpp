// SPDX-License-Identifier: Apache-2.0
#include "adapters/http/auth.hpp"

#include "adapters/http/request.hpp"
#include "messages/ves/ves.hpp"

#include <httplib.h>

#include <algorithm>

namespace seq::http {

bool principal::has_store(const ves::uuid& s) const {
  return stores.empty() || std::find(stores.begin(), stores.end(), s) != stores.end();
}

principal to_principal(const msg::api_key_record& r) {
  principal p;
  p.tenant = r.tenant_id;
  p.stores = r.store_ids;
  p.read = r.can_read;
  p.write = r.can_write;
  p.admin = r.can_admin;
  p.agent = r.agent_id;
  p.rate_limit = r.rate_limit;
  p.key_hash = r.key_hash;
  return p;
}

authenticator::authenticator(storage::store_pool& pool, std::string bootstrap_key_hash,
                             rate_limiter& limits, std::chrono::milliseconds cache_ttl)
  : pool_(pool), bootstrap_hash_(std::move(bootstrap_key_hash)), limits_(limits),
    ttl_(cache_ttl) {
}

void authenticator::limit_tenants(uint32_t per_minute) {
  tenant_per_minute_ = per_minute;
  // The reference's limiter per tenant has its own fixed window and bound.
  if (per_minute > 0 && !tenant_limits_)
    tenant_limits_ = std::make_unique<rate_limiter>(std::chrono::seconds{60}, 10000);
}

namespace {

/// The credential a request presents: the key, and whether it came as `ApiKey <key>` (else
/// it is the header's whole value).
struct presented {
  std::string key;
  bool with_scheme = false;
};

std::optional<presented> credential(const httplib::Request& req) {
  std::string v;
  if (req.has_header("Authorization"))
    v = req.get_header_value("Authorization");
  else if (req.has_header("X-API-Key"))
    v = req.get_header_value("X-API-Key");
  else
    return std::nullopt;
  if (v.rfind("ApiKey ", 0) == 0)
    return presented{v.substr(7), true};
  if (v.rfind("Bearer ", 0) == 0)
    reject(api_error::unauthenticated("INVALID_TOKEN", 1003,
                                      "Bearer tokens (JWT) are not enabled on this server; send "
                                      "the API key as `ApiKey <key>` or `X-API-Key`"));
  return presented{std::move(v), false};
}

[[noreturn]] void missing_auth() {
  reject(api_error::unauthenticated("AUTH_REQUIRED", 1001, "Missing authentication"));
}

[[noreturn]] void rate_limited(std::string message, const rate_limiter& by) {
  api_error err{429, "RATE_LIMIT_EXCEEDED", 2001, std::move(message), {}, 0};
  err.retry_after_s = static_cast<int>(by.window().count());
  reject(err);
}

} // namespace

principal authenticator::authenticate(const httplib::Request& req) {
  auto cred = credential(req);
  if (!cred || cred->key.empty())
    missing_auth();
  auto hash = ves::api_key_hash(cred->key);
  // Keys start with ss_ (the bootstrap key may have any form). A bare value that is neither
  // (`Basic …`, another scheme) is no credential at all, as in the reference.
  if (cred->key.rfind("ss_", 0) != 0 && hash != bootstrap_hash_) {
    if (!cred->with_scheme)
      missing_auth();
    reject(api_error::unauthenticated("INVALID_API_KEY", 1002, "Invalid API key"));
  }
  auto now = std::chrono::steady_clock::now();
  auto p = lookup(hash, now);
  if (tenant_per_minute_ > 0) {
    auto key = p.tenant.is_nil() ? std::string{"bootstrap"} : "tenant:" + p.tenant.str();
    if (!tenant_limits_->allow(key, tenant_per_minute_, now))
      rate_limited("Rate limit exceeded for the tenant", *tenant_limits_);
  }
  if (p.rate_limit && *p.rate_limit > 0
      && !limits_.allow(hash, static_cast<uint32_t>(*p.rate_limit), now))
    rate_limited("Rate limit exceeded", limits_);
  return p;
}

/// The key's principal, from the cache or storage; 401 for an unknown or inactive key.
principal authenticator::lookup(const std::string& hash,
                                 std::chrono::steady_clock::time_point now) {
  {
    std::lock_guard guard{mtx_};
    if (auto i = cache_.find(hash); i != cache_.end() && i->second.expires > now) {
      if (!i->second.active)
        reject(api_error::unauthenticated("INVALID_API_KEY", 1002, "Invalid API key"));
      return i->second.p;
    }
  }
  auto conn = pool_.acquire();
  if (!conn)
    reject(from_error(conn.error()));
  auto rec = (*conn)->get_api_key(hash);
  entry e;
  e.expires = now + ttl_;
  if (rec) {
    e.p = to_principal(*rec);
    e.active = rec->active;
  } else if (rec.error() == errc::not_found) {
    e.active = false;
  } else {
    auto err = from_error(rec.error());
    err.code = "SERVICE_UNAVAILABLE";
    err.status = 503;
    err.numeric_code = 8002;
    err.message = "Authentication backend unavailable";
    err.retry_after_s = 1;
    reject(err);
  }
  {
    std::lock_guard guard{mtx_};
    if (cache_.size() > 100000)
      cache_.clear();
    cache_[hash] = e;
  }
  if (!e.active)
    reject(api_error::unauthenticated("INVALID_API_KEY", 1002, "Invalid API key"));
  return e.p;
}

void authenticator::invalidate(const std::string& key_hash) {
  std::lock_guard guard{mtx_};
  cache_.erase(key_hash);
}

bool in_scope(const principal& p, const ves::uuid& tenant, const ves::uuid& store) {
  return p.bootstrap_admin() || (p.tenant == tenant && (store.is_nil() || p.has_store(store)));
}

namespace {

void ensure_scope(const principal& p, const ves::uuid& tenant, const ves::uuid& store) {
  if (!in_scope(p, tenant, store))
    reject(api_error::forbidden(p.tenant != tenant ? "Tenant access denied"
                                                   : "Store access denied"));
}

} // namespace

void ensure_read(const principal& p, const ves::uuid& tenant, const ves::uuid& store) {
  if (!p.read)
    reject(api_error::forbidden("Read permission required"));
  ensure_scope(p, tenant, store);
}

void ensure_write(const principal& p, const ves::uuid& tenant, const ves::uuid& store) {
  if (!p.write)
    reject(api_error::forbidden("Write permission required"));
  ensure_scope(p, tenant, store);
}

void ensure_admin(const principal& p, const ves::uuid& tenant, const ves::uuid& store) {
  if (!p.admin)
    reject(api_error::forbidden("Admin permission required"));
  ensure_scope(p, tenant, store);
}

} // namespace seq::http
