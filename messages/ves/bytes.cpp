// SPDX-License-Identifier: Apache-2.0
#include "messages/ves/bytes.hpp"

#include <sodium.h>

#include <sys/random.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

namespace seq::ves {

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

/// Value of one hex digit of either case, or -1.
int hex_value(char c) {
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'f')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'F')
    return c - 'A' + 10;
  return -1;
}

void ensure_sodium() {
  static const bool ok = sodium_init() >= 0;
  if (!ok)
    std::abort(); // libsodium cannot work without a usable RNG; nothing sensible to do
}

constexpr char b64url_alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char b64std_alphabet[] =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Reverse lookup of a base64 alphabet: sextet value per byte, or -1.
struct b64_table {
  int8_t v[256];
};

constexpr b64_table make_b64_table(const char* alphabet) {
  b64_table t{};
  for (auto& x : t.v)
    x = -1;
  for (int i = 0; i < 64; ++i)
    t.v[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}

constexpr b64_table b64url_table = make_b64_table(b64url_alphabet);
constexpr b64_table b64std_table = make_b64_table(b64std_alphabet);

/// Decodes base64 with the Rust `base64` 0.22 "indifferent padding" rules: unpadded or
/// correctly padded input, no whitespace, non-zero trailing bits rejected.
std::optional<bytes> b64_decode(std::string_view s, const b64_table& table, bool allow_padding) {
  // Strip and validate padding.
  size_t pad = 0;
  while (pad < s.size() && pad < 3 && s[s.size() - 1 - pad] == '=')
    ++pad;
  if (pad > 0) {
    if (!allow_padding || pad > 2 || s.size() % 4 != 0)
      return std::nullopt;
    s.remove_suffix(pad);
    // The padding must be exactly what the unpadded length calls for.
    auto rem = s.size() % 4;
    if ((rem == 2 && pad != 2) || (rem == 3 && pad != 1) || rem == 0 || rem == 1)
      return std::nullopt;
  }
  if (s.size() % 4 == 1)
    return std::nullopt;
  bytes out;
  out.reserve(s.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    auto v = table.v[static_cast<uint8_t>(c)];
    if (v < 0)
      return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<uint8_t>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits (2 or 4) must be zero: a canonical encoder never sets them.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
    return std::nullopt;
  return out;
}

} // namespace

// -- uuid -----------------------------------------------------------------------------------

bool uuid::is_nil() const {
  for (auto x : b)
    if (x != 0)
      return false;
  return true;
}

std::string uuid::str() const {
  std::string out;
  out.reserve(36);
  for (size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10)
      out.push_back('-');
    out.push_back(hex_digits[b[i] >> 4]);
    out.push_back(hex_digits[b[i] & 0x0f]);
  }
  return out;
}

std::optional<uuid> uuid::parse(std::string_view s) {
  constexpr std::string_view urn = "urn:uuid:";
  if (s.size() == 45 && s.substr(0, urn.size()) == urn)
    s.remove_prefix(urn.size());
  else if (s.size() == 38 && s.front() == '{' && s.back() == '}')
    s = s.substr(1, 36);
  bool hyphenated = s.size() == 36;
  if (!hyphenated && s.size() != 32)
    return std::nullopt;
  uuid out;
  size_t n = 0;
  for (size_t i = 0; i < s.size();) {
    if (hyphenated && (i == 8 || i == 13 || i == 18 || i == 23)) {
      if (s[i] != '-')
        return std::nullopt;
      ++i;
      continue;
    }
    auto hi = hex_value(s[i]);
    auto lo = hex_value(s[i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out.b[n++] = static_cast<uint8_t>(hi << 4 | lo);
    i += 2;
  }
  return out;
}

uuid uuid::random_v4() {
  // A system call per id (libsodium's randombytes_buf is one getrandom per 256 bytes) cost
  // every request one or two; each thread draws its ids from a pool of 256 ids' worth of the
  // kernel's random bytes instead, one getrandom per refill (ids are not secrets).
  thread_local struct {
    std::array<uint8_t, 4096> bytes;
    size_t used = 4096;
  } pool;
  if (pool.used == pool.bytes.size()) {
    for (size_t got = 0; got < pool.bytes.size();) {
      auto n = getrandom(pool.bytes.data() + got, pool.bytes.size() - got, 0);
      if (n < 0) {
        if (errno == EINTR)
          continue;
        ensure_sodium(); // no getrandom (ENOSYS): libsodium finds another source
        randombytes_buf(pool.bytes.data() + got, pool.bytes.size() - got);
        break;
      }
      got += static_cast<size_t>(n);
    }
    pool.used = 0;
  }
  uuid out;
  std::memcpy(out.b.data(), pool.bytes.data() + pool.used, out.b.size());
  pool.used += out.b.size();
  out.b[6] = static_cast<uint8_t>((out.b[6] & 0x0f) | 0x40);
  out.b[8] = static_cast<uint8_t>((out.b[8] & 0x3f) | 0x80);
  return out;
}

// -- hex ------------------------------------------------------------------------------------

std::string to_hex(const uint8_t* data, size_t n) {
  std::string out;
  out.resize(n * 2);
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = hex_digits[data[i] >> 4];
    out[2 * i + 1] = hex_digits[data[i] & 0x0f];
  }
  return out;
}

std::optional<bytes> from_hex(std::string_view s, bool allow_0x) {
  if (allow_0x && s.size() >= 2 && s[0] == '0' && s[1] == 'x')
    s.remove_prefix(2);
  if (s.size() % 2 != 0)
    return std::nullopt;
  bytes out;
  out.resize(s.size() / 2);
  for (size_t i = 0; i < out.size(); ++i) {
    auto hi = hex_value(s[2 * i]);
    auto lo = hex_value(s[2 * i + 1]);
    if (hi < 0 || lo < 0)
      return std::nullopt;
    out[i] = static_cast<uint8_t>(hi << 4 | lo);
  }
  return out;
}

// -- base64 ---------------------------------------------------------------------------------

std::string base64url_encode(const uint8_t* data, size_t n) {
  std::string out;
  out.reserve((n + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= n; i += 3) {
    uint32_t v = uint32_t{data[i]} << 16 | uint32_t{data[i + 1]} << 8 | data[i + 2];
    out.push_back(b64url_alphabet[(v >> 18) & 63]);
    out.push_back(b64url_alphabet[(v >> 12) & 63]);
    out.push_back(b64url_alphabet[(v >> 6) & 63]);
    out.push_back(b64url_alphabet[v & 63]);
  }
  if (n - i == 1) {
    uint32_t v = uint32_t{data[i]} << 16;
    out.push_back(b64url_alphabet[(v >> 18) & 63]);
    out.push_back(b64url_alphabet[(v >> 12) & 63]);
  } else if (n - i == 2) {
    uint32_t v = uint32_t{data[i]} << 16 | uint32_t{data[i + 1]} << 8;
    out.push_back(b64url_alphabet[(v >> 18) & 63]);
    out.push_back(b64url_alphabet[(v >> 12) & 63]);
    out.push_back(b64url_alphabet[(v >> 6) & 63]);
  }
  return out;
}

std::optional<bytes> base64url_decode(std::string_view s, bool strict) {
  return b64_decode(s, b64url_table, !strict);
}

std::optional<bytes> base64_decode_any(std::string_view s) {
  return b64_decode(s, b64std_table, true);
}

// -- big-endian writers ---------------------------------------------------------------------

void put_u32_be(bytes& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<uint8_t>(v >> shift));
}

void put_u64_be(bytes& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<uint8_t>(v >> shift));
}

void put_enc_str(bytes& out, std::string_view s) {
  put_u32_be(out, static_cast<uint32_t>(s.size()));
  put_raw(out, s);
}

void put_raw(bytes& out, std::string_view s) {
  out.insert(out.end(), s.begin(), s.end());
}

void put_raw(bytes& out, const uint8_t* data, size_t n) {
  out.insert(out.end(), data, data + n);
}

} // namespace seq::ves
