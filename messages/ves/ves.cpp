// SPDX-License-Identifier: Apache-2.0
#include "messages/ves/ves.hpp"

#include "messages/ves/ed25519.hpp"

// SHA-256 comes from OpenSSL's low-level interface: it uses the CPU's SHA extensions (or AVX2
// assembly), several times faster than libsodium's portable C, and has no per-call allocation
// (EVP does). The interface is deprecated in OpenSSL 3.0 but stays available.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <sodium.h>

#include <cstdlib>

namespace seq::ves {

namespace {

void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok)
    std::abort(); // libsodium cannot work without a usable RNG; nothing sensible to do
}

/// SHA-256 over the concatenation of several byte ranges, without building the preimage.
class hasher {
public:
  hasher() {
    SHA256_Init(&st_);
  }
  hasher& add(std::string_view s) {
    SHA256_Update(&st_, s.data(), s.size());
    return *this;
  }
  template <size_t N>
  hasher& add(const std::array<uint8_t, N>& a) {
    SHA256_Update(&st_, a.data(), N);
    return *this;
  }
  hasher& add(const bytes& b) {
    SHA256_Update(&st_, b.data(), b.size());
    return *this;
  }
  hasher& add(const uuid& u) {
    return add(u.b);
  }
  hasher& u32(uint32_t v) {
    uint8_t buf[4];
    for (int i = 0; i < 4; ++i)
      buf[i] = static_cast<uint8_t>(v >> (24 - 8 * i));
    SHA256_Update(&st_, buf, 4);
    return *this;
  }
  hasher& u64(uint64_t v) {
    uint8_t buf[8];
    for (int i = 0; i < 8; ++i)
      buf[i] = static_cast<uint8_t>(v >> (56 - 8 * i));
    SHA256_Update(&st_, buf, 8);
    return *this;
  }
  hasher& enc_str(std::string_view s) {
    return u32(static_cast<uint32_t>(s.size())).add(s);
  }
  hash32 finish() {
    hash32 out;
    SHA256_Final(out.data(), &st_);
    return out;
  }

private:
  SHA256_CTX st_;
};

hash32 plain_pair_hash(const hash32& l, const hash32& r) {
  return hasher{}.add(l).add(r).finish();
}

} // namespace

// -- primitives -------------------------------------------------------------------------------

hash32 sha256(const uint8_t* data, size_t n) {
  // Not OpenSSL's one-shot SHA256(): in 3.0 it goes through EVP_Q_digest, which fetches the
  // algorithm by name on every call (1.5 % of the server's CPU in T2).
  return hasher{}.add(std::string_view{reinterpret_cast<const char*>(data), n}).finish();
}

pubkey32 ed25519_public_key(const seed32& seed) {
  ensure_sodium();
  pubkey32 pk;
  uint8_t sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(pk.data(), sk, seed.data());
  sodium_memzero(sk, sizeof(sk));
  return pk;
}

sig64 ed25519_sign(const seed32& seed, const hash32& message) {
  ensure_sodium();
  pubkey32 pk;
  uint8_t sk[crypto_sign_SECRETKEYBYTES];
  crypto_sign_seed_keypair(pk.data(), sk, seed.data());
  sig64 sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), sk);
  sodium_memzero(sk, sizeof(sk));
  return sig;
}

ed25519_signer::ed25519_signer(const seed32& seed) {
  static_assert(sizeof(sk_) == crypto_sign_SECRETKEYBYTES);
  ensure_sodium();
  crypto_sign_seed_keypair(pk_.data(), sk_.data(), seed.data());
}

ed25519_signer::~ed25519_signer() {
  sodium_memzero(sk_.data(), sk_.size());
}

sig64 ed25519_signer::sign(const hash32& message) const {
  sig64 sig;
  crypto_sign_detached(sig.data(), nullptr, message.data(), message.size(), sk_.data());
  return sig;
}

bool ed25519_verify(const pubkey32& pk, const hash32& message, const sig64& sig) {
  ensure_sodium();
  return ed25519_verify_cached(pk, message.data(), message.size(), sig);
}

seed32 random_seed() {
  ensure_sodium();
  seed32 out;
  randombytes_buf(out.data(), out.size());
  return out;
}

// -- payload hashes ---------------------------------------------------------------------------

hash32 payload_plain_hash(std::string_view jcs) {
  return hasher{}.add(domain::payload_plain).add(jcs).finish();
}

hash32 payload_plain_hash_salted(const std::array<uint8_t, 16>& salt, std::string_view jcs) {
  return hasher{}.add(domain::payload_plain).add(salt).add(jcs).finish();
}

hash32 payload_aad(const event_header& h) {
  return hasher{}
    .add(domain::payload_aad)
    .add(h.tenant_id)
    .add(h.store_id)
    .add(h.event_id)
    .add(h.source_agent_id)
    .u32(h.agent_key_id)
    .enc_str(h.entity_type)
    .enc_str(h.entity_id)
    .enc_str(h.event_type)
    .enc_str(h.created_at)
    .add(h.payload_plain_hash)
    .finish();
}

hash32 recipients_hash(const std::vector<recipient>& rs) {
  hasher h;
  h.add(domain::recipients);
  for (const auto& r : rs) {
    h.u32(r.kid);
    h.u32(static_cast<uint32_t>(r.enc.size())).add(r.enc);
    h.u32(static_cast<uint32_t>(r.ct.size())).add(r.ct);
  }
  return h.finish();
}

hash32 payload_cipher_hash(const std::array<uint8_t, 12>& nonce, const hash32& aad,
                           const bytes& ciphertext, const std::array<uint8_t, 16>& tag,
                           const hash32& recipients_hash) {
  return hasher{}
    .add(domain::payload_cipher)
    .u32(1)
    .add(nonce)
    .add(aad)
    .u32(static_cast<uint32_t>(ciphertext.size()))
    .add(ciphertext)
    .add(tag)
    .add(recipients_hash)
    .finish();
}

// -- event signature and receipt --------------------------------------------------------------

bytes event_signing_preimage(const event_header& h) {
  bytes out;
  out.reserve(171 + h.entity_type.size() + h.entity_id.size() + h.event_type.size()
              + h.created_at.size());
  put_raw(out, domain::eventsig);
  put_u32_be(out, h.ves_version);
  put_raw(out, h.tenant_id.b);
  put_raw(out, h.store_id.b);
  put_raw(out, h.event_id.b);
  put_raw(out, h.source_agent_id.b);
  put_u32_be(out, h.agent_key_id);
  put_enc_str(out, h.entity_type);
  put_enc_str(out, h.entity_id);
  put_enc_str(out, h.event_type);
  put_enc_str(out, h.created_at);
  put_u32_be(out, h.payload_kind);
  put_raw(out, h.payload_plain_hash);
  put_raw(out, h.payload_cipher_hash);
  return out;
}

hash32 event_signing_hash(const event_header& h) {
  return sha256(event_signing_preimage(h));
}

bytes receipt_preimage(const uuid& tenant, const uuid& store, const uuid& event_id,
                       uint64_t sequence_number, const hash32& event_signing_hash) {
  bytes out;
  out.reserve(102);
  put_raw(out, domain::receipt);
  put_raw(out, tenant.b);
  put_raw(out, store.b);
  put_raw(out, event_id.b);
  put_u64_be(out, sequence_number);
  put_raw(out, event_signing_hash);
  return out;
}

hash32 receipt_hash(const uuid& tenant, const uuid& store, const uuid& event_id,
                    uint64_t sequence_number, const hash32& event_signing_hash) {
  return sha256(receipt_preimage(tenant, store, event_id, sequence_number, event_signing_hash));
}

hash32 pop_challenge(const pubkey32& pk) {
  return hasher{}.add(domain::pop).add(pk).finish();
}

// -- stream id --------------------------------------------------------------------------------

hash32 stream_id(const uuid& tenant, const uuid& store) {
  return hasher{}.add(domain::stream).add(tenant).add(store).finish();
}

int64_t stream_lock_key(const uuid& tenant, const uuid& store) {
  auto id = stream_id(tenant, store);
  uint64_t v = 0;
  for (size_t i = 0; i < 8; ++i)
    v = v << 8 | id[i];
  return static_cast<int64_t>(v); // two's complement reinterpretation, as i64::from_be_bytes
}

// -- VES Merkle tree --------------------------------------------------------------------------

bytes leaf_preimage(const uuid& tenant, const uuid& store, uint64_t sequence_number,
                    const hash32& event_signing_hash, const sig64& agent_signature) {
  bytes out;
  out.reserve(147);
  put_raw(out, domain::leaf);
  put_raw(out, tenant.b);
  put_raw(out, store.b);
  put_u64_be(out, sequence_number);
  put_raw(out, event_signing_hash);
  put_raw(out, agent_signature);
  return out;
}

hash32 leaf_hash(const uuid& tenant, const uuid& store, uint64_t sequence_number,
                 const hash32& event_signing_hash, const sig64& agent_signature) {
  return sha256(leaf_preimage(tenant, store, sequence_number, event_signing_hash,
                              agent_signature));
}

hash32 pad_leaf() {
  static const hash32 value = sha256(domain::pad_leaf);
  return value;
}

hash32 node_hash(const hash32& left, const hash32& right) {
  return hasher{}.add(domain::node).add(left).add(right).finish();
}

hash32 merkle_tree::root() const {
  if (levels.empty())
    return hash32{};
  return levels.back().front();
}

size_t merkle_tree::padded_leaf_count() const {
  return levels.empty() ? 0 : levels.front().size();
}

uint32_t merkle_tree::depth() const {
  return levels.empty() ? 0 : static_cast<uint32_t>(levels.size() - 1);
}

merkle_tree build_merkle_tree(const std::vector<hash32>& leaves) {
  merkle_tree t;
  t.leaf_count = leaves.size();
  if (leaves.empty())
    return t;
  size_t padded = 1;
  while (padded < leaves.size())
    padded <<= 1;
  std::vector<hash32> level = leaves;
  level.resize(padded, pad_leaf());
  t.levels.push_back(std::move(level));
  while (t.levels.back().size() > 1) {
    const auto& below = t.levels.back();
    std::vector<hash32> up;
    up.reserve(below.size() / 2);
    for (size_t i = 0; i < below.size(); i += 2)
      up.push_back(node_hash(below[i], below[i + 1]));
    t.levels.push_back(std::move(up));
  }
  return t;
}

inclusion_proof make_proof(const merkle_tree& t, size_t leaf_index) {
  inclusion_proof p;
  p.leaf_index = leaf_index;
  if (t.levels.empty() || leaf_index >= t.padded_leaf_count())
    return p;
  size_t idx = leaf_index;
  for (size_t d = 0; d + 1 < t.levels.size(); ++d) {
    p.path.push_back(t.levels[d][idx ^ 1]);
    p.directions.push_back((idx & 1) == 0);
    idx >>= 1;
  }
  return p;
}

bool verify_proof(const hash32& leaf, const hash32& root, const std::vector<hash32>& path,
                  size_t leaf_index) {
  // An index with bits above the path length does not address a leaf of this tree. (The
  // reference ignores those bits; rejecting them only changes the answer for bogus input.)
  if (path.size() < 64 && (static_cast<uint64_t>(leaf_index) >> path.size()) != 0)
    return false;
  hash32 cur = leaf;
  for (size_t d = 0; d < path.size(); ++d) {
    bool current_is_left = d >= 64 || ((leaf_index >> d) & 1) == 0;
    cur = current_is_left ? node_hash(cur, path[d]) : node_hash(path[d], cur);
  }
  return cur == root;
}

// -- state root -------------------------------------------------------------------------------

hash32 state_root(const hash32& stream_id, const hash32& prev_state_root,
                  const hash32& merkle_root, uint64_t sequence_start, uint64_t sequence_end,
                  uint32_t leaf_count) {
  return hasher{}
    .add(domain::state_root)
    .add(stream_id)
    .add(prev_state_root)
    .add(merkle_root)
    .u64(sequence_start)
    .u64(sequence_end)
    .u32(leaf_count)
    .finish();
}

// -- legacy -----------------------------------------------------------------------------------

hash32 legacy_payload_hash(std::string_view legacy_json) {
  return hasher{}.add(legacy_json).finish();
}

hash32 legacy_leaf_hash(const uuid& tenant, const uuid& store, uint64_t sequence_number,
                        const hash32& payload_hash, std::string_view entity_type,
                        std::string_view entity_id) {
  return hasher{}
    .add(domain::legacy_commitment_leaf)
    .add(tenant)
    .add(store)
    .u64(sequence_number)
    .add(payload_hash)
    .enc_str(entity_type)
    .enc_str(entity_id)
    .finish();
}

namespace {

/// One rs_merkle level up: pairs hashed without domain, an odd last node promoted.
std::vector<hash32> legacy_level_up(const std::vector<hash32>& below) {
  std::vector<hash32> up;
  up.reserve((below.size() + 1) / 2);
  for (size_t i = 0; i < below.size(); i += 2) {
    if (i + 1 < below.size())
      up.push_back(plain_pair_hash(below[i], below[i + 1]));
    else
      up.push_back(below[i]);
  }
  return up;
}

} // namespace

hash32 legacy_merkle_root(const std::vector<hash32>& leaves) {
  if (leaves.empty())
    return hash32{};
  std::vector<hash32> level = leaves;
  while (level.size() > 1)
    level = legacy_level_up(level);
  return level.front();
}

std::vector<hash32> legacy_merkle_proof(const std::vector<hash32>& leaves, size_t index) {
  std::vector<hash32> path;
  if (index >= leaves.size())
    return path;
  std::vector<hash32> level = leaves;
  while (level.size() > 1) {
    size_t sibling = index ^ 1;
    if (sibling < level.size())
      path.push_back(level[sibling]);
    level = legacy_level_up(level);
    index >>= 1;
  }
  return path;
}

bool legacy_verify_proof(const hash32& leaf, const hash32& root, const std::vector<hash32>& path,
                         size_t leaf_index, size_t leaf_count) {
  if (leaf_count == 0 || leaf_index >= leaf_count)
    return false;
  hash32 cur = leaf;
  size_t used = 0;
  size_t idx = leaf_index;
  for (size_t n = leaf_count; n > 1; n = (n + 1) / 2, idx >>= 1) {
    if ((idx ^ 1) >= n)
      continue; // promoted last node of an odd level: no sibling here
    if (used == path.size())
      return false;
    const auto& sib = path[used++];
    cur = (idx & 1) == 0 ? plain_pair_hash(cur, sib) : plain_pair_hash(sib, cur);
  }
  return used == path.size() && cur == root;
}

bool legacy_verify_proof_by_index_bits(const hash32& leaf, const hash32& root,
                                       const std::vector<hash32>& path, size_t leaf_index) {
  hash32 cur = leaf;
  for (size_t d = 0; d < path.size(); ++d) {
    bool current_is_left = d >= 64 || ((leaf_index >> d) & 1) == 0;
    cur = current_is_left ? plain_pair_hash(cur, path[d]) : plain_pair_hash(path[d], cur);
  }
  return cur == root;
}

hash32 legacy_state_root(const uuid& tenant, const uuid& store,
                         const std::vector<entity_version_row>& rows) {
  hasher h;
  h.add(tenant).add(store);
  for (const auto& r : rows) {
    h.add(r.entity_type).add(r.entity_id);
    uint8_t le[8];
    auto v = static_cast<uint64_t>(r.version);
    for (int i = 0; i < 8; ++i)
      le[i] = static_cast<uint8_t>(v >> (8 * i));
    h.add(std::string_view{reinterpret_cast<const char*>(le), 8});
  }
  return h.finish();
}

// -- x402 -------------------------------------------------------------------------------------

bytes x402_signing_preimage(const x402_fields& f) {
  bytes out;
  put_raw(out, domain::x402);
  put_raw(out, f.payer_address);
  put_raw(out, f.payee_address);
  put_u64_be(out, f.amount);
  put_raw(out, f.asset);
  put_raw(out, f.network);
  put_u64_be(out, f.chain_id);
  put_u64_be(out, f.valid_until);
  put_u64_be(out, f.nonce);
  return out;
}

hash32 x402_signing_hash(const x402_fields& f) {
  return sha256(x402_signing_preimage(f));
}

hash32 x402_leaf_hash(const uuid& intent_id, uint64_t sequence_number, const x402_fields& f,
                      const hash32& signing_hash, const sig64& payer_signature) {
  return hasher{}
    .add(intent_id)
    .u64(sequence_number)
    .add(f.payer_address)
    .add(f.payee_address)
    .u64(f.amount)
    .add(f.asset)
    .add(f.network)
    .u64(f.chain_id)
    .u64(f.nonce) // nonce before valid_until here, unlike the signing preimage
    .u64(f.valid_until)
    .add(signing_hash)
    .add(payer_signature)
    .finish();
}

hash32 x402_batch_state_root(const uuid& tenant, const uuid& store, const uuid& batch_id,
                             const hash32& merkle_root) {
  return hasher{}.add(tenant).add(store).add(batch_id).add(merkle_root).finish();
}

uint64_t x402_chain_id(std::string_view network) {
  struct entry {
    std::string_view name;
    uint64_t id;
  };
  static constexpr entry table[] = {
    {"set_chain", 84532001},      {"set_chain_testnet", 84532002},
    {"arc", 5042001},             {"arc_testnet", 5042002},
    {"base", 8453},               {"base_sepolia", 84532},
    {"ethereum", 1},              {"ethereum_sepolia", 11155111},
    {"arbitrum", 42161},          {"optimism", 10},
  };
  for (const auto& e : table)
    if (e.name == network)
      return e.id;
  return 0;
}

std::string x402_asset_string(std::string_view asset) {
  if (asset == "usdc" || asset == "usdt" || asset == "ssusd" || asset == "wssusd"
      || asset == "dai" || asset == "eth")
    return std::string{asset};
  if (asset == "ss_usd")
    return "ssusd";
  if (asset == "wss_usd")
    return "wssusd";
  return {};
}

// -- API keys ---------------------------------------------------------------------------------

std::string api_key_hash(std::string_view key) {
  return to_hex(sha256(key));
}

std::string generate_api_key(const uuid& tenant) {
  ensure_sodium();
  std::array<uint8_t, 24> rnd;
  randombytes_buf(rnd.data(), rnd.size());
  auto key = "ss_" + tenant.str().substr(0, 8) + base64url_encode(rnd);
  sodium_memzero(rnd.data(), rnd.size());
  return key;
}

} // namespace seq::ves
