// SPDX-License-Identifier: Apache-2.0
#include "actors/circuit_breaker/circuit_breaker.hpp"

#include "actors/circuit_breaker/chain_worker.hpp"
#include "messages/errc.hpp"
#include "messages/type_ids.hpp"

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/result.hpp"
#include "caf/sec.hpp"
#include "caf/typed_response_promise.hpp"

namespace seq::actors {

namespace {

using self_ptr = caf::stateful_actor<circuit_breaker_state>*;

/// The worker, (re)spawned when there is none.
const caf::actor& worker(self_ptr self) {
  auto& st = self->state;
  if (!st.worker) {
    if (st.cfg.detached_io)
      st.worker = self->spawn<caf::detached + caf::monitored>(chain_worker, st.factory);
    else
      st.worker = self->spawn<caf::monitored>(chain_worker, st.factory);
  }
  return st.worker;
}

/// Lets `x` through to the worker if the breaker allows it.
template <class Reply, class Request>
caf::result<Reply> guarded(self_ptr self, Request& x) {
  auto& st = self->state;
  auto permit = st.cb->try_acquire();
  if (!permit) {
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(st.cb->retry_in()).count();
    return make_error(errc::circuit_open, st.cfg.breaker.name
                                            + " circuit breaker is open; retry in "
                                            + std::to_string(ms) + " ms");
  }
  auto rp = self->make_response_promise<Reply>();
  auto t0 = self->clock().now();
  self->request(worker(self), st.cfg.call_timeout, std::move(x))
    .then(
      [self, rp, p = *permit, t0](Reply& r) mutable {
        self->state.cb->on_success(p, self->clock().now() - t0);
        rp.deliver(std::move(r));
      },
      [self, rp, p = *permit, t0](caf::error& e) mutable {
        if (counts_as_failure(e))
          self->state.cb->on_failure(p);
        else
          self->state.cb->on_success(p, self->clock().now() - t0);
        rp.deliver(std::move(e));
      });
  return rp;
}

} // namespace

bool counts_as_failure(const caf::error& e) {
  if (!e)
    return false;
  if (e.category() == caf::atom("seq")) {
    auto c = static_cast<errc>(e.code());
    return c == errc::chain_unavailable || c == errc::timeout;
  }
  // The worker did not finish the call: it timed out, was gone, or died while handling it
  // (its exit reason comes back to the caller).
  static const auto exit_category = caf::make_error(caf::exit_reason::kill).category();
  if (e.category() == exit_category)
    return true;
  return e == caf::sec::request_timeout || e == caf::sec::request_receiver_down
         || e == caf::sec::runtime_error;
}

caf::behavior circuit_breaker(self_ptr self, circuit_breaker_config cfg,
                              chain::chain_gateway_factory factory) {
  auto& st = self->state;
  st.cb = std::make_unique<breaker>(
    cfg.breaker, [self] { return self->clock().now(); }, cfg.random);
  st.cfg = std::move(cfg);
  st.factory = std::move(factory);
  self->set_down_handler([self](caf::down_msg& dm) {
    if (dm.source == self->state.worker.address())
      self->state.worker = nullptr; // respawned on the next call
  });
  return {
    [self](msg::probe_chain& x) -> caf::result<msg::chain_head> {
      return guarded<msg::chain_head>(self, x);
    },
    [self](msg::anchor_commitment& x) -> caf::result<msg::chain_tx> {
      return guarded<msg::chain_tx>(self, x);
    },
    [self](msg::check_anchored& x) -> caf::result<msg::anchored_state> {
      return guarded<msg::anchored_state>(self, x);
    },
    [self](msg::find_anchor_tx& x) -> caf::result<msg::chain_tx> {
      return guarded<msg::chain_tx>(self, x);
    },
    [self](msg::fetch_onchain_commitment& x) -> caf::result<msg::onchain_commitment> {
      return guarded<msg::onchain_commitment>(self, x);
    },
    [self](msg::fetch_onchain_stream_head& x) -> caf::result<msg::onchain_stream_head> {
      return guarded<msg::onchain_stream_head>(self, x);
    },
    [self](msg::verify_inclusion_on_chain& x) -> caf::result<msg::inclusion_verified> {
      return guarded<msg::inclusion_verified>(self, x);
    },
    [self](msg::settle_payment_batch& x) -> caf::result<msg::chain_tx> {
      return guarded<msg::chain_tx>(self, x);
    },
    [self](msg::check_batch_settled& x) -> caf::result<msg::batch_settled_state> {
      return guarded<msg::batch_settled_state>(self, x);
    },
    [self](caf::get_atom) -> msg::breaker_status { return self->state.cb->status(); },
  };
}

caf::actor spawn_circuit_breaker(caf::actor_system& sys, circuit_breaker_config cfg,
                                 chain::chain_gateway_factory factory) {
  return sys.spawn(circuit_breaker, std::move(cfg), std::move(factory));
}

} // namespace seq::actors
