// SPDX-License-Identifier: Apache-2.0
// Process behaviour: the `ves` CLI (migrate [--status], keys create|list|revoke) against the
// same store the server uses, config rejection at start, the generated bootstrap key printed
// once, JSON logs with request ids, and the names of the server's threads.
#include "tests/integration/api_client.hpp"
#include "tests/integration/projection_harness.hpp"
#include "tests/integration/server_process.hpp"

#include "messages/ves/json.hpp"
#include "messages/ves/ves.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <thread>
#include <vector>

using namespace seq::it;

namespace {

std::string cli_bin() {
  auto bin = env_or("SEQ_CLI_BIN");
  if (bin.empty())
    FAIL("SEQ_CLI_BIN is not set (ctest sets it to the built `ves`)");
  return bin;
}

command_result ves_cli(const std::string& url, std::vector<std::string> args) {
  std::vector<std::string> argv{cli_bin(), "--database-url", url};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv);
}

/// Runs a shell command line, capturing stdout and stderr together.
command_result sh(const std::string& line) {
  return run_command({"/bin/sh", "-c", line + " 2>&1"});
}

} // namespace

TEST_CASE("ves migrate and ves keys manage API keys in the server's store", "[cli]") {
  temp_dir dir{"ves-it-cli"};
  auto url = default_database_url(dir.path());
  auto tenant = seq::ves::uuid::random_v4().str();
  auto store = seq::ves::uuid::random_v4().str();
  auto other_store = seq::ves::uuid::random_v4().str();

  if (!is_postgres()) { // a fresh SQLite store: the status neither migrates nor creates it
    auto none = sh(cli_bin() + " --database-url '" + url + "' migrate --status");
    CHECK(none.exit_code == 1);
    CHECK(none.out.find("no SQLite database at") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(dir.path() + "/ves.db"));
  }
  auto m = ves_cli(url, {"migrate"});
  REQUIRE(m.exit_code == 0);
  CHECK(m.out.find("migrations applied") != std::string::npos);
  // The global options also work after the subcommand.
  auto status = run_command({cli_bin(), "migrate", "--status", "--database-url", url});
  CHECK(status.exit_code == 0);
  CHECK(last_line(status.out) == "up to date");
  CHECK(status.out.find("0001_events") != std::string::npos);
  CHECK(status.out.find(is_postgres() ? "postgresql: " : "projections (") != std::string::npos);
  auto as_json = ves_cli(url, {"migrate", "--status", "--json"});
  REQUIRE(as_json.exit_code == 0);
  auto doc = parse_json(as_json.out);
  CHECK(member(doc, "up_to_date").as_bool());
  CHECK(member(doc, "databases").as_array().size() == (is_postgres() ? 1u : 2u));
  CHECK(ves_cli(url, {"migrate", "--json"}).exit_code == 2); // --json needs --status
  if (!is_postgres()) { // a lost projection file is reported, not created by the status
    auto proj = dir.path() + "/ves.projections.db";
    for (auto suffix : {"", "-wal", "-shm"})
      std::filesystem::remove(proj + suffix);
    auto lost = ves_cli(url, {"migrate", "--status"});
    CHECK(lost.exit_code == 1);
    CHECK(lost.out.find("projections (" + proj + "): 0 of") != std::string::npos);
    CHECK(lost.out.find("the file does not exist") != std::string::npos);
    CHECK_FALSE(std::filesystem::exists(proj));
    auto lost_json = parse_json(ves_cli(url, {"migrate", "--status", "--json"}).out);
    CHECK(member(member(lost_json, "databases").as_array().at(1), "missing").as_bool());
    REQUIRE(ves_cli(url, {"migrate"}).exit_code == 0);
    CHECK(ves_cli(url, {"migrate", "--status"}).exit_code == 0);
  }

  // Usage errors exit 2: no --tenant, --read-only with --admin, a rate limit below 1, a bad UUID.
  CHECK(ves_cli(url, {"keys", "create"}).exit_code == 2);
  CHECK(ves_cli(url, {"keys", "create", "--tenant", tenant, "--read-only", "--admin"}).exit_code
        == 2);
  CHECK(ves_cli(url, {"keys", "create", "--tenant", tenant, "--rate-limit", "0"}).exit_code == 2);
  CHECK(ves_cli(url, {"keys", "create", "--tenant", "nope"}).exit_code == 2);
  auto created = ves_cli(url, {"keys", "create", "--tenant", tenant, "--store", store});
  REQUIRE(created.exit_code == 0);
  auto key = last_line(created.out);
  REQUIRE(key.rfind("ss_", 0) == 0);
  auto doomed = last_line(ves_cli(url, {"keys", "create", "--tenant", tenant}).out);
  REQUIRE(doomed.rfind("ss_", 0) == 0);
  auto doomed_prefix = seq::ves::api_key_hash(doomed).substr(0, 16);

  auto listed = ves_cli(url, {"keys", "list", "--tenant", tenant});
  REQUIRE(listed.exit_code == 0);
  CHECK(listed.out.find(seq::ves::api_key_hash(key).substr(0, 16)) != std::string::npos);
  CHECK(listed.out.find(doomed_prefix) != std::string::npos);

  auto revoked = ves_cli(url, {"keys", "revoke", doomed_prefix});
  REQUIRE(revoked.exit_code == 0);
  CHECK(revoked.out.find("revoked " + doomed_prefix) != std::string::npos);
  auto upper = doomed_prefix;
  std::transform(upper.begin(), upper.end(), upper.begin(), ::toupper);
  auto again = ves_cli(url, {"keys", "revoke", upper}); // the prefix is taken in either case
  CHECK(again.exit_code == 0);
  CHECK(again.out.find("already revoked") != std::string::npos);
  auto unknown = sh(cli_bin() + " --database-url '" + url + "' keys revoke ffffffffffffffffffff");
  CHECK(unknown.exit_code == 1);
  CHECK(unknown.out.find("no API key whose hash starts with ffff") != std::string::npos);
  // --contract and --abi only mean something with --rpc (and --rpc needs --contract).
  CHECK(run_command({cli_bin(), "verify", "batch", "--file", "-", "--contract",
                     "0x5FbDB2315678afecb367f032d93F642f64180aa3"})
          .exit_code
        == 2);

  server_process srv{server_config{dir.path(), url, {}}};
  api_client scoped{srv.port(), key};
  CHECK(scoped.get("/api/v1/ves/head" + stream_query(tenant, store)).status == 200);
  check_error(scoped.get("/api/v1/ves/head" + stream_query(tenant, other_store)), 403);
  check_error(api_client{srv.port(), doomed}.get("/api/v1/ves/head" + stream_query(tenant, store)),
              401, "INVALID_API_KEY");
}

TEST_CASE("ves migrate refuses a database the reference sequencer migrated", "[cli]") {
  if (!is_postgres())
    return; // the reference's server runs on PostgreSQL only
  temp_dir dir{"ves-it-sqlx"};
  proj::own_database db{dir};
  auto psql = [&](const std::string& sql) {
    auto r = run_command({proj::own_database::pg_bin("psql"), "-XAtq", "-d", db.url(), "-c", sql});
    INFO("psql " << sql << " -> " << r.out);
    REQUIRE(r.exit_code == 0);
    return last_line(r.out);
  };
  psql("CREATE TABLE _sqlx_migrations (version BIGINT PRIMARY KEY)");
  auto r = sh(cli_bin() + " migrate --database-url '" + db.url() + "'");
  INFO(r.out);
  CHECK(r.exit_code == 3);
  CHECK(r.out.find("holds the reference sequencer's schema") != std::string::npos);
  // Nothing of this project's schema was created.
  CHECK(psql("SELECT to_regclass('schema_migrations') IS NULL AND to_regclass('ves_events')"
             " IS NULL") == "t");
}

TEST_CASE("a bad configuration is rejected at start with one line naming the key",
          "[config][process]") {
  auto bin = env_or("SEQ_SERVER_BIN");
  REQUIRE(!bin.empty());
  auto r = sh("PORT=80a " + bin);
  CHECK(r.exit_code == 2);
  CHECK(last_line(r.out) == "config: http.port: expected an integer in 0..65535, got \"80a\" (from $PORT)");
  CHECK(r.out.find('\n') == r.out.size() - 1);

  temp_dir dir{"ves-it-cfg"};
  auto yaml = dir.path() + "/bad.yaml";
  std::ofstream{yaml} << "sequencer:\n  group_commit_max_events: lots\n";
  r = sh(bin + " --config " + yaml);
  CHECK(r.exit_code == 2);
  CHECK(r.out.find("sequencer.group_commit_max_events") != std::string::npos);

  // A storage URL it cannot open is named without its password, by the server and by `ves`.
  auto url = std::string{"'postgress://ves:hunter2@127.0.0.1/db'"};
  r = sh("DATABASE_URL=" + url + " VES_DATA_DIR=" + dir.path() + "/data " + bin);
  CHECK(r.exit_code == 3);
  CHECK(r.out.find("postgress://ves:***@127.0.0.1/db") != std::string::npos);
  CHECK(r.out.find("unsupported database URL") != std::string::npos);
  CHECK(r.out.find("hunter2") == std::string::npos);
  r = sh(cli_bin() + " --database-url " + url + " migrate");
  CHECK(r.exit_code == 3);
  CHECK(r.out.find("ves: cannot open postgress://ves:***@127.0.0.1/db") != std::string::npos);
  CHECK(r.out.find("hunter2") == std::string::npos);

  // Migrations switched off on a database that lacks them: the start stops and says why
  // (it started and answered 500 on the routes whose tables were missing).
  auto fresh = "sqlite://" + dir.path() + "/unmigrated.db";
  r = sh("DB_MIGRATE_ON_STARTUP=false PORT=0 DATABASE_URL=" + fresh + " VES_DATA_DIR=" + dir.path()
         + "/data2 " + bin);
  CHECK(r.exit_code == 3);
  CHECK(r.out.find("migrations pending in the events database") != std::string::npos);
  CHECK(r.out.find("run `ves migrate`") != std::string::npos);
  REQUIRE(sh(cli_bin() + " --database-url " + fresh + " migrate").exit_code == 0);
  // Once migrated, the same start gets past the check (an address it cannot listen on stops
  // it right after).
  r = sh("DB_MIGRATE_ON_STARTUP=false DATABASE_URL=" + fresh + " VES_DATA_DIR=" + dir.path()
         + "/data2 HOST=256.0.0.1 PORT=0 " + bin);
  CHECK(r.out.find("migrations pending") == std::string::npos);
  CHECK(r.out.find("cannot resolve 256.0.0.1") != std::string::npos);
}

TEST_CASE("a SQLite database the server may not write stops the start", "[process]") {
  auto bin = env_or("SEQ_SERVER_BIN");
  REQUIRE(!bin.empty());
  temp_dir dir{"ves-it-readonly"};
  auto db = dir.path() + "/ves.db";
  REQUIRE(sh(cli_bin() + " --database-url sqlite://" + db + " migrate").exit_code == 0);
  REQUIRE(::chmod(db.c_str(), 0444) == 0);
  REQUIRE(::chmod(dir.path().c_str(), 0777) == 0); // the key files may still be written
  // root may write any file, so as root the server runs as nobody (CI runs as root), from a
  // copy in the test's directory (the build tree may lie where nobody cannot enter).
  std::string as;
  if (::geteuid() == 0) {
    auto copy = dir.path() + "/ves-sequencerd";
    std::filesystem::copy_file(bin, copy);
    bin = copy;
    as = "runuser -u nobody -- ";
  }
  auto r = sh(as + "env PORT=0 DATABASE_URL=sqlite://" + db + " VES_DATA_DIR=" + dir.path()
              + "/data " + bin);
  INFO(r.out);
  CHECK(r.exit_code == 3);
  CHECK(r.out.find(db + " is not writable") != std::string::npos);
}

TEST_CASE("the reference's variables it does not read are named at start; an IP allowlist "
          "stops it",
          "[config][process]") {
  temp_dir dir{"ves-it-refenv"};
  auto bin = env_or("SEQ_SERVER_BIN");
  REQUIRE(!bin.empty());
  auto base = "cd " + dir.path() + " && PORT=0 DATABASE_URL=sqlite://" + dir.path()
              + "/ref.db VES_DATA_DIR=" + dir.path() + "/data BOOTSTRAP_ADMIN_API_KEY=k ";
  auto r = sh(base + "JWT_SECRET=x GRPC_PORT=50051 LOG_LEVEL=warn timeout -s TERM 3 " + bin);
  CHECK(r.out.find("config: JWT_SECRET is set but not read: JWTs are not accepted")
        != std::string::npos);
  CHECK(r.out.find("config: GRPC_PORT is set but not read: this server has no gRPC service")
        != std::string::npos);
  CHECK(r.out.find("listening on http://127.0.0.1:") != std::string::npos);

  r = sh(base + "ADMIN_IP_ALLOWLIST=10.0.0.0/8 " + bin);
  CHECK(r.exit_code == 2);
  CHECK(last_line(r.out).rfind("config: ADMIN_IP_ALLOWLIST is set, but this server has no", 0)
        == 0);
}

TEST_CASE("without a configured key the server prints a generated admin key once",
          "[auth][process]") {
  temp_dir dir{"ves-it-boot"};
  // SQLite only: the bootstrap key lives in the store, and the shared PostgreSQL already
  // has admin keys from other tests.
  auto url = "sqlite://" + dir.path() + "/boot.db";
  auto bin = env_or("SEQ_SERVER_BIN");
  auto run = "cd " + dir.path() + " && PORT=0 DATABASE_URL=" + url + " VES_DATA_DIR=" + dir.path()
             + "/data LOG_LEVEL=warn timeout -s TERM 3 " + bin;
  auto first = sh(run);
  auto pos = first.out.find("Generated bootstrap admin API key");
  REQUIRE(pos != std::string::npos);
  std::istringstream lines{first.out.substr(pos)};
  std::string line, key;
  std::getline(lines, line);
  std::getline(lines, key);
  key.erase(0, key.find_first_not_of(' '));
  REQUIRE(key.rfind("ss_", 0) == 0);
  auto second = sh(run);
  CHECK(second.out.find("Generated bootstrap admin API key") == std::string::npos);
  CHECK(second.out.find("listening on http://127.0.0.1:") != std::string::npos);

  server_process srv{server_config{dir.path(), url, {{"BOOTSTRAP_ADMIN_API_KEY", ""}}}};
  auto metrics = api_client{srv.port(), key}.get("/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.body.find("ves_events_accepted_total") != std::string::npos);
  CHECK(metrics.body.find("ves_group_commit_events_bucket") != std::string::npos);
  CHECK(metrics.body.find("ves_queued_events") != std::string::npos);
  // SQLite: the WAL checkpointer runs and reports.
  CHECK(metrics.body.find("\nves_sqlite_wal_checkpoints_total ") != std::string::npos);
  CHECK(metrics.body.find("\nves_sqlite_wal_checkpoint_failures_total 0\n") != std::string::npos);

  // Configuring a key later does not revoke the generated one: the start says so, and how.
  auto prefix = seq::ves::api_key_hash(key).substr(0, 16);
  auto configured = sh("cd " + dir.path() + " && BOOTSTRAP_ADMIN_API_KEY=" + std::string(40, 'k')
                       + " PORT=0 DATABASE_URL=" + url + " VES_DATA_DIR=" + dir.path()
                       + "/data LOG_LEVEL=warn timeout -s TERM 3 " + bin);
  CHECK(configured.out.find("another bootstrap admin key (hash prefix " + prefix
                            + ") is still active")
        != std::string::npos);
  CHECK(configured.out.find("ves keys revoke " + prefix) != std::string::npos);
}

TEST_CASE("LOG_FORMAT=json writes one JSON object per line with the request id",
          "[logging][process]") {
  temp_dir dir{"ves-it-log"};
  server_process srv{server_config{dir.path(), {}, {{"LOG_FORMAT", "json"}, {"LOG_LEVEL", "info"}}}};
  httplib::Client c{"127.0.0.1", srv.port()};
  auto res = c.Get("/health", {{"x-request-id", "it-request-4711"}});
  REQUIRE(res);
  CHECK(res->get_header_value("x-request-id") == "it-request-4711");
  // A request id with a quote and bytes that are not UTF-8 (obs-text, which HTTP allows).
  auto odd = c.Get("/health", {{"x-request-id", "it-\"odd\"-\xff\xfe"}});
  REQUIRE(odd);
  CHECK(odd->status == 200);
  // Control characters or more than 256 bytes: the server makes an id of its own.
  for (const std::string& bad : {std::string{"it-\x01-ctl"}, std::string(300, 'r')}) {
    auto r = c.Get("/health", {{"x-request-id", bad}});
    REQUIRE(r);
    CHECK(r->status == 200);
    auto id = r->get_header_value("x-request-id");
    CHECK(id != bad);
    CHECK(seq::ves::uuid::parse(id).has_value());
  }
  REQUIRE(srv.terminate() == std::optional<int>{0});
  std::ifstream in{srv.log_path()};
  std::string line;
  size_t lines = 0;
  bool found = false;
  bool found_odd = false;
  while (std::getline(in, line)) {
    ++lines;
    auto v = seq::ves::json::try_parse(line);
    INFO(line);
    REQUIRE(v);
    REQUIRE(v->find("ts"));
    REQUIRE(v->find("level"));
    auto* msg = v->find("msg");
    REQUIRE((msg && msg->is_string()));
    if (msg->as_string().find("request_id=it-request-4711") != std::string::npos)
      found = true;
    if (msg->as_string().find("request_id=it-\"odd\"-\xef\xbf\xbd\xef\xbf\xbd")
        != std::string::npos)
      found_odd = true;
  }
  CHECK(lines >= 3);
  CHECK(found);
  CHECK(found_odd);
}

TEST_CASE("the server's threads are named after their roles", "[process]") {
  // `top -H`, perf and bench/'s CPU by thread read these names (at most 15 bytes on Linux).
  temp_dir dir{"ves-it-threads"};
  server_process srv{server_config{dir.path(), "sqlite://" + dir.path() + "/threads.db", {}}};
  // The threads the server creates itself are named before they run; a detached actor names
  // its own from its first step, which may come just after the listening line.
  auto read_names = [&] {
    std::set<std::string> out;
    for (const auto& task :
         std::filesystem::directory_iterator{"/proc/" + std::to_string(srv.pid()) + "/task"}) {
      std::ifstream in{task.path() / "comm"};
      std::string name;
      if (std::getline(in, name))
        out.insert(name);
    }
    return out;
  };
  const std::vector<std::string> roles{"ves-http-loop", "ves-http-pool", "ves-verify",
                                       "ves-storage",   "ves-projection", "ves-commit-io",
                                       "ves-x402-io",   "ves-wal-ckpt"};
  auto all_named = [&](const std::set<std::string>& names) {
    return std::all_of(roles.begin(), roles.end(),
                       [&](const std::string& r) { return names.count(r) == 1; });
  };
  auto names = read_names();
  for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
       !all_named(names) && std::chrono::steady_clock::now() < deadline; names = read_names())
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  INFO("threads: " << [&] {
    std::string all;
    for (const auto& n : names)
      all += n + " ";
    return all;
  }());
  for (const auto& role : roles)
    CHECK(names.count(role) == 1);
}
