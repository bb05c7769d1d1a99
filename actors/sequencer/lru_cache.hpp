// SPDX-License-Identifier: Apache-2.0
#pragma once

/// A bounded map that forgets its least recently used entries (list + hash index).

#include <cstddef>
#include <functional>
#include <list>
#include <unordered_map>
#include <utility>

namespace seq::actors {

template <class Key, class Value, class Hash = std::hash<Key>>
class lru_cache {
public:
  explicit lru_cache(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {
  }

  /// The value for `k` (and marks it most recently used), or nullptr.
  const Value* find(const Key& k) {
    auto i = index_.find(k);
    if (i == index_.end())
      return nullptr;
    order_.splice(order_.begin(), order_, i->second);
    return &i->second->second;
  }

  /// The value for `k` without touching the recency order, or nullptr.
  const Value* peek(const Key& k) const {
    auto i = index_.find(k);
    return i == index_.end() ? nullptr : &i->second->second;
  }

  bool contains(const Key& k) const {
    return index_.count(k) > 0;
  }

  /// Inserts or overwrites `k`, evicting the least recently used entry when full.
  void put(const Key& k, Value v) {
    if (auto i = index_.find(k); i != index_.end()) {
      i->second->second = std::move(v);
      order_.splice(order_.begin(), order_, i->second);
      return;
    }
    if (index_.size() >= capacity_) {
      index_.erase(order_.back().first);
      order_.pop_back();
    }
    order_.emplace_front(k, std::move(v));
    index_.emplace(k, order_.begin());
  }

  void erase(const Key& k) {
    if (auto i = index_.find(k); i != index_.end()) {
      order_.erase(i->second);
      index_.erase(i);
    }
  }

  void clear() {
    index_.clear();
    order_.clear();
  }

  size_t size() const {
    return index_.size();
  }

  size_t capacity() const {
    return capacity_;
  }

private:
  size_t capacity_;
  std::list<std::pair<Key, Value>> order_;
  std::unordered_map<Key, typename std::list<std::pair<Key, Value>>::iterator, Hash> index_;
};

} // namespace seq::actors
