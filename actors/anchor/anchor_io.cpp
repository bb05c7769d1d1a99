// SPDX-License-Identifier: Apache-2.0
#include "actors/anchor/anchor_io.hpp"

#include "actors/thread_name.hpp"
#include "messages/commitment.hpp"
#include "messages/errc.hpp"
#include "messages/type_ids.hpp"

#include "caf/event_based_actor.hpp"
#include "caf/result.hpp"

namespace seq::actors::anchor {

namespace {

using self_ptr = caf::stateful_actor<anchor_io_state>*;

template <class T, class F>
caf::result<T> with_store(self_ptr self, F f) {
  auto cs = self->state.store.get<storage::commitment_store>();
  caf::expected<T> r = cs ? f(**cs) : caf::expected<T>{std::move(cs.error())};
  if (!r) {
    self->state.store.on_error(r.error());
    return std::move(r.error());
  }
  return std::move(*r);
}

/// "Commitment not found" for a missing row; any other error (an unreachable database) as is.
caf::error not_found_or(const caf::error& e) {
  return e == errc::not_found ? make_error(errc::not_found, "Commitment not found") : e;
}

caf::expected<msg::anchor_loaded> load(storage::commitment_store& cs, const msg::anchor_load& x) {
  msg::anchor_loaded out;
  if (x.kind == msg::anchor_kind::ves) {
    auto row = cs.get_ves_commitment(x.batch_id);
    if (!row)
      return not_found_or(row.error());
    out.commitment = msg::to_chain(*row);
    if (row->chain_tx_hash) {
      out.recorded = true;
      out.tx = {row->chain_id.value_or(0), *row->chain_tx_hash,
                row->chain_block_number.value_or(0)};
    }
    return out;
  }
  auto row = cs.get_legacy_commitment(x.batch_id);
  if (!row)
    return not_found_or(row.error());
  out.commitment = msg::to_chain(*row);
  if (row->chain_tx_hash) {
    out.recorded = true;
    out.tx.tx_hash = *row->chain_tx_hash;
  }
  return out;
}

caf::expected<bool> save(storage::commitment_store& cs, const msg::anchor_save& x) {
  caf::expected<void> r;
  if (x.kind == msg::anchor_kind::ves) {
    msg::anchor_record rec{static_cast<uint32_t>(x.tx.chain_id), x.tx.tx_hash,
                           x.tx.block_number};
    r = cs.mark_ves_anchored(x.batch_id, rec);
  } else {
    r = cs.mark_legacy_anchored(x.batch_id, x.tx.tx_hash);
  }
  if (!r)
    return std::move(r.error());
  return true;
}

caf::expected<msg::anchor_pending> pending(storage::commitment_store& cs, uint32_t limit) {
  msg::commitment_filter f;
  f.anchored = msg::anchored_filter::unanchored;
  f.limit = limit;
  auto rows = cs.list_ves_commitments(f);
  if (!rows)
    return std::move(rows.error());
  msg::anchor_pending out;
  for (auto& r : *rows) {
    out.batch_ids.push_back(r.batch_id);
    out.streams.push_back(r.stream);
  }
  return out;
}

} // namespace

caf::behavior anchor_io(caf::stateful_actor<anchor_io_state>* self, store_factory factory) {
  name_detached_thread(self, "ves-anchor-io");
  self->state.store = lazy_store{std::move(factory), "anchor I/O"};
  return {
    [self](msg::anchor_load& x) -> caf::result<msg::anchor_loaded> {
      return with_store<msg::anchor_loaded>(self, [&](auto& cs) { return load(cs, x); });
    },
    [self](msg::anchor_save& x) -> caf::result<bool> {
      return with_store<bool>(self, [&](auto& cs) { return save(cs, x); });
    },
    [self](msg::anchor_list_pending& x) -> caf::result<msg::anchor_pending> {
      return with_store<msg::anchor_pending>(self,
                                             [&](auto& cs) { return pending(cs, x.limit); });
    },
  };
}

} // namespace seq::actors::anchor
