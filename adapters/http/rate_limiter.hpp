// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The per-credential rate limiter of wire-contract §4.6: a fixed window per key (the count
/// starts again once `window` has passed since the window began), in a map of at most
/// `max_entries` keys. When a new key would pass that bound, the expired windows are dropped
/// first, then the oldest tenth of the rest. Thread-safe; time comes from the caller.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace seq::http {

class rate_limiter {
public:
  using clock = std::chrono::steady_clock;

  rate_limiter(std::chrono::seconds window, size_t max_entries);

  /// Counts one request of `key` at `now`; false once `limit` requests of its current window
  /// were counted (the refused request is not counted).
  bool allow(const std::string& key, uint32_t limit, clock::time_point now);

  std::chrono::seconds window() const {
    return window_;
  }
  size_t size() const;

private:
  struct slot {
    clock::time_point start;
    uint32_t count = 0;
  };
  void make_room(clock::time_point now);

  std::chrono::seconds window_;
  size_t max_entries_;
  mutable std::mutex mtx_;
  std::unordered_map<std::string, slot> slots_;
};

} // namespace seq::http
