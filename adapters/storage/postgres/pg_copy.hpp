// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The PostgreSQL binary COPY format (`COPY … FROM STDIN (FORMAT binary)`), written row by
/// row: a header, then per row its field count and each field as a 32-bit length (-1 = NULL)
/// and the value in the type's binary form (network byte order). Header-only: the server's
/// group commit (pg_event_store) and bench/copy_bench write the same rows with it.
///
/// The binary form must match the column's type exactly (an `int4` column takes 4 bytes, an
/// `int2` 2); the server answers a mismatch with "incorrect binary data format".

#include "messages/ves/bytes.hpp"

#include <cstdint>
#include <string>
#include <string_view>

namespace seq::storage::pg {

/// Microseconds between the Unix epoch and PostgreSQL's (2000-01-01 UTC).
constexpr int64_t pg_epoch_offset_us = 946'684'800'000'000;

class copy_buffer {
public:
  copy_buffer() { clear(); }

  /// Drops all rows and starts again with the header.
  void clear() {
    buf_.assign("PGCOPY\n\377\r\n\0", 11);
    i32(0); // flags
    i32(0); // header extension length
  }
  /// Starts a row of `fields` fields.
  void row(int16_t fields) { i16(fields); }
  /// Appends the trailer; the buffer is then complete.
  void finish() { i16(-1); }

  const std::string& data() const { return buf_; }

  void null() { i32(-1); }
  void raw(const void* p, size_t n) {
    i32(static_cast<int32_t>(n));
    buf_.append(static_cast<const char*>(p), n);
  }
  template <class C>
  void bytes(const C& c) {
    raw(c.data(), c.size());
  }
  void text(std::string_view s) { raw(s.data(), s.size()); }
  void id(const ves::uuid& u) { raw(u.b.data(), u.b.size()); }
  void int2(int16_t v) {
    i32(2);
    i16(v);
  }
  void int4(int32_t v) {
    i32(4);
    i32(v);
  }
  void int8(int64_t v) {
    i32(8);
    i64(v);
  }
  void timestamptz(int64_t unix_us) { int8(unix_us - pg_epoch_offset_us); }
  /// A JSONB value from its JSON text (binary format version 1).
  void jsonb(std::string_view s) {
    i32(static_cast<int32_t>(s.size() + 1));
    buf_.push_back('\1');
    buf_.append(s);
  }

private:
  void i16(int16_t v) {
    auto u = static_cast<uint16_t>(v);
    buf_.push_back(static_cast<char>(u >> 8));
    buf_.push_back(static_cast<char>(u & 0xff));
  }
  void i32(int32_t v) {
    auto u = static_cast<uint32_t>(v);
    char b[4] = {static_cast<char>(u >> 24), static_cast<char>(u >> 16),
                 static_cast<char>(u >> 8), static_cast<char>(u)};
    buf_.append(b, 4);
  }
  void i64(int64_t v) {
    auto u = static_cast<uint64_t>(v);
    i32(static_cast<int32_t>(u >> 32));
    i32(static_cast<int32_t>(u & 0xffffffffu));
  }

  std::string buf_;
};

} // namespace seq::storage::pg
