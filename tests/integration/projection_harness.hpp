// SPDX-License-Identifier: Apache-2.0
#pragma once

/// End-to-end projections, part 2: a server with its own database (SQLite file, or a fresh
/// PostgreSQL database on the shared test server, so that no other test's DLQ retry actor
/// touches its rows), ingesting a commerce script through the VES and legacy APIs, waiting for
/// the projector, reading projections and DLQ entries back, and running the `ves` CLI.

#include "tests/integration/commerce.hpp"
#include "tests/integration/ves_agent.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <functional>
#include <map>
#include <string>
#include <thread>
#include <vector>

namespace seq::it::proj {

using commerce::key;

// -- a database of its own ----------------------------------------------------------------------

/// A database for one test: a SQLite file in `dir`, or a new database on the PostgreSQL test
/// server (created with createdb, dropped again at the end).
class own_database {
public:
  explicit own_database(const temp_dir& dir) {
    if (!is_postgres()) {
      url_ = "sqlite://" + dir.path() + "/ves.db";
      return;
    }
    auto base = default_database_url(dir.path());
    auto slash = base.rfind('/');
    REQUIRE(slash != std::string::npos);
    name_ = "ves_it_" + ves::uuid::random_v4().str().substr(0, 8);
    base_ = base;
    url_ = base.substr(0, slash + 1) + name_;
    auto r = run_command({pg_bin("createdb"), "--maintenance-db=" + base, name_});
    INFO("createdb " << name_ << " -> exit " << r.exit_code);
    REQUIRE(r.exit_code == 0);
  }
  own_database(const own_database&) = delete;
  own_database& operator=(const own_database&) = delete;
  ~own_database() {
    if (!name_.empty())
      run_command({pg_bin("dropdb"), "--force", "--maintenance-db=" + base_, name_});
  }
  const std::string& url() const { return url_; }

  /// A PostgreSQL client program (`PGBIN`, else Debian 12's).
  static std::string pg_bin(const char* tool) {
    return env_or("PGBIN", "/usr/lib/postgresql/15/bin") + "/" + tool;
  }

private:
  std::string url_, name_, base_;
};

/// Server settings for the projection tests: fast DLQ retries (100 ms, then 200 ms; two
/// retries; no jitter) so that retryable rows reach `dead` within a second or two.
inline std::map<std::string, std::string> fast_dlq_env() {
  return {{"VES_DLQ_RETRY_INITIAL_DELAY_MS", "100"},
          {"VES_DLQ_RETRY_MAX_DELAY_MS", "200"},
          {"VES_DLQ_MAX_RETRIES", "2"},
          {"VES_DLQ_RETRY_JITTER", "0"},
          {"VES_DLQ_POLL_INTERVAL_MS", "100"}};
}

// -- ingesting the script -----------------------------------------------------------------------

/// Every scripted event with what the server assigned to it.
struct ingested_event {
  commerce::step step;
  std::string event_id;
  uint64_t sequence = 0;
};

inline std::string legacy_hash(const json::value& payload) {
  return ves::to_hex(ves::legacy_payload_hash(payload.legacy_canonical()));
}

inline json::value legacy_envelope(const agent_identity& a, const commerce::step& s,
                                   const std::string& id) {
  return obj({{"event_id", id},
              {"tenant_id", a.tenant.str()},
              {"store_id", a.store.str()},
              {"entity_type", s.entity_type},
              {"entity_id", s.entity_id},
              {"event_type", s.event_type},
              {"payload", s.payload},
              {"payload_hash", legacy_hash(s.payload)},
              {"created_at", msg::rfc3339_z(msg::now_us())},
              {"source_agent", a.agent.str()}});
}

/// Ingests `steps` in order (VES in requests of up to `batch` events; legacy events in one
/// request each run), REQUIREs every event to be accepted, and returns them with their
/// sequence numbers.
inline std::vector<ingested_event> ingest_script(api_client& c, const agent_identity& a,
                                                 const sequencer_info& seq_info,
                                                 const std::vector<commerce::step>& steps,
                                                 size_t batch = 25) {
  std::vector<ingested_event> out;
  std::vector<size_t> ves_idx, legacy_idx;
  auto flush_ves = [&] {
    if (ves_idx.empty())
      return;
    std::vector<signed_event> evs;
    for (auto i : ves_idx) {
      event_spec sp;
      sp.entity_type = steps[i].entity_type;
      sp.entity_id = steps[i].entity_id;
      sp.event_type = steps[i].event_type;
      sp.payload = steps[i].payload;
      sp.base_version = steps[i].base_version;
      evs.push_back(make_event(a, sp));
    }
    auto r = ingest(c, a, evs);
    auto acks = check_receipts(r, evs, seq_info);
    REQUIRE(u64_of(r.doc(), "eventsAccepted") == evs.size());
    for (size_t j = 0; j < evs.size(); ++j)
      out.push_back({steps[ves_idx[j]], acks[j].event_id, acks[j].sequence_number});
    ves_idx.clear();
  };
  auto flush_legacy = [&] {
    if (legacy_idx.empty())
      return;
    json::array arr;
    std::vector<std::string> ids;
    for (auto i : legacy_idx) {
      ids.push_back(ves::uuid::random_v4().str());
      arr.push_back(legacy_envelope(a, steps[i], ids.back()));
    }
    auto r = c.post("/api/v1/events/ingest",
                    obj({{"agent_id", a.agent.str()}, {"events", std::move(arr)}}));
    INFO(r.describe());
    REQUIRE(r.status == 200);
    REQUIRE(u64_of(r.doc(), "events_accepted") == ids.size());
    auto first = u64_of(r.doc(), "assigned_sequence_start");
    for (size_t j = 0; j < ids.size(); ++j)
      out.push_back({steps[legacy_idx[j]], ids[j], first + j});
    legacy_idx.clear();
  };
  for (size_t i = 0; i < steps.size(); ++i) {
    if (steps[i].legacy) {
      flush_ves();
      legacy_idx.push_back(i);
    } else {
      flush_legacy();
      ves_idx.push_back(i);
      if (ves_idx.size() >= batch)
        flush_ves();
    }
  }
  flush_ves();
  flush_legacy();
  return out;
}

// -- reading back -------------------------------------------------------------------------------

/// GET /api/v1/projections/status (REQUIREs 200).
inline json::value projection_status(api_client& c, const agent_identity& a) {
  auto r = c.get("/api/v1/projections/status" + a.query());
  INFO(r.describe());
  REQUIRE(r.status == 200);
  return r.doc();
}

/// Polls `done` (every 50 ms) until it holds or `timeout` passes; returns whether it held.
inline bool eventually(const std::function<bool()>& done,
                       std::chrono::seconds timeout = std::chrono::seconds{60}) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (done())
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  }
  return done();
}

/// Every DLQ entry of the stream (GET /api/v1/dlq, optionally filtered), by id.
inline std::map<std::string, json::value> dlq_entries(api_client& c, const agent_identity& a,
                                                      const std::string& filter = {}) {
  auto r = c.get("/api/v1/dlq" + a.query() + "&limit=1000" + filter);
  INFO(r.describe());
  REQUIRE(r.status == 200);
  std::map<std::string, json::value> out;
  for (auto& e : arr_of(r.doc(), "entries"))
    out[str_of(e, "id")] = e;
  REQUIRE(u64_of(r.doc(), "count") == out.size());
  return out;
}

/// What identifies a projection for comparisons: state (RFC 8785 text), version, last
/// sequence and space.
struct projection_view {
  std::string state;
  uint64_t version = 0, last_sequence = 0;
  std::string space;
  bool operator==(const projection_view&) const = default;
};

/// Every projection of the given entity types, paging through
/// GET /api/v1/projections/{type} with `page` entities per request.
inline std::map<key, projection_view> all_projections(api_client& c, const agent_identity& a,
                                                      const std::vector<std::string>& types,
                                                      uint64_t page = 7) {
  std::map<key, projection_view> out;
  for (auto& t : types) {
    std::string after;
    for (int guard = 0; guard < 1000; ++guard) {
      auto path = "/api/v1/projections/" + t + a.query() + "&limit=" + std::to_string(page);
      if (!after.empty())
        path += "&after=" + after;
      auto r = c.get(path);
      INFO(r.describe());
      REQUIRE(r.status == 200);
      auto& rows = arr_of(r.doc(), "projections");
      REQUIRE(u64_of(r.doc(), "count") == rows.size());
      REQUIRE(rows.size() <= page);
      for (auto& row : rows) {
        REQUIRE(str_of(row, "entity_type") == t);
        auto id = str_of(row, "entity_id");
        REQUIRE(id > after); // ascending, no repeats
        out[{t, id}] = {member(row, "state").jcs(), u64_of(row, "version"),
                        u64_of(row, "last_sequence"), str_of(row, "space")};
        after = id;
      }
      if (!member(r.doc(), "has_more").as_bool())
        break;
      REQUIRE(str_of(r.doc(), "next_after") == after);
    }
  }
  return out;
}

inline const std::vector<std::string>& entity_types() {
  static const std::vector<std::string> xs = {"customer", "inventory", "order", "product",
                                              "return"};
  return xs;
}

// -- the CLI ------------------------------------------------------------------------------------

/// Runs the built `ves` CLI (env SEQ_CLI_BIN) with `args` against `database_url`.
inline command_result run_cli(const std::string& database_url,
                              const std::vector<std::string>& args,
                              std::chrono::seconds timeout = std::chrono::seconds{120}) {
  auto bin = env_or("SEQ_CLI_BIN");
  if (bin.empty())
    FAIL("SEQ_CLI_BIN is not set (ctest sets it to the built ves)");
  std::vector<std::string> argv{bin, "--database-url", database_url};
  argv.insert(argv.end(), args.begin(), args.end());
  return run_command(argv, timeout);
}

} // namespace seq::it::proj
