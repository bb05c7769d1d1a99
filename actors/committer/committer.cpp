// SPDX-License-Identifier: Apache-2.0
#include "actors/committer/committer.hpp"

#include "actors/committer/commit_batch.hpp"
#include "actors/supervision/companion.hpp"
#include "messages/errc.hpp"
#include "messages/sequencing.hpp"
#include "messages/type_ids.hpp"

#include <algorithm>

#include "caf/event_based_actor.hpp"
#include "caf/result.hpp"

namespace seq::actors::committer {

namespace {

using self_ptr = caf::stateful_actor<committer_state>*;
using time_point = commit_planner::time_point;

time_point now(self_ptr self) {
  return std::chrono::duration_cast<time_point>(self->clock().now().time_since_epoch());
}

void pump(self_ptr self);

/// Caches the tree of `b` (newest last) and returns the cached entry.
const committer_state::cached_tree& remember(self_ptr self, const msg::ves_commitment_built& b) {
  auto& st = self->state;
  for (auto& c : st.cache)
    if (c.commitment.batch_id == b.commitment.batch_id)
      return c;
  while (st.cache.size() >= std::max<size_t>(st.deps.cached_trees, 1))
    st.cache.erase(st.cache.begin());
  st.cache.push_back({b.commitment, ves::build_merkle_tree(b.leaves)});
  return st.cache.back();
}

const committer_state::cached_tree* cached(self_ptr self, const msg::get_ves_proof& x) {
  for (auto i = self->state.cache.rbegin(); i != self->state.cache.rend(); ++i) {
    const auto& c = i->commitment;
    if (x.has_batch ? c.batch_id == x.batch_id
                    : x.sequence_number >= c.sequence_start && x.sequence_number <= c.sequence_end)
      return &*i;
  }
  return nullptr;
}

caf::expected<msg::ves_proof> proof_from(const msg::stream_key& stream,
                                         const msg::ves_commitment& c, const ves::merkle_tree& t,
                                         uint64_t seq) {
  if (c.stream != stream)
    return make_error(errc::forbidden, "Commitment access denied");
  if (seq < c.sequence_start || seq > c.sequence_end)
    return make_error(errc::invalid_request, "Sequence number not in commitment range");
  return make_ves_proof(c, t, seq);
}

void schedule_tick(self_ptr self, caf::timespan delay) {
  auto& st = self->state;
  auto at = now(self) + std::chrono::duration_cast<time_point>(delay);
  if (st.timer_at && *st.timer_at <= at)
    return;
  st.timer_at = at;
  self->delayed_send(self, delay, msg::commit_tick_atom_v);
}

void load(self_ptr self) {
  auto& st = self->state;
  st.busy = true;
  self->request(st.io, st.deps.io_timeout, msg::committer_load{st.stream})
    .then(
      [self](msg::committer_loaded& x) {
        auto& st = self->state;
        st.planner->reset(x.last_ves_end, x.ves_head, now(self));
        st.loaded = true;
        st.busy = false;
        pump(self);
      },
      [self](caf::error&) {
        self->state.busy = false;
        schedule_tick(self, self->state.deps.retry_delay);
      });
}

void commit_ves(self_ptr self, msg::create_ves_commitment req,
                std::optional<caf::typed_response_promise<msg::ves_commitment>> rp) {
  auto& st = self->state;
  st.busy = true;
  self->request(st.io, st.deps.io_timeout, req)
    .then(
      [self, rp](msg::ves_commitment_built& b) mutable {
        auto& st = self->state;
        st.busy = false;
        st.planner->on_commitment(b.commitment.sequence_end, now(self));
        remember(self, b);
        if (rp)
          rp->deliver(b.commitment);
        pump(self);
      },
      [self, rp](caf::error& err) mutable {
        auto& st = self->state;
        st.busy = false;
        if (rp) {
          rp->deliver(err);
        } else {
          st.auto_paused = true;
          schedule_tick(self, st.deps.retry_delay);
        }
        pump(self);
      });
}

void commit_legacy(self_ptr self, committer_state::legacy_job job) {
  auto& st = self->state;
  st.busy = true;
  auto rp = job.rp;
  self->request(st.io, st.deps.io_timeout, job.req)
    .then(
      [self, rp](msg::legacy_commitment& c) mutable {
        self->state.busy = false;
        rp.deliver(c);
        pump(self);
      },
      [self, rp](caf::error& err) mutable {
        self->state.busy = false;
        rp.deliver(err);
        pump(self);
      });
}

/// Nothing to do: loaded, no job, nothing queued, no tick pending, nothing left to commit
/// automatically.
bool idle(self_ptr self) {
  auto& st = self->state;
  return st.loaded && !st.busy && st.proofs == 0 && st.queue.empty() && !st.timer_at
         && !st.auto_paused && !st.overdue
         && (!st.planner->options().automatic || st.planner->uncommitted() == 0);
}

void run_next(self_ptr self);

/// Runs the next job if any; an idle committer stops after a while (companion.hpp).
void pump(self_ptr self) {
  run_next(self);
  self->state.idle.check(self, [self] { return idle(self); });
}

void run_next(self_ptr self) {
  auto& st = self->state;
  if (st.busy || !st.io)
    return;
  if (!st.loaded)
    return load(self);
  if (st.overdue) {
    // Woken by the supervisor: what is uncommitted has waited max_age already.
    st.overdue = false;
    st.planner->reset(st.planner->last_end(), st.planner->head(),
                      now(self) - st.planner->options().max_age);
  }
  if (!st.queue.empty()) {
    auto job = std::move(st.queue.front());
    st.queue.erase(st.queue.begin());
    if (auto* v = std::get_if<committer_state::ves_job>(&job))
      return commit_ves(self, v->req, v->rp);
    return commit_legacy(self, std::get<committer_state::legacy_job>(std::move(job)));
  }
  if (st.auto_paused)
    return;
  auto t = now(self);
  if (auto r = st.planner->due(t))
    return commit_ves(self, msg::create_ves_commitment{st.stream, r->first, r->second},
                      std::nullopt);
  if (auto d = st.planner->deadline())
    schedule_tick(self, std::chrono::duration_cast<caf::timespan>(std::max(*d - t, time_point{0})));
}

} // namespace

committer_state::~committer_state() {
  for (auto& job : queue)
    std::visit(
      [](auto& j) { j.rp.deliver(make_error(errc::shutting_down, "committer stopped")); }, job);
}

caf::behavior committer(caf::stateful_actor<committer_state>* self, msg::stream_key stream,
                        committer_deps deps) {
  auto& st = self->state;
  st.deps = std::move(deps);
  st.stream = stream;
  st.planner = std::make_unique<commit_planner>(st.deps.options);
  if (st.deps.io.valid())
    st.io = st.deps.io.for_stream(stream);
  pump(self);
  return caf::message_handler{
    [self](msg::events_committed& x) {
      self->state.idle.on_event();
      if (x.sp != static_cast<uint8_t>(msg::space::ves))
        return;
      self->state.planner->on_events(x.last, now(self));
      pump(self);
    },
    [self](msg::create_ves_commitment& x) -> caf::result<msg::ves_commitment> {
      auto& st = self->state;
      if (!st.io)
        return make_error(errc::internal, "committer without commit I/O workers");
      x.stream = st.stream;
      auto rp = self->make_response_promise<msg::ves_commitment>();
      st.queue.emplace_back(committer_state::ves_job{std::move(x), rp});
      pump(self);
      return rp;
    },
    [self](msg::create_legacy_commitment& x) -> caf::result<msg::legacy_commitment> {
      auto& st = self->state;
      if (!st.io)
        return make_error(errc::internal, "committer without commit I/O workers");
      x.stream = st.stream;
      auto rp = self->make_response_promise<msg::legacy_commitment>();
      st.queue.emplace_back(committer_state::legacy_job{std::move(x), rp});
      pump(self);
      return rp;
    },
    [self](msg::get_ves_proof& x) -> caf::result<msg::ves_proof> {
      auto& st = self->state;
      if (auto* c = cached(self, x))
        return proof_from(st.stream, c->commitment, c->tree, x.sequence_number);
      if (!st.io)
        return make_error(errc::internal, "committer without commit I/O workers");
      x.stream = st.stream;
      auto rp = self->make_response_promise<msg::ves_proof>();
      auto seq = x.sequence_number;
      ++st.proofs;
      self->request(st.io, st.deps.io_timeout, x)
        .then(
          [self, rp, seq](msg::ves_commitment_built& b) mutable {
            --self->state.proofs;
            const auto& entry = remember(self, b);
            auto p = proof_from(self->state.stream, entry.commitment, entry.tree, seq);
            if (p)
              rp.deliver(std::move(*p));
            else
              rp.deliver(p.error());
            pump(self);
          },
          [self, rp](caf::error& err) mutable {
            --self->state.proofs;
            rp.deliver(err);
            pump(self);
          });
      return rp;
    },
    [self](msg::commit_tick_atom) {
      auto& st = self->state;
      if (st.timer_at && now(self) >= *st.timer_at)
        st.timer_at.reset();
      st.auto_paused = false;
      pump(self);
    },
    [self](companion_wake_atom) {
      self->state.overdue = true;
      pump(self);
    },
  }
    .or_else(st.idle.handlers(self, [self] { return idle(self); }, [self] { pump(self); }));
}

companion_spec committer_companion(committer_deps deps) {
  companion_spec spec;
  spec.role = committer_role;
  // Started when an automatic commitment is due by count or by age (then woken: overdue), or
  // by get_companion (manual commitments, proofs); legacy commits never start it.
  if (deps.options.automatic) {
    spec.start.spaces = static_cast<uint8_t>(1u << static_cast<unsigned>(msg::space::ves));
    spec.start.events = std::max<uint64_t>(deps.options.max_events, 1);
    spec.start.max_age = std::chrono::duration_cast<caf::timespan>(deps.options.max_age);
  } else {
    spec.start.spaces = 0;
  }
  spec.spawn = [deps = std::move(deps)](caf::event_based_actor* parent,
                                        const msg::stream_key& stream) {
    return caf::actor{parent->spawn(committer, stream, deps)};
  };
  return spec;
}

} // namespace seq::actors::committer
