// SPDX-License-Identifier: Apache-2.0
// The prepared-key Ed25519 verifier (messages/ves/ed25519.hpp) against libsodium, whose
// decisions it must repeat exactly: valid and corrupted signatures, s ≥ L, small-order and
// non-canonical R, and keys and nonces with a torsion component (where the cofactorless
// equation and the small-order check decide). Point arithmetic for the constructions is
// libsodium's (crypto_core_ed25519_*), not the code under test.

#include "messages/ves/ed25519.hpp"
#include "messages/ves/ves.hpp"

#include <catch2/catch.hpp>

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <random>

namespace ves = seq::ves;

namespace {

using point = std::array<uint8_t, 32>;
using scalar = std::array<uint8_t, 32>;

const point identity_point{1};

/// A point of order 8: y as in messages/ves/ed25519.cpp's list, x even.
const point order8{0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
                   0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
                   0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05};

point padd(const point& p, const point& q) {
  point r;
  REQUIRE(crypto_core_ed25519_add(r.data(), p.data(), q.data()) == 0);
  return r;
}

point psub(const point& p, const point& q) {
  point r;
  REQUIRE(crypto_core_ed25519_sub(r.data(), p.data(), q.data()) == 0);
  return r;
}

/// [k]T for a small k, by additions (libsodium's scalar multiplication refuses small orders).
point small_multiple(const point& t, unsigned k) {
  point r = identity_point;
  for (unsigned i = 0; i < k; ++i)
    r = padd(r, t);
  return r;
}

point base_multiple(const scalar& k) {
  point r;
  REQUIRE(crypto_scalarmult_ed25519_base_noclamp(r.data(), k.data()) == 0);
  return r;
}

scalar random_scalar() {
  scalar s;
  crypto_core_ed25519_scalar_random(s.data());
  return s;
}

/// h = SHA-512(R ‖ A ‖ M) mod L.
scalar challenge(const point& r, const point& a, const ves::hash32& m) {
  std::array<uint8_t, 96 + 32> pre;
  std::memcpy(pre.data(), r.data(), 32);
  std::memcpy(pre.data() + 32, a.data(), 32);
  std::memcpy(pre.data() + 64, m.data(), 32);
  std::array<uint8_t, 64> d;
  crypto_hash_sha512(d.data(), pre.data(), 96);
  scalar h;
  crypto_core_ed25519_scalar_reduce(h.data(), d.data());
  return h;
}

ves::sig64 make_sig(const point& r, const scalar& s) {
  ves::sig64 sig;
  std::memcpy(sig.data(), r.data(), 32);
  std::memcpy(sig.data() + 32, s.data(), 32);
  return sig;
}

bool sodium_verify(const ves::pubkey32& pk, const ves::hash32& m, const ves::sig64& sig) {
  return crypto_sign_verify_detached(sig.data(), m.data(), m.size(), pk.data()) == 0;
}

ves::hash32 random_hash() {
  ves::hash32 h;
  randombytes_buf(h.data(), h.size());
  return h;
}

} // namespace

TEST_CASE("ed25519 base multiples equal libsodium's", "[ves][ed25519]") {
  REQUIRE(sodium_init() >= 0);
  scalar one{1};
  CHECK(ves::to_hex(ves::detail::ed25519_base_multiple(one))
        == "5866666666666666666666666666666666666666666666666666666666666666");
  for (int i = 0; i < 300; ++i) {
    auto k = random_scalar();
    REQUIRE(ves::detail::ed25519_base_multiple(k) == base_multiple(k));
  }
  // Any 32 bytes: taken mod L.
  scalar all_ones;
  all_ones.fill(0xff);
  std::array<uint8_t, 64> wide{};
  std::copy(all_ones.begin(), all_ones.end(), wide.begin());
  scalar reduced;
  crypto_core_ed25519_scalar_reduce(reduced.data(), wide.data());
  CHECK(ves::detail::ed25519_base_multiple(all_ones) == base_multiple(reduced));
}

TEST_CASE("keys libsodium refuses are not prepared", "[ves][ed25519]") {
  REQUIRE(sodium_init() >= 0);
  // Small order: the identity, the point of order 2, those of order 8 (either sign).
  point order2{0xec};
  std::fill(order2.begin() + 1, order2.end(), 0xff);
  order2[31] = 0x7f;
  point neg8 = order8;
  neg8[31] |= 0x80;
  for (const auto& k : {identity_point, order2, order8, neg8})
    CHECK(ves::ed25519_prepared_key::make(k) == nullptr);
  // y ≥ p: p + y for the small y that are on the curve, whose canonical form is accepted.
  size_t on_curve = 0;
  for (uint8_t y = 2; y < 19; ++y) {
    point canonical{y}, non_canonical{static_cast<uint8_t>(0xed + y)};
    std::fill(non_canonical.begin() + 1, non_canonical.end(), 0xff);
    non_canonical[31] = 0x7f;
    CHECK(ves::ed25519_prepared_key::make(non_canonical) == nullptr);
    if (ves::ed25519_prepared_key::make(canonical))
      ++on_curve;
  }
  CHECK(on_curve > 0);
  // A valid key is prepared.
  CHECK(ves::ed25519_prepared_key::make(base_multiple(random_scalar())) != nullptr);
}

TEST_CASE("ed25519 small-order constant has order 8", "[ves][ed25519]") {
  REQUIRE(sodium_init() >= 0);
  CHECK(small_multiple(order8, 8) == identity_point);
  CHECK(small_multiple(order8, 4) != identity_point);
  // The other order-8 y is −y: the point (x, −y) is T + (0, −1) and has order 8 as well.
  point order2 = small_multiple(order8, 4);
  CHECK(small_multiple(padd(order8, order2), 4) != identity_point);
}

TEST_CASE("prepared keys decide like libsodium on valid and corrupted signatures",
          "[ves][ed25519]") {
  REQUIRE(sodium_init() >= 0);
  std::mt19937_64 rng{20261123};
  size_t accepted = 0, rejected = 0;
  for (int k = 0; k < 40; ++k) {
    auto seed = ves::random_seed();
    ves::ed25519_signer signer{seed};
    auto key = ves::ed25519_prepared_key::make(signer.public_key());
    REQUIRE(key);
    for (int i = 0; i < 25; ++i) {
      auto m = random_hash();
      auto sig = signer.sign(m);
      std::array<ves::sig64, 6> cases{sig, sig, sig, sig, sig, sig};
      cases[1][rng() % 64] ^= static_cast<uint8_t>(1u << (rng() % 8)); // one bit flipped
      randombytes_buf(cases[2].data(), 64);                              // garbage
      // s + L: the same group element, a non-canonical scalar.
      scalar s, l{0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7,
                  0xa2, 0xde, 0xf9, 0xde, 0x14, 0,    0,    0,    0,    0,    0,
                  0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};
      std::memcpy(s.data(), sig.data() + 32, 32);
      unsigned carry = 0;
      for (size_t b = 0; b < 32; ++b) {
        unsigned v = s[b] + l[b] + carry;
        cases[3][32 + b] = static_cast<uint8_t>(v);
        carry = v >> 8;
      }
      cases[4][31] ^= 0x80;                           // R's sign bit
      cases[5][63] |= static_cast<uint8_t>(rng() | 0x10); // s's top bits set
      for (auto& c : cases) {
        bool want = sodium_verify(signer.public_key(), m, c);
        REQUIRE(key->verify(m, c) == want);
        (want ? accepted : rejected) += 1;
      }
      auto other = m;
      other[rng() % 32] ^= 1;
      REQUIRE_FALSE(key->verify(other, sig));
      REQUIRE_FALSE(sodium_verify(signer.public_key(), other, sig));
    }
  }
  CHECK(accepted == 40 * 25);
  CHECK(rejected == 40 * 25 * 5);
}

TEST_CASE("prepared keys decide like libsodium when keys and nonces have a torsion component",
          "[ves][ed25519]") {
  REQUIRE(sodium_init() >= 0);
  std::mt19937_64 rng{7};
  size_t accepted = 0, rejected = 0, small_r_equations = 0;
  for (int k = 0; k < 8; ++k) {
    // A' = [a]B + T8: libsodium accepts the key (canonical, not of small order).
    auto a = random_scalar();
    point torsion_a = small_multiple(order8, 1 + k % 7);
    point pk = padd(base_multiple(a), torsion_a);
    auto key = ves::ed25519_prepared_key::make(pk);
    REQUIRE(key);
    for (int i = 0; i < 60; ++i) {
      auto m = random_hash();
      // R' = [r]B + [j]T8, s = r + h·a: [s]B − [h]A' = [r]B − [h]·(torsion of A'), which equals
      // R' exactly when the torsion parts cancel (cofactorless: accepted only then).
      auto r = random_scalar();
      point rr = padd(base_multiple(r), small_multiple(order8, rng() % 8));
      auto h = challenge(rr, pk, m);
      scalar ha, s;
      crypto_core_ed25519_scalar_mul(ha.data(), h.data(), a.data());
      crypto_core_ed25519_scalar_add(s.data(), r.data(), ha.data());
      auto sig = make_sig(rr, s);
      bool want = sodium_verify(pk, m, sig);
      REQUIRE(key->verify(m, sig) == want);
      (want ? accepted : rejected) += 1;

      // R itself of small order, s = h·a: [s]B − [h]A' = −[h]·(torsion of A'). When that is R,
      // the equation holds and only the small-order check rejects the signature.
      point small_r = small_multiple(order8, rng() % 8);
      auto h2 = challenge(small_r, pk, m);
      scalar s2;
      crypto_core_ed25519_scalar_mul(s2.data(), h2.data(), a.data());
      // −[h2]·torsion_a, with h2 taken mod 8 (torsion_a's order divides 8).
      point equation = psub(identity_point, small_multiple(torsion_a, h2[0] % 8));
      auto sig2 = make_sig(small_r, s2);
      bool want2 = sodium_verify(pk, m, sig2);
      REQUIRE(key->verify(m, sig2) == want2);
      CHECK_FALSE(want2);
      if (equation == small_r)
        ++small_r_equations;
    }
  }
  // Both branches of the cofactorless rule were exercised, and some small-order R satisfied
  // the equation (so the small-order check, not the equation, rejected it).
  CHECK(accepted > 0);
  CHECK(rejected > 0);
  CHECK(small_r_equations > 0);
}

TEST_CASE("ed25519_verify prepares a key after repeated acceptance and bounds the cache",
          "[ves][ed25519]") {
  ves::set_ed25519_key_cache_limits({.promote_after = 3, .max_prepared = 2, .max_candidates = 4});
  std::array<ves::ed25519_signer, 3> signers{ves::ed25519_signer{ves::random_seed()},
                                             ves::ed25519_signer{ves::random_seed()},
                                             ves::ed25519_signer{ves::random_seed()}};
  auto m = random_hash();
  auto& first = signers[0];
  // Rejections do not count towards preparing a key.
  auto bad = first.sign(m);
  bad[5] ^= 4;
  for (int i = 0; i < 5; ++i)
    CHECK_FALSE(ves::ed25519_verify(first.public_key(), m, bad));
  CHECK(ves::ed25519_prepared_key_count() == 0);
  for (int i = 0; i < 2; ++i)
    CHECK(ves::ed25519_verify(first.public_key(), m, first.sign(m)));
  CHECK(ves::ed25519_prepared_key_count() == 0);
  CHECK(ves::ed25519_verify(first.public_key(), m, first.sign(m)));
  CHECK(ves::ed25519_prepared_key_count() == 1);
  // Prepared: the same decisions.
  CHECK(ves::ed25519_verify(first.public_key(), m, first.sign(m)));
  CHECK_FALSE(ves::ed25519_verify(first.public_key(), m, bad));
  CHECK_FALSE(ves::ed25519_verify(first.public_key(), m, signers[1].sign(m)));
  // A third prepared key evicts one; never more than two are held.
  for (auto& s : signers)
    for (int i = 0; i < 3; ++i)
      CHECK(ves::ed25519_verify(s.public_key(), m, s.sign(m)));
  CHECK(ves::ed25519_prepared_key_count() == 2);
  for (auto& s : signers) {
    CHECK(ves::ed25519_verify(s.public_key(), m, s.sign(m)));
    CHECK_FALSE(ves::ed25519_verify(s.public_key(), m, bad));
  }
  ves::set_ed25519_key_cache_limits({});
}

TEST_CASE("a prepared key makes room only once its table has paid off or it went cold",
          "[ves][ed25519]") {
  ves::set_ed25519_key_cache_limits(
    {.promote_after = 2, .max_prepared = 1, .evict_after_uses = 4, .max_candidates = 16});
  ves::ed25519_signer a{ves::random_seed()}, b{ves::random_seed()}, c{ves::random_seed()};
  auto m = random_hash();
  auto verify = [&](ves::ed25519_signer& s) {
    REQUIRE(ves::ed25519_verify(s.public_key(), m, s.sign(m)));
  };
  verify(a);
  verify(a);
  REQUIRE(ves::ed25519_key_is_prepared(a.public_key()));
  // b and a take turns: a is in use while b counts, and its table has served fewer than 4
  // verifications, so b stays with libsodium (no table built and dropped every few turns).
  for (int round = 0; round < 2; ++round) {
    verify(b);
    verify(a);
    verify(b);
    CHECK(ves::ed25519_key_is_prepared(a.public_key()));
    CHECK_FALSE(ves::ed25519_key_is_prepared(b.public_key()));
  }
  // a serves its 3rd and 4th verification while b counts (its table has paid off): b takes
  // its place.
  verify(b);
  verify(a);
  verify(a);
  verify(b);
  CHECK(ves::ed25519_key_is_prepared(b.public_key()));
  CHECK_FALSE(ves::ed25519_key_is_prepared(a.public_key()));
  // b is not used while c counts: b is colder than c and makes room at once.
  verify(c);
  verify(c);
  CHECK(ves::ed25519_key_is_prepared(c.public_key()));
  CHECK_FALSE(ves::ed25519_key_is_prepared(b.public_key()));
  CHECK(ves::ed25519_prepared_key_count() == 1);
  ves::set_ed25519_key_cache_limits({});
}
