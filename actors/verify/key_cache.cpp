// SPDX-License-Identifier: Apache-2.0
#include "actors/verify/key_cache.hpp"

#include <algorithm>

namespace seq::actors {

key_cache::key_cache(clock::duration ttl, size_t max_entries)
  : ttl_(ttl), max_entries_(std::max<size_t>(max_entries, 1)) {
}

caf::expected<msg::agent_key> key_cache::get(const msg::uuid& tenant, const msg::uuid& agent,
                                             uint32_t key_id, clock::time_point now,
                                             const loader& load) {
  key_type k{tenant, agent, key_id};
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (auto i = entries_.find(k); i != entries_.end()) {
      if (now < i->second.expires) {
        ++stats_.hits;
        return i->second.key;
      }
      entries_.erase(i);
    }
    ++stats_.misses;
  }
  auto loaded = load();
  if (!loaded)
    return loaded;
  std::lock_guard<std::mutex> guard{mtx_};
  if (entries_.size() >= max_entries_ && entries_.count(k) == 0)
    make_room(now);
  entries_.insert_or_assign(k, entry{*loaded, now + ttl_});
  return loaded;
}

void key_cache::make_room(clock::time_point now) {
  for (auto i = entries_.begin(); i != entries_.end();) {
    if (i->second.expires <= now)
      i = entries_.erase(i);
    else
      ++i;
  }
  if (entries_.size() < max_entries_)
    return;
  auto oldest = std::min_element(entries_.begin(), entries_.end(), [](auto& a, auto& b) {
    return a.second.expires < b.second.expires;
  });
  entries_.erase(oldest);
}

void key_cache::invalidate(const msg::uuid& tenant, const msg::uuid& agent, uint32_t key_id) {
  std::lock_guard<std::mutex> guard{mtx_};
  entries_.erase(key_type{tenant, agent, key_id});
}

size_t key_cache::size() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return entries_.size();
}

key_cache::counters key_cache::stats() const {
  std::lock_guard<std::mutex> guard{mtx_};
  return stats_;
}

} // namespace seq::actors
