// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Ed25519 verification for a key that verifies many signatures. An agent signs every event
/// it sends with one key, so the sequencer checks thousands of signatures under each key. Such
/// a key is prepared once: a fixed-base comb table holds, for each of the 43 positions i of a
/// scalar's signed 6-bit digits, the multiples 1·64^i·A … 32·64^i·A in affine form (165 KiB),
/// and the base point has the same table. A verification then needs no point doublings and no
/// decompression of A: [s]B − [h]A costs about 86 mixed additions and one inversion, where
/// libsodium needs about 250 doublings, a decompression and its additions. bounds_bench
/// measures both (`verify_prepared_per_core` against `verify_per_core`: about 3.5× here).
///
/// The decision is the one libsodium's `crypto_sign_verify_detached` (1.0.18) makes, which this
/// server used for every signature before: reject unless s < L, reject an R whose
/// y-coordinate (sign bit ignored) is that of a point of small order, then accept exactly when
/// the canonical encoding of [s]B − [h]A equals the 32 bytes of R (cofactorless), with
/// h = SHA-512(R ‖ A ‖ M) mod L. A key libsodium would refuse (y not below p, of small order,
/// not on the curve) is not prepared, and `ed25519_verify` prepares only keys under which
/// libsodium has already accepted signatures. tests/messages/ed25519_test.cpp compares the two on
/// valid, corrupted, non-canonical and small-order inputs, and on keys and nonces with a
/// torsion component, where the cofactorless rule decides.
///
/// Everything here is variable-time: every input of a verification is public.

#include "messages/ves/bytes.hpp"

#include <memory>

namespace seq::ves {

class ed25519_prepared_key {
public:
  struct table; ///< the comb's affine multiples of one point

  /// The key's table; nullptr for a key libsodium refuses (see above). Costs about as much as
  /// twenty verifications.
  static std::shared_ptr<const ed25519_prepared_key> make(const pubkey32& pk);

  ed25519_prepared_key(const pubkey32& pk, std::unique_ptr<const table> neg_a);
  ~ed25519_prepared_key();

  /// libsodium's decision for (this key, message, sig); see above.
  bool verify(const uint8_t* message, size_t n, const sig64& sig) const;
  bool verify(const hash32& message, const sig64& sig) const {
    return verify(message.data(), message.size(), sig);
  }

private:
  pubkey32 pk_;
  std::unique_ptr<const table> neg_a_; ///< multiples of −A
};

/// How `ed25519_verify` uses prepared keys: a key is prepared once libsodium has accepted
/// `promote_after` signatures under it, and at most `max_prepared` keys are kept (165 KiB
/// each). When the cache is full, the least recently used key makes room only once its table
/// has paid for itself (`evict_after_uses` verifications under it) or if it has not been used
/// at all while the new key was counting its signatures. Otherwise the new key stays with
/// libsodium: more busy keys than places cannot turn into a table build every few
/// verifications. Counts of accepted signatures are kept for at most `max_candidates` keys
/// not yet prepared (all counts are dropped when that fills up).
struct ed25519_key_cache_limits {
  size_t promote_after = 8;
  size_t max_prepared = 64;
  size_t evict_after_uses = 32;
  size_t max_candidates = 4096;
};

/// For tests: the limits of the process-wide cache behind `ed25519_verify` (the defaults
/// above; setting them empties the cache), how many keys it holds, and whether it holds `pk`.
void set_ed25519_key_cache_limits(const ed25519_key_cache_limits& limits);
size_t ed25519_prepared_key_count();
bool ed25519_key_is_prepared(const pubkey32& pk);

/// The cache's decision for one signature: the prepared key's verify when `pk` is prepared,
/// libsodium otherwise (`ed25519_verify` in ves.hpp calls this).
bool ed25519_verify_cached(const pubkey32& pk, const uint8_t* message, size_t n,
                           const sig64& sig);

namespace detail {
/// [k mod L]B through the base point's table, canonically encoded; tests compare it
/// with libsodium's fixed-base multiplication.
pubkey32 ed25519_base_multiple(const std::array<uint8_t, 32>& k);
} // namespace detail

} // namespace seq::ves
