// SPDX-License-Identifier: Apache-2.0
#include "actors/supervision/stream_supervisor.hpp"

#include "actors/supervision/companion.hpp"
#include "messages/errc.hpp"
#include "messages/type_ids.hpp"

#include <algorithm>
#include <utility>

#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/result.hpp"
#include "caf/send.hpp"
#include "caf/system_messages.hpp"

namespace seq::actors {

namespace {

using self_ptr = caf::stateful_actor<stream_supervisor_state>*;

restart_policy& policy(self_ptr self) {
  auto& st = self->state;
  if (!st.policy)
    st.policy = std::make_unique<restart_policy>(st.deps.cfg->restart);
  return *st.policy;
}

const companion_spec& spec_of(self_ptr self, size_t i) {
  return self->state.deps.cfg->companions[i];
}

companion_held& held_of(companion_slot& s) {
  if (!s.held)
    s.held = std::make_unique<companion_held>();
  return *s.held;
}

/// The slot of the companion that sent the current message (companions.size(): none).
size_t sender_slot(self_ptr self) {
  auto src = caf::actor_cast<caf::actor_addr>(self->current_sender());
  auto& cs = self->state.companions;
  for (size_t i = 0; i < cs.size(); ++i)
    if (cs[i].actor && cs[i].actor.address() == src)
      return i;
  return cs.size();
}

void send_event(self_ptr self, companion_slot& s, const msg::events_committed& x) {
  ++s.sent;
  self->send(s.actor, x);
}

void send_wake(self_ptr self, companion_slot& s) {
  if (s.wake_on_start && s.actor) {
    s.wake_on_start = false;
    self->send(s.actor, companion_wake_atom_v);
  }
}

/// Hands what arrived while the companion was being stopped to the one running now.
void release_held(self_ptr self, companion_slot& s) {
  auto held = std::move(s.held);
  if (!held)
    return;
  for (auto& x : held->events)
    send_event(self, s, x);
  for (auto& rp : held->gets) {
    s.handed_out = self->clock().now();
    rp.deliver(s.actor);
  }
}

void start_companion(self_ptr self, size_t i) {
  auto& st = self->state;
  auto& s = st.companions[i];
  s.actor = spec_of(self, i).spawn(self, st.key);
  s.stopping = false;
  s.sent = 0;
  s.pending = 0;
  if (!s.actor) {
    auto held = std::move(s.held);
    if (held)
      for (auto& rp : held->gets)
        rp.deliver(make_error(errc::not_found, "stream has no " + spec_of(self, i).role));
    return;
  }
  ++st.companion_starts;
  self->monitor(s.actor);
  if (auto idle = st.deps.cfg->companion_idle_stop; idle.count() > 0)
    self->send(s.actor, companion_idle_atom_v, idle);
  release_held(self, s);
  send_wake(self, s);
}

void arm_wake(self_ptr self, size_t i) {
  auto& s = self->state.companions[i];
  if (s.wake_armed || !s.wake_at)
    return;
  s.wake_armed = true;
  auto now = self->clock().now();
  auto delay = *s.wake_at > now ? *s.wake_at - now : caf::timespan{0};
  self->delayed_send(self, delay, companion_wake_atom_v, static_cast<uint64_t>(i));
}

/// events_committed while companion `i` does not run: counted by its start rule, which may
/// start it now (it then gets `x`) or arm its age limit.
void count_pending(self_ptr self, size_t i, const msg::events_committed& x) {
  auto& s = self->state.companions[i];
  const auto& rule = spec_of(self, i).start;
  if (x.sp >= 8 || (rule.spaces & (1u << x.sp)) == 0)
    return;
  if (s.pending == 0 && rule.max_age.count() > 0 && !s.wake_at) {
    s.wake_at = self->clock().now() + rule.max_age;
    arm_wake(self, i);
  }
  s.pending += x.last >= x.first ? x.last - x.first + 1 : 1;
  if (s.pending >= std::max<uint64_t>(rule.events, 1)) {
    start_companion(self, i);
    if (s.actor)
      send_event(self, s, x);
  }
}

/// Companion `i` has ended (stopped for idleness or from outside): a new one starts at once
/// for what was held, else when its start rule says so.
void companion_ended(self_ptr self, size_t i) {
  auto& s = self->state.companions[i];
  if (s.wake_on_start || (s.held && !s.held->gets.empty()))
    return start_companion(self, i);
  auto held = std::move(s.held);
  if (!held)
    return;
  for (auto& x : held->events) {
    if (s.actor)
      send_event(self, s, x);
    else
      count_pending(self, i, x);
  }
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

bool clean_exit(const caf::error& reason) {
  return reason == caf::exit_reason::normal || reason == caf::exit_reason::user_shutdown;
}

/// The restart budget is spent: answer what waits and stop the stream.
void give_up(self_ptr self, const char* why) {
  auto reason = make_error(errc::internal, why);
  fail_waiting(self, reason);
  self->quit(reason);
}

void on_down(self_ptr self, caf::down_msg& dm) {
  auto& st = self->state;
  for (size_t i = 0; i < st.companions.size(); ++i) {
    auto& s = st.companions[i];
    if (!s.actor || dm.source != s.actor.address())
      continue;
    s.actor = nullptr;
    s.stopping = false;
    if (clean_exit(dm.reason))
      return companion_ended(self, i);
    // A crashed companion restarts at once and reloads its own state from storage; it
    // shares the sequencer's restart budget, so a crash loop stops the stream.
    if (!policy(self).on_failure(self->clock().now()).restart)
      return give_up(self, "stream companion keeps crashing");
    return start_companion(self, i);
  }
  if (!st.child || dm.source != st.child.address())
    return;
  st.child = nullptr;
  if (clean_exit(dm.reason)) {
    fail_waiting(self, make_error(errc::shutting_down, "stream stopped"));
    self->quit(dm.reason);
    return;
  }
  auto d = policy(self).on_failure(self->clock().now());
  if (!d.restart)
    return give_up(self, "stream sequencer keeps crashing");
  ++st.restarts;
  if (auto* m = st.deps.metrics)
    m->sequencer_restarts.fetch_add(1, std::memory_order_relaxed);
  if (d.delay.count() == 0)
    spawn_child(self);
  else
    self->delayed_send(self, d.delay, msg::respawn_atom_v);
}

} // namespace

stream_supervisor_state::~stream_supervisor_state() {
  // Whatever ended the supervisor (user_shutdown from the registry, kill, shutdown), its
  // children must not outlive it, and parked requests get an answer.
  if (child)
    caf::anon_send_exit(child, caf::exit_reason::user_shutdown);
  auto stopped = make_error(errc::shutting_down, "stream stopped");
  for (auto& c : companions) {
    if (c.actor)
      caf::anon_send_exit(c.actor, caf::exit_reason::user_shutdown);
    if (c.held)
      for (auto& rp : c.held->gets)
        if (rp.pending())
          rp.deliver(stopped);
  }
  for (auto& w : waiting)
    if (w.rp.pending())
      w.rp.deliver(stopped);
}

caf::behavior stream_supervisor(caf::stateful_actor<stream_supervisor_state>* self,
                                msg::stream_key key, sequencer_deps deps) {
  auto& st = self->state;
  st.key = key;
  st.deps = std::move(deps);
  self->set_down_handler([self](caf::down_msg& dm) { on_down(self, dm); });
  // Companions start when they are needed (companion_start), not with the stream.
  st.companions.resize(st.deps.cfg->companions.size());
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
      // A companion that must still start for an age limit (the committer's partial batch)
      // keeps the stream up until it has.
      for (auto& s : self->state.companions)
        if (s.wake_at || s.wake_on_start)
          return msg::stream_activity{std::max<uint64_t>(s.pending, 1), 0};
      return forward<msg::stream_activity>(self, x);
    },
    [self](msg::drain_atom x) -> caf::result<caf::ok_atom> {
      return forward<caf::ok_atom>(self, x);
    },
    [self](caf::get_atom) { return self->state.child; },
    [self](msg::events_committed& x) {
      auto& cs = self->state.companions;
      for (size_t i = 0; i < cs.size(); ++i) {
        auto& s = cs[i];
        if (s.actor && !s.stopping)
          send_event(self, s, x);
        else if (s.actor)
          held_of(s).events.push_back(x);
        else
          count_pending(self, i, x);
      }
    },
    [self](msg::get_companion& x) -> caf::result<caf::actor> {
      auto& st = self->state;
      for (size_t i = 0; i < st.companions.size(); ++i) {
        if (spec_of(self, i).role != x.role)
          continue;
        auto& s = st.companions[i];
        if (s.actor && s.stopping) {
          auto rp = self->make_response_promise();
          held_of(s).gets.push_back(rp);
          return caf::delegated<caf::actor>{};
        }
        if (!s.actor)
          start_companion(self, i);
        if (!s.actor)
          break;
        s.handed_out = self->clock().now();
        return s.actor;
      }
      return make_error(errc::not_found, "stream has no " + x.role);
    },
    [self](companion_idle_atom, uint64_t seen) {
      auto& st = self->state;
      auto i = sender_slot(self);
      if (i == st.companions.size())
        return true; // not (or no longer) one of ours
      auto& s = st.companions[i];
      if (s.stopping)
        return true;
      if (seen != s.sent)
        return false; // events are on their way to it
      auto now = self->clock().now();
      if (s.handed_out && now - *s.handed_out < companion_handout_hold)
        return false;
      s.stopping = true;
      return true;
    },
    [self](companion_busy_atom) {
      auto& st = self->state;
      auto i = sender_slot(self);
      if (i == st.companions.size() || !st.companions[i].stopping)
        return;
      auto& s = st.companions[i];
      s.stopping = false;
      release_held(self, s);
      send_wake(self, s);
    },
    [self](companion_wake_atom, uint64_t i) {
      auto& cs = self->state.companions;
      if (i >= cs.size())
        return;
      auto& s = cs[i];
      s.wake_armed = false;
      if (!s.wake_at)
        return;
      if (self->clock().now() < *s.wake_at)
        return arm_wake(self, i);
      s.wake_at.reset();
      s.wake_on_start = true;
      if (!s.actor)
        start_companion(self, i);
      else if (!s.stopping)
        send_wake(self, s);
      // stopping: the wake goes to the one that runs next (companion_ended, busy)
    },
    [self](msg::respawn_atom) {
      if (!self->state.child)
        spawn_child(self);
    },
  };
}

} // namespace seq::actors
