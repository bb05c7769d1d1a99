// SPDX-License-Identifier: Apache-2.0
#pragma once

/// secp256k1 keys for EVM transactions (libsecp256k1): a private key, its Ethereum address,
/// recoverable ECDSA signatures over a 32-byte hash (RFC 6979 nonces, always low-s), and
/// public-key recovery. The key is held in memory only and wiped on destruction.

#include "adapters/chain/primitives.hpp"

#include <array>
#include <cstdint>
#include <string_view>

#include "caf/expected.hpp"

namespace seq::chain {

/// r || s plus the recovery id (0 or 1; the y parity of the nonce point).
struct recoverable_signature {
  hash32 r{};
  hash32 s{};
  uint8_t recid = 0;
  bool operator==(const recoverable_signature&) const = default;
};

class private_key {
public:
  /// Parses 64 hex digits (optional `0x`); rejects zero and values ≥ the curve order.
  /// Errors: errc::invalid_request (the message never contains the key).
  static caf::expected<private_key> from_hex(std::string_view hex);
  static caf::expected<private_key> from_bytes(const std::array<uint8_t, 32>& secret);

  private_key(const private_key&) = default;
  private_key& operator=(const private_key&) = default;
  ~private_key();

  const address& addr() const {
    return address_;
  }
  /// The 64-byte uncompressed public key X || Y.
  const std::array<uint8_t, 64>& public_key() const {
    return public_key_;
  }

  /// Signs a 32-byte digest (no further hashing).
  recoverable_signature sign(const hash32& digest) const;

private:
  private_key() = default;
  std::array<uint8_t, 32> secret_{};
  std::array<uint8_t, 64> public_key_{};
  address address_;
};

/// Recovers the signer's 64-byte public key from a digest and signature; errc::invalid_request
/// when the signature is malformed or does not recover.
caf::expected<std::array<uint8_t, 64>> recover_public_key(const hash32& digest,
                                                          const recoverable_signature& sig);
/// Same, returning the signer's address.
caf::expected<address> recover_address(const hash32& digest, const recoverable_signature& sig);

} // namespace seq::chain
