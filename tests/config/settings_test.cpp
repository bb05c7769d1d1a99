// SPDX-License-Identifier: Apache-2.0
#include "config/settings.hpp"

#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <thread>

using namespace seq::config;

namespace {

std::string write_yaml(const std::string& text) {
  auto path = std::filesystem::temp_directory_path()
              / ("ves-config-" + std::to_string(::getpid()) + "-"
                 + std::to_string(std::rand()) + ".yaml");
  std::ofstream{path} << text;
  return path.string();
}

std::string error_of(const std::string& path, const env_map& env) {
  try {
    load(path, env);
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("defaults match the documented run command", "[config]") {
  auto s = load("", {});
  CHECK(s.http.host == "127.0.0.1");
  CHECK(s.http.port == 8080);
  CHECK(s.storage.url == "sqlite://data/ves.db");
  CHECK(s.storage.migrate_on_start);
  CHECK(s.limits.max_events_per_batch == 1000);
  CHECK(s.limits.max_event_payload_size == 1048576);
  CHECK(s.sequencer.verify_workers >= 1);
  CHECK(s.log.format == "text");
  CHECK_FALSE(s.auth.production);
}

TEST_CASE("storage writers default to two per core within 4..16, or the given count",
          "[config]") {
  CHECK(auto_storage_writers(1) == 4);
  CHECK(auto_storage_writers(2) == 4);
  CHECK(auto_storage_writers(3) == 6);
  CHECK(auto_storage_writers(8) == 16);
  CHECK(auto_storage_writers(64) == 16);
  CHECK(load("", {}).storage.writers == auto_storage_writers(std::thread::hardware_concurrency()));
  CHECK(load("", {{"VES_STORAGE_WRITERS", "0"}}).storage.writers
        == auto_storage_writers(std::thread::hardware_concurrency()));
  CHECK(load("", {{"VES_STORAGE_WRITERS", "3"}}).storage.writers == 3);
}

TEST_CASE("idle companions stop after a second by default, or as configured", "[config]") {
  CHECK(load("", {}).sequencer.companion_idle_stop == std::chrono::milliseconds{1000});
  CHECK(load("", {{"VES_COMPANION_IDLE_STOP_MS", "0"}}).sequencer.companion_idle_stop.count()
        == 0);
  CHECK(load("", {{"VES_COMPANION_IDLE_STOP_MS", "250"}}).sequencer.companion_idle_stop
        == std::chrono::milliseconds{250});
  CHECK(error_of("", {{"VES_COMPANION_IDLE_STOP_MS", "x"}}).find("companion_idle_stop_ms")
        != std::string::npos);
  CHECK(error_of("", {{"VES_STORAGE_WRITERS", "65"}}).find("storage.writers")
        != std::string::npos);
}

TEST_CASE("the example config file loads and equals the defaults", "[config]") {
  auto s = load(SEQ_SOURCE_DIR "/config/examples/sequencer.yaml", {});
  auto d = load("", {});
  CHECK(s.http.port == d.http.port);
  CHECK(s.storage.url == d.storage.url);
  CHECK(s.sequencer.group_commit_max_events == d.sequencer.group_commit_max_events);
  CHECK(s.sequencer.companion_idle_stop == d.sequencer.companion_idle_stop);
  CHECK(s.storage.writers == d.storage.writers);
  CHECK(s.shutdown_deadline == d.shutdown_deadline);
}

TEST_CASE("YAML values are applied and environment variables win", "[config]") {
  auto path = write_yaml("http:\n  port: 9000\n  threads: 16\nstorage:\n  url: /tmp/x.db\n"
                         "sequencer:\n  group_commit_max_events: 128\nlog:\n  format: json\n");
  auto s = load(path, {{"PORT", "9100"}, {"MAX_EVENTS_PER_BATCH", "10"}, {"VES_HTTP_LOOPS", "3"}});
  CHECK(s.http.port == 9100);
  CHECK(s.http.threads == 16);
  CHECK(s.http.loops == 3);
  CHECK(s.storage.url == "/tmp/x.db");
  CHECK(s.sequencer.group_commit_max_events == 128);
  CHECK(s.limits.max_events_per_batch == 10);
  CHECK(s.log.format == "json");
  std::filesystem::remove(path);
}

TEST_CASE("a postgres DATABASE_URL selects PostgreSQL without a config file", "[config]") {
  auto s = load("", {{"DATABASE_URL", "postgres://u@127.0.0.1:5433/db"}});
  CHECK(is_postgres_url(s.storage.url));
  CHECK_FALSE(is_postgres_url("sqlite://data/ves.db"));
  CHECK(is_postgres_url("postgresql://h/db"));
}

TEST_CASE("bad values are rejected with one line naming the key", "[config]") {
  CHECK(error_of("", {{"PORT", "80a"}})
        == "config: http.port: expected an integer in 0..65535, got \"80a\" (from $PORT)");
  auto path = write_yaml("http:\n  prot: 1\n");
  CHECK(error_of(path, {}) == "config: http.prot: unknown setting");
  std::filesystem::remove(path);
  path = write_yaml("log:\n  format: xml\n");
  CHECK(error_of(path, {}) == "config: log.format: expected one of text|json, got \"xml\"");
  std::filesystem::remove(path);
  CHECK(error_of("", {{"VES_SEQUENCER_ID", "nope"}}).find("sequencer.id: expected a UUID")
        != std::string::npos);
  CHECK(error_of("", {{"DB_MIGRATE_ON_STARTUP", "maybe"}}).find("storage.migrate_on_start")
        != std::string::npos);
  CHECK(error_of("/nonexistent/ves.yaml", {})
        == "config: /nonexistent/ves.yaml: no such file (or not a regular file)");
  // A directory, and a YAML key that is no scalar, are clear errors too (they aborted).
  auto dir = std::filesystem::temp_directory_path().string();
  CHECK(error_of(dir, {}).find("no such file (or not a regular file)") != std::string::npos);
  path = write_yaml("? [a, b]\n: 1\n");
  CHECK(error_of(path, {}).rfind("config: " + path + ": ", 0) == 0);
  std::filesystem::remove(path);
  auto msg = error_of("", {{"VES_SEQUENCER_SIGNING_KEY", "abc"}});
  CHECK(msg.find("sequencer.signing_key") != std::string::npos);
  CHECK(msg.find('\n') == std::string::npos);
}

TEST_CASE("RUST_LOG sets the level by its bare directive when LOG_LEVEL is absent", "[config]") {
  using seq::config::rust_log_level;
  CHECK(rust_log_level("debug") == "debug");
  CHECK(rust_log_level("INFO,tower_http=debug") == "info");
  CHECK(rust_log_level("sqlx=warn, Warn ,ves=trace") == "warn");
  CHECK(rust_log_level("error,debug") == "debug"); // the last bare level wins, as in env_logger
  CHECK_FALSE(rust_log_level("stateset_sequencer=debug").has_value());
  CHECK_FALSE(rust_log_level("verbose").has_value());
  CHECK_FALSE(rust_log_level("").has_value());

  CHECK(seq::config::load("", {{"RUST_LOG", "info,hyper=warn,ves=debug"}}).log.level == "info");
  CHECK(seq::config::load("", {{"RUST_LOG", "warn"}, {"LOG_LEVEL", "error"}}).log.level
        == "error");
  CHECK(seq::config::load("", {{"RUST_LOG", "warn"}, {"LOG_LEVEL", ""}}).log.level == "warn");
  // Only module directives: the default stays, and the server starts.
  CHECK(seq::config::load("", {{"RUST_LOG", "ves=trace"}}).log.level
        == seq::config::settings{}.log.level);
}

TEST_CASE("the reference's variables this server does not read are named at start",
          "[config]") {
  auto s = load("", {{"JWT_SECRET", "s3cret"},
                     {"TRUST_PROXY_HEADERS", "true"},
                     {"CORS_ALLOW_ORIGINS", ""}, // empty: unset
                     {"PORT", "0"}});
  REQUIRE(s.notices.size() == 2);
  CHECK(s.notices[0]
        == "JWT_SECRET is set but not read: JWTs are not accepted: a Bearer token gets 401 "
           "INVALID_TOKEN");
  CHECK(s.notices[1]
        == "TRUST_PROXY_HEADERS is set but not read: client addresses are not used, so forwarding "
           "headers are not read");
  CHECK(load("", {}).notices.empty());
  // Every variable the server reads itself is left out.
  CHECK(reference_env_notices({{"DATABASE_URL", "sqlite://x.db"}, {"LOG_LEVEL", "info"},
                               {"X402_BATCH_MAX_SIZE", "5"}, {"RATE_LIMIT_WINDOW_SECONDS", "30"},
                               {"RATE_LIMIT_MAX_ENTRIES", "500"}, {"RATE_LIMIT_PER_MINUTE", "60"}})
          .empty());
  auto limits = load("", {{"RATE_LIMIT_WINDOW_SECONDS", "30"}, {"RATE_LIMIT_MAX_ENTRIES", "500"},
                          {"RATE_LIMIT_PER_MINUTE", "120"}});
  CHECK(limits.auth.rate_limit_window == std::chrono::seconds{30});
  CHECK(limits.auth.rate_limit_max_entries == 500);
  CHECK(limits.auth.rate_limit_per_minute == 120);
  CHECK(load("", {}).auth.rate_limit_window == std::chrono::seconds{60});
  CHECK(load("", {}).auth.rate_limit_per_minute == 0);
  CHECK(error_of("", {{"RATE_LIMIT_PER_MINUTE", "-1"}}).find("auth.rate_limit_per_minute")
        != std::string::npos);
  // The example file spells out the defaults.
  auto example = load(SEQ_SOURCE_DIR "/config/examples/sequencer.yaml", {});
  CHECK(example.auth.rate_limit_window == std::chrono::seconds{60});
  CHECK(example.auth.rate_limit_max_entries == 10000);
  CHECK(example.auth.rate_limit_per_minute == 0);

  // Access control the operator asked for and this server lacks stops the start.
  auto err = error_of("", {{"ADMIN_IP_ALLOWLIST", "10.0.0.0/8"}});
  CHECK(err.rfind("config: ADMIN_IP_ALLOWLIST is set, but this server has no admin IP", 0) == 0);
  CHECK(load("", {{"ADMIN_IP_ALLOWLIST", ""}}).notices.empty());
}

TEST_CASE("the signing key is taken as hex with or without 0x, or as base64", "[config]") {
  std::string hex = "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60";
  auto a = parse_seed("k", hex);
  auto b = parse_seed("k", "0x" + hex);
  // the same 32 bytes in standard base64
  auto c = parse_seed("k", "nWGxne/9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A=");
  auto d = parse_seed("k", "nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A");
  CHECK(a == b);
  CHECK(a == c);
  CHECK(a == d);
  CHECK(a[0] == 0x9d);
  CHECK_THROWS_AS(parse_seed("k", hex.substr(2)), config_error);
}

TEST_CASE("production mode requires a long bootstrap key", "[config]") {
  CHECK(error_of("", {{"SEQUENCER_ENV", "production"}, {"BOOTSTRAP_ADMIN_API_KEY", "short"}})
          .find("at least 32 characters")
        != std::string::npos);
  auto s = load("", {{"SEQUENCER_ENV", "prod"},
                     {"BOOTSTRAP_ADMIN_API_KEY", std::string(40, 'k')}});
  CHECK(s.auth.production);
  auto dev = load("", {{"SEQUENCER_ENV", "dev"}, {"BOOTSTRAP_ADMIN_API_KEY", "short"}});
  CHECK_FALSE(dev.auth.production);
}
