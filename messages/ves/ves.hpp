// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The VES v1.0 byte rules as pure functions: hashes, preimages, signatures, receipts,
/// stream ids, Merkle trees and proofs, state roots, the legacy (non-VES) forms and the x402
/// signing hash. Every function here is checked against tests/messages/ves_vectors.json.
/// Spec: shared/spec/ves-crypto.md (section numbers below refer to it).

#include "messages/ves/bytes.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace seq::ves {

// -- primitives ---------------------------------------------------------------------------

hash32 sha256(const uint8_t* data, size_t n);
template <class C>
hash32 sha256(const C& c) {
  return sha256(reinterpret_cast<const uint8_t*>(c.data()), c.size());
}

/// Ed25519 (libsodium, pure RFC 8032). `message` is the raw 32-byte hash. ed25519_verify makes
/// libsodium's decision; a key that keeps verifying is prepared for faster verification
/// (messages/ves/ed25519.hpp).
pubkey32 ed25519_public_key(const seed32& seed);
sig64 ed25519_sign(const seed32& seed, const hash32& message);
bool ed25519_verify(const pubkey32& pk, const hash32& message, const sig64& sig);
seed32 random_seed();

/// An Ed25519 signing key derived once from its 32-byte seed (crypto_sign_seed_keypair) and
/// kept in libsodium's secret-key form: sign() skips the public-key derivation that
/// ed25519_sign(seed, …) repeats on every call (about half of its cost). Both give identical
/// signatures (Ed25519 is deterministic). The key is wiped on destruction.
class ed25519_signer {
public:
  explicit ed25519_signer(const seed32& seed);
  ed25519_signer(const ed25519_signer&) = default;
  ed25519_signer& operator=(const ed25519_signer&) = default;
  ~ed25519_signer();

  sig64 sign(const hash32& message) const;
  const pubkey32& public_key() const {
    return pk_;
  }

private:
  std::array<uint8_t, 64> sk_{}; ///< libsodium's secret key: seed || public key
  pubkey32 pk_{};
};

// -- domains (§0.1) -------------------------------------------------------------------------

namespace domain {
inline constexpr std::string_view payload_plain = "VES_PAYLOAD_PLAIN_V1";
inline constexpr std::string_view payload_aad = "VES_PAYLOAD_AAD_V1";
inline constexpr std::string_view payload_cipher = "VES_PAYLOAD_CIPHER_V1";
inline constexpr std::string_view recipients = "VES_RECIPIENTS_V1";
inline constexpr std::string_view eventsig = "VES_EVENTSIG_V1";
inline constexpr std::string_view leaf = "VES_LEAF_V1";
inline constexpr std::string_view pad_leaf = "VES_PAD_LEAF_V1";
inline constexpr std::string_view node = "VES_NODE_V1";
inline constexpr std::string_view stream = "VES_STREAM_V1";
inline constexpr std::string_view receipt = "VES_RECEIPT_V1";
inline constexpr std::string_view state_root = "VES_STATE_ROOT_V1";
inline constexpr std::string_view pop = "VES_POP_V1";
inline constexpr std::string_view legacy_commitment_leaf = "STATESET_COMMITMENT_LEAF_V1";
inline constexpr std::string_view x402 = "X402_PAYMENT_V1";
} // namespace domain

// -- payload hashes (§2, §3) ---------------------------------------------------------------

/// SHA256("VES_PAYLOAD_PLAIN_V1" || jcs). `jcs` is the canonical JSON text.
hash32 payload_plain_hash(std::string_view jcs);
/// SHA256("VES_PAYLOAD_PLAIN_V1" || salt(16) || jcs).
hash32 payload_plain_hash_salted(const std::array<uint8_t, 16>& salt, std::string_view jcs);

/// The fields of an event that enter the signing preimage and the payload AAD.
struct event_header {
  uint32_t ves_version = 1;
  uuid tenant_id, store_id, event_id, source_agent_id;
  uint32_t agent_key_id = 0;
  std::string entity_type, entity_id, event_type, created_at; // created_at verbatim
  uint32_t payload_kind = 0;
  hash32 payload_plain_hash{}, payload_cipher_hash{};
};

/// SHA256(payload AAD preimage) of §3 (no ves_version).
hash32 payload_aad(const event_header& h);

struct recipient {
  uint32_t kid = 0;
  bytes enc, ct; // decoded bytes
};
hash32 recipients_hash(const std::vector<recipient>& rs);
/// SHA256("VES_PAYLOAD_CIPHER_V1" || U32_BE(1) || nonce || aad || U32_BE(len ct) || ct || tag
///        || recipients_hash).
hash32 payload_cipher_hash(const std::array<uint8_t, 12>& nonce, const hash32& aad,
                           const bytes& ciphertext, const std::array<uint8_t, 16>& tag,
                           const hash32& recipients_hash);

// -- event signature and receipt (§4, §5) --------------------------------------------------

bytes event_signing_preimage(const event_header& h);
hash32 event_signing_hash(const event_header& h);

bytes receipt_preimage(const uuid& tenant, const uuid& store, const uuid& event_id,
                       uint64_t sequence_number, const hash32& event_signing_hash);
hash32 receipt_hash(const uuid& tenant, const uuid& store, const uuid& event_id,
                    uint64_t sequence_number, const hash32& event_signing_hash);

/// SHA256("VES_POP_V1" || public_key).
hash32 pop_challenge(const pubkey32& pk);

// -- stream id (§7) ---------------------------------------------------------------------------

hash32 stream_id(const uuid& tenant, const uuid& store);
/// First 8 bytes of the stream id as a big-endian signed integer (advisory lock key).
int64_t stream_lock_key(const uuid& tenant, const uuid& store);

// -- VES Merkle tree (§6) -----------------------------------------------------------------------

bytes leaf_preimage(const uuid& tenant, const uuid& store, uint64_t sequence_number,
                    const hash32& event_signing_hash, const sig64& agent_signature);
hash32 leaf_hash(const uuid& tenant, const uuid& store, uint64_t sequence_number,
                 const hash32& event_signing_hash, const sig64& agent_signature);
hash32 pad_leaf();
hash32 node_hash(const hash32& left, const hash32& right);

struct merkle_tree {
  /// levels[0] = leaves padded to a power of two; levels.back() = {root}. Empty for 0 leaves.
  std::vector<std::vector<hash32>> levels;
  size_t leaf_count = 0;
  hash32 root() const;            ///< zeros for 0 leaves; the leaf itself for 1 leaf
  size_t padded_leaf_count() const;
  uint32_t depth() const;         ///< log2(padded_leaf_count)
};
merkle_tree build_merkle_tree(const std::vector<hash32>& leaves);

struct inclusion_proof {
  size_t leaf_index = 0;
  std::vector<hash32> path;       ///< sibling per level, bottom-up
  std::vector<bool> directions;   ///< true = current node is the left child
};
inclusion_proof make_proof(const merkle_tree& t, size_t leaf_index);
/// Directions are derived from `leaf_index` (bit d = 0 → current is left).
bool verify_proof(const hash32& leaf, const hash32& root, const std::vector<hash32>& path,
                  size_t leaf_index);

// -- state root (§8) -------------------------------------------------------------------------

hash32 state_root(const hash32& stream_id, const hash32& prev_state_root,
                  const hash32& merkle_root, uint64_t sequence_start, uint64_t sequence_end,
                  uint32_t leaf_count);

// -- legacy (§9) -------------------------------------------------------------------------------

/// SHA256(serde_json::to_vec(payload)); `legacy_json` is json::value::legacy_canonical().
hash32 legacy_payload_hash(std::string_view legacy_json);
hash32 legacy_leaf_hash(const uuid& tenant, const uuid& store, uint64_t sequence_number,
                        const hash32& payload_hash, std::string_view entity_type,
                        std::string_view entity_id);
/// rs_merkle tree: no domain, no padding, odd last node promoted.
hash32 legacy_merkle_root(const std::vector<hash32>& leaves);
/// rs_merkle proof_hashes(): siblings bottom-up, levels without a sibling skipped.
std::vector<hash32> legacy_merkle_proof(const std::vector<hash32>& leaves, size_t index);
/// Correct verification (fixes the reference's index-bit bug): needs the leaf count to know
/// where nodes were promoted.
bool legacy_verify_proof(const hash32& leaf, const hash32& root, const std::vector<hash32>& path,
                         size_t leaf_index, size_t leaf_count);
/// The reference's verification by index bits (kept to document the bug in tests).
bool legacy_verify_proof_by_index_bits(const hash32& leaf, const hash32& root,
                                       const std::vector<hash32>& path, size_t leaf_index);

struct entity_version_row {
  std::string entity_type, entity_id;
  int64_t version = 0;
};
/// SHA256(UUID(tenant) || UUID(store) || for each row (sorted by type, id):
///        type || id || I64_LE(version)). Rows must already be in order.
hash32 legacy_state_root(const uuid& tenant, const uuid& store,
                         const std::vector<entity_version_row>& rows);

// -- x402 (§10) -------------------------------------------------------------------------------

struct x402_fields {
  std::string payer_address, payee_address;
  uint64_t amount = 0;
  std::string asset;   ///< hash string: usdc, usdt, ssusd, wssusd, dai, eth
  std::string network; ///< snake name, e.g. set_chain
  uint64_t chain_id = 0;
  uint64_t valid_until = 0;
  uint64_t nonce = 0;
};
bytes x402_signing_preimage(const x402_fields& f);
hash32 x402_signing_hash(const x402_fields& f);
hash32 x402_leaf_hash(const uuid& intent_id, uint64_t sequence_number, const x402_fields& f,
                      const hash32& signing_hash, const sig64& payer_signature);
/// SHA256(UUID(tenant) || UUID(store) || UUID(batch_id) || merkle_root): an x402 batch's
/// `new_state_root` (no domain, no chaining to a previous root).
hash32 x402_batch_state_root(const uuid& tenant, const uuid& store, const uuid& batch_id,
                             const hash32& merkle_root);
/// Returns the chain id for a network name, or 0 if unknown.
uint64_t x402_chain_id(std::string_view network);
/// Normalises an asset name as serde deserialises it (lowercase only; the aliases ss_usd and
/// wss_usd map to ssusd and wssusd) to its hash string, or "" if unknown.
std::string x402_asset_string(std::string_view asset);

// -- API keys (§12) ---------------------------------------------------------------------------

/// lowercase hex SHA-256 of the whole key.
std::string api_key_hash(std::string_view key);
/// "ss_" + first 8 chars of the tenant uuid string + base64url(24 random bytes).
std::string generate_api_key(const uuid& tenant);

} // namespace seq::ves
