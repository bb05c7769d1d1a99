// SPDX-License-Identifier: Apache-2.0
#pragma once

/// A small thread-safe cache of agent signing keys in front of
/// `event_store::get_agent_key`, shared by all verify workers. Positive entries live for a
/// TTL (so a revocation is seen after at most one TTL); a key that is not found is never
/// cached (a key registered a moment later must work at once). Storage errors pass through
/// and are not cached either. Time is passed in, so tests control it.

#include "messages/domain.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <tuple>

#include "caf/expected.hpp"

namespace seq::actors {

class key_cache {
public:
  using clock = std::chrono::steady_clock;
  using loader = std::function<caf::expected<msg::agent_key>()>;

  struct counters {
    uint64_t hits = 0, misses = 0;
  };

  /// `max_entries` bounds memory: when full, expired entries are dropped first, then the
  /// entry closest to expiry.
  explicit key_cache(clock::duration ttl, size_t max_entries = 65536);

  /// The key (tenant, agent, key_id): from the cache when its entry is younger than the
  /// TTL at `now`, otherwise from `load` (not under the cache lock, so look-ups of
  /// different workers do not wait for each other's storage round trips).
  caf::expected<msg::agent_key> get(const msg::uuid& tenant, const msg::uuid& agent,
                                    uint32_t key_id, clock::time_point now,
                                    const loader& load);

  /// Drops one entry (e.g. after a key was revoked through this node).
  void invalidate(const msg::uuid& tenant, const msg::uuid& agent, uint32_t key_id);

  size_t size() const;
  counters stats() const;

private:
  using key_type = std::tuple<msg::uuid, msg::uuid, uint32_t>;
  struct entry {
    msg::agent_key key;
    clock::time_point expires;
  };
  void make_room(clock::time_point now);

  clock::duration ttl_;
  size_t max_entries_;
  mutable std::mutex mtx_;
  std::map<key_type, entry> entries_;
  counters stats_;
};

} // namespace seq::actors
