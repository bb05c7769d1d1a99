// SPDX-License-Identifier: Apache-2.0
#pragma once

/// End-to-end test harness, part 2: an HTTP client for the server under test (one
/// httplib::Client per api_client; not shared between threads), the JSON access helpers the
/// tests use, and the check of the one error shape
/// `{"error":{"code","numeric_code","message"}}` + `x-error-code` header.

#include "messages/ves/json.hpp"
#include "tests/integration/server_process.hpp"

#include <catch2/catch.hpp>
#include <httplib.h>

#include <optional>
#include <string>

namespace seq::it {

namespace json = ves::json;

// -- JSON access --------------------------------------------------------------------------------

/// The member `key` of object `v`; REQUIREs it to exist and not be null.
inline const json::value& member(const json::value& v, std::string_view key) {
  INFO("looking for member `" << key << "` in " << v.dump());
  REQUIRE(v.is_object());
  auto* m = v.find(key);
  REQUIRE(m != nullptr);
  REQUIRE_FALSE(m->is_null());
  return *m;
}

inline bool has_member(const json::value& v, std::string_view key) {
  auto* m = v.is_object() ? v.find(key) : nullptr;
  return m && !m->is_null();
}

inline std::string str_of(const json::value& v, std::string_view key) {
  auto& m = member(v, key);
  INFO("member `" << key << "` = " << m.dump());
  REQUIRE(m.is_string());
  return m.as_string();
}

inline uint64_t u64_of(const json::value& v, std::string_view key) {
  auto& m = member(v, key);
  INFO("member `" << key << "` = " << m.dump());
  REQUIRE(m.is_number());
  REQUIRE(m.as_number().is_u64);
  return m.as_number().u;
}

inline const json::array& arr_of(const json::value& v, std::string_view key) {
  auto& m = member(v, key);
  REQUIRE(m.is_array());
  return m.as_array();
}

/// Parses JSON text that must be valid (test input).
inline json::value parse_json(std::string_view text) {
  auto v = json::try_parse(text);
  if (!v)
    throw std::invalid_argument("invalid JSON in test: " + std::string{text});
  return *v;
}

/// Builds a JSON object from members in order.
inline json::value obj(json::object members) {
  return json::value{std::move(members)};
}

inline json::value num(uint64_t v) {
  return json::value::from_u64(v);
}

// -- responses ----------------------------------------------------------------------------------

struct response {
  int status = -1;           ///< -1: transport error (connection refused/reset, timeout)
  std::string transport_error;
  std::string body;
  std::string content_type;
  std::string error_header;  ///< x-error-code
  std::string retry_after;   ///< Retry-After
  std::optional<json::value> json;

  bool ok() const { return status == 200; }
  const json::value& doc() const {
    INFO("status " << status << ", body: " << body);
    REQUIRE(json.has_value());
    return *json;
  }
  std::string describe() const {
    return status < 0 ? "transport error: " + transport_error
                      : "HTTP " + std::to_string(status) + " " + body;
  }
};

/// The error message of an error response ("" when there is none).
inline std::string error_message(const response& r) {
  if (!r.json || !has_member(*r.json, "error"))
    return {};
  auto* m = r.json->find("error")->find("message");
  return m && m->is_string() ? m->as_string() : std::string{};
}

/// REQUIREs the one JSON error shape with `status` and `code` (`code` empty: any code).
inline void check_error(const response& r, int status, std::string_view code = {}) {
  INFO(r.describe());
  REQUIRE(r.status == status);
  REQUIRE(r.json.has_value());
  auto& err = member(*r.json, "error");
  auto c = str_of(err, "code");
  CHECK(!c.empty());
  CHECK(u64_of(err, "numeric_code") > 0);
  CHECK(!str_of(err, "message").empty());
  CHECK(r.error_header == c);
  CHECK(r.content_type.find("application/json") != std::string::npos);
  if (!code.empty())
    CHECK(c == code);
}

// -- the client ---------------------------------------------------------------------------------

/// How the API key is sent.
enum class auth_style { authorization, x_api_key, none };

class api_client {
public:
  api_client(uint16_t port, std::string key = test_admin_key,
             auth_style style = auth_style::authorization)
    : cli_("127.0.0.1", port), key_(std::move(key)), style_(style) {
    ignore_sigpipe();
    cli_.set_connection_timeout(5, 0);
    cli_.set_read_timeout(45, 0);
    cli_.set_write_timeout(15, 0);
    cli_.set_keep_alive(true);
  }

  const std::string& key() const { return key_; }

  response get(const std::string& path) { return finish(cli_.Get(path.c_str(), headers())); }

  response post(const std::string& path, const std::string& body,
                const char* content_type = "application/json") {
    return finish(cli_.Post(path.c_str(), headers(), body, content_type));
  }

  response post(const std::string& path, const json::value& body) {
    return post(path, body.dump());
  }

  response del(const std::string& path) { return finish(cli_.Delete(path.c_str(), headers())); }

private:
  httplib::Headers headers() const {
    switch (style_) {
      case auth_style::authorization:
        return {{"Authorization", "ApiKey " + key_}};
      case auth_style::x_api_key:
        return {{"X-API-Key", key_}};
      case auth_style::none:
        break;
    }
    return {};
  }

  static response finish(const httplib::Result& res) {
    response r;
    if (!res) {
      r.transport_error = httplib::to_string(res.error());
      return r;
    }
    r.status = res->status;
    r.body = res->body;
    r.content_type = res->get_header_value("Content-Type");
    r.error_header = res->get_header_value("x-error-code");
    r.retry_after = res->get_header_value("Retry-After");
    if (r.content_type.find("application/json") != std::string::npos)
      r.json = json::try_parse(r.body);
    return r;
  }

  httplib::Client cli_;
  std::string key_;
  auth_style style_;
};

/// A query string for a stream read.
inline std::string stream_query(const std::string& tenant, const std::string& store,
                                std::optional<uint64_t> from = std::nullopt,
                                std::optional<uint64_t> limit = std::nullopt) {
  std::string q = "?tenant_id=" + tenant + "&store_id=" + store;
  if (from)
    q += "&from=" + std::to_string(*from);
  if (limit)
    q += "&limit=" + std::to_string(*limit);
  return q;
}

} // namespace seq::it
