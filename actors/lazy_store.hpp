// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The store connection of an I/O worker actor: opened through the factory on first use, and
/// dropped after errc::storage_unavailable so that the next job reconnects.

#include "actors/ingest_config.hpp"
#include "messages/errc.hpp"

#include <string>

#include "caf/error.hpp"
#include "caf/expected.hpp"

namespace seq::actors {

class lazy_store {
public:
  lazy_store() = default;
  /// `owner` names the worker in errors ("commit I/O", …).
  lazy_store(store_factory factory, std::string owner)
    : factory_(std::move(factory)), owner_(std::move(owner)) {}

  /// The connection as interface `I` (the event store itself, or one it also implements:
  /// commitments, x402, …), opened on first use.
  template <class I = storage::event_store>
  caf::expected<I*> get() {
    if (!store_) {
      if (!factory_)
        return make_error(errc::storage_unavailable, owner_ + " has no store factory");
      auto s = factory_();
      if (!s)
        return std::move(s.error());
      store_ = std::move(*s);
    }
    if (auto* i = dynamic_cast<I*>(store_.get()))
      return i;
    return make_error(errc::internal, owner_ + ": the store lacks the interface it needs");
  }

  /// Drops the connection when `e` says the database is unavailable.
  void on_error(const caf::error& e) {
    if (e == errc::storage_unavailable)
      store_.reset();
  }

private:
  store_factory factory_;
  std::string owner_;
  store_ptr store_;
};

} // namespace seq::actors
