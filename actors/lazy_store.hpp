// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The store connection of an I/O worker actor: opened through the factory on first use, and
/// dropped after errc::storage_unavailable so that the next job reconnects. Also how such
/// workers are spawned and stopped.

#include "actors/ingest_config.hpp"
#include "messages/errc.hpp"

#include <algorithm>
#include <exception>
#include <string>
#include <vector>

#include "caf/actor.hpp"
#include "caf/actor_system.hpp"
#include "caf/error.hpp"
#include "caf/exit_reason.hpp"
#include "caf/expected.hpp"
#include "caf/send.hpp"

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

/// Runs one job of an I/O worker: an exception (std::bad_alloc from a read too large for the
/// process, …) becomes errc::internal for that job alone. Left to CAF, it would end the
/// worker, and every later job of the streams it serves would wait for an answer that never
/// comes.
template <class F>
auto guarded(const char* owner, F&& job) -> decltype(job()) {
  try {
    return job();
  } catch (const std::exception& e) {
    return make_error(errc::internal, std::string{owner} + ": " + e.what());
  }
}

/// Spawns max(n, 1) I/O workers running `fn(self, args…)`, detached (own threads, for
/// blocking storage calls) or not (tests on the deterministic coordinator).
template <class Fn, class... Ts>
std::vector<caf::actor> spawn_io_workers(caf::actor_system& sys, size_t n, bool detached, Fn fn,
                                         const Ts&... args) {
  std::vector<caf::actor> out;
  for (size_t i = 0; i < std::max<size_t>(n, 1); ++i)
    out.push_back(detached ? sys.spawn<caf::detached>(fn, args...) : sys.spawn(fn, args...));
  return out;
}

/// Stops workers spawned by spawn_io_workers.
inline void stop_io_workers(const std::vector<caf::actor>& workers) {
  for (const auto& w : workers)
    caf::anon_send_exit(w, caf::exit_reason::user_shutdown);
}

} // namespace seq::actors
