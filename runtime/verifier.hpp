// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The independent verifier behind `ves verify batch|proof|receipt`, as pure functions: JSON
/// (in the server's wire shapes) → records → findings. Nothing the server computed is
/// trusted: payload hashes, signing hashes, agent signatures (against keys the caller
/// supplies), receipt hashes and sequencer signatures, Merkle leaves and roots, tree shape,
/// the state-root chain and the on-chain record are all recomputed with messages/ves and
/// compared with what the data states. No I/O (runtime/cli_verify.hpp fetches and prints).
///
/// A finding is one line naming what failed, e.g.
///   `event seq 17: signature does not verify with agent key (tenant …, agent …, key 1)`
///   `merkle root mismatch: computed … stored …`
/// Malformed fields (bad hex, wrong length, missing members) are findings too: data that
/// cannot be decoded cannot be valid. Notes say what could not be checked and why (they do
/// not make the data invalid).

#include "messages/chain.hpp"
#include "messages/ves/json.hpp"
#include "messages/ves/ves.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <tuple>
#include <vector>

namespace seq::runtime::verify {

using ves::hash32;
using ves::pubkey32;
using ves::sig64;
using ves::uuid;

/// What the checks found wrong (one line each) and what they could not check.
struct report {
  std::vector<std::string> findings;
  std::vector<std::string> notes;
  bool ok() const {
    return findings.empty();
  }
  void fail(std::string s) {
    findings.push_back(std::move(s));
  }
  void note(std::string s) {
    notes.push_back(std::move(s));
  }
};

// -- records ------------------------------------------------------------------------------------

/// A registered agent signing key.
struct agent_key_entry {
  uuid tenant_id, agent_id;
  uint32_t key_id = 0;
  pubkey32 public_key{};
};

/// Agent public keys by (tenant, agent, key id).
class key_book {
public:
  void add(const agent_key_entry& k);
  const pubkey32* find(const uuid& tenant, const uuid& agent, uint32_t key_id) const;
  size_t size() const {
    return keys_.size();
  }
  std::vector<agent_key_entry> entries() const;

private:
  std::map<std::tuple<uuid, uuid, uint32_t>, pubkey32> keys_;
};

/// A VES commitment as GET /api/v1/ves/commitments/{batch_id} returns it.
struct commitment_record {
  uuid batch_id, tenant_id, store_id;
  uint32_t ves_version = 1;
  uint32_t tree_depth = 0, leaf_count = 0, padded_leaf_count = 0;
  hash32 merkle_root{}, prev_state_root{}, new_state_root{};
  uint64_t sequence_start = 0, sequence_end = 0;
};

/// One VES event: the signed fields of the envelope plus, as GET /api/v1/ves/events returns
/// it, the sequence number and the receipt. `header` carries the STATED payload hashes.
struct event_record {
  ves::event_header header;
  std::optional<ves::json::value> payload;           ///< payload_kind 0
  std::optional<ves::json::value> payload_encrypted; ///< payload_kind 1
  sig64 agent_signature{};
  int64_t agent_signature_scheme = 0;
  std::optional<uint64_t> sequence_number;
  std::optional<hash32> receipt_hash;
  std::optional<sig64> sequencer_signature;
  /// "event seq N" (or "event <id>" without a sequence number): the finding prefix.
  std::string label() const;
};

/// A sequencer receipt: the ingest response's camelCase object, or the receipt fields of an
/// event as GET /api/v1/ves/events returns it.
struct receipt_record {
  uuid event_id;
  std::optional<uuid> sequencer_id;
  uint64_t sequence_number = 0;
  hash32 receipt_hash{};
  std::string signature_alg;                ///< "ed25519", "none" or "" (not stated)
  std::optional<sig64> sequencer_signature; ///< none: unsigned
};

// -- decoding (wire JSON → records); problems become findings prefixed with `what` -------------

std::optional<commitment_record> decode_commitment(const ves::json::value& v,
                                                   const std::string& what, report& r);
/// `what` names the event when it has no readable sequence number (e.g. "events[3]").
std::optional<event_record> decode_event(const ves::json::value& v, const std::string& what,
                                         report& r);
/// Accepts snake_case {tenant_id, agent_id, key_id, public_key} and the camelCase of
/// POST /api/v1/agents/keys {tenantId, agentId, keyId, publicKey}.
std::optional<agent_key_entry> decode_agent_key(const ves::json::value& v, const std::string& what,
                                                report& r);
/// Adds every key of a key document: an array of keys, or an object with `agent_keys`.
void decode_key_document(const ves::json::value& doc, const std::string& what, key_book& out,
                         report& r);
/// The camelCase receipt ({eventId, sequenceNumber, receiptHash, signatureAlg,
/// sequencerSignature, sequencerId}) or an event object with receipt_hash/sequencer_signature.
std::optional<receipt_record> decode_receipt(const ves::json::value& v, const std::string& what,
                                             report& r);
/// 32 bytes of hex (optional 0x).
std::optional<hash32> parse_hash(std::string_view text);
std::optional<pubkey32> parse_public_key(std::string_view text);

/// One agent key as JSON (snake_case; the export format).
ves::json::value key_to_json(const agent_key_entry& k);

// -- per-event checks ---------------------------------------------------------------------------

/// What an event check recomputed.
struct event_outcome {
  hash32 signing_hash{};
  std::optional<hash32> leaf; ///< only with a sequence number
  bool signature_checked = false, receipt_checked = false;
};

struct event_checks {
  const key_book* keys = nullptr;        ///< none: agent signatures are not checked
  std::optional<pubkey32> sequencer_key; ///< none: receipt signatures are not checked
  bool require_receipt = false;          ///< a missing receipt hash is a finding
};

/// Payload hash (kind 0: plain hash of the payload's JCS, cipher hash zero; kind 1: cipher
/// hash from payload_encrypted), signing hash, agent signature, receipt hash and sequencer
/// signature, leaf.
event_outcome check_event(const event_record& e, const event_checks& c, report& r);

// -- batch ----------------------------------------------------------------------------------------

struct batch_input {
  commitment_record commitment;
  /// The stream's commitment before this one (highest sequence_end below sequence_start);
  /// none: this is the stream's first commitment and chains from 32 zero bytes (§8).
  std::optional<commitment_record> previous;
  std::vector<event_record> events; ///< any order; those outside the range are ignored
  key_book keys;
  std::optional<pubkey32> sequencer_key;
};

struct batch_result {
  report rep;
  bool root_computed = false;
  hash32 merkle_root{};    ///< computed from the events
  hash32 new_state_root{}; ///< recomputed from the stored prev_state_root and the computed root
  uint32_t leaf_count = 0;
  size_t signatures_checked = 0, receipts_checked = 0;
};

batch_result verify_batch(const batch_input& in);

/// Among `stream` (commitments of one stream, any order), the one with the highest
/// sequence_end below `c.sequence_start`; none if there is none.
std::optional<commitment_record> previous_of(const std::vector<commitment_record>& stream,
                                             const commitment_record& c);

// -- proof and receipt ----------------------------------------------------------------------------

struct proof_input {
  hash32 leaf{}, root{};
  std::vector<hash32> path;
  uint64_t leaf_index = 0;
  std::optional<std::vector<bool>> directions; ///< as the proof route returns them (optional)
};

/// The root the path leads to from the leaf (directions from the index bits, §6).
hash32 fold_proof(const hash32& leaf, const std::vector<hash32>& path, uint64_t leaf_index);
report verify_proof(const proof_input& p);

/// Checks the sequencer signature over the receipt hash; with the event, also recomputes the
/// receipt hash from (tenant, store, event id, sequence number, event signing hash) and the
/// event's payload hash.
report verify_receipt(const receipt_record& rc, const std::optional<event_record>& event,
                      const pubkey32& sequencer_key);

// -- on chain -------------------------------------------------------------------------------------

/// The values an anchor of this batch must carry (recomputed ones, not the server's).
struct chain_expectation {
  uuid batch_id, tenant_id, store_id;
  hash32 events_root{}, prev_state_root{}, new_state_root{};
  uint64_t sequence_start = 0, sequence_end = 0;
  uint32_t event_count = 0;
};

/// From a verified batch: the computed merkle root and state root, the stored
/// prev_state_root (checked against the chain by verify_batch), the range and count.
chain_expectation expectation_of(const commitment_record& c, const batch_result& r);

/// Compares the decoded contract record (adapters/chain/anchor_contract.hpp decoders) with
/// the expectation: found, tenant/store (stateset_anchor), events root, state root, prev
/// state root (set_registry), sequence range and event count.
report compare_onchain(const msg::onchain_commitment& oc, const chain_expectation& e,
                       msg::anchor_abi abi);

} // namespace seq::runtime::verify
