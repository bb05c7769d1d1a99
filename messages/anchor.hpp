// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The anchor actor's vocabulary (actors/anchor/): requests from the routes, the jobs it hands
/// to its storage worker, and its status. Every chain call it makes goes through the circuit
/// breaker (messages/chain.hpp).
///
/// One anchor actor per node anchors both the VES commitments it finds pending (automatic
/// rounds, oldest first) and the ones the routes ask for, one at a time, so a manual request
/// and an automatic round never send the same commitment twice. Before sending it asks the
/// chain whether the batch is already anchored; if so it recovers the transaction from the
/// contract's log and records it instead of sending again (a restart between "mined" and
/// "recorded" therefore never anchors twice).

#include "messages/chain.hpp"
#include "messages/domain.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "caf/atom.hpp"
#include "caf/meta/type_name.hpp"

namespace seq::msg {

using anchor_tick_atom = caf::atom_constant<caf::atom("anctick")>;
constexpr anchor_tick_atom anchor_tick_atom_v = anchor_tick_atom{};

/// Which commitment table a batch id refers to.
enum class anchor_kind : uint8_t { ves = 0, legacy = 1 };

/// Routes → anchor actor: anchor this commitment now (or report that it already is).
/// Reply: anchor_outcome; errc::not_found (no such commitment), errc::circuit_open /
/// errc::chain_unavailable / errc::timeout (chain unreachable: retry later),
/// errc::chain_rejected (the contract refused it, e.g. an earlier commitment of the stream is
/// not anchored yet).
struct anchor_batch {
  uuid batch_id;
  anchor_kind kind = anchor_kind::ves;
};

/// What happened to one commitment.
struct anchor_outcome {
  uuid batch_id;
  /// True when the batch was anchored before this request: recorded locally, or found on chain
  /// (then `recovered` is also true and the transaction was read from the contract's log).
  bool already = false;
  bool recovered = false;
  /// The anchoring transaction. Legacy rows store only the hash (chain_id/block stay 0).
  chain_tx tx;
};

// -- anchor actor → its storage worker ----------------------------------------------------------

/// Load a commitment as it would go on chain. Reply: anchor_loaded; errc::not_found.
struct anchor_load {
  uuid batch_id;
  anchor_kind kind = anchor_kind::ves;
};

struct anchor_loaded {
  chain_commitment commitment;
  /// The row already records an anchoring transaction (`tx`).
  bool recorded = false;
  chain_tx tx;
};

/// Record the anchoring transaction on the row. Reply: true / error.
struct anchor_save {
  uuid batch_id;
  anchor_kind kind = anchor_kind::ves;
  chain_tx tx;
};

/// The oldest VES commitments without an anchoring transaction. Reply: anchor_pending.
struct anchor_list_pending {
  uint32_t limit = 10;
};

struct anchor_pending {
  std::vector<uuid> batch_ids;       ///< oldest first
  std::vector<stream_key> streams;   ///< the stream of each
};

/// The anchor actor's counters, for /health/detailed and /metrics. Request with
/// caf::get_atom.
struct anchor_status {
  bool automatic = false;
  uint64_t rounds = 0;       ///< automatic rounds started
  uint64_t anchored = 0;     ///< transactions sent and confirmed
  uint64_t recovered = 0;    ///< found already anchored on chain and recorded
  uint64_t failures = 0;     ///< jobs that ended in an error
  uint64_t queued = 0;       ///< jobs waiting now (including the one in progress)
  timestamp_us last_anchored_at = 0;
  std::string last_error;    ///< empty after a success
};

// -- inspectors -------------------------------------------------------------------------------

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, anchor_batch& x) {
  return f(caf::meta::type_name("seq::anchor_batch"), x.batch_id, x.kind);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, anchor_outcome& x) {
  return f(caf::meta::type_name("seq::anchor_outcome"), x.batch_id, x.already, x.recovered,
           x.tx);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, anchor_load& x) {
  return f(caf::meta::type_name("seq::anchor_load"), x.batch_id, x.kind);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, anchor_loaded& x) {
  return f(caf::meta::type_name("seq::anchor_loaded"), x.commitment, x.recorded, x.tx);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, anchor_save& x) {
  return f(caf::meta::type_name("seq::anchor_save"), x.batch_id, x.kind, x.tx);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, anchor_list_pending& x) {
  return f(caf::meta::type_name("seq::anchor_list_pending"), x.limit);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, anchor_pending& x) {
  return f(caf::meta::type_name("seq::anchor_pending"), x.batch_ids, x.streams);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, anchor_status& x) {
  return f(caf::meta::type_name("seq::anchor_status"), x.automatic, x.rounds, x.anchored,
           x.recovered, x.failures, x.queued, x.last_anchored_at, x.last_error);
}

} // namespace seq::msg
