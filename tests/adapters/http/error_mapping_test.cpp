// SPDX-License-Identifier: Apache-2.0
#include "adapters/http/error_mapping.hpp"

#include <catch2/catch.hpp>
#include <httplib.h>

#include "caf/sec.hpp"

using namespace seq;
using seq::http::from_error;

TEST_CASE("every seq::errc maps to its HTTP status and code", "[http][errors]") {
  struct row {
    errc e;
    int status;
    const char* code;
  };
  const row rows[] = {
    {errc::invalid_request, 400, "INVALID_FIELD_VALUE"},
    {errc::not_found, 404, "RESOURCE_NOT_FOUND"},
    {errc::already_exists, 409, "ALREADY_EXISTS"},
    {errc::version_conflict, 409, "VERSION_CONFLICT"},
    {errc::duplicate_event, 409, "DUPLICATE_EVENT"},
    {errc::duplicate_command, 409, "DUPLICATE_COMMAND"},
    {errc::sequence_gap, 409, "SEQUENCE_GAP"},
    {errc::unauthenticated, 401, "AUTH_REQUIRED"},
    {errc::forbidden, 403, "INSUFFICIENT_PERMISSIONS"},
    {errc::too_large, 413, "PAYLOAD_TOO_LARGE"},
    {errc::sequence_exhausted, 400, "INVARIANT_VIOLATION"},
    {errc::invalid_state_transition, 400, "INVALID_STATE_TRANSITION"},
    {errc::storage_unavailable, 503, "SERVICE_UNAVAILABLE"},
    {errc::storage_conflict, 503, "SERVICE_UNAVAILABLE"},
    {errc::overloaded, 503, "SERVICE_UNAVAILABLE"},
    {errc::shutting_down, 503, "SERVICE_UNAVAILABLE"},
    {errc::timeout, 504, "TIMEOUT"},
    {errc::storage_failure, 500, "DATABASE_ERROR"},
    {errc::migration_failed, 500, "INTERNAL_ERROR"},
    {errc::internal, 500, "INTERNAL_ERROR"},
    {errc::chain_unavailable, 503, "SERVICE_UNAVAILABLE"},
    {errc::circuit_open, 503, "SERVICE_UNAVAILABLE"},
    {errc::chain_rejected, 502, "ANCHOR_FAILED"},
  };
  for (auto& r : rows) {
    INFO(to_string(r.e));
    auto a = from_error(make_error(r.e, "detail"));
    CHECK(a.status == r.status);
    CHECK(a.code == r.code);
    if (r.status == 503)
      CHECK(a.retry_after_s > 0);
  }
}

TEST_CASE("CAF request errors map to 504 and 503", "[http][errors]") {
  CHECK(from_error(caf::make_error(caf::sec::request_timeout)).status == 504);
  CHECK(from_error(caf::make_error(caf::sec::request_receiver_down)).status == 503);
}

TEST_CASE("error bodies have the one JSON shape and the x-error-code header", "[http][errors]") {
  httplib::Response res;
  auto e = from_error(make_error(errc::storage_unavailable, "connection refused"));
  http::write_error(res, e);
  CHECK(res.status == 503);
  CHECK(res.get_header_value("x-error-code") == "SERVICE_UNAVAILABLE");
  CHECK(res.get_header_value("Retry-After") == "1");
  CHECK(res.body.rfind(R"({"error":{"code":"SERVICE_UNAVAILABLE","numeric_code":8002,)", 0) == 0);
  httplib::Response res2;
  http::write_error(res2, http::api_error::missing_field("missing field `agentId`"));
  CHECK(res2.status == 422);
  CHECK(res2.body
        == R"({"error":{"code":"MISSING_REQUIRED_FIELD","numeric_code":3002,"message":"missing field `agentId`"}})");
}
