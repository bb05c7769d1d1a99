// SPDX-License-Identifier: Apache-2.0
#include "actors/projector/projector.hpp"

#include "actors/supervision/companion.hpp"
#include "messages/errc.hpp"
#include "messages/type_ids.hpp"

#include <utility>

#include "caf/event_based_actor.hpp"
#include "caf/result.hpp"

namespace seq::actors::projection {

namespace {

using self_ptr = caf::stateful_actor<projector_state>*;

/// Private: the wait of a lingering batch is over.
using linger_atom = caf::atom_constant<caf::atom("linger")>;
constexpr linger_atom linger_atom_v = linger_atom{};

void add(std::atomic<uint64_t>& c, uint64_t n) {
  if (n > 0)
    c.fetch_add(n, std::memory_order_relaxed);
}

void pump(self_ptr self);

/// Ends the current job; schedules the end of a back-off if the core entered one.
void job_done(self_ptr self) {
  auto& st = self->state;
  st.busy = false;
  if (st.core->backing_off() && !st.backoff_timer) {
    st.backoff_timer = true;
    self->delayed_send(self, st.deps.retry_delay, msg::project_atom_v);
  }
  pump(self);
}

/// A job failed as a whole (timeout, worker down, storage): pause, then go on.
void job_failed(self_ptr self) {
  if (auto* m = self->state.deps.metrics)
    add(m->storage_errors, 1);
  self->state.core->backoff();
  job_done(self);
}

void run_load(self_ptr self) {
  auto& st = self->state;
  self
    ->request(st.io, st.deps.io_timeout,
              msg::load_projection{st.core->stream(), st.core->options().mode})
    .then(
      [self](msg::projection_loaded& x) {
        auto& st = self->state;
        st.core->on_loaded(x);
        for (auto sp : {msg::space::legacy, msg::space::ves}) {
          auto i = static_cast<uint8_t>(sp);
          st.feed.drop_through(i, st.core->checkpoint(i));
        }
        job_done(self);
      },
      [self](caf::error&) { job_failed(self); });
}

void run_batch(self_ptr self) {
  auto& st = self->state;
  auto batch = st.core->make_batch();
  batch.fed = st.feed.covering(batch.space, batch.from, batch.limit);
  auto space = batch.space;
  auto req = std::make_shared<const msg::projection_batch_request>(std::move(batch));
  self->request(st.io, st.deps.io_timeout, msg::project_batch{req})
    .then(
      [self, space](msg::batch_projected& x) {
        auto& st = self->state;
        st.last_batch_end = self->clock().now();
        if (!x.outcome)
          return job_failed(self);
        const auto& out = *x.outcome;
        const bool was_halted = st.core->halted();
        st.core->on_batch(space, out);
        st.feed.drop_through(space, st.core->checkpoint(space));
        if (auto* m = st.deps.metrics) {
          add(m->batches, 1);
          add(m->events_fed, out.events_fed);
          add(m->events_applied, out.applied);
          add(m->events_skipped, out.skipped);
          add(m->encrypted_skipped, out.encrypted);
          add(m->events_parked, out.parked);
          add(m->events_dead, out.dead);
          add(m->events_blocked_behind, out.blocked_behind);
          if (!was_halted && out.halted)
            add(m->halts, 1);
          if (out.error)
            add(m->storage_errors, 1);
        }
        job_done(self);
      },
      [self](caf::error&) { job_failed(self); });
}

void run_retry(self_ptr self) {
  auto& st = self->state;
  auto w = std::move(st.retries.front());
  st.retries.erase(st.retries.begin());
  auto req = std::make_shared<const msg::dlq_retry_request>(st.core->make_retry(w.entry));
  auto rp = w.rp;
  self->request(st.io, st.deps.io_timeout, msg::apply_dlq_retry{req})
    .then(
      [self, rp](msg::dlq_retry_applied& x) mutable {
        auto& st = self->state;
        if (!x.outcome) {
          rp.deliver(make_error(errc::internal, "DLQ retry without an outcome"));
          return job_done(self);
        }
        const auto& out = *x.outcome;
        st.core->on_retry(out);
        if (auto* m = st.deps.metrics) {
          if (out.entry.status == msg::dlq_status::resolved)
            add(m->events_applied, 1 + out.chain_resolved);
          add(m->chain_resolved, out.chain_resolved);
          if (out.new_head) {
            add(m->events_parked, 1);
            if (out.new_head->status == msg::dlq_status::dead)
              add(m->events_dead, 1);
          }
        }
        rp.deliver(out.entry);
        job_done(self);
      },
      [self, rp](caf::error& e) mutable {
        rp.deliver(e);
        job_done(self);
      });
}

void run_resume(self_ptr self) {
  auto& st = self->state;
  auto halt = std::make_shared<const msg::projection_halt>(*st.core->halt());
  self->request(st.io, st.deps.io_timeout, msg::resume_halt{st.core->stream(), halt})
    .then(
      [self](msg::halt_resumed& x) {
        auto& st = self->state;
        st.core->on_resumed(x);
        auto status = st.core->status();
        auto waiting = std::move(st.resumes);
        st.resumes.clear();
        for (auto& rp : waiting)
          rp.deliver(status);
        job_done(self);
      },
      [self](caf::error& e) {
        auto waiting = std::move(self->state.resumes);
        self->state.resumes.clear();
        for (auto& rp : waiting)
          rp.deliver(e);
        job_failed(self);
      });
}

/// Schedules the heal tick while some entity waits behind a purged row. An idle projector has
/// no timer pending: a delayed message keeps a stopped actor's memory alive until it fires.
void arm_heal(self_ptr self) {
  auto& st = self->state;
  if (!st.heal_timer && st.core->any_blocked()) {
    st.heal_timer = true;
    self->delayed_send(self, st.deps.heal_interval, caf::tick_atom_v);
  }
}

/// Nothing to do: caught up (or halted), no job, nothing waiting, no timer pending. Blocked
/// entities keep it running for their heal tick.
bool idle(self_ptr self) {
  auto& st = self->state;
  return st.core->loaded() && !st.busy && !st.backoff_timer && !st.heal_timer
         && !st.linger_timer && st.retries.empty() && st.resumes.empty() && !st.core->any_blocked()
         && st.core->next(false, false) == projector_core::job_kind::none;
}

void run_next(self_ptr self);

/// Runs the next job if any; an idle projector stops after a while (companion.hpp).
void pump(self_ptr self) {
  run_next(self);
  self->state.idle.check(self, [self] { return idle(self); });
}

void run_next(self_ptr self) {
  auto& st = self->state;
  arm_heal(self);
  if (st.busy || !st.io) // no I/O workers configured: nothing can run
    return;
  // Resume requests that arrive while not halted (or after a retry lifted the halt) are
  // answered with the status right away.
  if (!st.resumes.empty() && st.core->loaded() && !st.core->halted()) {
    auto status = st.core->status();
    auto waiting = std::move(st.resumes);
    st.resumes.clear();
    for (auto& rp : waiting)
      rp.deliver(status);
  }
  switch (st.core->next(!st.retries.empty(), !st.resumes.empty())) {
    case projector_core::job_kind::none:
      return;
    case projector_core::job_kind::load:
      st.busy = true;
      return run_load(self);
    case projector_core::job_kind::retry:
      st.busy = true;
      return run_retry(self);
    case projector_core::job_kind::resume:
      st.busy = true;
      return run_resume(self);
    case projector_core::job_kind::batch: {
      auto since = st.last_batch_end ? self->clock().now() - *st.last_batch_end
                                     : caf::timespan::max();
      if (st.core->lingers(since)) {
        if (!st.linger_timer) {
          st.linger_timer = true;
          self->delayed_send(self, st.core->options().linger - since, linger_atom_v);
        }
        return;
      }
      st.busy = true;
      return run_batch(self);
    }
  }
}

} // namespace

msg::blocking_mode projector_deps::mode_for(const msg::stream_key& s) const {
  if (auto i = modes.find(s); i != modes.end())
    return i->second;
  return default_mode;
}

projector_state::~projector_state() {
  for (auto& w : retries)
    if (w.rp.pending())
      w.rp.deliver(make_error(errc::shutting_down, "projector stopped"));
  for (auto& rp : resumes)
    if (rp.pending())
      rp.deliver(make_error(errc::shutting_down, "projector stopped"));
}

caf::behavior projector(caf::stateful_actor<projector_state>* self, msg::stream_key stream,
                        projector_deps deps) {
  auto& st = self->state;
  st.deps = std::move(deps);
  projector_options opts;
  opts.mode = st.deps.mode_for(stream);
  opts.batch_size = st.deps.batch_size;
  opts.linger = st.deps.linger;
  st.core = std::make_unique<projector_core>(stream, opts);
  st.feed = committed_feed{feed_capacity(opts.batch_size)};
  if (st.deps.io.valid())
    st.io = st.deps.io.for_stream(stream);
  pump(self);
  return caf::message_handler{
    [self](msg::events_committed& x) {
      auto& st = self->state;
      st.idle.on_event();
      st.core->on_committed(x.sp, x.last);
      if (x.group && x.last > st.core->checkpoint(x.sp))
        st.feed.add(x.sp, *x.group);
      pump(self);
    },
    [self](msg::reapply_dlq& x) -> caf::result<msg::dlq_entry> {
      auto& st = self->state;
      if (x.entry.stream != st.core->stream())
        return make_error(errc::invalid_request, "DLQ entry of another stream");
      if (!st.io)
        return make_error(errc::internal, "projector without projection I/O workers");
      auto rp = self->make_response_promise<msg::dlq_entry>();
      st.retries.push_back(projector_state::waiting_retry{rp, std::move(x.entry)});
      pump(self);
      return rp;
    },
    [self](caf::get_atom) { return self->state.core->status(); },
    [self](msg::resume_atom) -> caf::result<msg::projection_status> {
      auto rp = self->make_response_promise<msg::projection_status>();
      self->state.resumes.push_back(rp);
      pump(self);
      return rp;
    },
    [self](msg::project_atom) {
      self->state.backoff_timer = false;
      self->state.core->backoff_elapsed();
      pump(self);
    },
    [self](linger_atom) {
      self->state.linger_timer = false;
      pump(self);
    },
    [self](caf::tick_atom) {
      auto& st = self->state;
      st.heal_timer = false;
      if (st.core->any_blocked())
        st.core->reload();
      pump(self);
    },
    [self](companion_wake_atom) {
      pump(self); // no age rule: the projector starts on the next event
    },
  }
    .or_else(st.idle.handlers(self, [self] { return idle(self); }, [self] { pump(self); }));
}

companion_spec projector_companion(projector_deps deps) {
  companion_spec spec;
  spec.role = projector_role;
  // Started by the first legacy or VES commit while it does not run (x402 has no projections).
  spec.start.spaces = static_cast<uint8_t>((1u << static_cast<unsigned>(msg::space::legacy))
                                           | (1u << static_cast<unsigned>(msg::space::ves)));
  spec.start.events = 1;
  spec.spawn = [deps = std::move(deps)](caf::event_based_actor* parent,
                                        const msg::stream_key& stream) {
    return caf::actor{parent->spawn(projector, stream, deps)};
  };
  return spec;
}

} // namespace seq::actors::projection
