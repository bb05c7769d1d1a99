// SPDX-License-Identifier: Apache-2.0
// Storage outage (PostgreSQL only): the test starts its OWN PostgreSQL with pg_harness.sh (the
// shared instance other suites use is never touched), loads the server, stops PostgreSQL,
// expects 503 SERVICE_UNAVAILABLE from ingest and /ready while it is down, restarts it on the
// same port, and expects ingest to recover without restarting the server and nothing
// acknowledged to be lost. Under SEQ_TEST_BACKEND=sqlite the case only checks that the backend
// is indeed sqlite (there is no server to stop).
#include "tests/integration/load.hpp"

#include <catch2/catch.hpp>

namespace seq::it {
namespace {

std::string pg_script() {
  auto s = env_or("SEQ_PG_CTL_SCRIPT");
  if (s.empty())
    FAIL("SEQ_PG_CTL_SCRIPT is not set (ctest sets it to tests/support/pg_harness.sh)");
  return s;
}

command_result pg_ctl(const std::string& cmd, const std::string& dir) {
  return run_command({"/bin/bash", pg_script(), cmd, dir}, std::chrono::seconds{90});
}

/// Stops the private PostgreSQL however the test ends.
struct pg_guard {
  std::string dir;
  ~pg_guard() { pg_ctl("stop", dir); }
};

} // namespace

TEST_CASE("storage outage: ingest is 503 while PostgreSQL is down and recovers by itself",
          "[integration][postgres][outage]") {
  if (!is_postgres()) {
    // This case needs a PostgreSQL to stop; the sqlite run registers it with this one check.
    CHECK(backend() == "sqlite");
    return;
  }
  temp_dir pgdir{"ves-it-pg"};
  auto started = pg_ctl("start", pgdir.path());
  INFO("pg_harness start: " << started.out);
  REQUIRE(started.exit_code == 0);
  pg_guard guard{pgdir.path()};
  auto url = last_line(started.out);
  REQUIRE(url.rfind("postgres://", 0) == 0);

  temp_dir dir{"ves-it-outage"};
  server_process srv{server_config{dir.path(), url, {}}};
  api_client admin{srv.port()};
  auto seq_info = fetch_sequencer(admin);
  std::vector<agent_identity> streams{agent_identity::random(), agent_identity::random()};
  for (auto& a : streams)
    register_key(admin, a);

  load_options o;
  o.streams = streams;
  o.threads = 4;
  o.requests_per_thread = 100000; // bounded by max_duration
  o.max_events_per_request = 3;
  o.max_duration = std::chrono::seconds{60};
  o.pause_after_failure = std::chrono::milliseconds{50};
  o.tag = "outage";
  load_generator g{srv.port(), o};
  g.start();
  REQUIRE(g.wait_for_acks(100, std::chrono::seconds{20}));
  {
    auto samples = g.failure_samples();
    INFO("failures before the outage:\n" << (samples.empty() ? "" : samples.front()));
    CHECK(g.failures() == 0); // nothing fails before the outage
  }

  // -- outage -------------------------------------------------------------------------------
  auto failures_before = g.failure_samples();
  auto stopped = pg_ctl("stop", pgdir.path());
  REQUIRE(stopped.exit_code == 0);
  REQUIRE(pg_ctl("status", pgdir.path()).exit_code != 0);
  std::vector<response> during;
  std::vector<signed_event> probe_events;
  auto probe_end = std::chrono::steady_clock::now() + std::chrono::seconds{45};
  for (int i = 0; i < 10 && std::chrono::steady_clock::now() < probe_end; ++i) {
    auto e = make_event(streams[0], spec("probe-" + std::to_string(i)));
    auto t0 = std::chrono::steady_clock::now();
    during.push_back(ingest(admin, streams[0], {e}));
    probe_events.push_back(e);
    auto took = std::chrono::steady_clock::now() - t0;
    CHECK(took < std::chrono::seconds{10}); // fails fast, no hang until a timeout
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  auto ready_down = admin.get("/ready");
  auto acked_at_outage = g.acked_events();

  // -- recovery -----------------------------------------------------------------------------
  auto restarted = pg_ctl("restart", pgdir.path());
  INFO("pg_harness restart: " << restarted.out);
  REQUIRE(restarted.exit_code == 0);
  response after;
  signed_event recovered_event;
  auto recover_end = std::chrono::steady_clock::now() + std::chrono::seconds{30};
  while (std::chrono::steady_clock::now() < recover_end) {
    recovered_event = make_event(streams[0], spec("recovered"));
    after = ingest(admin, streams[0], {recovered_event});
    if (after.status == 200)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
  bool load_recovered = g.wait_for_acks(acked_at_outage + 60, std::chrono::seconds{20});
  g.stop();
  g.join();

  auto hist = status_histogram(g);
  std::map<int, size_t> probe_hist;
  for (auto& r : during)
    ++probe_hist[r.status];
  INFO("probe statuses while down: " << describe(probe_hist) << "\nload statuses: "
                                     << describe(hist) << "\nload failures before the outage: "
                                     << failures_before.size() << "\nall load failures:"
                                     << describe(failure_kinds(g)));
  REQUIRE(!during.empty());
  CHECK(probe_hist == std::map<int, size_t>{{503, during.size()}});
  for (auto& r : during)
    if (r.status == 503)
      check_error(r, 503, "SERVICE_UNAVAILABLE");
  check_error(ready_down, 503, "SERVICE_UNAVAILABLE");
  REQUIRE(after.status == 200);
  CHECK(load_recovered);
  CHECK(hist[503] > 0);
  for (auto& [status, n] : hist)
    CHECK((status == 200 || status == 503));
  auto ready_up = admin.get("/ready");
  CHECK(ready_up.status == 200);

  // Nothing acknowledged is lost, streams are gap-free, and the recovered receipt verifies.
  auto acks = collect_acks(g, seq_info);
  auto recovered = check_receipts(after, {recovered_event}, seq_info);
  acks[0].emplace(recovered[0].event_id, recovered[0]);
  auto book = book_of(streams);
  for (size_t i = 0; i < streams.size(); ++i) {
    auto pulled = pull_all(admin, streams[i], book, seq_info);
    check_acks_stored(acks[i], pulled);
  }
  // Events refused during the outage can be retried now and get receipts.
  auto retry = ingest(admin, streams[0], {probe_events.front()});
  check_receipts(retry, {probe_events.front()}, seq_info);
  CHECK(pull_all(admin, streams[0], book, seq_info).size() == ves_head(admin, streams[0]));
}

} // namespace seq::it
