// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Authentication and authorization of HTTP requests (wire-contract §4). API keys are looked
/// up by SHA-256 hash (never stored in plain text), accepted as `Authorization: ApiKey <key>`,
/// a raw `Authorization: ss_…` value, or `X-API-Key` (Authorization wins). The bootstrap admin
/// key may have any format (the reference only accepts `ss_` keys; this project accepts the
/// configured bootstrap key verbatim). Lookups are cached for a few seconds; revocations through
/// this server invalidate the cache at once.

#include "adapters/http/rate_limiter.hpp"
#include "adapters/storage/event_store.hpp"
#include "messages/domain.hpp"

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace httplib {
struct Request;
}

namespace seq::http {

/// Who is calling, with which rights.
struct principal {
  ves::uuid tenant;                  ///< nil for the bootstrap admin
  std::vector<ves::uuid> stores;     ///< empty = all stores
  bool read = false, write = false, admin = false;
  std::optional<ves::uuid> agent;
  std::optional<int32_t> rate_limit;
  std::string key_hash;
  bool bootstrap_admin() const { return admin && tenant.is_nil(); }
  bool has_store(const ves::uuid& s) const;
};

/// Checks credentials, with a short cache of key records, and the rate limits.
class authenticator {
public:
  /// `limits`: the per-credential limiter (§4.6) for keys with a `rate_limit`.
  authenticator(storage::store_pool& pool, std::string bootstrap_key_hash,
                rate_limiter& limits,
                std::chrono::milliseconds cache_ttl = std::chrono::seconds{5});

  /// Turns on the per-tenant limiter (§4.6, `RATE_LIMIT_PER_MINUTE`): every tenant, all its
  /// keys together, gets `per_minute` requests per fixed 60 s window; the bootstrap admin
  /// counts as one tenant of its own. 0 turns it off.
  void limit_tenants(uint32_t per_minute);

  /// Throws request_error (401 AUTH_REQUIRED / INVALID_API_KEY, 429 RATE_LIMIT_EXCEEDED
  /// when the caller's tenant or a key with a rate limit used up its window, 503 when storage
  /// is down). The tenant's window is counted first; a request it refuses is not counted
  /// against the key.
  principal authenticate(const httplib::Request& req);
  /// Drops a cached key (after a revocation).
  void invalidate(const std::string& key_hash);

private:
  struct entry {
    principal p;
    bool active = false;
    std::chrono::steady_clock::time_point expires;
  };
  principal lookup(const std::string& hash, std::chrono::steady_clock::time_point now);

  storage::store_pool& pool_;
  std::string bootstrap_hash_;
  rate_limiter& limits_;
  std::unique_ptr<rate_limiter> tenant_limits_;
  uint32_t tenant_per_minute_ = 0;
  std::chrono::milliseconds ttl_;
  std::mutex mtx_;
  std::unordered_map<std::string, entry> cache_;
};

principal to_principal(const msg::api_key_record& r);

/// Whether `p`'s scope reaches the stream: the bootstrap admin, or `p`'s tenant and (for a
/// store-scoped key, when `store` is non-nil) one of its stores. No permission bit is checked.
bool in_scope(const principal& p, const ves::uuid& tenant, const ves::uuid& store);

/// Permission checks (§4.4): the permission bit first, then the bootstrap admin passes,
/// else the tenant must match, else a store-scoped key must include `store` (when non-nil).
/// Throw request_error 403.
void ensure_read(const principal& p, const ves::uuid& tenant, const ves::uuid& store);
void ensure_write(const principal& p, const ves::uuid& tenant, const ves::uuid& store);
void ensure_admin(const principal& p, const ves::uuid& tenant, const ves::uuid& store);

} // namespace seq::http
