// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The committer's vocabulary (actors/committer/): requests from the routes to a stream's
/// committer companion (msg::get_companion{stream, "committer"}), and the jobs the committer
/// hands to its detached I/O worker. All replies may instead be a caf::error carrying a
/// seq::errc (errc::invalid_request for a client's range mistake, errc::not_found, storage
/// errors).

#include "messages/commitment.hpp"
#include "messages/domain.hpp"

#include <cstdint>
#include <string>
#include <vector>

#include "caf/atom.hpp"
#include "caf/meta/load_callback.hpp"
#include "caf/meta/type_name.hpp"

namespace seq::msg {

using commit_tick_atom = caf::atom_constant<caf::atom("cmttick")>;
constexpr commit_tick_atom commit_tick_atom_v = commit_tick_atom{};

/// Routes → committer (and committer → I/O worker): commit VES events [start, end].
/// Reply: ves_commitment (the existing one for the same range: idempotent).
struct create_ves_commitment {
  stream_key stream;
  uint64_t sequence_start = 0, sequence_end = 0;
};

/// Routes → committer (and committer → I/O worker): commit legacy events [start, end].
/// Reply: legacy_commitment.
struct create_legacy_commitment {
  stream_key stream;
  uint64_t sequence_start = 0, sequence_end = 0;
};

/// Routes → committer: the inclusion proof of one VES event, in the batch `batch_id` (must
/// belong to the stream and cover the sequence) or, when `has_batch` is false, in the batch
/// that covers it. Reply: ves_proof; errc::not_found (no such batch / no covering batch),
/// errc::forbidden (batch of another stream), errc::invalid_request (not in range).
struct get_ves_proof {
  stream_key stream;
  uint64_t sequence_number = 0;
  bool has_batch = false;
  uuid batch_id;
};

/// An inclusion proof (ves-crypto §6).
struct ves_proof {
  uint64_t sequence_number = 0;
  uuid batch_id;
  hash32 merkle_root{}, leaf_hash{};
  uint64_t leaf_index = 0;
  std::vector<hash32> proof_path;
  std::vector<bool> directions; ///< true = current node is the left child
};

/// Committer → I/O worker: what it needs after a (re)start. Reply: committer_loaded.
struct committer_load {
  stream_key stream;
};

struct committer_loaded {
  uint64_t last_ves_end = 0; ///< sequence_end of the last VES commitment (0 = none)
  uint64_t ves_head = 0;     ///< highest stored VES sequence number
};

/// Committer → I/O worker: the leaf hashes of an existing commitment (to rebuild its tree for
/// a proof). Reply: ves_commitment_built.
struct load_ves_leaves {
  ves_commitment commitment;
};

/// I/O worker → committer: a commitment (new or existing) and its leaf hashes in order.
struct ves_commitment_built {
  ves_commitment commitment;
  std::vector<hash32> leaves;
  bool created = false; ///< false when an existing commitment was returned
};

// -- inspectors -------------------------------------------------------------------------------

// std::optional is not inspectable in CAF 0.17: optional fields travel as (flag, value).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ves_commitment& x) {
  bool has_chain_id = x.chain_id.has_value();
  uint32_t chain_id = x.chain_id.value_or(0);
  bool has_tx = x.chain_tx_hash.has_value();
  hash32 tx = x.chain_tx_hash.value_or(hash32{});
  bool has_block = x.chain_block_number.has_value();
  uint64_t block = x.chain_block_number.value_or(0);
  bool has_anchored = x.anchored_at.has_value();
  timestamp_us anchored = x.anchored_at.value_or(0);
  return f(caf::meta::type_name("seq::ves_commitment"), x.batch_id, x.stream, x.ves_version,
           x.tree_depth, x.leaf_count, x.padded_leaf_count, x.merkle_root, x.prev_state_root,
           x.new_state_root, x.sequence_start, x.sequence_end, x.committed_at, has_chain_id,
           chain_id, has_tx, tx, has_block, block, has_anchored, anchored,
           caf::meta::load_callback([&]() -> caf::error {
             x.chain_id = has_chain_id ? std::optional<uint32_t>{chain_id} : std::nullopt;
             x.chain_tx_hash = has_tx ? std::optional<hash32>{tx} : std::nullopt;
             x.chain_block_number = has_block ? std::optional<uint64_t>{block} : std::nullopt;
             x.anchored_at = has_anchored ? std::optional<timestamp_us>{anchored} : std::nullopt;
             return caf::none;
           }));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, legacy_commitment& x) {
  bool has_tx = x.chain_tx_hash.has_value();
  hash32 tx = x.chain_tx_hash.value_or(hash32{});
  return f(caf::meta::type_name("seq::legacy_commitment"), x.batch_id, x.stream,
           x.prev_state_root, x.new_state_root, x.events_root, x.event_count, x.sequence_start,
           x.sequence_end, x.committed_at, has_tx, tx,
           caf::meta::load_callback([&]() -> caf::error {
             x.chain_tx_hash = has_tx ? std::optional<hash32>{tx} : std::nullopt;
             return caf::none;
           }));
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_ves_commitment& x) {
  return f(caf::meta::type_name("seq::create_ves_commitment"), x.stream, x.sequence_start,
           x.sequence_end);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, create_legacy_commitment& x) {
  return f(caf::meta::type_name("seq::create_legacy_commitment"), x.stream, x.sequence_start,
           x.sequence_end);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, get_ves_proof& x) {
  return f(caf::meta::type_name("seq::get_ves_proof"), x.stream, x.sequence_number, x.has_batch,
           x.batch_id);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ves_proof& x) {
  return f(caf::meta::type_name("seq::ves_proof"), x.sequence_number, x.batch_id, x.merkle_root,
           x.leaf_hash, x.leaf_index, x.proof_path, x.directions);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, committer_load& x) {
  return f(caf::meta::type_name("seq::committer_load"), x.stream);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, committer_loaded& x) {
  return f(caf::meta::type_name("seq::committer_loaded"), x.last_ves_end, x.ves_head);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, load_ves_leaves& x) {
  return f(caf::meta::type_name("seq::load_ves_leaves"), x.commitment);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, ves_commitment_built& x) {
  return f(caf::meta::type_name("seq::ves_commitment_built"), x.commitment, x.leaves, x.created);
}

} // namespace seq::msg
