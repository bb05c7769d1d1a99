// SPDX-License-Identifier: Apache-2.0
#include "adapters/http/rate_limiter.hpp"

#include <algorithm>
#include <vector>

namespace seq::http {

rate_limiter::rate_limiter(std::chrono::seconds window, size_t max_entries)
  : window_(window), max_entries_(std::max<size_t>(1, max_entries)) {
}

bool rate_limiter::allow(const std::string& key, uint32_t limit, clock::time_point now) {
  std::lock_guard guard{mtx_};
  auto i = slots_.find(key);
  if (i == slots_.end()) {
    if (slots_.size() >= max_entries_)
      make_room(now);
    i = slots_.emplace(key, slot{now, 0}).first;
  } else if (now - i->second.start >= window_) {
    i->second = slot{now, 0};
  }
  if (i->second.count >= limit)
    return false;
  ++i->second.count;
  return true;
}

size_t rate_limiter::size() const {
  std::lock_guard guard{mtx_};
  return slots_.size();
}

void rate_limiter::make_room(clock::time_point now) {
  for (auto i = slots_.begin(); i != slots_.end();) {
    if (now - i->second.start >= window_)
      i = slots_.erase(i);
    else
      ++i;
  }
  if (slots_.size() < max_entries_)
    return;
  // Still full: drop the oldest tenth (at least one). Erasing one entry leaves the iterators
  // to the others valid.
  std::vector<decltype(slots_)::iterator> by_age;
  by_age.reserve(slots_.size());
  for (auto i = slots_.begin(); i != slots_.end(); ++i)
    by_age.push_back(i);
  auto drop = std::max<size_t>(1, slots_.size() / 10);
  auto last = by_age.begin() + static_cast<std::ptrdiff_t>(drop);
  std::nth_element(by_age.begin(), last - 1, by_age.end(),
                   [](auto a, auto b) { return a->second.start < b->second.start; });
  for (auto i = by_age.begin(); i != last; ++i)
    slots_.erase(*i);
}

} // namespace seq::http
