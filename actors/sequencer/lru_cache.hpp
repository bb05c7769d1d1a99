// SPDX-License-Identifier: Apache-2.0
#pragma once

/// A bounded map that forgets its least recently used entries (list + hash index). An empty
/// cache holds no memory beyond its two words: a stream that never sees, say, an x402 intent
/// or a command id pays nothing for those caches.

#include <cstddef>
#include <functional>
#include <list>
#include <memory>
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
    if (!d_)
      return nullptr;
    auto i = d_->index.find(k);
    if (i == d_->index.end())
      return nullptr;
    d_->order.splice(d_->order.begin(), d_->order, i->second);
    return &i->second->second;
  }

  /// The value for `k` without touching the recency order, or nullptr.
  const Value* peek(const Key& k) const {
    if (!d_)
      return nullptr;
    auto i = d_->index.find(k);
    return i == d_->index.end() ? nullptr : &i->second->second;
  }

  bool contains(const Key& k) const {
    return d_ && d_->index.count(k) > 0;
  }

  /// Inserts or overwrites `k`, evicting the least recently used entry when full.
  void put(const Key& k, Value v) {
    if (!d_)
      d_ = std::make_unique<data>();
    auto& d = *d_;
    if (auto i = d.index.find(k); i != d.index.end()) {
      i->second->second = std::move(v);
      d.order.splice(d.order.begin(), d.order, i->second);
      return;
    }
    if (d.index.size() >= capacity_) {
      d.index.erase(d.order.back().first);
      d.order.pop_back();
    }
    d.order.emplace_front(k, std::move(v));
    d.index.emplace(k, d.order.begin());
  }

  void erase(const Key& k) {
    if (!d_)
      return;
    if (auto i = d_->index.find(k); i != d_->index.end()) {
      d_->order.erase(i->second);
      d_->index.erase(i);
    }
  }

  /// Forgets everything and gives the memory back.
  void clear() {
    d_.reset();
  }

  size_t size() const {
    return d_ ? d_->index.size() : 0;
  }

  size_t capacity() const {
    return capacity_;
  }

private:
  using list_type = std::list<std::pair<Key, Value>>;
  struct data {
    list_type order; ///< most recently used first
    std::unordered_map<Key, typename list_type::iterator, Hash> index;
  };

  size_t capacity_;
  std::unique_ptr<data> d_; ///< created by the first put
};

} // namespace seq::actors
