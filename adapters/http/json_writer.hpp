// SPDX-License-Identifier: Apache-2.0
#pragma once

/// A small streaming JSON writer for response bodies (compact, document order).

#include "messages/ves/json.hpp"

#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>

namespace seq::http {

class json_writer {
public:
  json_writer() { out_.reserve(512); } // an ingest answer fits without growing
  json_writer& begin_object() { sep(); out_ += '{'; first_ = true; return *this; }
  json_writer& end_object() { out_ += '}'; first_ = false; return *this; }
  json_writer& begin_array() { sep(); out_ += '['; first_ = true; return *this; }
  json_writer& end_array() { out_ += ']'; first_ = false; return *this; }
  json_writer& key(std::string_view k) {
    sep();
    ves::json::append_quoted(out_, k);
    out_ += ':';
    first_ = true; // the value follows without a comma
    return *this;
  }
  json_writer& str(std::string_view s) { sep(); ves::json::append_quoted(out_, s); return *this; }
  json_writer& u64(uint64_t v) { sep(); return number(v); }
  json_writer& i64(int64_t v) { sep(); return number(v); }
  json_writer& boolean(bool b) { sep(); out_ += b ? "true" : "false"; return *this; }
  json_writer& null() { sep(); out_ += "null"; return *this; }
  /// Inserts pre-serialized JSON text verbatim.
  json_writer& raw(std::string_view json) { sep(); out_ += json; return *this; }

  template <class T>
  json_writer& field(std::string_view k, const T& v);

  const std::string& str() const { return out_; }
  std::string take() { return std::move(out_); }

private:
  template <class T>
  json_writer& number(T v) {
    char buf[24];
    auto end = std::to_chars(buf, buf + sizeof buf, v).ptr;
    out_.append(buf, end);
    return *this;
  }
  void sep() {
    if (!first_)
      out_ += ',';
    first_ = false;
  }
  std::string out_;
  bool first_ = true;
};

template <class T>
json_writer& json_writer::field(std::string_view k, const T& v) {
  key(k);
  if constexpr (std::is_same_v<T, bool>)
    return boolean(v);
  else if constexpr (std::is_unsigned_v<T>)
    return u64(v);
  else if constexpr (std::is_integral_v<T>)
    return i64(v);
  else
    return str(v);
}

} // namespace seq::http
