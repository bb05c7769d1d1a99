// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Opening connections and pooling them for non-actor threads. The interface itself is the
/// contract in messages/store.hpp.

#include "messages/store.hpp"

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "caf/expected.hpp"

namespace seq::storage {

using store_ptr = std::unique_ptr<event_store>;

/// Opens a connection from a URL: `sqlite:///abs/path.db`, `sqlite://rel/path.db`, a plain
/// file path, or `postgres://…` / `postgresql://…` (any libpq URI). Does not migrate.
caf::expected<store_ptr> open_store(const std::string& url);

/// A small blocking pool of connections for non-actor threads (HTTP handlers, CLI).
class store_pool {
public:
  store_pool(std::string url, size_t max_size);
  ~store_pool();

  class lease {
  public:
    lease(store_pool* pool, store_ptr s) : pool_(pool), s_(std::move(s)) {}
    lease(lease&&) = default;
    ~lease();
    event_store* operator->() { return s_.get(); }
    event_store& operator*() { return *s_; }
  private:
    store_pool* pool_;
    store_ptr s_;
  };

  /// Blocks while all connections are leased; errc::storage_unavailable when a new
  /// connection cannot be opened.
  caf::expected<lease> acquire();

private:
  friend class lease;
  void release(store_ptr s);
  std::string url_;
  size_t max_size_;
  size_t open_ = 0;
  std::vector<store_ptr> idle_;
  std::mutex mtx_;
  std::condition_variable cv_;
};

} // namespace seq::storage
