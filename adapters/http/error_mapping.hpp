// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The one place that maps errors to HTTP. Every error response of this server has the
/// reference's format (A): `{"error":{"code","numeric_code","message","details"?}}` plus the
/// `x-error-code` header (and `Retry-After` for retryable 503s). The reference uses six body
/// shapes; this project uses only this one (documented in docs/API.md).

#include "messages/errc.hpp"

#include <string>

#include "caf/error.hpp"

namespace httplib {
struct Response;
}

namespace seq::http {

struct api_error {
  int status = 500;
  std::string code;       ///< SCREAMING_SNAKE, e.g. INVALID_FIELD_VALUE
  int numeric_code = 8999;
  std::string message;
  std::string details_json; ///< optional pre-serialized JSON object
  int retry_after_s = 0;    ///< > 0 adds Retry-After

  static api_error bad_request(std::string msg);          ///< 400 INVALID_FIELD_VALUE
  static api_error invalid_body(std::string msg);         ///< 400 INVALID_REQUEST_BODY
  static api_error unprocessable(std::string msg);        ///< 422 INVALID_FIELD_VALUE
  static api_error missing_field(std::string msg);        ///< 422 MISSING_REQUIRED_FIELD
  static api_error not_found(std::string msg);            ///< 404 RESOURCE_NOT_FOUND
  static api_error forbidden(std::string msg);            ///< 403 INSUFFICIENT_PERMISSIONS
  static api_error unauthenticated(std::string code, int numeric, std::string msg); ///< 401
  static api_error too_large(std::string msg);            ///< 413 PAYLOAD_TOO_LARGE
  static api_error conflict(std::string code, int numeric, std::string msg); ///< 409
};

/// Maps a seq::errc-carrying caf::error (or a CAF system error) to an api_error.
api_error from_error(const caf::error& e);

/// Writes status, headers and body of `e` into `res`.
void write_error(httplib::Response& res, const api_error& e);

} // namespace seq::http
