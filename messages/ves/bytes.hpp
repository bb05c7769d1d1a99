// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Byte containers and the text encodings the VES wire format uses (hex, base64url, UUIDs,
/// big-endian integers, ENC_STR). Pure functions, no I/O.

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seq::ves {

using bytes = std::vector<uint8_t>;
using hash32 = std::array<uint8_t, 32>;
using sig64 = std::array<uint8_t, 64>;
using seed32 = std::array<uint8_t, 32>;
using pubkey32 = std::array<uint8_t, 32>;

/// A UUID as its 16 raw bytes in textual order (RFC 4122 network order).
struct uuid {
  std::array<uint8_t, 16> b{};
  auto operator<=>(const uuid&) const = default;
  bool is_nil() const;
  /// Lowercase hyphenated form.
  std::string str() const;
  /// Accepts hyphenated, 32-hex simple, braced and `urn:uuid:` forms, any case.
  static std::optional<uuid> parse(std::string_view s);
  /// A random version-4 UUID (the kernel's random bytes, drawn 4 KiB at a time per thread).
  static uuid random_v4();
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, uuid& x) {
  return f(x.b);
}

/// Lowercase hex, no prefix.
std::string to_hex(const uint8_t* data, size_t n);
template <class C>
std::string to_hex(const C& c) {
  return to_hex(reinterpret_cast<const uint8_t*>(c.data()), c.size());
}
/// `0x` + lowercase hex.
template <class C>
std::string to_0x_hex(const C& c) {
  return "0x" + to_hex(c);
}

/// Decodes hex of either case. With `allow_0x`, a leading lowercase `0x` is stripped
/// (`0X` is not). Returns nullopt on odd length or a non-hex digit.
std::optional<bytes> from_hex(std::string_view s, bool allow_0x = true);

/// Decodes hex into exactly N bytes, or nullopt.
template <size_t N>
std::optional<std::array<uint8_t, N>> from_hex_fixed(std::string_view s, bool allow_0x = true) {
  auto b = from_hex(s, allow_0x);
  if (!b || b->size() != N)
    return std::nullopt;
  std::array<uint8_t, N> out{};
  for (size_t i = 0; i < N; ++i)
    out[i] = (*b)[i];
  return out;
}

/// base64url without padding (what encoders must emit).
std::string base64url_encode(const uint8_t* data, size_t n);
template <class C>
std::string base64url_encode(const C& c) {
  return base64url_encode(reinterpret_cast<const uint8_t*>(c.data()), c.size());
}
/// URL-safe alphabet only; accepts unpadded or correctly padded input; rejects non-zero
/// trailing bits. With `strict`, only the canonical unpadded form is accepted.
std::optional<bytes> base64url_decode(std::string_view s, bool strict = false);
/// Standard alphabet (RFC 4648 §4), padded or unpadded; used for config keys.
std::optional<bytes> base64_decode_any(std::string_view s);

/// Appends big-endian integers and length-prefixed strings to `out`.
void put_u32_be(bytes& out, uint32_t v);
void put_u64_be(bytes& out, uint64_t v);
void put_enc_str(bytes& out, std::string_view s); // U32_BE(byte length) || UTF-8
void put_raw(bytes& out, std::string_view s);
void put_raw(bytes& out, const uint8_t* data, size_t n);
template <class C>
void put_raw(bytes& out, const C& c) {
  put_raw(out, reinterpret_cast<const uint8_t*>(c.data()), c.size());
}

} // namespace seq::ves
