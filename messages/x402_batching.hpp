// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The internal protocol of x402 batching (actors/x402_batcher/): batcher hub ↔ per-(stream,
/// network) batchers ↔ x402 I/O workers (blocking storage work). Node-local: batches and
/// intents travel as shared pointers to immutable data and `inspect` skips them, like
/// messages/sequencing.hpp. The public messages (x402_sequenced, create_x402_batch,
/// settle_x402_batch) are in messages/x402.hpp.

#include "messages/x402.hpp"
#include "messages/x402_store.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "caf/atom.hpp"
#include "caf/meta/type_name.hpp"

namespace seq::msg {

// -- atoms ------------------------------------------------------------------------------------

/// Batcher → itself: a seal deadline, an expiry or a settlement retry is due.
using x402_tick_atom = caf::atom_constant<caf::atom("x402tick")>;
constexpr x402_tick_atom x402_tick_atom_v = x402_tick_atom{};
/// Hub → itself: prune old nonce rows.
using x402_prune_atom = caf::atom_constant<caf::atom("x402prune")>;
constexpr x402_prune_atom x402_prune_atom_v = x402_prune_atom{};

// -- I/O worker -------------------------------------------------------------------------------

/// Hub → I/O: where must batchers run? Reply: x402_work_found.
struct x402_find_work {};
struct x402_work_found {
  std::vector<x402_work> work;
};

/// Batcher → I/O: what waits in my (stream, network)? Reply: x402_state_loaded.
struct x402_load_state {
  stream_key stream;
  std::string network;
};
/// `open` = the committed and submitted batches, oldest first (to settle or re-check).
struct x402_state_loaded {
  x402_pending_summary pending;
  std::shared_ptr<const std::vector<x402_batch>> open;
};

/// Batcher → I/O: expire overdue intents, then seal one batch: the given intents, or up to
/// `max_size` oldest sequenced ones (only of the oldest one's asset when `single_asset`);
/// `max_size` 0 on an automatic request = expire only. Reply: x402_sealed (batch null when
/// nothing was sealed); a `manual` request fails instead (see actors/x402_batcher/
/// settlement_batch.hpp).
struct x402_seal {
  stream_key stream;
  std::string network;
  std::vector<uuid> intent_ids;
  uint32_t max_size = 100;
  bool single_asset = false;
  bool manual = false;
  timestamp_us now = 0;
};
struct x402_sealed {
  std::shared_ptr<const x402_batch> batch;
  std::shared_ptr<const std::vector<x402_intent>> intents; ///< members, by sequence number
  uint64_t expired = 0;        ///< intents that became expired in this call
  x402_pending_summary pending; ///< what still waits afterwards
};

/// Batcher → I/O: a batch with its member intents. Reply: x402_sealed (expired = 0).
struct x402_fetch_batch {
  uuid batch_id;
};

/// Batcher / hub → I/O: apply a status change. Reply: caf::ok_atom, or errc::storage_conflict
/// (the status changed meanwhile), errc::not_found.
struct x402_record {
  x402_batch_update update;
};

/// Hub → I/O: delete nonce rows created before `before`. Reply: uint64_t (rows deleted).
struct x402_prune {
  timestamp_us before = 0;
};

// -- inspectors -------------------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, x402_find_work&) {
  return f(caf::meta::type_name("seq::x402_find_work"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, x402_work_found&) {
  return f(caf::meta::type_name("seq::x402_work_found"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, x402_load_state& x) {
  return f(caf::meta::type_name("seq::x402_load_state"), x.stream, x.network);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, x402_state_loaded&) {
  return f(caf::meta::type_name("seq::x402_state_loaded"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, x402_seal& x) {
  return f(caf::meta::type_name("seq::x402_seal"), x.stream, x.network, x.intent_ids,
           x.max_size, x.single_asset, x.manual, x.now);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, x402_sealed&) {
  return f(caf::meta::type_name("seq::x402_sealed"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, x402_fetch_batch& x) {
  return f(caf::meta::type_name("seq::x402_fetch_batch"), x.batch_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, x402_record&) {
  return f(caf::meta::type_name("seq::x402_record"));
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, x402_prune& x) {
  return f(caf::meta::type_name("seq::x402_prune"), x.before);
}

} // namespace seq::msg
