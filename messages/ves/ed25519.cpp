// SPDX-License-Identifier: Apache-2.0
#include "messages/ves/ed25519.hpp"

#include <sodium.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace seq::ves {

namespace {

// -- GF(2^255 − 19): five 51-bit limbs -------------------------------------------------------
//
// mul, sq and their column folding are forced inline: GCC otherwise calls reduce_columns
// with its five 128-bit arguments on the stack (+30 % verifications per second inlined).
//
// Bounds: a "carried" element has limbs below 2^51 + 2^19. add() of two carried elements
// stays below 2^53, and mul()/sq() accept limbs up to 2^54, so one add (or one sub, which
// carries) may sit between two multiplications.

using u64 = uint64_t;
using u128 = unsigned __int128;
constexpr u64 mask51 = (u64{1} << 51) - 1;

struct fe {
  u64 v[5];
};

constexpr fe fe_zero{{0, 0, 0, 0, 0}};
constexpr fe fe_one{{1, 0, 0, 0, 0}};

fe add(const fe& a, const fe& b) {
  return {{a.v[0] + b.v[0], a.v[1] + b.v[1], a.v[2] + b.v[2], a.v[3] + b.v[3], a.v[4] + b.v[4]}};
}

/// Propagates the carries once; the top limb's carry re-enters limb 0 multiplied by 19.
fe carry(fe a) {
  u64 c;
  c = a.v[0] >> 51, a.v[0] &= mask51, a.v[1] += c;
  c = a.v[1] >> 51, a.v[1] &= mask51, a.v[2] += c;
  c = a.v[2] >> 51, a.v[2] &= mask51, a.v[3] += c;
  c = a.v[3] >> 51, a.v[3] &= mask51, a.v[4] += c;
  c = a.v[4] >> 51, a.v[4] &= mask51, a.v[0] += 19 * c;
  return a;
}

/// a − b for b's limbs below 2^54 − 2^7: adds 8p first so that no limb goes negative.
fe sub(const fe& a, const fe& b) {
  constexpr u64 p8_0 = 8 * ((u64{1} << 51) - 19), p8_n = 8 * ((u64{1} << 51) - 1);
  return carry({{a.v[0] + p8_0 - b.v[0], a.v[1] + p8_n - b.v[1], a.v[2] + p8_n - b.v[2],
                 a.v[3] + p8_n - b.v[3], a.v[4] + p8_n - b.v[4]}});
}

fe neg(const fe& a) {
  return sub(fe_zero, a);
}

/// Folds five 102-bit column sums into a carried element.
[[gnu::always_inline]] inline fe reduce_columns(u128 t0, u128 t1, u128 t2, u128 t3, u128 t4) {
  fe r;
  t1 += static_cast<u64>(t0 >> 51), r.v[0] = static_cast<u64>(t0) & mask51;
  t2 += static_cast<u64>(t1 >> 51), r.v[1] = static_cast<u64>(t1) & mask51;
  t3 += static_cast<u64>(t2 >> 51), r.v[2] = static_cast<u64>(t2) & mask51;
  t4 += static_cast<u64>(t3 >> 51), r.v[3] = static_cast<u64>(t3) & mask51;
  u128 top = (t4 >> 51) * 19 + r.v[0];
  r.v[4] = static_cast<u64>(t4) & mask51;
  r.v[0] = static_cast<u64>(top) & mask51;
  r.v[1] += static_cast<u64>(top >> 51);
  return r;
}

[[gnu::always_inline]] inline fe mul(const fe& a, const fe& b) {
  const u64 b1 = 19 * b.v[1], b2 = 19 * b.v[2], b3 = 19 * b.v[3], b4 = 19 * b.v[4];
  auto m = [](u64 x, u64 y) { return static_cast<u128>(x) * y; };
  u128 t0 = m(a.v[0], b.v[0]) + m(a.v[1], b4) + m(a.v[2], b3) + m(a.v[3], b2) + m(a.v[4], b1);
  u128 t1 = m(a.v[0], b.v[1]) + m(a.v[1], b.v[0]) + m(a.v[2], b4) + m(a.v[3], b3) + m(a.v[4], b2);
  u128 t2 = m(a.v[0], b.v[2]) + m(a.v[1], b.v[1]) + m(a.v[2], b.v[0]) + m(a.v[3], b4)
            + m(a.v[4], b3);
  u128 t3 = m(a.v[0], b.v[3]) + m(a.v[1], b.v[2]) + m(a.v[2], b.v[1]) + m(a.v[3], b.v[0])
            + m(a.v[4], b4);
  u128 t4 = m(a.v[0], b.v[4]) + m(a.v[1], b.v[3]) + m(a.v[2], b.v[2]) + m(a.v[3], b.v[1])
            + m(a.v[4], b.v[0]);
  return reduce_columns(t0, t1, t2, t3, t4);
}

[[gnu::always_inline]] inline fe sq(const fe& a) {
  auto m = [](u64 x, u64 y) { return static_cast<u128>(x) * y; };
  const u64 d0 = 2 * a.v[0], d1 = 2 * a.v[1];
  const u64 a3_19 = 19 * a.v[3], a4_19 = 19 * a.v[4];
  u128 t0 = m(a.v[0], a.v[0]) + m(d1, a4_19) + m(2 * a.v[2], a3_19);
  u128 t1 = m(d0, a.v[1]) + m(2 * a.v[2], a4_19) + m(a.v[3], a3_19);
  u128 t2 = m(d0, a.v[2]) + m(a.v[1], a.v[1]) + m(2 * a.v[3], a4_19);
  u128 t3 = m(d0, a.v[3]) + m(d1, a.v[2]) + m(a.v[4], a4_19);
  u128 t4 = m(d0, a.v[4]) + m(d1, a.v[3]) + m(a.v[2], a.v[2]);
  return reduce_columns(t0, t1, t2, t3, t4);
}

fe sq_n(fe a, int n) {
  while (n-- > 0)
    a = sq(a);
  return a;
}

/// z^(2^250 − 1), the common stem of the inversion and square-root exponents, and z^11.
struct pow_stem {
  fe z250, z11;
};

pow_stem stem(const fe& z) {
  fe z2 = sq(z);
  fe z9 = mul(sq_n(z2, 2), z);      // z^8 · z
  fe z11 = mul(z9, z2);
  fe e5 = mul(sq(z11), z9);         // z^22 · z^9 = z^(2^5 − 1)
  fe e10 = mul(sq_n(e5, 5), e5);    // z^(2^10 − 1)
  fe e20 = mul(sq_n(e10, 10), e10); // z^(2^20 − 1)
  fe e40 = mul(sq_n(e20, 20), e20);
  fe e50 = mul(sq_n(e40, 10), e10);
  fe e100 = mul(sq_n(e50, 50), e50);
  fe e200 = mul(sq_n(e100, 100), e100);
  fe e250 = mul(sq_n(e200, 50), e50);
  return {e250, z11};
}

/// z^(p − 2) = z^((2^250 − 1)·2^5 + 11) = 1/z.
fe invert(const fe& z) {
  auto s = stem(z);
  return mul(sq_n(s.z250, 5), s.z11);
}

/// z^((p − 5)/8) = z^((2^250 − 1)·4 + 1), for square roots.
fe pow_p58(const fe& z) {
  return mul(sq_n(stem(z).z250, 2), z);
}

u64 load64(const uint8_t* p) {
  u64 x;
  std::memcpy(&x, p, 8);
  return x; // x86-64 and every other target this builds on is little-endian
}

/// The 255 low bits of `s` (the top bit, a point encoding's sign, is ignored).
fe from_bytes(const uint8_t* s) {
  u64 w0 = load64(s), w1 = load64(s + 8), w2 = load64(s + 16), w3 = load64(s + 24);
  w3 &= ~(u64{1} << 63);
  return {{w0 & mask51, ((w0 >> 51) | (w1 << 13)) & mask51, ((w1 >> 38) | (w2 << 26)) & mask51,
           ((w2 >> 25) | (w3 << 39)) & mask51, w3 >> 12}};
}

/// The canonical 32-byte encoding (the value reduced below p).
std::array<uint8_t, 32> to_bytes(const fe& a) {
  fe h = carry(carry(a)); // every limb below 2^51 now, so h < 2^255 < 2p
  // h ≥ p exactly when h + 19 carries into bit 255.
  u64 q = (h.v[0] + 19) >> 51;
  q = (h.v[1] + q) >> 51;
  q = (h.v[2] + q) >> 51;
  q = (h.v[3] + q) >> 51;
  q = (h.v[4] + q) >> 51;
  h.v[0] += 19 * q;
  u64 c;
  c = h.v[0] >> 51, h.v[0] &= mask51, h.v[1] += c;
  c = h.v[1] >> 51, h.v[1] &= mask51, h.v[2] += c;
  c = h.v[2] >> 51, h.v[2] &= mask51, h.v[3] += c;
  c = h.v[3] >> 51, h.v[3] &= mask51, h.v[4] += c;
  h.v[4] &= mask51; // drops the 2^255 that stands for the subtracted p
  std::array<uint8_t, 32> out;
  u64 w[4] = {h.v[0] | (h.v[1] << 51), (h.v[1] >> 13) | (h.v[2] << 38),
              (h.v[2] >> 26) | (h.v[3] << 25), (h.v[3] >> 39) | (h.v[4] << 12)};
  std::memcpy(out.data(), w, 32);
  return out;
}

bool is_zero(const fe& a) {
  auto b = to_bytes(a);
  return std::all_of(b.begin(), b.end(), [](uint8_t x) { return x == 0; });
}

bool is_odd(const fe& a) { // "negative" in RFC 8032's encoding
  return to_bytes(a)[0] & 1;
}

fe small(u64 x) {
  return {{x, 0, 0, 0, 0}};
}

struct curve_constants {
  fe d, d2, sqrt_m1;
  curve_constants() {
    d = mul(neg(small(121665)), invert(small(121666))); // −121665/121666
    d2 = carry(add(d, d));
    // 2^((p − 1)/4), where (p − 1)/4 = (2^250 − 1)·8 + 3.
    fe two = small(2);
    sqrt_m1 = mul(sq_n(stem(two).z250, 3), mul(sq(two), two));
  }
};

const curve_constants& K() {
  static const curve_constants k;
  return k;
}

// -- points: extended coordinates (X : Y : Z : T), x = X/Z, y = Y/Z, xy = T/Z --------------

struct ge {
  fe X, Y, Z, T;
};

/// An affine point prepared for addition: y + x, y − x, 2d·x·y.
struct niels {
  fe ypx, ymx, xy2d;
};

constexpr ge identity{fe_zero, fe_one, fe_one, fe_zero};

/// P + Q for the curve −x² + y² = 1 + d·x²·y² (unified, so P = Q is fine).
ge add(const ge& p, const ge& q) {
  fe a = mul(sub(p.Y, p.X), sub(q.Y, q.X));
  fe b = mul(add(p.Y, p.X), add(q.Y, q.X));
  fe c = mul(mul(p.T, K().d2), q.T);
  fe d = mul(add(p.Z, p.Z), q.Z);
  fe e = sub(b, a), f = sub(d, c), g = add(d, c), h = add(b, a);
  return {mul(e, f), mul(g, h), mul(f, g), mul(e, h)};
}

ge dbl(const ge& p) {
  fe a = sq(p.X), b = sq(p.Y);
  fe c = add(sq(p.Z), sq(p.Z));
  fe e = sub(sub(sq(add(p.X, p.Y)), a), b); // 2xy·Z²
  fe g = sub(b, a);                          // y² − x² (a = −1)
  fe f = sub(g, c);
  fe h = neg(add(a, b));
  return {mul(e, f), mul(g, h), mul(f, g), mul(e, h)};
}

/// p + q (`minus`: p − q) for an affine q.
ge add_niels(const ge& p, const niels& q, bool minus) {
  const fe& qp = minus ? q.ymx : q.ypx;
  const fe& qm = minus ? q.ypx : q.ymx;
  fe a = mul(sub(p.Y, p.X), qm);
  fe b = mul(add(p.Y, p.X), qp);
  fe c = mul(p.T, q.xy2d);
  fe d = add(p.Z, p.Z);
  fe e = sub(b, a), h = add(b, a);
  fe f = minus ? add(d, c) : sub(d, c);
  fe g = minus ? sub(d, c) : add(d, c);
  return {mul(e, f), mul(g, h), mul(f, g), mul(e, h)};
}

std::array<uint8_t, 32> encode(const ge& p) {
  fe zi = invert(p.Z);
  auto out = to_bytes(mul(p.Y, zi));
  out[31] |= static_cast<uint8_t>(is_odd(mul(p.X, zi)) << 7);
  return out;
}

/// RFC 8032 §5.1.3 decoding of the y-coordinate and sign in `s` (the caller has made sure
/// the encoding is canonical, or does not care); false when no x exists.
bool decode(const uint8_t* s, ge& out) {
  fe y = from_bytes(s);
  fe y2 = sq(y);
  fe u = sub(y2, fe_one);
  fe v = carry(add(mul(y2, K().d), fe_one));
  fe v3 = mul(sq(v), v);
  fe x = mul(mul(u, v3), pow_p58(mul(u, mul(sq(v3), v)))); // u·v³·(u·v⁷)^((p−5)/8)
  fe vx2 = mul(v, sq(x));
  if (!is_zero(sub(vx2, u))) {
    if (!is_zero(add(vx2, u)))
      return false;
    x = mul(x, K().sqrt_m1);
  }
  if (is_odd(x) != ((s[31] >> 7) == 1))
    x = neg(x);
  out = {x, y, fe_one, mul(x, y)};
  return true;
}

} // namespace

// -- comb tables ----------------------------------------------------------------------------
//
// A scalar k < 2^253 is written as Σ e[i]·2^(window·i) with signed digits |e[i]| ≤ 2^(window−1),
// so [k]P is one table addition per non-zero digit.

namespace {
constexpr size_t window = 6;
constexpr size_t positions = (254 + window - 1) / window; // room for the last digit's carry
constexpr size_t multiples = size_t{1} << (window - 1);
} // namespace

struct ed25519_prepared_key::table {
  std::array<std::array<niels, multiples>, positions> m; ///< m[i][j] = (j + 1)·2^(window·i)·P

  explicit table(const ge& p) {
    std::vector<ge> pts(positions * multiples);
    ge base = p;
    for (size_t i = 0; i < positions; ++i) {
      ge* row = &pts[i * multiples];
      row[0] = base;
      for (size_t j = 1; j < multiples; ++j)
        row[j] = add(row[j - 1], base);
      for (size_t d = 0; d < window; ++d)
        base = dbl(base);
    }
    // One inversion for all the Z (Montgomery's trick).
    std::vector<fe> prefix(pts.size());
    fe acc = fe_one;
    for (size_t k = 0; k < pts.size(); ++k) {
      prefix[k] = acc;
      acc = mul(acc, pts[k].Z);
    }
    fe inv = invert(acc);
    for (size_t k = pts.size(); k-- > 0;) {
      fe zi = mul(inv, prefix[k]);
      inv = mul(inv, pts[k].Z);
      fe x = mul(pts[k].X, zi), y = mul(pts[k].Y, zi);
      m[k / multiples][k % multiples] = {carry(add(y, x)), sub(y, x), mul(mul(x, y), K().d2)};
    }
  }
};

namespace {

using table = ed25519_prepared_key::table;

const table& base_table() {
  static const table t = [] {
    // B: y = 4/5, x even.
    auto enc = to_bytes(mul(small(4), invert(small(5))));
    ge b;
    decode(enc.data(), b);
    return table{b};
  }();
  return t;
}

using digit_array = std::array<int, positions>;

/// The signed digits of k < 2^253 (little-endian bytes).
digit_array digits(const uint8_t* k) {
  digit_array e;
  for (size_t i = 0; i < positions; ++i) {
    size_t bit = i * window, byte = bit / 8;
    unsigned w = k[byte] | (byte + 1 < 32 ? unsigned{k[byte + 1]} << 8 : 0u);
    e[i] = static_cast<int>((w >> (bit % 8)) & ((1u << window) - 1));
  }
  for (size_t i = 0; i + 1 < positions; ++i) {
    int c = (e[i] + static_cast<int>(multiples)) >> window;
    e[i] -= c << window;
    e[i + 1] += c;
  }
  return e;
}

ge accumulate(ge acc, const table& t, const digit_array& e) {
  for (size_t i = 0; i < positions; ++i)
    if (e[i] != 0)
      acc = add_niels(acc, t.m[i][std::abs(e[i]) - 1], e[i] < 0);
  return acc;
}

/// L = 2^252 + 27742317777372353535851937790883648493, little-endian.
constexpr std::array<uint8_t, 32> group_order{
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
  0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0x10};

bool below_group_order(const uint8_t* s) {
  for (size_t i = 32; i-- > 0;)
    if (s[i] != group_order[i])
      return s[i] < group_order[i];
  return false; // s == L
}

/// The y-coordinates (255 bits, little-endian) of the points of order 1, 2, 4 and 8, and the
/// non-canonical encodings p and p + 1 of 0 and 1: the R values libsodium rejects.
const std::array<std::array<uint8_t, 32>, 7>& small_order_ys() {
  static const auto ys = [] {
    std::array<std::array<uint8_t, 32>, 7> out{};
    out[0] = {};         // 0: the two points of order 4
    out[1] = {1};        // 1: the identity
    out[2].fill(0xff);   // p − 1: the point of order 2
    out[2][0] = 0xec;
    out[2][31] = 0x7f;
    out[3] = out[2];     // p
    out[3][0] = 0xed;
    out[4] = out[2];     // p + 1
    out[4][0] = 0xee;
    // ±y of the four points of order 8 (tests/messages/ed25519_test.cpp checks their order).
    out[5] = {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
              0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
              0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05};
    out[6] = to_bytes(neg(from_bytes(out[5].data())));
    return out;
  }();
  return ys;
}

bool small_order_encoding(const uint8_t* r) {
  for (const auto& y : small_order_ys())
    if (std::memcmp(r, y.data(), 31) == 0 && (r[31] & 0x7f) == y[31])
      return true;
  return false;
}

} // namespace

// -- prepared keys ------------------------------------------------------------------------

std::shared_ptr<const ed25519_prepared_key> ed25519_prepared_key::make(const pubkey32& pk) {
  // libsodium's checks on the key: y canonical (below p), not of small order, on the curve.
  auto y = to_bytes(from_bytes(pk.data()));
  if (std::memcmp(y.data(), pk.data(), 31) != 0 || y[31] != (pk[31] & 0x7f)
      || small_order_encoding(pk.data()))
    return nullptr;
  ge a;
  if (!decode(pk.data(), a))
    return nullptr;
  ge neg_a{neg(a.X), a.Y, a.Z, neg(a.T)};
  return std::make_shared<const ed25519_prepared_key>(pk, std::make_unique<const table>(neg_a));
}

ed25519_prepared_key::ed25519_prepared_key(const pubkey32& pk, std::unique_ptr<const table> t)
    : pk_(pk), neg_a_(std::move(t)) {
}

ed25519_prepared_key::~ed25519_prepared_key() = default;

bool ed25519_prepared_key::verify(const uint8_t* message, size_t n, const sig64& sig) const {
  const uint8_t* r = sig.data();
  const uint8_t* s = sig.data() + 32;
  if (!below_group_order(s) || small_order_encoding(r))
    return false;
  std::array<uint8_t, 64> digest;
  crypto_hash_sha512_state st;
  crypto_hash_sha512_init(&st);
  crypto_hash_sha512_update(&st, r, 32);
  crypto_hash_sha512_update(&st, pk_.data(), pk_.size());
  crypto_hash_sha512_update(&st, message, n);
  crypto_hash_sha512_final(&st, digest.data());
  std::array<uint8_t, 32> h;
  crypto_core_ed25519_scalar_reduce(h.data(), digest.data());
  ge p = accumulate(accumulate(identity, base_table(), digits(s)), *neg_a_, digits(h.data()));
  return std::memcmp(encode(p).data(), r, 32) == 0;
}

pubkey32 detail::ed25519_base_multiple(const std::array<uint8_t, 32>& k) {
  std::array<uint8_t, 64> wide{};
  std::copy(k.begin(), k.end(), wide.begin());
  std::array<uint8_t, 32> reduced; // below L < 2^253, as digits() needs
  crypto_core_ed25519_scalar_reduce(reduced.data(), wide.data());
  return encode(accumulate(identity, base_table(), digits(reduced.data())));
}

// -- the process-wide cache ---------------------------------------------------------------

namespace {

struct key_hash {
  size_t operator()(const pubkey32& pk) const {
    size_t h;
    std::memcpy(&h, pk.data(), sizeof h); // public keys are uniformly distributed bytes
    return h;
  }
};

class key_cache {
public:
  std::shared_ptr<const ed25519_prepared_key> find(const pubkey32& pk) {
    std::lock_guard guard{mtx_};
    ++tick_;
    auto it = prepared_.find(pk);
    if (it == prepared_.end())
      return nullptr;
    it->second.last_use = tick_;
    ++it->second.uses;
    return it->second.key;
  }

  /// libsodium accepted a signature under `pk`; prepares it after `promote_after` of them, if
  /// there is room for it.
  void accepted(const pubkey32& pk) {
    uint64_t since;
    {
      std::lock_guard guard{mtx_};
      if (limits_.max_prepared == 0 || prepared_.count(pk) != 0)
        return;
      auto it = counts_.find(pk);
      if (it == counts_.end()) {
        if (counts_.size() >= limits_.max_candidates)
          counts_.clear();
        it = counts_.emplace(pk, candidate{0, tick_}).first;
      }
      if (++it->second.accepted < limits_.promote_after)
        return;
      since = it->second.since;
      counts_.erase(it); // counted again from 0 if there is no room now
      if (!make_room(since, false))
        return;
    }
    auto key = ed25519_prepared_key::make(pk); // ≈ 20 verifications; outside the lock
    if (!key)
      return;
    std::lock_guard guard{mtx_};
    if (make_room(since, true))
      prepared_[pk] = {std::move(key), tick_, 0};
  }

  void set_limits(const ed25519_key_cache_limits& l) {
    std::lock_guard guard{mtx_};
    limits_ = l;
    prepared_.clear();
    counts_.clear();
  }

  size_t prepared_count() {
    std::lock_guard guard{mtx_};
    return prepared_.size();
  }

  bool holds(const pubkey32& pk) {
    std::lock_guard guard{mtx_};
    return prepared_.count(pk) != 0;
  }

private:
  /// Whether a new key fits, after dropping (`evict`) the least recently used one if the
  /// cache is full. That key goes only if its table has paid for itself (`evict_after_uses`
  /// verifications under it) or if it is colder than the new key: not used once since the new
  /// key started counting (`since`). Otherwise the new key stays with libsodium, so that more
  /// busy keys than places cannot make every few verifications pay for building a table.
  bool make_room(uint64_t since, bool evict) {
    if (prepared_.size() < limits_.max_prepared)
      return true;
    auto lru = std::min_element(prepared_.begin(), prepared_.end(), [](auto& a, auto& b) {
      return a.second.last_use < b.second.last_use;
    });
    if (lru->second.uses < limits_.evict_after_uses && lru->second.last_use >= since)
      return false;
    if (evict)
      prepared_.erase(lru);
    return true;
  }

  struct slot {
    std::shared_ptr<const ed25519_prepared_key> key;
    uint64_t last_use = 0; ///< tick_ of the last verification under it
    uint64_t uses = 0;     ///< verifications since it was prepared
  };
  std::mutex mtx_;
  ed25519_key_cache_limits limits_;
  std::unordered_map<pubkey32, slot, key_hash> prepared_;
  struct candidate {
    size_t accepted = 0; ///< signatures libsodium accepted under it
    uint64_t since = 0;  ///< tick_ when counting started
  };
  std::unordered_map<pubkey32, candidate, key_hash> counts_;
  uint64_t tick_ = 0; ///< counts every verification that asked the cache
};

key_cache& cache() {
  static key_cache c;
  return c;
}

} // namespace

void set_ed25519_key_cache_limits(const ed25519_key_cache_limits& limits) {
  cache().set_limits(limits);
}

size_t ed25519_prepared_key_count() {
  return cache().prepared_count();
}

bool ed25519_key_is_prepared(const pubkey32& pk) {
  return cache().holds(pk);
}

bool ed25519_verify_cached(const pubkey32& pk, const uint8_t* message, size_t n,
                           const sig64& sig) {
  if (auto key = cache().find(pk))
    return key->verify(message, n, sig);
  bool ok = crypto_sign_verify_detached(sig.data(), message, n, pk.data()) == 0;
  if (ok)
    cache().accepted(pk);
  return ok;
}

} // namespace seq::ves
