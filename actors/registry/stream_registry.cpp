// SPDX-License-Identifier: Apache-2.0
#include "actors/registry/stream_registry.hpp"

#include "actors/supervision/stream_supervisor.hpp"
#include "messages/errc.hpp"
#include "messages/type_ids.hpp"

#include <algorithm>
#include <chrono>
#include <memory>
#include <utility>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/result.hpp"
#include "caf/send.hpp"
#include "caf/system_messages.hpp"

namespace seq::actors {

namespace {

using self_ptr = caf::stateful_actor<stream_registry_state>*;

/// Private: give freed memory back to the OS (see schedule_trim).
using trim_atom = caf::atom_constant<caf::atom("trim")>;
constexpr trim_atom trim_atom_v = trim_atom{};

/// How long after the last idle-stopped supervisor ended the trim runs: the supervisor's
/// children (sequencer, companions) end just after it, on receiving its exit.
constexpr auto trim_delay = std::chrono::seconds{1};

void add_streams(self_ptr self, int64_t n) {
  if (auto* m = self->state.deps.metrics)
    m->streams_active.fetch_add(n, std::memory_order_relaxed);
}

/// The stream's supervisor, spawned on first use; records the activity.
const caf::actor& route(self_ptr self, const msg::stream_key& key) {
  auto& st = self->state;
  auto i = st.streams.find(key);
  if (i == st.streams.end()) {
    stream_registry_state::entry e;
    e.supervisor = self->spawn<caf::monitored>(stream_supervisor, key, st.deps);
    i = st.streams.emplace(key, std::move(e)).first;
    add_streams(self, 1);
  }
  i->second.last_activity = self->clock().now();
  ++i->second.activity;
  return i->second.supervisor;
}

template <class Reply, class T>
caf::result<Reply> dispatch(self_ptr self, T&& x) {
  if (self->state.draining)
    return make_error(errc::shutting_down, "the server is shutting down");
  auto key = x.stream;
  self->delegate(route(self, key), std::forward<T>(x));
  return caf::delegated<Reply>{};
}

using stream_iter = std::map<msg::stream_key, stream_registry_state::entry>::iterator;

void stop_stream(self_ptr self, stream_iter i) {
  auto sup = i->second.supervisor;
  self->state.streams.erase(i);
  add_streams(self, -1);
  ++self->state.idle_stopping;
  self->send_exit(sup, caf::exit_reason::user_shutdown);
}

/// An idle-stopped supervisor has ended. Once the last one has, a trim follows: glibc keeps
/// the memory freed by thousands of stopped streams (arenas, holes below the heap top) unless
/// asked to release it. At most one trim per `idle_check_interval`, so at most one per sweep.
void schedule_trim(self_ptr self) {
  auto& st = self->state;
  if (st.idle_stopping > 0)
    --st.idle_stopping;
  if (st.idle_stopping > 0 || st.trim_scheduled)
    return;
  st.trim_scheduled = true;
  auto now = self->clock().now();
  auto at = now + trim_delay;
  if (st.memory_trims > 0)
    at = std::max(at, st.last_trim + st.deps.cfg->idle_check_interval);
  self->delayed_send(self, at - now, trim_atom_v);
}

void check_idle(self_ptr self) {
  auto& st = self->state;
  auto now = self->clock().now();
  for (auto& [key, e] : st.streams) {
    if (e.probing || now - e.last_activity < st.deps.cfg->idle_timeout)
      continue;
    e.probing = true;
    auto snapshot = e.activity;
    auto sup = e.supervisor;
    // No timeout: in CAF 0.17 a request timeout stays in the clock (with a reference to the
    // registry) until it expires, answered or not, and 10,000 of them allocated during a
    // sweep pin freed memory for `io_timeout`. The supervisor always answers (it parks the
    // probe during a back-off; its end fails the request).
    self->request(sup, caf::infinite, msg::activity_atom_v)
      .then(
        [self, key = key, snapshot, sup](msg::stream_activity& a) {
          auto& st = self->state;
          auto i = st.streams.find(key);
          if (i == st.streams.end() || i->second.supervisor != sup)
            return;
          i->second.probing = false;
          if (i->second.activity == snapshot && a.idle() && !st.draining)
            stop_stream(self, i);
        },
        [self, key = key, sup](caf::error&) {
          auto i = self->state.streams.find(key);
          if (i != self->state.streams.end() && i->second.supervisor == sup)
            i->second.probing = false;
        });
  }
}

} // namespace

stream_registry_state::~stream_registry_state() {
  // However the registry ends, every stream ends with it.
  for (auto& [key, e] : streams)
    caf::anon_send_exit(e.supervisor, caf::exit_reason::user_shutdown);
  if (deps.metrics)
    deps.metrics->streams_active.fetch_sub(static_cast<int64_t>(streams.size()),
                                           std::memory_order_relaxed);
}

caf::behavior stream_registry(caf::stateful_actor<stream_registry_state>* self,
                              sequencer_deps deps) {
  self->state.deps = std::move(deps);
  if (self->state.deps.verify_pool)
    self->link_to(self->state.deps.verify_pool);
  if (self->state.deps.writer)
    self->link_to(self->state.deps.writer);
  self->set_down_handler([self](caf::down_msg& x) {
    // A supervisor ended (gave up after crashes, or was stopped): forget the stream.
    auto& streams = self->state.streams;
    for (auto i = streams.begin(); i != streams.end(); ++i) {
      if (i->second.supervisor.address() == x.source) {
        streams.erase(i);
        add_streams(self, -1);
        return;
      }
    }
    // Not in the table: a supervisor stop_stream stopped for idleness.
    schedule_trim(self);
  });
  self->delayed_send(self, self->state.deps.cfg->idle_check_interval, caf::tick_atom_v);
  return {
    [self](msg::ingest_ves& x) -> caf::result<msg::ves_ingested> {
      return dispatch<msg::ves_ingested>(self, std::move(x));
    },
    [self](msg::ingest_legacy& x) -> caf::result<msg::legacy_ingested> {
      return dispatch<msg::legacy_ingested>(self, std::move(x));
    },
    [self](msg::ingest_x402& x) -> caf::result<msg::x402_ingested> {
      return dispatch<msg::x402_ingested>(self, std::move(x));
    },
    [self](msg::get_companion& x) -> caf::result<caf::actor> {
      return dispatch<caf::actor>(self, std::move(x));
    },
    [self](caf::tick_atom) {
      check_idle(self);
      self->delayed_send(self, self->state.deps.cfg->idle_check_interval, caf::tick_atom_v);
    },
    [self](trim_atom) {
      auto& st = self->state;
      st.trim_scheduled = false;
      st.last_trim = self->clock().now();
      ++st.memory_trims;
#if defined(__GLIBC__)
      malloc_trim(0);
#endif
    },
    [self](msg::drain_atom) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      st.draining = true;
      if (st.streams.empty())
        return caf::ok_atom_v;
      auto rp = self->make_response_promise();
      auto remaining = std::make_shared<size_t>(st.streams.size());
      auto done = [rp, remaining]() mutable {
        if (--*remaining == 0)
          rp.deliver(caf::ok_atom_v);
      };
      for (auto& [key, e] : st.streams)
        self->request(e.supervisor, caf::infinite, msg::drain_atom_v)
          .then([done](caf::ok_atom) mutable { done(); },
                [done](caf::error&) mutable { done(); });
      return caf::delegated<caf::ok_atom>{};
    },
    [self](caf::get_atom) { return static_cast<uint64_t>(self->state.streams.size()); },
    [self](caf::get_atom, const msg::stream_key& key) {
      auto i = self->state.streams.find(key);
      return i == self->state.streams.end() ? caf::actor{} : i->second.supervisor;
    },
  };
}

} // namespace seq::actors
