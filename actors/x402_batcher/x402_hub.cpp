// SPDX-License-Identifier: Apache-2.0
#include "actors/x402_batcher/x402_hub.hpp"

#include "messages/errc.hpp"
#include "messages/sequencing.hpp"
#include "messages/type_ids.hpp"

#include <functional>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/result.hpp"
#include "caf/send.hpp"
#include "caf/system_messages.hpp"

namespace seq::actors::x402 {

namespace {

using self_ptr = caf::stateful_actor<x402_hub_state>*;

/// The batcher of (stream, network), spawned on first use.
const caf::actor& batcher_of(self_ptr self, const msg::stream_key& s, const std::string& n) {
  auto& st = self->state;
  msg::x402_work key{s, n};
  auto i = st.batchers.find(key);
  if (i != st.batchers.end())
    return i->second;
  auto deps = st.deps.batcher;
  deps.options.auto_seal = st.deps.networks.count(n) > 0;
  auto a = self->spawn<caf::monitored>(x402_batcher, s, n, std::move(deps));
  return st.batchers.emplace(key, std::move(a)).first->second;
}

void find_work(self_ptr self) {
  auto& st = self->state;
  if (!st.deps.batcher.io.valid())
    return;
  self
    ->request(st.deps.batcher.io.workers.front(), st.deps.batcher.io_timeout,
              msg::x402_find_work{})
    .then(
      [self](msg::x402_work_found& x) {
        for (const auto& w : x.work)
          batcher_of(self, w.stream, w.network);
      },
      [self](caf::error&) {
        // Retry: work left by a previous run must not wait for new intents.
        self->delayed_send(self, self->state.deps.respawn_delay, msg::x402_find_work{});
      });
}

void prune(self_ptr self) {
  auto& st = self->state;
  if (!st.deps.batcher.io.valid())
    return;
  auto before = msg::now_us() - st.deps.nonce_retention.count();
  self
    ->request(st.deps.batcher.io.workers.front(), st.deps.batcher.io_timeout,
              msg::x402_prune{before})
    .then(
      [self](uint64_t n) {
        if (auto* m = self->state.deps.batcher.metrics)
          m->nonces_pruned.fetch_add(n, std::memory_order_relaxed);
      },
      [](caf::error&) {
        // The next round tries again.
      });
}

} // namespace

x402_hub_state::~x402_hub_state() {
  for (auto& [key, a] : batchers)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

caf::behavior x402_hub(caf::stateful_actor<x402_hub_state>* self, hub_deps deps) {
  self->state.deps = std::move(deps);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& bs = self->state.batchers;
    for (auto i = bs.begin(); i != bs.end(); ++i) {
      if (i->second.address() != dm.source)
        continue;
      auto key = i->first;
      bs.erase(i);
      if (dm.reason != caf::exit_reason::normal && dm.reason != caf::exit_reason::user_shutdown)
        self->delayed_send(self, self->state.deps.respawn_delay, msg::respawn_atom_v,
                           key.stream, key.network);
      return;
    }
  });
  if (self->state.deps.scan_on_start)
    find_work(self);
  self->delayed_send(self, self->state.deps.prune_interval, msg::x402_prune_atom_v);
  return {
    [self](msg::x402_sequenced& x) {
      // One message per network, each to its own batcher (networks without automatic sealing
      // get one too: it expires their intents on time).
      std::map<std::string, msg::x402_sequenced> per_network;
      for (auto& n : x.intents) {
        auto& m = per_network[n.network];
        m.stream = x.stream;
        m.intents.push_back(n);
      }
      for (auto& [network, m] : per_network)
        self->send(batcher_of(self, x.stream, network), std::move(m));
    },
    [self](msg::create_x402_batch& x) -> caf::result<msg::x402_batch_made> {
      auto b = batcher_of(self, x.stream, x.network);
      self->delegate(b, std::move(x));
      return caf::delegated<msg::x402_batch_made>{};
    },
    [self](msg::settle_x402_batch& x) -> caf::result<msg::x402_settled> {
      const auto& io = self->state.deps.batcher.io;
      if (!io.valid())
        return make_error(errc::storage_unavailable, "x402 I/O is not running");
      auto h = std::hash<std::string>{}(x.batch_id.str());
      self->delegate(io.workers[h % io.workers.size()], std::move(x));
      return caf::delegated<msg::x402_settled>{};
    },
    [self](msg::x402_find_work&) { find_work(self); },
    [self](msg::respawn_atom, const msg::stream_key& s, const std::string& n) {
      batcher_of(self, s, n);
    },
    [self](msg::x402_prune_atom) {
      prune(self);
      self->delayed_send(self, self->state.deps.prune_interval, msg::x402_prune_atom_v);
    },
    [self](caf::put_atom, caf::actor& breaker) {
      // The chain became available after the hub started (the runtime spawns the breaker
      // later): the batchers settle through it from now on.
      auto& st = self->state;
      st.deps.batcher.breaker = breaker;
      for (auto& [key, b] : st.batchers)
        self->send(b, caf::put_atom_v, breaker);
    },
    [self](caf::get_atom) { return static_cast<uint64_t>(self->state.batchers.size()); },
  };
}

caf::actor spawn_x402_hub(caf::actor_system& sys, hub_deps deps) {
  return sys.spawn(x402_hub, std::move(deps));
}

} // namespace seq::actors::x402
