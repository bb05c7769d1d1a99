// SPDX-License-Identifier: Apache-2.0
// The commitment settings: defaults, YAML, environment overrides, rejections.
#include "config/settings.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>

using namespace seq::config;

namespace {

struct yaml_file {
  std::filesystem::path path;
  explicit yaml_file(const std::string& text) {
    path = std::filesystem::temp_directory_path()
           / ("ves-commitment-config-" + std::to_string(::getpid()) + "-"
              + std::to_string(std::rand()) + ".yaml");
    std::ofstream{path} << text;
  }
  ~yaml_file() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

} // namespace

TEST_CASE("commitment settings defaults", "[config][commitments]") {
  auto s = load("", {});
  CHECK(s.commitments.automatic);
  CHECK(s.commitments.max_events == 1024);
  CHECK(s.commitments.max_age == std::chrono::seconds{5});
  auto example = load(SEQ_SOURCE_DIR "/config/examples/sequencer.yaml", {});
  CHECK(example.commitments.automatic == s.commitments.automatic);
  CHECK(example.commitments.max_events == s.commitments.max_events);
  CHECK(example.commitments.max_age == s.commitments.max_age);
}

TEST_CASE("commitment settings from YAML and the environment", "[config][commitments]") {
  yaml_file f{"commitments:\n  auto: false\n  max_events: 10\n  max_age_s: 2\n"};
  auto s = load(f.path.string(), {});
  CHECK_FALSE(s.commitments.automatic);
  CHECK(s.commitments.max_events == 10);
  CHECK(s.commitments.max_age == std::chrono::seconds{2});
  auto e = load(f.path.string(), {{"VES_AUTO_COMMIT", "true"},
                                  {"VES_COMMIT_MAX_EVENTS", "7"},
                                  {"VES_COMMIT_MAX_AGE_SECS", "9"}});
  CHECK(e.commitments.automatic);
  CHECK(e.commitments.max_events == 7);
  CHECK(e.commitments.max_age == std::chrono::seconds{9});
  CHECK_FALSE(load("", {{"VES_AUTO_COMMIT", "false"}}).commitments.automatic);
}

TEST_CASE("commitment settings reject bad values", "[config][commitments]") {
  CHECK_THROWS_AS(load("", {{"VES_COMMIT_MAX_EVENTS", "0"}}), config_error);
  CHECK_THROWS_AS(load("", {{"VES_COMMIT_MAX_AGE_SECS", "-1"}}), config_error);
  CHECK_THROWS_AS(load("", {{"VES_AUTO_COMMIT", "maybe"}}), config_error);
}
