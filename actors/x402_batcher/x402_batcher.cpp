// SPDX-License-Identifier: Apache-2.0
#include "actors/x402_batcher/x402_batcher.hpp"

#include "messages/errc.hpp"
#include "messages/type_ids.hpp"

#include <algorithm>
#include <variant>

#include "caf/event_based_actor.hpp"
#include "caf/result.hpp"
#include "caf/send.hpp"

namespace seq::actors::x402 {

namespace {

using self_ptr = caf::stateful_actor<x402_batcher_state>*;
using std::chrono::duration_cast;
using std::chrono::microseconds;

msg::timestamp_us now(self_ptr self) {
  auto& st = self->state;
  return st.wall0 + duration_cast<microseconds>(self->clock().now() - st.clock0).count();
}

uint64_t to_ms(msg::timestamp_us us) {
  return us > 0 ? static_cast<uint64_t>(us / 1000) : 0;
}

void step(self_ptr self);

/// Arms the timer for the earliest deadline unless an earlier one is armed.
void schedule(self_ptr self) {
  auto& st = self->state;
  auto deadline = st.plan->next_deadline();
  if (st.storage_retry_at > 0)
    deadline = deadline ? std::min(*deadline, st.storage_retry_at) : st.storage_retry_at;
  auto t = now(self);
  if (!deadline || *deadline <= t)
    return; // due now: the answer in flight (or the current step) handles it
  if (st.tick_at && *st.tick_at <= *deadline)
    return;
  st.tick_at = *deadline;
  self->delayed_send(self, microseconds{*deadline - t}, msg::x402_tick_atom_v);
}

void storage_failed(self_ptr self) {
  auto& st = self->state;
  st.storage_retry_at = now(self) + st.plan->options().retry_initial.count();
}

// -- loading ----------------------------------------------------------------------------------

void load(self_ptr self) {
  auto& st = self->state;
  st.loading = true;
  self
    ->request(st.deps.io.for_stream(st.stream), st.deps.io_timeout,
              msg::x402_load_state{st.stream, st.network})
    .then(
      [self](msg::x402_state_loaded& x) {
        auto& st = self->state;
        st.loading = false;
        st.loaded = true;
        st.plan->on_summary(x.pending);
        if (x.open)
          for (const auto& b : *x.open)
            st.plan->add_committed(b.batch_id);
        step(self);
      },
      [self](caf::error&) {
        self->state.loading = false;
        storage_failed(self);
        schedule(self);
      });
}

// -- sealing ----------------------------------------------------------------------------------

void on_sealed(self_ptr self, const msg::x402_sealed& x) {
  auto& st = self->state;
  st.plan->on_summary(x.pending);
  auto* m = st.deps.metrics;
  if (m && x.expired > 0)
    m->intents_expired.fetch_add(x.expired, std::memory_order_relaxed);
  if (!x.batch)
    return;
  st.plan->add_committed(x.batch->batch_id);
  if (!m)
    return;
  m->batches_sealed.fetch_add(1, std::memory_order_relaxed);
  m->batch_size.observe(x.batch->payment_count);
  if (x.intents && !x.intents->empty()) {
    msg::timestamp_us oldest = x.batch->created_at;
    for (const auto& i : *x.intents)
      oldest = std::min(oldest, i.sequenced_at.value_or(oldest));
    m->seal_wait_ms.observe(to_ms(x.batch->created_at - oldest));
  }
}

void seal(self_ptr self, msg::x402_seal req, std::optional<caf::response_promise> rp) {
  auto& st = self->state;
  st.sealing = true;
  req.now = now(self);
  self->request(st.deps.io.for_stream(st.stream), st.deps.io_timeout, std::move(req))
    .then(
      [self, rp](msg::x402_sealed& x) mutable {
        self->state.sealing = false;
        on_sealed(self, x);
        if (rp)
          rp->deliver(msg::x402_batch_made{x.batch});
        step(self);
      },
      [self, rp](caf::error& e) mutable {
        self->state.sealing = false;
        if (rp)
          rp->deliver(std::move(e));
        else
          storage_failed(self);
        step(self);
      });
}

/// Starts the next seal: a queued manual request first, then what the planner says is due.
void next_seal(self_ptr self) {
  auto& st = self->state;
  if (st.sealing)
    return;
  if (!st.manual.empty()) {
    auto m = std::move(st.manual.front());
    st.manual.pop_front();
    msg::x402_seal req;
    req.stream = st.stream;
    req.network = st.network;
    req.intent_ids = std::move(m.req.intent_ids);
    req.max_size = m.req.max_size;
    req.manual = true;
    seal(self, std::move(req), std::move(m.rp));
    return;
  }
  auto t = now(self);
  if (t < st.storage_retry_at)
    return;
  st.storage_retry_at = 0;
  auto due = st.plan->due(t);
  if (due == batch_planner::action::none)
    return;
  msg::x402_seal req;
  req.stream = st.stream;
  req.network = st.network;
  // Expiry only: max_size 0. An automatic batch holds one asset when it will be settled (the
  // settlement contract moves one token per batch).
  req.max_size = due == batch_planner::action::expire ? 0 : st.plan->options().max_size;
  req.single_asset = st.plan->options().auto_settle;
  seal(self, std::move(req), std::nullopt);
}

// -- settlement -------------------------------------------------------------------------------

void settle_done(self_ptr self, const msg::uuid& id) {
  auto& st = self->state;
  st.settling = false;
  st.plan->settled(id);
  step(self);
}

void settle_retry(self_ptr self) {
  auto& st = self->state;
  st.settling = false;
  st.plan->retry_later(now(self));
  step(self);
}

void record(self_ptr self, msg::x402_batch_update u, msg::timestamp_us committed_at) {
  auto& st = self->state;
  self
    ->request(st.deps.io.for_stream(st.stream), st.deps.io_timeout, msg::x402_record{u})
    .then(
      [self, u, committed_at](caf::ok_atom) {
        auto& st = self->state;
        st.unrecorded.reset();
        if (auto* m = st.deps.metrics) {
          if (u.to == msg::x402_batch_status::settled) {
            m->batches_settled.fetch_add(1, std::memory_order_relaxed);
            m->settle_latency_ms.observe(to_ms(u.at - committed_at));
          } else {
            m->batches_failed.fetch_add(1, std::memory_order_relaxed);
          }
        }
        settle_done(self, u.batch_id);
      },
      [self, u](caf::error& e) {
        auto& st = self->state;
        if (e == errc::storage_conflict || e == errc::not_found) {
          // Settled or failed by someone else meanwhile (the manual route): not ours anymore.
          st.unrecorded.reset();
          settle_done(self, u.batch_id);
          return;
        }
        st.unrecorded = u; // the chain has it: record before sending anything else
        settle_retry(self);
      });
}

void send_settlement(self_ptr self, std::shared_ptr<const msg::x402_batch> b,
                     msg::settle_payment_batch s) {
  auto& st = self->state;
  auto committed_at = b->committed_at.value_or(b->created_at);
  self->request(st.deps.breaker, st.deps.settle_timeout, std::move(s))
    .then(
      [self, b, committed_at](msg::chain_tx& tx) {
        msg::x402_batch_update u;
        u.batch_id = b->batch_id;
        u.from = msg::x402_batch_status::committed;
        u.to = msg::x402_batch_status::settled;
        u.tx_hash = tx.tx_hash;
        u.block_number = tx.block_number;
        u.at = now(self);
        record(self, u, committed_at);
      },
      [self, b, committed_at](caf::error& e) {
        auto& st = self->state;
        if (auto* m = st.deps.metrics)
          m->settlement_failures.fetch_add(1, std::memory_order_relaxed);
        if (e == errc::chain_rejected && !st.plan->refused(b->batch_id, now(self))) {
          st.settling = false; // tried again later, after the batches queued behind it
          step(self);
          return;
        }
        if (e == errc::chain_rejected) {
          msg::x402_batch_update u;
          u.batch_id = b->batch_id;
          u.from = msg::x402_batch_status::committed;
          u.to = msg::x402_batch_status::failed;
          u.at = now(self);
          record(self, u, committed_at);
          return;
        }
        if (e == errc::invalid_request) {
          st.settle_disabled = true; // no settlement contract: manual settlement only
          st.settling = false;
          step(self);
          return;
        }
        settle_retry(self); // unreachable, timeout, breaker open: back off and send again
      });
}

/// The settlement request for a fetched batch, once the chain id is known.
void settle_fetched(self_ptr self, const msg::x402_sealed& x) {
  auto& st = self->state;
  const auto& b = *x.batch;
  if (b.status != msg::x402_batch_status::committed)
    return settle_done(self, b.batch_id); // recorded elsewhere meanwhile
  auto cfg = st.deps.settlement;
  cfg.chain_id = st.chain_id;
  auto s = settlement_for(b, x.intents ? *x.intents : std::vector<msg::x402_intent>{}, cfg);
  if (std::holds_alternative<std::string>(s)) {
    // The batch stays committed for POST /api/v1/x402/batches/settle (the reason is what
    // msg::x402_unsettleable_reason says; /metrics counts these batches).
    if (auto* m = st.deps.metrics)
      m->batches_unsettleable.fetch_add(1, std::memory_order_relaxed);
    return settle_done(self, b.batch_id);
  }
  send_settlement(self, x.batch, std::get<msg::settle_payment_batch>(std::move(s)));
}

void settle(self_ptr self, const msg::uuid& id) {
  auto& st = self->state;
  st.settling = true;
  self
    ->request(st.deps.io.for_stream(st.stream), st.deps.io_timeout, msg::x402_fetch_batch{id})
    .then(
      [self](msg::x402_sealed& x) {
        auto& st = self->state;
        if (st.chain_id != 0)
          return settle_fetched(self, x);
        // The chain id is not configured: ask the chain once.
        self->request(st.deps.breaker, st.deps.settle_timeout, msg::probe_chain{})
          .then(
            [self, x](msg::chain_head& h) {
              self->state.chain_id = h.chain_id;
              settle_fetched(self, x);
            },
            [self](caf::error&) {
              if (auto* m = self->state.deps.metrics)
                m->settlement_failures.fetch_add(1, std::memory_order_relaxed);
              settle_retry(self);
            });
      },
      [self, id](caf::error& e) {
        if (e == errc::not_found)
          return settle_done(self, id);
        settle_retry(self);
      });
}

void next_settlement(self_ptr self) {
  auto& st = self->state;
  if (st.settling || !st.deps.breaker || st.settle_disabled)
    return;
  auto t = now(self);
  if (st.unrecorded) {
    if (!st.plan->settle_next(t))
      return; // still backing off
    st.settling = true;
    auto u = *st.unrecorded;
    record(self, u, u.at);
    return;
  }
  if (auto id = st.plan->settle_next(t))
    settle(self, *id);
}

void step(self_ptr self) {
  auto& st = self->state;
  if (!st.loaded) {
    if (!st.loading && now(self) >= st.storage_retry_at)
      load(self);
    next_seal(self); // manual requests do not wait for the load
    schedule(self);
    return;
  }
  next_seal(self);
  next_settlement(self);
  schedule(self);
}

} // namespace

x402_batcher_state::~x402_batcher_state() {
  for (auto& m : manual)
    if (m.rp.pending())
      m.rp.deliver(make_error(errc::internal, "x402 batcher stopped"));
}

caf::behavior x402_batcher(caf::stateful_actor<x402_batcher_state>* self, msg::stream_key stream,
                           std::string network, batcher_deps deps) {
  auto& st = self->state;
  st.stream = stream;
  st.network = std::move(network);
  st.deps = std::move(deps);
  st.plan = std::make_unique<batch_planner>(st.deps.options);
  st.chain_id = st.deps.settlement.chain_id;
  st.clock0 = self->clock().now();
  st.wall0 = msg::now_us();
  if (auto* m = st.deps.metrics)
    m->batchers.fetch_add(1, std::memory_order_relaxed);
  self->attach_functor([m = st.deps.metrics] {
    if (m)
      m->batchers.fetch_sub(1, std::memory_order_relaxed);
  });
  step(self);
  return {
    [self](msg::x402_sequenced& x) {
      for (const auto& n : x.intents)
        if (n.network == self->state.network)
          self->state.plan->on_sequenced(n);
      step(self);
    },
    [self](msg::create_x402_batch& x) -> caf::result<msg::x402_batch_made> {
      auto rp = self->make_response_promise();
      self->state.manual.push_back(x402_batcher_state::manual_request{std::move(x), rp});
      step(self);
      return caf::delegated<msg::x402_batch_made>{};
    },
    [self](caf::put_atom, caf::actor& breaker) {
      self->state.deps.breaker = breaker;
      step(self);
    },
    [self](msg::x402_tick_atom) {
      auto& st = self->state;
      if (st.tick_at && *st.tick_at <= now(self))
        st.tick_at.reset();
      step(self);
    },
  };
}

} // namespace seq::actors::x402
