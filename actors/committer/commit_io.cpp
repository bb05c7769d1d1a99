// SPDX-License-Identifier: Apache-2.0
#include "actors/committer/commit_io.hpp"

#include "actors/committer/commit_batch.hpp"
#include "actors/thread_name.hpp"
#include "messages/errc.hpp"
#include "messages/type_ids.hpp"

#include <algorithm>
#include <functional>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/exit_reason.hpp"
#include "caf/result.hpp"
#include "caf/send.hpp"

namespace seq::actors::committer {

namespace {

using self_ptr = caf::stateful_actor<commit_io_state>*;

constexpr const char* owner = "commit I/O";

caf::expected<storage::event_store*> connect(self_ptr self) {
  return self->state.store.get();
}

/// The commitment interface of the connection (both real backends have one).
caf::expected<storage::commitment_store*> commitments(storage::event_store& es) {
  if (auto* cs = dynamic_cast<storage::commitment_store*>(&es))
    return cs;
  return make_error(errc::internal, "the event store has no commitment interface");
}

/// Runs one job, `f(events, commitments)`, on the worker's connection (guarded: an exception
/// fails the job alone) and answers its result. Drops the connection after an unavailable
/// database so the next job reconnects.
template <class T, class F>
caf::result<T> with_stores(self_ptr self, F f) {
  return guarded(owner, [&]() -> caf::result<T> {
    auto es = connect(self);
    if (!es)
      return std::move(es.error());
    auto cs = commitments(**es);
    if (!cs)
      return std::move(cs.error());
    caf::expected<T> x = f(**es, **cs);
    if (!x) {
      self->state.store.on_error(x.error());
      return std::move(x.error());
    }
    return std::move(*x);
  });
}

caf::expected<msg::committer_loaded> load(storage::event_store& es,
                                          storage::commitment_store& cs,
                                          const msg::committer_load& x) {
  auto last = cs.last_ves_commitment(x.stream);
  if (!last)
    return last.error();
  auto heads = es.load_heads(x.stream);
  if (!heads)
    return heads.error();
  msg::committer_loaded out;
  out.last_ves_end = *last ? (*last)->sequence_end : 0;
  out.ves_head = heads->ves;
  return out;
}

caf::expected<msg::ves_commitment_built> proof_batch(storage::event_store& es,
                                                     storage::commitment_store& cs,
                                                     const msg::get_ves_proof& x) {
  msg::ves_commitment c;
  if (x.has_batch) {
    auto got = cs.get_ves_commitment(x.batch_id);
    if (!got)
      return got.error() == errc::not_found ? make_error(errc::not_found, "Commitment not found")
                                            : got.error();
    if (got->stream != x.stream)
      return make_error(errc::forbidden, "Commitment access denied");
    c = std::move(*got);
  } else {
    auto got = cs.covering_ves_commitment(x.stream, x.sequence_number);
    if (!got)
      return got.error();
    if (!*got)
      return make_error(errc::not_found, "No commitment covers sequence number "
                                           + std::to_string(x.sequence_number));
    c = std::move(**got);
  }
  return load_ves_leaves(es, c);
}

} // namespace

const caf::actor& commit_io::for_stream(const msg::stream_key& s) const {
  return workers[s.hash() % workers.size()];
}

caf::behavior commit_io_worker(caf::stateful_actor<commit_io_state>* self,
                               store_factory factory) {
  name_detached_thread(self, "ves-commit-io");
  self->state.store = lazy_store{std::move(factory), owner};
  return {
    [self](msg::committer_load& x) -> caf::result<msg::committer_loaded> {
      return with_stores<msg::committer_loaded>(
        self, [&](auto& es, auto& cs) { return load(es, cs, x); });
    },
    [self](msg::create_ves_commitment& x) -> caf::result<msg::ves_commitment_built> {
      return with_stores<msg::ves_commitment_built>(self, [&](auto& es, auto& cs) {
        return create_ves_commitment(es, cs, x.stream, x.sequence_start, x.sequence_end,
                                     msg::now_us());
      });
    },
    [self](msg::create_legacy_commitment& x) -> caf::result<msg::legacy_commitment> {
      return with_stores<msg::legacy_commitment>(self, [&](auto& es, auto& cs) {
        return create_legacy_commitment(es, cs, x.stream, x.sequence_start, x.sequence_end,
                                        msg::now_us());
      });
    },
    [self](msg::get_ves_proof& x) -> caf::result<msg::ves_commitment_built> {
      return with_stores<msg::ves_commitment_built>(
        self, [&](auto& es, auto& cs) { return proof_batch(es, cs, x); });
    },
  };
}

commit_io spawn_commit_io(caf::actor_system& sys, size_t workers, bool detached,
                          store_factory factory) {
  commit_io io;
  io.workers = spawn_io_workers(sys, workers, detached, commit_io_worker, factory);
  return io;
}

void stop_commit_io(const commit_io& io) {
  stop_io_workers(io.workers);
}

} // namespace seq::actors::committer
