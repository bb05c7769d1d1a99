// SPDX-License-Identifier: Apache-2.0
#include "adapters/chain/signer.hpp"

#include "messages/errc.hpp"
#include "messages/ves/ves.hpp"

#include <algorithm>
#include <cstring>

#include <secp256k1.h>
#include <secp256k1_recovery.h>

namespace seq::chain {

namespace {

/// One context for the process: created once, randomised, never destroyed. libsecp256k1
/// contexts are safe to share between threads for signing and verification once set up.
const secp256k1_context* context() {
  static secp256k1_context* ctx = [] {
    auto* c = secp256k1_context_create(SECP256K1_CONTEXT_NONE);
    // Side-channel blinding; the seed only needs to be unpredictable, not secret-derived.
    auto seed = ves::random_seed();
    // Blinding is hardening only: the context stays valid if randomisation fails.
    [[maybe_unused]] int blinded = secp256k1_context_randomize(c, seed.data());
    return c;
  }();
  return ctx;
}

void wipe(void* p, size_t n) {
  volatile auto* v = static_cast<volatile uint8_t*>(p);
  while (n--)
    *v++ = 0;
}

std::array<uint8_t, 64> serialize_xy(const secp256k1_pubkey& pk) {
  std::array<uint8_t, 65> full{};
  size_t len = full.size();
  secp256k1_ec_pubkey_serialize(context(), full.data(), &len, &pk, SECP256K1_EC_UNCOMPRESSED);
  std::array<uint8_t, 64> xy{};
  std::copy(full.begin() + 1, full.end(), xy.begin());
  return xy;
}

} // namespace

caf::expected<private_key> private_key::from_bytes(const std::array<uint8_t, 32>& secret) {
  if (!secp256k1_ec_seckey_verify(context(), secret.data()))
    return make_error(errc::invalid_request,
                      "secp256k1 private key is zero or not below the curve order");
  secp256k1_pubkey pk;
  if (!secp256k1_ec_pubkey_create(context(), &pk, secret.data()))
    return make_error(errc::invalid_request, "secp256k1 public key derivation failed");
  private_key k;
  k.secret_ = secret;
  k.public_key_ = serialize_xy(pk);
  k.address_ = address::from_public_key(k.public_key_);
  return k;
}

caf::expected<private_key> private_key::from_hex(std::string_view hex) {
  auto raw = ves::from_hex_fixed<32>(hex, true);
  if (!raw)
    return make_error(errc::invalid_request,
                      "secp256k1 private key must be 64 hex digits (optional 0x prefix)");
  auto k = from_bytes(*raw);
  wipe(raw->data(), raw->size());
  return k;
}

private_key::~private_key() {
  wipe(secret_.data(), secret_.size());
}

recoverable_signature private_key::sign(const hash32& digest) const {
  secp256k1_ecdsa_recoverable_signature sig;
  // Default nonce function = RFC 6979; libsecp256k1 always emits low-s signatures. Signing
  // cannot fail for a verified key.
  secp256k1_ecdsa_sign_recoverable(context(), &sig, digest.data(), secret_.data(), nullptr,
                                   nullptr);
  std::array<uint8_t, 64> compact{};
  int recid = 0;
  secp256k1_ecdsa_recoverable_signature_serialize_compact(context(), compact.data(), &recid, &sig);
  recoverable_signature out;
  std::copy(compact.begin(), compact.begin() + 32, out.r.begin());
  std::copy(compact.begin() + 32, compact.end(), out.s.begin());
  out.recid = static_cast<uint8_t>(recid);
  return out;
}

caf::expected<std::array<uint8_t, 64>> recover_public_key(const hash32& digest,
                                                          const recoverable_signature& sig) {
  if (sig.recid > 3)
    return make_error(errc::invalid_request, "recovery id must be 0..3");
  std::array<uint8_t, 64> compact{};
  std::copy(sig.r.begin(), sig.r.end(), compact.begin());
  std::copy(sig.s.begin(), sig.s.end(), compact.begin() + 32);
  secp256k1_ecdsa_recoverable_signature rs;
  if (!secp256k1_ecdsa_recoverable_signature_parse_compact(context(), &rs, compact.data(),
                                                           sig.recid))
    return make_error(errc::invalid_request, "malformed secp256k1 signature");
  secp256k1_pubkey pk;
  if (!secp256k1_ecdsa_recover(context(), &pk, &rs, digest.data()))
    return make_error(errc::invalid_request, "secp256k1 signature does not recover a key");
  return serialize_xy(pk);
}

caf::expected<address> recover_address(const hash32& digest, const recoverable_signature& sig) {
  auto pk = recover_public_key(digest, sig);
  if (!pk)
    return std::move(pk.error());
  return address::from_public_key(*pk);
}

} // namespace seq::chain
