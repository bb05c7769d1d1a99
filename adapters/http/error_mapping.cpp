// SPDX-License-Identifier: Apache-2.0
#include "adapters/http/error_mapping.hpp"

#include "adapters/http/json_writer.hpp"

#include "caf/sec.hpp"

#include <httplib.h>

namespace seq::http {

api_error api_error::bad_request(std::string msg) {
  return {400, "INVALID_FIELD_VALUE", 3003, std::move(msg), {}, 0};
}
api_error api_error::invalid_body(std::string msg) {
  return {400, "INVALID_REQUEST_BODY", 3001, std::move(msg), {}, 0};
}
api_error api_error::unprocessable(std::string msg) {
  return {422, "INVALID_FIELD_VALUE", 3003, std::move(msg), {}, 0};
}
api_error api_error::missing_field(std::string msg) {
  return {422, "MISSING_REQUIRED_FIELD", 3002, std::move(msg), {}, 0};
}
api_error api_error::not_found(std::string msg) {
  return {404, "RESOURCE_NOT_FOUND", 4001, std::move(msg), {}, 0};
}
api_error api_error::forbidden(std::string msg) {
  return {403, "INSUFFICIENT_PERMISSIONS", 1005, std::move(msg), {}, 0};
}
api_error api_error::unauthenticated(std::string code, int numeric, std::string msg) {
  return {401, std::move(code), numeric, std::move(msg), {}, 0};
}
api_error api_error::too_large(std::string msg) {
  return {413, "PAYLOAD_TOO_LARGE", 3004, std::move(msg), {}, 0};
}
api_error api_error::conflict(std::string code, int numeric, std::string msg) {
  return {409, std::move(code), numeric, std::move(msg), {}, 0};
}

api_error from_error(const caf::error& e) {
  auto msg = error_message(e);
  if (e.category() == caf::atom("seq")) {
    switch (static_cast<errc>(e.code())) {
      case errc::invalid_request:
        return api_error::bad_request(msg);
      case errc::not_found:
        return api_error::not_found(msg.empty() ? "Not found" : msg);
      case errc::already_exists:
        return api_error::conflict("ALREADY_EXISTS", 5004, msg);
      case errc::version_conflict:
        return api_error::conflict("VERSION_CONFLICT", 5003, msg);
      case errc::duplicate_event:
        return api_error::conflict("DUPLICATE_EVENT", 5001, msg);
      case errc::duplicate_command:
        return api_error::conflict("DUPLICATE_COMMAND", 5002, msg);
      case errc::sequence_gap:
        return api_error::conflict("SEQUENCE_GAP", 7003, msg);
      case errc::unauthenticated:
        return api_error::unauthenticated("AUTH_REQUIRED", 1001, msg);
      case errc::forbidden:
        return api_error::forbidden(msg);
      case errc::too_large:
        return api_error::too_large(msg);
      case errc::sequence_exhausted:
        return {400, "INVARIANT_VIOLATION", 7002, msg, {}, 0};
      case errc::invalid_state_transition:
        return {400, "INVALID_STATE_TRANSITION", 7001, msg, {}, 0};
      case errc::storage_unavailable:
        return {503, "SERVICE_UNAVAILABLE", 8002,
                "Storage is unavailable; retry later" + (msg.empty() ? "" : " (" + msg + ")"),
                {}, 1};
      case errc::storage_conflict:
      case errc::overloaded:
        return {503, "SERVICE_UNAVAILABLE", 8002,
                msg.empty() ? "Server is overloaded; retry later" : msg, {}, 1};
      case errc::shutting_down:
        return {503, "SERVICE_UNAVAILABLE", 8002, "Server is shutting down", {}, 1};
      case errc::timeout:
        return {504, "TIMEOUT", 8003, msg.empty() ? "Request timed out" : msg, {}, 0};
      case errc::chain_unavailable:
        return {503, "SERVICE_UNAVAILABLE", 8002,
                "The chain is unreachable; retry later" + (msg.empty() ? "" : " (" + msg + ")"),
                {}, 5};
      case errc::circuit_open:
        return {503, "SERVICE_UNAVAILABLE", 8002,
                msg.empty() ? "Circuit breaker is open; retry later" : msg, {}, 5};
      case errc::chain_rejected:
        return {502, "ANCHOR_FAILED", 9002, msg.empty() ? "The chain rejected the call" : msg, {},
                0};
      case errc::storage_failure:
        return {500, "DATABASE_ERROR", 8001, "Database error", {}, 0};
      default:
        return {500, "INTERNAL_ERROR", 8999, "Internal server error", {}, 0};
    }
  }
  if (e == caf::sec::request_timeout)
    return {504, "TIMEOUT", 8003, "Request timed out", {}, 0};
  if (e == caf::sec::request_receiver_down)
    return {503, "SERVICE_UNAVAILABLE", 8002, "Stream is restarting; retry", {}, 1};
  return {500, "INTERNAL_ERROR", 8999, "Internal server error", {}, 0};
}

void write_error(httplib::Response& res, const api_error& e) {
  json_writer w;
  w.begin_object().key("error").begin_object();
  w.field("code", e.code).field("numeric_code", e.numeric_code).field("message", e.message);
  if (!e.details_json.empty())
    w.key("details").raw(e.details_json);
  if (e.retry_after_s > 0)
    w.field("retry_after", e.retry_after_s);
  w.end_object().end_object();
  res.status = e.status;
  res.set_header("x-error-code", e.code);
  if (e.retry_after_s > 0)
    res.set_header("Retry-After", std::to_string(e.retry_after_s));
  res.set_content(w.take(), "application/json");
}

} // namespace seq::http
