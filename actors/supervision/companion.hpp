// SPDX-License-Identifier: Apache-2.0
#pragma once

/// How a stream companion (projector, committer) stops when it has nothing to do, and how its
/// stream supervisor starts it again — so a stream that is touched once costs a sequencer and
/// a supervisor, not four actors, for as long as it lives.
///
/// Protocol (atoms only, no type IDs needed):
///   supervisor → companion  (companion_idle_atom, caf::timespan after)  right after the spawn:
///       report idleness after `after` with nothing to do (never sent when
///       ingest_config::companion_idle_stop is zero: the companion then runs with its stream)
///   companion → itself      (companion_idle_atom)  its idle tick (at most one pending, at most
///       `after` ahead, so a stopped companion's memory is not held for long by the clock)
///   companion → supervisor  request (companion_idle_atom, uint64_t seen) → bool
///       "idle for `after`, `seen` events_committed received". true: stop now — the supervisor
///       holds events_committed and get_companion for this role until the companion has ended
///       (then it starts a new one for them) or answered busy; false: stay (events are on
///       their way, or its handle was handed out recently), report again later.
///   companion → supervisor  (companion_busy_atom)  work arrived between the report and the
///       answer: it stays; the supervisor sends what it held.
///   supervisor → companion  (companion_wake_atom)  its start rule's age limit has passed
///       (companion_start::max_age): the events pending since then are overdue.
///   supervisor → itself     (companion_wake_atom, uint64_t slot)  that age limit.
/// Nothing is lost across a stop: a companion only reports when it has caught up, and a
/// new one reloads its state from storage (projector checkpoints, the committer's last
/// commitment and head) before it does anything.

#include <cstdint>
#include <utility>

#include "caf/actor.hpp"
#include "caf/actor_cast.hpp"
#include "caf/actor_clock.hpp"
#include "caf/atom.hpp"
#include "caf/message_handler.hpp"
#include "caf/timespan.hpp"

namespace seq::actors {

using companion_idle_atom = caf::atom_constant<caf::atom("cmpidle")>;
constexpr companion_idle_atom companion_idle_atom_v = companion_idle_atom{};
using companion_busy_atom = caf::atom_constant<caf::atom("cmpbusy")>;
constexpr companion_busy_atom companion_busy_atom_v = companion_busy_atom{};
using companion_wake_atom = caf::atom_constant<caf::atom("cmpwake")>;
constexpr companion_wake_atom companion_wake_atom_v = companion_wake_atom{};

/// The companion's side of the protocol, owned by its state. Add `handlers` to its behavior
/// (they call `configure` on the supervisor's (companion_idle_atom, timespan) and `on_tick`
/// on its own (companion_idle_atom)); call `on_event` on every events_committed and `check`
/// after every step that may have ended its work (it counts as activity). `idle` is the
/// companion's predicate: caught up, no job, nothing queued, no timer of its own pending.
class companion_idle {
public:
  void configure(caf::actor parent, caf::timespan after) {
    parent_ = std::move(parent);
    after_ = after;
  }

  void on_event() {
    ++seen_;
  }

  uint64_t seen() const {
    return seen_;
  }

  bool enabled() const {
    return parent_ && after_.count() > 0;
  }

  /// The protocol's two handlers for the companion's behavior (`behavior.or_else(…)`);
  /// `configured` runs once the supervisor has configured it (e.g. the companion's pump).
  template <class Self, class Idle, class Configured>
  caf::message_handler handlers(Self* self, Idle idle, Configured configured) {
    return {
      [this, self, configured](companion_idle_atom, caf::timespan after) {
        configure(caf::actor_cast<caf::actor>(self->current_sender()), after);
        configured();
      },
      [this, self, idle](companion_idle_atom) { on_tick(self, idle); },
    };
  }

  /// Activity now; arms the idle tick when `idle()`.
  template <class Self, class Idle>
  void check(Self* self, Idle idle) {
    last_ = self->clock().now();
    if (enabled() && !armed_ && !reporting_ && idle())
      arm(self, after_);
  }

  template <class Self, class Idle>
  void on_tick(Self* self, Idle idle) {
    armed_ = false;
    if (!enabled() || reporting_ || !idle())
      return; // `check` arms again once it is idle
    auto quiet = self->clock().now() - last_;
    if (quiet < after_) {
      arm(self, after_ - quiet);
      return;
    }
    reporting_ = true;
    self->request(parent_, caf::infinite, companion_idle_atom_v, seen_)
      .then(
        [this, self, idle](bool stop) {
          reporting_ = false;
          if (!stop)
            return check(self, idle);
          if (idle())
            return self->quit();
          self->send(parent_, companion_busy_atom_v);
          check(self, idle);
        },
        [this](caf::error&) { reporting_ = false; });
  }

private:
  template <class Self>
  void arm(Self* self, caf::timespan d) {
    armed_ = true;
    self->delayed_send(self, d, companion_idle_atom_v);
  }

  caf::actor parent_;
  caf::timespan after_{0};
  uint64_t seen_ = 0;
  caf::actor_clock::time_point last_{};
  bool armed_ = false;
  bool reporting_ = false;
};

} // namespace seq::actors
