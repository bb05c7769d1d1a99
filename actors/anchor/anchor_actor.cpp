// SPDX-License-Identifier: Apache-2.0
#include "actors/anchor/anchor_actor.hpp"

#include "actors/anchor/anchor_io.hpp"
#include "messages/errc.hpp"
#include "messages/type_ids.hpp"

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/result.hpp"
#include "caf/send.hpp"

namespace seq::actors::anchor {

namespace {

using self_ptr = caf::stateful_actor<anchor_state>*;

void run_next(self_ptr self);

void deliver(self_ptr self, const std::vector<uint64_t>& ids, const caf::message& m) {
  for (auto id : ids) {
    auto i = self->state.waiters.find(id);
    if (i == self->state.waiters.end())
      continue;
    i->second.deliver(m);
    self->state.waiters.erase(i);
  }
}

void done(self_ptr self, msg::anchor_outcome o) {
  auto ids = self->state.core->finish(o, msg::now_us());
  deliver(self, ids, caf::make_message(std::move(o)));
  run_next(self);
}

void failed(self_ptr self, caf::error e) {
  auto text = error_message(e);
  if (text.empty())
    text = self->system().render(e);
  if (auto* j = self->state.core->running())
    text = "anchoring " + j->batch_id.str() + ": " + text;
  auto ids = self->state.core->fail(e, text);
  deliver(self, ids, caf::make_message(std::move(e)));
  run_next(self);
}

/// Records `tx` on the row, then ends the job with `o`.
void record(self_ptr self, const job& j, msg::anchor_outcome o) {
  self->request(self->state.io, self->state.cfg.io_timeout, msg::anchor_save{j.batch_id, j.kind, o.tx})
    .then([self, o](bool) mutable { done(self, std::move(o)); },
          [self](caf::error& e) { failed(self, std::move(e)); });
}

/// The chain already has the batch: read its transaction from the log and record it.
void recover(self_ptr self, const job& j) {
  auto& cfg = self->state.cfg;
  self->request(cfg.breaker, cfg.call_timeout, msg::find_anchor_tx{j.batch_id})
    .then(
      [self, j](msg::chain_tx& tx) {
        record(self, j, msg::anchor_outcome{j.batch_id, true, true, tx});
      },
      [self](caf::error& e) { failed(self, std::move(e)); });
}

void send_anchor(self_ptr self, const job& j, const msg::chain_commitment& c) {
  auto& cfg = self->state.cfg;
  self->request(cfg.breaker, cfg.call_timeout, msg::anchor_commitment{c})
    .then(
      [self, j](msg::chain_tx& tx) {
        record(self, j, msg::anchor_outcome{j.batch_id, false, false, tx});
      },
      [self](caf::error& e) { failed(self, std::move(e)); });
}

void run_job(self_ptr self, job& j) {
  auto& cfg = self->state.cfg;
  self->request(self->state.io, cfg.io_timeout, msg::anchor_load{j.batch_id, j.kind})
    .then(
      [self](msg::anchor_loaded& l) {
        auto* j = self->state.core->running();
        if (!j)
          return;
        j->stream = msg::stream_key{l.commitment.tenant_id, l.commitment.store_id};
        if (l.recorded) {
          done(self, msg::anchor_outcome{j->batch_id, true, false, l.tx});
          return;
        }
        auto& cfg = self->state.cfg;
        self->request(cfg.breaker, cfg.call_timeout, msg::check_anchored{j->batch_id})
          .then(
            [self, c = l.commitment](msg::anchored_state& st) {
              auto* j = self->state.core->running();
              if (!j)
                return;
              if (st.anchored)
                recover(self, *j);
              else
                send_anchor(self, *j, c);
            },
            [self](caf::error& e) { failed(self, std::move(e)); });
      },
      [self](caf::error& e) { failed(self, std::move(e)); });
}

void run_next(self_ptr self) {
  if (auto* j = self->state.core->start_next())
    run_job(self, *j);
}

} // namespace

caf::behavior anchor_actor(self_ptr self, anchor_config cfg) {
  auto& st = self->state;
  st.cfg = std::move(cfg);
  st.core = std::make_unique<anchor_core>(st.cfg.automatic);
  st.io = st.cfg.detached_io
            ? self->spawn<caf::detached + caf::linked>(anchor_io, st.cfg.factory)
            : self->spawn<caf::linked>(anchor_io, st.cfg.factory);
  if (st.cfg.automatic)
    self->delayed_send(self, st.cfg.interval, msg::anchor_tick_atom_v);
  return {
    [self](msg::anchor_batch& x) -> caf::result<msg::anchor_outcome> {
      auto& st = self->state;
      auto rp = self->make_response_promise<msg::anchor_outcome>();
      auto id = st.next_waiter++;
      st.waiters.emplace(id, rp);
      st.core->request(x.batch_id, x.kind, id);
      run_next(self);
      return rp;
    },
    [self](msg::anchor_tick_atom) {
      auto& st = self->state;
      self->delayed_send(self, st.cfg.interval, msg::anchor_tick_atom_v);
      if (st.core->queued() > 0)
        return; // the previous round is still running
      st.core->round_started();
      self->request(st.io, st.cfg.io_timeout, msg::anchor_list_pending{st.cfg.batch_threshold})
        .then(
          [self](msg::anchor_pending& p) {
            self->state.core->add_round(p);
            run_next(self);
          },
          [self](caf::error& e) {
            self->state.core->note_error("cannot list pending commitments: "
                                         + self->system().render(e));
          });
    },
    [self](caf::get_atom) -> msg::anchor_status { return self->state.core->status(); },
  };
}

caf::actor spawn_anchor(caf::actor_system& sys, anchor_config cfg) {
  return sys.spawn(anchor_actor, std::move(cfg));
}

} // namespace seq::actors::anchor
