// SPDX-License-Identifier: Apache-2.0
#include "adapters/http/request.hpp"

#include <catch2/catch.hpp>

using seq::http::is_json_content_type;

TEST_CASE("a JSON body is recognised by its media type, in any case, with parameters",
          "[http][request]") {
  CHECK(is_json_content_type("application/json"));
  CHECK(is_json_content_type("application/json; charset=utf-8"));
  CHECK(is_json_content_type("Application/JSON;charset=UTF-8"));
  CHECK(is_json_content_type(" application/json "));
  CHECK(is_json_content_type("application/vnd.api+json"));
  CHECK(is_json_content_type("application/problem+json; q=1"));

  CHECK_FALSE(is_json_content_type(""));
  CHECK_FALSE(is_json_content_type("text/plain"));
  CHECK_FALSE(is_json_content_type("text/plain; x=application/json"));
  CHECK_FALSE(is_json_content_type("application/json-seq"));
  CHECK_FALSE(is_json_content_type("application/+json"));
  CHECK_FALSE(is_json_content_type("text/json"));
}
