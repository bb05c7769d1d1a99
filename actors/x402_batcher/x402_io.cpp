// SPDX-License-Identifier: Apache-2.0
#include "actors/x402_batcher/x402_io.hpp"

#include "actors/thread_name.hpp"
#include "actors/x402_batcher/settlement_batch.hpp"
#include "messages/errc.hpp"
#include "messages/type_ids.hpp"

#include <algorithm>
#include <functional>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/result.hpp"
#include "caf/send.hpp"

namespace seq::actors::x402 {

namespace {

using self_ptr = caf::stateful_actor<x402_io_state>*;

/// The x402 interface of the worker's connection, opened on first use.
caf::expected<storage::x402_store*> connect(self_ptr self) {
  return self->state.store.get<storage::x402_store>();
}

/// Drops the connection after an unavailable database so the next job reconnects.
template <class T>
caf::result<T> answer(self_ptr self, caf::expected<T> x) {
  if (!x) {
    self->state.store.on_error(x.error());
    return std::move(x.error());
  }
  return std::move(*x);
}

/// Runs `f(store)` on the worker's connection and answers its result.
template <class T, class F>
caf::result<T> run(self_ptr self, F f) {
  auto xs = connect(self);
  if (!xs)
    return answer<T>(self, caf::expected<T>{xs.error()});
  return answer<T>(self, f(**xs));
}

} // namespace

const caf::actor& x402_io::for_stream(const msg::stream_key& s) const {
  return workers[s.hash() % workers.size()];
}

caf::behavior x402_io_worker(caf::stateful_actor<x402_io_state>* self, store_factory factory) {
  name_detached_thread(self, "ves-x402-io");
  self->state.store = lazy_store{std::move(factory), "x402 I/O"};
  return {
    [self](msg::x402_find_work&) -> caf::result<msg::x402_work_found> {
      return run<msg::x402_work_found>(
        self, [](storage::x402_store& xs) -> caf::expected<msg::x402_work_found> {
          auto w = xs.x402_open_work();
          if (!w)
            return w.error();
          return msg::x402_work_found{std::move(*w)};
        });
    },
    [self](msg::x402_load_state& x) -> caf::result<msg::x402_state_loaded> {
      return run<msg::x402_state_loaded>(
        self, [&](storage::x402_store& xs) -> caf::expected<msg::x402_state_loaded> {
          auto pending = xs.x402_pending(x.stream, x.network);
          if (!pending)
            return pending.error();
          auto open = xs.x402_batches_in(x.stream, x.network,
                                         msg::x402_batch_status::committed, 1000);
          if (!open)
            return open.error();
          return msg::x402_state_loaded{
            *pending, std::make_shared<const std::vector<msg::x402_batch>>(std::move(*open))};
        });
    },
    [self](msg::x402_seal& x) -> caf::result<msg::x402_sealed> {
      return run<msg::x402_sealed>(self, [&](storage::x402_store& xs) {
        return seal_batch(xs, x, msg::uuid::random_v4());
      });
    },
    [self](msg::x402_fetch_batch& x) -> caf::result<msg::x402_sealed> {
      return run<msg::x402_sealed>(
        self, [&](storage::x402_store& xs) { return fetch_batch(xs, x.batch_id); });
    },
    [self](msg::x402_record& x) -> caf::result<caf::ok_atom> {
      return run<caf::ok_atom>(self, [&](storage::x402_store& xs) -> caf::expected<caf::ok_atom> {
        auto ok = xs.update_x402_batch(x.update);
        if (!ok)
          return ok.error();
        return caf::ok_atom_v;
      });
    },
    [self](msg::x402_prune& x) -> caf::result<uint64_t> {
      return run<uint64_t>(self,
                           [&](storage::x402_store& xs) { return xs.prune_x402_nonces(x.before); });
    },
    [self](msg::settle_x402_batch& x) -> caf::result<msg::x402_settled> {
      return run<msg::x402_settled>(self, [&](storage::x402_store& xs) {
        return settle_manually(xs, x, msg::now_us());
      });
    },
  };
}

x402_io spawn_x402_io(caf::actor_system& sys, size_t workers, bool detached,
                      store_factory factory) {
  x402_io io;
  io.workers = spawn_io_workers(sys, workers, detached, x402_io_worker, factory);
  return io;
}

void stop_x402_io(const x402_io& io) {
  stop_io_workers(io.workers);
}

} // namespace seq::actors::x402
