// SPDX-License-Identifier: Apache-2.0
#include "actors/circuit_breaker/chain_worker.hpp"

#include "actors/thread_name.hpp"
#include "messages/errc.hpp"
#include "messages/type_ids.hpp"

#include "caf/event_based_actor.hpp"
#include "caf/result.hpp"

namespace seq::actors {

namespace {

/// The gateway, opened on first use.
caf::expected<chain::chain_gateway*> gateway(chain_worker_state& st) {
  if (!st.gateway) {
    if (!st.factory)
      return make_error(errc::chain_unavailable, "chain worker has no gateway factory");
    auto g = st.factory();
    if (!g)
      return std::move(g.error());
    st.gateway = std::move(*g);
  }
  return st.gateway.get();
}

/// Runs `f(gateway)` and maps its expected<T> to the reply `Reply{…}`.
template <class Reply, class F>
caf::result<Reply> run(chain_worker_state& st, F f) {
  auto g = gateway(st);
  if (!g)
    return std::move(g.error());
  auto r = f(**g);
  if (!r)
    return std::move(r.error());
  return Reply{std::move(*r)};
}

} // namespace

caf::behavior chain_worker(caf::stateful_actor<chain_worker_state>* self,
                           chain::chain_gateway_factory factory) {
  name_detached_thread(self, "ves-chain");
  self->state.factory = std::move(factory);
  return {
    [self](msg::probe_chain&) -> caf::result<msg::chain_head> {
      return run<msg::chain_head>(self->state, [](chain::chain_gateway& g) { return g.probe(); });
    },
    [self](msg::anchor_commitment& x) -> caf::result<msg::chain_tx> {
      return run<msg::chain_tx>(self->state,
                                [&](chain::chain_gateway& g) { return g.anchor(x.commitment); });
    },
    [self](msg::check_anchored& x) -> caf::result<msg::anchored_state> {
      return run<msg::anchored_state>(
        self->state, [&](chain::chain_gateway& g) { return g.is_anchored(x.batch_id); });
    },
    [self](msg::find_anchor_tx& x) -> caf::result<msg::chain_tx> {
      return run<msg::chain_tx>(self->state,
                                [&](chain::chain_gateway& g) { return g.find_anchor_tx(x.batch_id); });
    },
    [self](msg::fetch_onchain_commitment& x) -> caf::result<msg::onchain_commitment> {
      return run<msg::onchain_commitment>(
        self->state, [&](chain::chain_gateway& g) { return g.commitment(x.batch_id); });
    },
    [self](msg::fetch_onchain_stream_head& x) -> caf::result<msg::onchain_stream_head> {
      return run<msg::onchain_stream_head>(
        self->state, [&](chain::chain_gateway& g) { return g.stream_head(x.stream); });
    },
    [self](msg::verify_inclusion_on_chain& x) -> caf::result<msg::inclusion_verified> {
      return run<msg::inclusion_verified>(self->state, [&](chain::chain_gateway& g) {
        return g.verify_inclusion(x.batch_id, x.leaf, x.path, x.leaf_index);
      });
    },
    [self](msg::settle_payment_batch& x) -> caf::result<msg::chain_tx> {
      return run<msg::chain_tx>(self->state,
                                [&](chain::chain_gateway& g) { return g.settle_payment_batch(x); });
    },
    [self](msg::check_batch_settled& x) -> caf::result<msg::batch_settled_state> {
      return run<msg::batch_settled_state>(
        self->state, [&](chain::chain_gateway& g) { return g.is_batch_settled(x.batch_id); });
    },
  };
}

} // namespace seq::actors
