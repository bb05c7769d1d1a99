// SPDX-License-Identifier: Apache-2.0
#include "actors/supervision/stream_supervisor.hpp"

#include "messages/errc.hpp"
#include "messages/type_ids.hpp"

#include <utility>

#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/result.hpp"
#include "caf/send.hpp"
#include "caf/system_messages.hpp"

namespace seq::actors {

namespace {

using self_ptr = caf::stateful_actor<stream_supervisor_state>*;

void spawn_companion(self_ptr self, size_t i) {
  auto& st = self->state;
  auto& spec = st.deps.cfg->companions[i];
  st.companions[i] = spec.spawn(self, st.key);
  if (st.companions[i])
    self->monitor(st.companions[i]);
}

void spawn_child(self_ptr self) {
  auto& st = self->state;
  auto deps = st.deps;
  deps.notify = caf::actor_cast<caf::actor>(self);
  st.child = self->spawn<caf::monitored>(sequencer, st.key, deps);
  auto waiting = std::move(st.waiting);
  st.waiting.clear();
  for (auto& w : waiting)
    w.forward(w.rp, st.child);
}

void fail_waiting(self_ptr self, const caf::error& e) {
  auto waiting = std::move(self->state.waiting);
  self->state.waiting.clear();
  for (auto& w : waiting)
    w.rp.deliver(e);
}

/// Forwards a request to the sequencer, or parks it during a back-off.
template <class Reply, class T>
caf::result<Reply> forward(self_ptr self, T&& x) {
  auto& st = self->state;
  if (st.child) {
    self->delegate(st.child, std::forward<T>(x));
    return caf::delegated<Reply>{};
  }
  auto rp = self->make_response_promise();
  st.waiting.push_back(stream_supervisor_state::parked{
    rp, [x = std::forward<T>(x)](caf::response_promise& p, const caf::actor& c) mutable {
      p.delegate(c, std::move(x));
    }});
  return caf::delegated<Reply>{};
}

} // namespace

stream_supervisor_state::~stream_supervisor_state() {
  // Whatever ended the supervisor (user_shutdown from the registry, kill, shutdown), the
  // sequencer must not outlive it, and parked requests get an answer.
  if (child)
    caf::anon_send_exit(child, caf::exit_reason::user_shutdown);
  for (auto& c : companions)
    if (c)
      caf::anon_send_exit(c, caf::exit_reason::user_shutdown);
  for (auto& w : waiting)
    if (w.rp.pending())
      w.rp.deliver(make_error(errc::shutting_down, "stream stopped"));
}

caf::behavior stream_supervisor(caf::stateful_actor<stream_supervisor_state>* self,
                                msg::stream_key key, sequencer_deps deps) {
  auto& st = self->state;
  st.key = key;
  st.deps = std::move(deps);
  st.policy = std::make_unique<restart_policy>(st.deps.cfg->restart);
  self->set_down_handler([self](caf::down_msg& dm) {
    auto& st = self->state;
    for (size_t i = 0; i < st.companions.size(); ++i) {
      if (st.companions[i] && dm.source == st.companions[i].address()) {
        st.companions[i] = nullptr;
        if (dm.reason == caf::exit_reason::normal
            || dm.reason == caf::exit_reason::user_shutdown)
          return;
        // A crashed companion restarts at once and reloads its own state from storage; it
        // shares the sequencer's restart budget, so a crash loop stops the stream.
        if (!st.policy->on_failure(self->clock().now()).restart) {
          fail_waiting(self, make_error(errc::internal, "stream companion keeps crashing"));
          self->quit(make_error(errc::internal, "stream companion keeps crashing"));
          return;
        }
        spawn_companion(self, i);
        return;
      }
    }
    if (!st.child || dm.source != st.child.address())
      return;
    st.child = nullptr;
    if (dm.reason == caf::exit_reason::normal || dm.reason == caf::exit_reason::user_shutdown) {
      fail_waiting(self, make_error(errc::shutting_down, "stream stopped"));
      self->quit(dm.reason);
      return;
    }
    auto d = st.policy->on_failure(self->clock().now());
    if (!d.restart) {
      auto reason = make_error(errc::internal, "stream sequencer keeps crashing");
      fail_waiting(self, reason);
      self->quit(reason);
      return;
    }
    ++st.restarts;
    if (auto* m = st.deps.metrics)
      m->sequencer_restarts.fetch_add(1, std::memory_order_relaxed);
    if (d.delay.count() == 0)
      spawn_child(self);
    else
      self->delayed_send(self, d.delay, msg::respawn_atom_v);
  });
  st.companions.resize(st.deps.cfg->companions.size());
  for (size_t i = 0; i < st.companions.size(); ++i)
    spawn_companion(self, i);
  spawn_child(self);
  return {
    [self](msg::ingest_ves& x) -> caf::result<msg::ves_ingested> {
      return forward<msg::ves_ingested>(self, std::move(x));
    },
    [self](msg::ingest_legacy& x) -> caf::result<msg::legacy_ingested> {
      return forward<msg::legacy_ingested>(self, std::move(x));
    },
    [self](msg::ingest_x402& x) -> caf::result<msg::x402_ingested> {
      return forward<msg::x402_ingested>(self, std::move(x));
    },
    [self](msg::activity_atom x) -> caf::result<msg::stream_activity> {
      return forward<msg::stream_activity>(self, x);
    },
    [self](msg::drain_atom x) -> caf::result<caf::ok_atom> {
      return forward<caf::ok_atom>(self, x);
    },
    [self](caf::get_atom) { return self->state.child; },
    [self](msg::events_committed& x) {
      for (auto& c : self->state.companions)
        if (c)
          self->send(c, x);
    },
    [self](msg::get_companion& x) -> caf::result<caf::actor> {
      auto& st = self->state;
      for (size_t i = 0; i < st.companions.size(); ++i)
        if (st.deps.cfg->companions[i].role == x.role && st.companions[i])
          return st.companions[i];
      return make_error(errc::not_found, "stream has no " + x.role);
    },
    [self](msg::respawn_atom) {
      if (!self->state.child)
        spawn_child(self);
    },
  };
}

} // namespace seq::actors
