// SPDX-License-Identifier: Apache-2.0
#include "adapters/http/request.hpp"
#include "adapters/http/wire.hpp"

#include <httplib.h>

#include <charconv>
#include <cmath>
#include <limits>

namespace seq::http {

using ves::json::kind;

namespace {

bool has_nul(const std::string& s) {
  return s.find('\0') != std::string::npos;
}

/// The path ("events[0].payload.note") of the first string or member name in `v` that holds
/// U+0000, or nullopt. Checked for every body: PostgreSQL's text and jsonb cannot hold the
/// character, and libpq's text parameters would cut the string short at it.
std::optional<std::string> nul_path(const ves::json::value& v) {
  if (v.is_string())
    return has_nul(v.as_string()) ? std::optional<std::string>{""} : std::nullopt;
  if (v.is_array()) {
    auto& xs = v.as_array();
    for (size_t i = 0; i < xs.size(); ++i)
      if (auto sub = nul_path(xs[i]))
        return "[" + std::to_string(i) + "]" + *sub;
  } else if (v.is_object()) {
    for (auto& [k, x] : v.as_object()) {
      if (has_nul(k))
        return "." + k.substr(0, k.find('\0')) + "\\u0000…";
      if (auto sub = nul_path(x))
        return "." + k + *sub;
    }
  }
  return std::nullopt;
}

} // namespace

bool is_json_content_type(std::string_view value) {
  // The media type before any parameter, without case (RFC 9110 §8.3.1); JSON is
  // application/json or a structured `+json` subtype, as the reference's framework takes.
  auto type = wire::trim(value.substr(0, value.find(';')));
  constexpr std::string_view app = "application/", suffix = "+json";
  if (type.size() <= app.size() || !wire::iequals(type.substr(0, app.size()), app))
    return false;
  auto sub = type.substr(app.size());
  return wire::iequals(sub, "json")
         || (sub.size() > suffix.size()
             && wire::iequals(sub.substr(sub.size() - suffix.size()), suffix));
}

ves::json::value parse_body(const httplib::Request& req) {
  if (!is_json_content_type(req.get_header_value("Content-Type")))
    reject({415, "INVALID_REQUEST_BODY", 3001,
            "Expected request with `Content-Type: application/json`", {}, 0});
  auto parsed = ves::json::parse(req.body);
  if (auto* err = std::get_if<ves::json::parse_error>(&parsed))
    reject(api_error::invalid_body("Failed to parse the request body as JSON at byte "
                                   + std::to_string(err->offset) + ": " + err->message));
  auto& v = std::get<ves::json::value>(parsed);
  if (!v.is_object())
    reject(api_error::unprocessable("request body must be a JSON object"));
  if (auto at = nul_path(v))
    reject(api_error::bad_request(at->substr(1) + ": the character U+0000 (\\u0000) is not "
                                                 "accepted in strings or member names"));
  return std::move(v);
}

fields::fields(const ves::json::value& obj, std::string where)
  : obj_(obj), where_(std::move(where)) {
  if (!obj_.is_object())
    reject(api_error::unprocessable((where_.empty() ? std::string{"body"} : where_)
                                    + ": expected a JSON object"));
}

std::string fields::path(std::string_view key) const {
  return where_.empty() ? std::string{key} : where_ + "." + std::string{key};
}

void fields::bad(std::string_view key, const std::string& what) const {
  reject(api_error::unprocessable(path(key) + ": " + what));
}

const ves::json::value* fields::get(std::string_view key) const {
  auto* v = obj_.find(key);
  return v && !v->is_null() ? v : nullptr;
}

const ves::json::value& fields::require(std::string_view key) const {
  auto* v = get(key);
  if (!v)
    reject(api_error::missing_field("missing field `" + path(key) + "`"));
  return *v;
}

const ves::json::value& fields::require_value(std::string_view key) const {
  auto* v = obj_.find(key);
  if (!v)
    reject(api_error::missing_field("missing field `" + path(key) + "`"));
  return *v;
}

const std::string& fields::text(std::string_view key) const {
  auto& v = require(key);
  if (!v.is_string())
    bad(key, "expected a string");
  return v.as_string();
}

std::optional<std::string> fields::opt_string(std::string_view key) const {
  if (!get(key))
    return std::nullopt;
  return string(key);
}

ves::uuid fields::uuid(std::string_view key) const {
  const auto& s = text(key);
  auto u = ves::uuid::parse(s);
  if (!u)
    bad(key, "expected a UUID, got \"" + s + "\"");
  return *u;
}

std::optional<ves::uuid> fields::opt_uuid(std::string_view key) const {
  if (!get(key))
    return std::nullopt;
  return uuid(key);
}

uint64_t fields::u64(std::string_view key) const {
  auto& v = require(key);
  if (!v.is_number() || !v.as_number().is_u64)
    bad(key, "expected a non-negative integer");
  return v.as_number().u;
}

std::optional<uint64_t> fields::opt_u64(std::string_view key) const {
  if (!get(key))
    return std::nullopt;
  return u64(key);
}

std::optional<uint64_t> fields::opt_bigint(std::string_view key) const {
  auto v = opt_u64(key);
  if (v && *v > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    reject(api_error::bad_request(std::string{key} + " must fit in i64"));
  return v;
}

uint32_t fields::u32(std::string_view key) const {
  auto v = u64(key);
  if (v > UINT32_MAX)
    bad(key, "expected an integer in 0..4294967295");
  return static_cast<uint32_t>(v);
}

std::optional<uint32_t> fields::opt_u32(std::string_view key) const {
  if (!get(key))
    return std::nullopt;
  return u32(key);
}

std::optional<int64_t> fields::opt_i64(std::string_view key) const {
  auto* v = get(key);
  if (!v)
    return std::nullopt;
  if (!v->is_number())
    bad(key, "expected an integer");
  auto& n = v->as_number();
  if (n.is_i64)
    return n.i;
  if (n.is_u64 && n.u <= static_cast<uint64_t>(INT64_MAX))
    return static_cast<int64_t>(n.u);
  bad(key, "expected an integer");
}

std::optional<bool> fields::opt_bool(std::string_view key) const {
  auto* v = get(key);
  if (!v)
    return std::nullopt;
  if (!v->is_bool())
    bad(key, "expected true or false");
  return v->as_bool();
}

std::optional<std::string> query(const httplib::Request& req, const char* name) {
  if (!req.has_param(name))
    return std::nullopt;
  return req.get_param_value(name);
}

ves::uuid query_uuid(const httplib::Request& req, const char* name) {
  auto v = query(req, name);
  if (!v)
    reject(api_error::bad_request(std::string{"missing query parameter `"} + name + "`"));
  auto u = ves::uuid::parse(*v);
  if (!u)
    reject(api_error::bad_request(std::string{"query parameter `"} + name
                                  + "` must be a UUID, got \"" + *v + "\""));
  return *u;
}

std::optional<uint64_t> query_u64(const httplib::Request& req, const char* name) {
  auto v = query(req, name);
  if (!v)
    return std::nullopt;
  uint64_t x = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), x);
  if (ec != std::errc{} || p != v->data() + v->size())
    reject(api_error::bad_request(std::string{"query parameter `"} + name
                                  + "` must be a non-negative integer, got \"" + *v + "\""));
  return x;
}

std::string path_param(const httplib::Request& req, size_t index) {
  if (index >= req.matches.size())
    return {};
  return wire::percent_decode(req.matches[index].str(), /*plus_is_space=*/false);
}

ves::uuid path_uuid(const httplib::Request& req, size_t index, const char* name) {
  auto s = path_param(req, index);
  auto u = ves::uuid::parse(s);
  if (!u)
    reject(api_error::bad_request(std::string{"path parameter `"} + name
                                  + "` must be a UUID, got \"" + s + "\""));
  return *u;
}

} // namespace seq::http
