// SPDX-License-Identifier: Apache-2.0
// The projection and DLQ settings: defaults, YAML lists, environment overrides, rejections.
#include "config/settings.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

using namespace seq::config;

namespace {

constexpr const char* t1 = "11111111-1111-4111-8111-111111111111";
constexpr const char* s1 = "22222222-2222-4222-8222-222222222222";
constexpr const char* t2 = "33333333-3333-4333-8333-333333333333";
constexpr const char* s2 = "44444444-4444-4444-8444-444444444444";

struct yaml_file {
  std::filesystem::path path;
  explicit yaml_file(const std::string& text) {
    path = std::filesystem::temp_directory_path()
           / ("ves-projection-config-" + std::to_string(::getpid()) + "-"
              + std::to_string(std::rand()) + ".yaml");
    std::ofstream{path} << text;
  }
  ~yaml_file() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

std::string error_of(const std::string& path, const env_map& env) {
  try {
    load(path, env);
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}

std::pair<seq::ves::uuid, seq::ves::uuid> stream(const char* t, const char* s) {
  return {*seq::ves::uuid::parse(t), *seq::ves::uuid::parse(s)};
}

} // namespace

TEST_CASE("projection and DLQ settings default to park mode and the reference's schedule",
          "[config]") {
  auto s = load("", {});
  CHECK_FALSE(s.projection.halt_by_default);
  CHECK(s.projection.halt_streams.empty());
  CHECK(s.projection.park_streams.empty());
  CHECK(s.projection.batch_size == 100);
  CHECK(s.projection.io_workers == 2);
  CHECK(s.projection.linger == std::chrono::milliseconds{20});
  CHECK(s.dlq.retry_initial_delay == std::chrono::minutes{1});
  CHECK(s.dlq.retry_max_delay == std::chrono::hours{1});
  CHECK(s.dlq.max_retries == 10);
  CHECK(s.dlq.retry_jitter == 0.25);
  CHECK(s.dlq.poll_interval == std::chrono::seconds{5});
  // The example file documents the same values.
  auto example = load(SEQ_SOURCE_DIR "/config/examples/sequencer.yaml", {});
  CHECK(example.projection.halt_streams.empty());
  CHECK(example.dlq.retry_initial_delay == s.dlq.retry_initial_delay);
  CHECK(example.dlq.max_retries == s.dlq.max_retries);
  CHECK(example.projection.batch_size == s.projection.batch_size);
  CHECK(example.projection.linger == s.projection.linger);
}

TEST_CASE("halt streams come as a YAML list or a comma-separated variable", "[config]") {
  yaml_file f{std::string{"projection:\n  mode: park\n  halt_streams:\n    - "} + t1 + "/" + s1
              + "\n    - \" " + t2 + "/" + s2 + " \"\n  batch_size: 25\n  linger_ms: 5\n"
              + "dlq:\n  retry_initial_delay_ms: 100\n  retry_max_delay_ms: 400\n"
                "  max_retries: 3\n  retry_jitter: 0\n  poll_interval_ms: 50\n"};
  auto s = load(f.path.string(), {});
  REQUIRE(s.projection.halt_streams.size() == 2);
  CHECK(s.projection.halt_streams[0] == stream(t1, s1));
  CHECK(s.projection.halt_streams[1] == stream(t2, s2));
  CHECK(s.projection.batch_size == 25);
  CHECK(s.projection.linger == std::chrono::milliseconds{5});
  CHECK(s.dlq.retry_initial_delay == std::chrono::milliseconds{100});
  CHECK(s.dlq.retry_max_delay == std::chrono::milliseconds{400});
  CHECK(s.dlq.max_retries == 3);
  CHECK(s.dlq.retry_jitter == 0.0);
  CHECK(s.dlq.poll_interval == std::chrono::milliseconds{50});

  // The environment wins; halt by default with one stream parked.
  auto e = load(f.path.string(), {{"VES_PROJECTION_MODE", "HALT"},
                                  {"VES_PROJECTION_HALT_STREAMS", ""},
                                  {"VES_PROJECTION_PARK_STREAMS", std::string{t2} + "/" + s1},
                                  {"VES_DLQ_MAX_RETRIES", "0"},
                                  {"VES_PROJECTION_LINGER_MS", "0"}});
  CHECK(e.projection.halt_by_default);
  CHECK(e.projection.linger == std::chrono::milliseconds{0});
  CHECK(e.projection.park_streams == std::vector{stream(t2, s1)});
  CHECK(e.dlq.max_retries == 0);
  // An empty variable keeps the file's value (as for every other variable).
  CHECK(e.projection.halt_streams.size() == 2);
}

TEST_CASE("bad projection and DLQ settings are rejected naming the key", "[config]") {
  CHECK(error_of("", {{"VES_PROJECTION_MODE", "stop"}})
        == "config: projection.mode: expected one of park|halt, got \"stop\" "
           "(from $VES_PROJECTION_MODE)");
  CHECK(error_of("", {{"VES_PROJECTION_HALT_STREAMS", std::string{t1}}})
          .find("projection.halt_streams: expected a list of \"tenant-uuid/store-uuid\"")
        != std::string::npos);
  CHECK(error_of("", {{"VES_PROJECTION_HALT_STREAMS", std::string{t1} + "/nope"}})
          .find("projection.halt_streams") != std::string::npos);
  CHECK(error_of("", {{"VES_DLQ_RETRY_JITTER", "1.5"}})
          .find("dlq.retry_jitter: expected a number in 0..1") != std::string::npos);
  CHECK(error_of("", {{"VES_DLQ_RETRY_INITIAL_DELAY_MS", "5000"},
                      {"VES_DLQ_RETRY_MAX_DELAY_MS", "1000"}})
          .find("dlq.retry_max_delay_ms: must not be below dlq.retry_initial_delay_ms")
        != std::string::npos);
  CHECK(error_of("", {{"VES_PROJECTION_BATCH_SIZE", "0"}}).find("projection.batch_size")
        != std::string::npos);
  CHECK(error_of("", {{"VES_PROJECTION_LINGER_MS", "10001"}}).find("projection.linger_ms")
        != std::string::npos);
  auto both = std::string{t1} + "/" + s1;
  CHECK(error_of("", {{"VES_PROJECTION_HALT_STREAMS", both},
                      {"VES_PROJECTION_PARK_STREAMS", both}})
          .find("is also in projection.halt_streams") != std::string::npos);
  yaml_file nested{"projection:\n  halt_streams:\n    - [a, b]\n"};
  CHECK(error_of(nested.path.string(), {}).find("projection.halt_streams: expected a list of "
                                                "scalar values")
        != std::string::npos);
}
