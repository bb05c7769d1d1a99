// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Request decoding helpers shared by the route files: a request_error exception that carries
/// an api_error (thrown inside handlers, caught by the route wrapper in server.cpp), JSON body
/// parsing, typed field access with clear messages, and query parameters.

#include "adapters/http/error_mapping.hpp"
#include "messages/ves/bytes.hpp"
#include "messages/ves/json.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace httplib {
struct Request;
}

namespace seq::http {

/// Thrown by decoding and auth helpers; becomes the response.
struct request_error {
  api_error err;
};

[[noreturn]] inline void reject(api_error e) {
  throw request_error{std::move(e)};
}

/// Parses the body as JSON; 415 without a JSON content type, 400 on a syntax error.
ves::json::value parse_body(const httplib::Request& req);

/// Typed access to members of a JSON object. `where` prefixes messages, e.g. "events[2]".
/// Missing required fields → 422 MISSING_REQUIRED_FIELD; wrong types → 422 INVALID_FIELD_VALUE.
class fields {
public:
  fields(const ves::json::value& obj, std::string where);
  const ves::json::value* get(std::string_view key) const; ///< nullptr if absent or null
  const ves::json::value& require(std::string_view key) const;
  /// Required, but any JSON value, null included (serde's `Value` field: only absence fails).
  const ves::json::value& require_value(std::string_view key) const;
  std::string string(std::string_view key) const { return text(key); }
  const std::string& text(std::string_view key) const; ///< `string` without the copy
  std::optional<std::string> opt_string(std::string_view key) const;
  ves::uuid uuid(std::string_view key) const;
  std::optional<ves::uuid> opt_uuid(std::string_view key) const;
  uint64_t u64(std::string_view key) const;
  std::optional<uint64_t> opt_u64(std::string_view key) const;
  /// A u64 the reference takes but keeps in a BIGINT column: 400 "<key> must fit in i64"
  /// above i64::MAX (the reference wraps it to a negative number).
  std::optional<uint64_t> opt_bigint(std::string_view key) const;
  uint32_t u32(std::string_view key) const;
  std::optional<uint32_t> opt_u32(std::string_view key) const;
  std::optional<int64_t> opt_i64(std::string_view key) const;
  std::optional<bool> opt_bool(std::string_view key) const;
  /// Hex with optional 0x, exactly N bytes.
  template <size_t N>
  std::array<uint8_t, N> hex(std::string_view key) const {
    auto v = ves::from_hex_fixed<N>(text(key));
    if (!v)
      bad(key, "expected " + std::to_string(N) + " bytes of hex (optional 0x)");
    return *v;
  }
  [[noreturn]] void bad(std::string_view key, const std::string& what) const;
  std::string path(std::string_view key) const;

private:
  const ves::json::value& obj_;
  std::string where_;
};

/// Query parameters.
std::optional<std::string> query(const httplib::Request& req, const char* name);
ves::uuid query_uuid(const httplib::Request& req, const char* name); ///< required; 400 otherwise
std::optional<uint64_t> query_u64(const httplib::Request& req, const char* name);

/// True for a Content-Type whose media type is application/json or application/…+json, in
/// any case, with any parameters (`application/json; charset=utf-8`).
bool is_json_content_type(std::string_view value);

/// The route's capture `index`, percent-decoded (routes match the path as sent).
std::string path_param(const httplib::Request& req, size_t index);
ves::uuid path_uuid(const httplib::Request& req, size_t index, const char* name);

} // namespace seq::http
