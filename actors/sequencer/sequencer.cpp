// SPDX-License-Identifier: Apache-2.0
#include "actors/sequencer/sequencer.hpp"

#include "messages/errc.hpp"
#include "messages/type_ids.hpp"

#include <algorithm>
#include <string>
#include <utility>

#include "caf/atom.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/result.hpp"
#include "caf/send.hpp"

namespace seq::actors {

namespace {

using self_ptr = caf::stateful_actor<sequencer_state>*;

/// Storage and verification answers carry a seq::errc; anything else (a request timeout,
/// a dead writer or verify worker) becomes errc::storage_unavailable for the client.
caf::error storage_error(const caf::error& e) {
  if (e.category() == caf::atom("seq"))
    return e;
  return make_error(errc::storage_unavailable, "ingest pipeline: " + caf::to_string(e));
}

void add_queued(self_ptr self, int64_t n) {
  if (auto* m = self->state.deps.metrics)
    m->queued_events.fetch_add(n, std::memory_order_relaxed);
}

void answer(self_ptr self, sequencer_state::pending& p, caf::error e) {
  add_queued(self, -static_cast<int64_t>(p.events));
  if (auto* m = self->state.deps.metrics)
    m->requests_failed.fetch_add(1, std::memory_order_relaxed);
  p.rp.deliver(std::move(e));
}

void flush(self_ptr self);

void check_drained(self_ptr self) {
  auto& st = self->state;
  if (!st.draining || !st.queue.empty() || st.writing || !st.in_flight.empty()
      || !st.next.empty())
    return;
  for (auto& rp : st.drain_waiters)
    rp.deliver(caf::ok_atom_v);
  st.drain_waiters.clear();
}

// -- loading ----------------------------------------------------------------------------------

void start_load(self_ptr self) {
  auto& st = self->state;
  if (st.loading)
    return;
  st.loading = true;
  st.loaded = false;
  self->request(st.deps.writer, st.deps.cfg->io_timeout, msg::load_stream{st.st->key()})
    .then(
      [self](msg::stream_loaded& x) {
        auto& st = self->state;
        st.loading = false;
        if (x.snapshot)
          st.st->load(*x.snapshot);
        st.loaded = true;
        flush(self);
      },
      [self](caf::error& e) {
        auto& st = self->state;
        st.loading = false;
        // Nothing can be written until the state is loaded: answer the waiting requests now
        // (503 for the client) instead of letting them run into their timeout.
        auto err = storage_error(e);
        for (auto& p : st.queue)
          answer(self, p, err);
        st.queue.clear();
        st.queued_events = 0;
        st.isolate = 0;
        check_drained(self);
        self->delayed_send(self, st.deps.cfg->reload_retry, msg::reload_atom_v);
      });
}

// -- answering a group --------------------------------------------------------------------

/// Answers the requests of a group whose plan is done: written, or nothing to write.
void finish_group(self_ptr self, std::vector<sequencer_state::pending>& reqs,
                  group_plan& plan) {
  auto& st = self->state;
  if (auto* m = st.deps.metrics) {
    m->events_accepted.fetch_add(plan.accepted, std::memory_order_relaxed);
    m->events_rejected.fetch_add(plan.rejected, std::memory_order_relaxed);
    m->events_replayed.fetch_add(plan.replayed, std::memory_order_relaxed);
    if (!plan.group.empty())
      m->group_commit_events.observe(plan.group.ves.size() + plan.group.legacy.size()
                                     + plan.group.x402.size());
  }
  for (size_t i = 0; i < reqs.size(); ++i) {
    auto& p = reqs[i];
    auto& out = plan.outcomes[i];
    if (out.error) {
      answer(self, p, out.error);
      continue;
    }
    add_queued(self, -static_cast<int64_t>(p.events));
    if (out.ves)
      p.rp.deliver(msg::ves_ingested{std::move(out.ves)});
    else if (out.x402)
      p.rp.deliver(msg::x402_ingested{std::move(out.x402)});
    else
      p.rp.deliver(msg::legacy_ingested{std::move(out.legacy)});
  }
}

/// Takes the group in flight out of the state (its write is over), for answering.
std::pair<std::vector<sequencer_state::pending>, std::shared_ptr<group_plan>>
take_in_flight(self_ptr self) {
  auto& st = self->state;
  auto reqs = std::move(st.in_flight);
  auto plan = std::move(st.plan);
  st.in_flight.clear();
  st.in_flight_events = 0;
  st.plan.reset();
  st.writing = false;
  return {std::move(reqs), std::move(plan)};
}

/// The group in flight did not commit: the requests planned on top of it go back to the
/// front of the queue (they stay verified), to be planned again.
void drop_next(self_ptr self) {
  auto& st = self->state;
  for (auto i = st.next.rbegin(); i != st.next.rend(); ++i)
    st.queue.push_front(std::move(*i));
  st.next.clear();
  st.next_events = 0;
  st.next_plan.reset();
}

/// Fails exactly the requests of the group in flight, then reloads before the next write.
void fail_group(self_ptr self, const caf::error& e) {
  auto& st = self->state;
  if (auto* m = st.deps.metrics)
    m->write_failures.fetch_add(1, std::memory_order_relaxed);
  auto [reqs, plan] = take_in_flight(self);
  for (auto& p : reqs)
    answer(self, p, e);
  start_load(self);
}

/// Storage refused a group of several requests (errc::storage_failure: e.g. a value one of
/// them carries that a column cannot hold). The transaction rolled back, so the requests go
/// back to the front of the queue and are written again one per group: only the request that
/// carries the value fails, not the others that happened to share its group. State is
/// reloaded first, as after any failed write.
void isolate_group(self_ptr self) {
  auto& st = self->state;
  if (auto* m = st.deps.metrics)
    m->write_failures.fetch_add(1, std::memory_order_relaxed);
  auto [reqs, plan] = take_in_flight(self);
  st.isolate = reqs.size();
  for (auto i = reqs.rbegin(); i != reqs.rend(); ++i) {
    st.queued_events += i->events;
    st.queue.push_front(std::move(*i));
  }
  start_load(self);
}

void write_plan(self_ptr self);
void plan_ahead(self_ptr self);

/// Tells the companions (through the supervisor) which numbers just committed, handing them
/// the committed group itself (read-only, shared with the plan).
void notify_committed(self_ptr self, std::shared_ptr<const storage::write_group> g) {
  auto& st = self->state;
  if (!st.deps.notify)
    return;
  auto note = [&](msg::space sp, uint64_t first, uint64_t last) {
    self->send(st.deps.notify,
               msg::events_committed{g->stream, static_cast<uint8_t>(sp), first, last, g});
  };
  if (!g->ves.empty())
    note(msg::space::ves, g->ves.front().sequence_number, g->ves.back().sequence_number);
  if (!g->legacy.empty())
    note(msg::space::legacy, g->legacy.front().sequence_number,
         g->legacy.back().sequence_number);
  if (!g->x402.empty())
    note(msg::space::x402, g->x402.front().sequence_number, g->x402.back().sequence_number);
}

/// Tells the x402 batchers which intents just committed.
void notify_x402(self_ptr self, const storage::write_group& g) {
  const auto& sink = self->state.deps.cfg->x402_sink;
  if (g.x402.empty() || !sink)
    return;
  msg::x402_sequenced x{g.stream, {}};
  x.intents.reserve(g.x402.size());
  for (const auto& i : g.x402)
    x.intents.push_back(msg::x402_notice{i.network, i.sequence_number,
                                         i.sequenced_at.value_or(0), i.valid_until});
  self->send(sink, std::move(x));
}

/// Asks storage about `asked` (ids, commands, versions, heads), learns the answer, and plans
/// the requests in flight again. Nothing is planned on top of them meanwhile.
void inspect_and_replan(self_ptr self, std::shared_ptr<const storage::write_group> asked) {
  auto& st = self->state;
  st.writing = true;
  st.plan.reset();
  self->request(st.deps.writer, st.deps.cfg->io_timeout, msg::inspect_conflict{asked})
    .then(
      [self, asked](msg::conflict_inspected& x) {
        if (!x.report)
          return fail_group(self,
                            make_error(errc::internal, "conflict inspection without a report"));
        self->state.st->apply_conflict(*asked, *x.report);
        write_plan(self);
      },
      [self](caf::error& e2) { fail_group(self, storage_error(e2)); });
}

void on_commit_error(self_ptr self, caf::error e) {
  auto& st = self->state;
  drop_next(self);
  if (e == errc::storage_conflict && st.conflict_retries < st.deps.cfg->max_conflict_retries) {
    ++st.conflict_retries;
    if (auto* m = st.deps.metrics)
      m->write_conflicts.fetch_add(1, std::memory_order_relaxed);
    auto written = std::shared_ptr<const storage::write_group>(st.plan, &st.plan->group);
    return inspect_and_replan(self, std::move(written));
  }
  if (e == errc::storage_failure && st.in_flight.size() > 1)
    return isolate_group(self);
  if (e == errc::storage_conflict)
    e = make_error(errc::storage_unavailable,
                   "storage conflict persisted after "
                     + std::to_string(st.conflict_retries) + " re-plans: " + error_message(e));
  fail_group(self, storage_error(e));
}

/// Writes the plan of the requests in flight; answers at once when nothing is written. A
/// plan with suspects (stream_state.hpp) is planned again after storage was asked about them.
void write(self_ptr self, group_plan plan) {
  auto& st = self->state;
  if (!plan.suspect_ves.empty() || !plan.suspect_legacy.empty())
    return inspect_and_replan(self, std::make_shared<const storage::write_group>(
                                      stream_state::group_with_suspects(plan)));
  st.plan = std::make_shared<group_plan>(std::move(plan));
  if (st.plan->group.empty()) {
    st.st->commit(*st.plan);
    auto [reqs, done] = take_in_flight(self);
    finish_group(self, reqs, *done);
    flush(self);
    return;
  }
  st.writing = true;
  auto group = std::shared_ptr<const storage::write_group>(st.plan, &st.plan->group);
  self->request(st.deps.writer, st.deps.cfg->io_timeout, msg::commit_group{group})
    .then(
      [self](msg::group_committed&) {
        auto& st = self->state;
        st.st->commit(*st.plan);
        auto [reqs, done] = take_in_flight(self);
        // The next group goes to the writer before this one's answers go out.
        flush(self);
        notify_committed(self, {done, &done->group});
        notify_x402(self, done->group);
        finish_group(self, reqs, *done);
        check_drained(self);
      },
      [self](caf::error& e) { on_commit_error(self, std::move(e)); });
  plan_ahead(self);
}

/// Plans the requests in flight (again, after a conflict report) and writes them.
void write_plan(self_ptr self) {
  auto& st = self->state;
  std::vector<const queued_request*> reqs;
  reqs.reserve(st.in_flight.size());
  for (auto& p : st.in_flight)
    reqs.push_back(&p.req);
  write(self, st.st->plan(reqs, msg::now_us()));
}

bool front_ready(const sequencer_state& st) {
  return !st.queue.empty() && st.queue.front().ready;
}

/// Moves the verified prefix of the queue into `group` (holding `events` already), planning
/// each request with `b`: up to the group size limit, or a single request while `one`.
/// Returns the events it moved.
size_t take_verified(sequencer_state& st, std::vector<sequencer_state::pending>& group,
                     size_t events, stream_state::group_builder& b, bool one) {
  auto now = msg::now_us();
  size_t taken = 0;
  while (front_ready(st)) {
    auto& p = st.queue.front();
    if (!group.empty()
        && (one || events + taken + p.events > st.deps.cfg->group_commit_max_events))
      break;
    b.add(p.req, now);
    taken += p.events;
    group.push_back(std::move(p));
    st.queue.pop_front();
  }
  return taken;
}

/// While a group is written, plans the verified requests that follow it on top of it. Not
/// while a conflict is being inspected (no plan: the group in flight is about to be planned
/// again) nor while a refused group is being written one request at a time.
void plan_ahead(self_ptr self) {
  auto& st = self->state;
  if (!st.writing || !st.plan || st.isolate > 0 || !front_ready(st))
    return;
  if (!st.next_plan)
    st.next_plan
      = std::make_unique<stream_state::group_builder>(st.st->start_group(st.plan.get()));
  st.next_events += take_verified(st, st.next, st.next_events, *st.next_plan, false);
}

/// Starts the next group: the one planned ahead while the last group was written, or else
/// the verified prefix of the queue. While a group is written, plans ahead instead.
void flush(self_ptr self) {
  auto& st = self->state;
  if (st.writing)
    return plan_ahead(self);
  if (!st.loaded || !st.in_flight.empty())
    return check_drained(self);
  st.conflict_retries = 0;
  if (!st.next.empty()) { // its predecessor committed: the plan stands
    st.in_flight = std::move(st.next);
    st.next.clear();
    st.queued_events -= st.next_events;
    st.in_flight_events = st.next_events;
    st.next_events = 0;
    auto plan = st.next_plan->finish();
    st.next_plan.reset();
    return write(self, std::move(plan));
  }
  if (!front_ready(st))
    return check_drained(self);
  auto b = st.st->start_group();
  auto events = take_verified(st, st.in_flight, 0, b, st.isolate > 0);
  st.queued_events -= events;
  st.in_flight_events = events;
  if (st.isolate > 0)
    --st.isolate;
  write(self, b.finish());
}

// -- arrivals -----------------------------------------------------------------------------

sequencer_state::pending* find_pending(self_ptr self, uint64_t id) {
  auto& q = self->state.queue;
  auto i = std::lower_bound(q.begin(), q.end(), id,
                            [](const sequencer_state::pending& p, uint64_t x) { return p.id < x; });
  return i != q.end() && i->id == id ? &*i : nullptr;
}

/// The events of an ingest request: verified by the transport, or still to verify.
template <class Ingest>
size_t batch_size(const Ingest& x) {
  return x.verified ? x.verified->candidates.size() : x.events ? x.events->size() : 0;
}

/// Fills the request `id` (if still queued) with its verified content, then flushes.
template <class Fill>
void mark_ready(self_ptr self, uint64_t id, Fill fill) {
  if (auto* p = find_pending(self, id)) {
    fill(p->req);
    p->ready = true;
  }
  flush(self);
}

void drop_pending(self_ptr self, uint64_t id, const caf::error& e) {
  auto& st = self->state;
  auto i = std::find_if(st.queue.begin(), st.queue.end(),
                        [id](const sequencer_state::pending& p) { return p.id == id; });
  if (i == st.queue.end())
    return;
  st.queued_events -= i->events;
  answer(self, *i, e);
  st.queue.erase(i);
}

/// Admits a request into the queue, or returns why not.
caf::expected<uint64_t> admit(self_ptr self, bool is_ves, size_t n) {
  auto& st = self->state;
  if (st.draining)
    return make_error(errc::shutting_down, "the server is shutting down");
  auto cap = st.deps.cfg->max_queued_events;
  if (st.queued_events + st.in_flight_events > 0
      && st.queued_events + st.in_flight_events + n > cap)
    return make_error(errc::overloaded,
                      "stream " + st.st->key().str() + " has too many queued events");
  sequencer_state::pending p;
  p.id = st.next_id++;
  p.rp = self->make_response_promise();
  p.is_ves = is_ves;
  p.events = n;
  st.queue.push_back(std::move(p));
  st.queued_events += n;
  add_queued(self, static_cast<int64_t>(n));
  return st.queue.back().id;
}

} // namespace

sequencer_state::~sequencer_state() {
  auto fail = [this](pending& p) {
    if (!p.rp.pending())
      return;
    if (deps.metrics)
      deps.metrics->queued_events.fetch_sub(static_cast<int64_t>(p.events),
                                            std::memory_order_relaxed);
    p.rp.deliver(make_error(errc::internal, "stream sequencer stopped before the write"));
  };
  for (auto& p : queue)
    fail(p);
  for (auto& p : in_flight)
    fail(p);
  for (auto& p : next)
    fail(p);
  for (auto& rp : drain_waiters)
    if (rp.pending())
      rp.deliver(make_error(errc::internal, "stream sequencer stopped"));
}

caf::behavior sequencer(caf::stateful_actor<sequencer_state>* self, msg::stream_key key,
                        sequencer_deps deps) {
  auto& st = self->state;
  st.deps = std::move(deps);
  const auto& cfg = *st.deps.cfg;
  st.st = std::make_unique<stream_state>(
    key, receipt_signer{cfg.sequencer_seed, cfg.sequencer_id, cfg.sequencer_key_version,
                        cfg.sequencer_signer},
    std::max(cfg.recent_id_cache, 2 * cfg.group_commit_max_events));
  start_load(self);
  return {
    [self](msg::ingest_ves& x) -> caf::result<msg::ves_ingested> {
      auto n = batch_size(x);
      auto id = admit(self, true, n);
      if (!id)
        return std::move(id.error());
      if (x.verified) { // verified by the transport: ready at once
        mark_ready(self, *id, [&](queued_request& r) { r.ves = std::move(x.verified); });
        return caf::delegated<msg::ves_ingested>{};
      }
      auto batch = x.events ? std::move(x.events)
                            : std::make_shared<std::vector<msg::ves_candidate>>();
      self->request(self->state.deps.verify_pool, self->state.deps.cfg->io_timeout,
                    msg::verify_ves_batch{std::move(batch)})
        .then(
          [self, id = *id](msg::ves_batch_verified& v) {
            mark_ready(self, id, [&](queued_request& r) {
              r.ves = v.result ? std::move(v.result)
                               : std::make_shared<const msg::verified_ves>();
            });
          },
          [self, id = *id](caf::error& e) {
            drop_pending(self, id, storage_error(e));
            flush(self);
          });
      return caf::delegated<msg::ves_ingested>{};
    },
    [self](msg::ingest_legacy& x) -> caf::result<msg::legacy_ingested> {
      auto n = batch_size(x);
      auto id = admit(self, false, n);
      if (!id)
        return std::move(id.error());
      if (x.verified) {
        mark_ready(self, *id, [&](queued_request& r) { r.legacy = std::move(x.verified); });
        return caf::delegated<msg::legacy_ingested>{};
      }
      auto batch = x.events ? std::move(x.events)
                            : std::make_shared<std::vector<msg::legacy_candidate>>();
      self->request(self->state.deps.verify_pool, self->state.deps.cfg->io_timeout,
                    msg::verify_legacy_batch{std::move(batch)})
        .then(
          [self, id = *id](msg::legacy_batch_verified& v) {
            mark_ready(self, id, [&](queued_request& r) {
              r.legacy = v.result ? std::move(v.result)
                                  : std::make_shared<const msg::verified_legacy>();
            });
          },
          [self, id = *id](caf::error& e) {
            drop_pending(self, id, storage_error(e));
            flush(self);
          });
      return caf::delegated<msg::legacy_ingested>{};
    },
    [self](msg::ingest_x402& x) -> caf::result<msg::x402_ingested> {
      if (!x.intent)
        return make_error(errc::invalid_request, "empty payment intent request");
      auto id = admit(self, false, 1);
      if (!id)
        return std::move(id.error());
      // The transport verified the payer signature: the intent is ready at once.
      mark_ready(self, *id, [&](queued_request& r) { r.x402 = std::move(x.intent); });
      return caf::delegated<msg::x402_ingested>{};
    },
    [self](msg::activity_atom) {
      auto& st = self->state;
      return msg::stream_activity{st.queued_events, st.in_flight_events};
    },
    [self](msg::drain_atom) -> caf::result<caf::ok_atom> {
      auto& st = self->state;
      st.draining = true;
      if (st.queue.empty() && st.in_flight.empty() && st.next.empty() && !st.writing)
        return caf::ok_atom_v;
      auto rp = self->make_response_promise();
      st.drain_waiters.push_back(rp);
      return caf::delegated<caf::ok_atom>{};
    },
    [self](msg::reload_atom) {
      if (!self->state.loaded)
        start_load(self);
    },
  };
}

} // namespace seq::actors
