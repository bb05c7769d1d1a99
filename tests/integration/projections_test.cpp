// SPDX-License-Identifier: Apache-2.0
// Projections, the dead-letter queue and the retry actor end to end, on both backends: a
// commerce scenario of about 200 events with deliberate violations is projected; the states
// equal an independent expectation (tests/integration/commerce.hpp); the violations are in the
// DLQ with the right categories and the events behind them wait; an operator fix-up (purge +
// retry) lets the waiting events through in order; `ves projections rebuild` reproduces the
// projections; and `kill -9` during projection loses or repeats nothing.
#include "tests/integration/projection_harness.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <random>

namespace seq::it {
namespace {

using namespace proj;

/// The scenario's server, stream and expectation.
struct scenario {
  temp_dir dir{"ves-it-proj"};
  own_database db{dir};
  server_process srv{server_config{dir.path(), db.url(), fast_dlq_env()}};
  api_client admin{srv.port()};
  sequencer_info seq_info = fetch_sequencer(admin);
  agent_identity agent = agent_identity::random();
  std::vector<ingested_event> events;
  commerce::model model;

  void ingest_all() {
    register_key(admin, agent);
    events = ingest_script(admin, agent, seq_info, commerce::script());
    for (auto& e : events)
      model.apply(e.step, e.sequence, e.event_id);
  }

  const ingested_event& event(const std::string& entity_id, const std::string& type,
                              int nth = 1) const {
    for (auto& e : events)
      if (e.step.entity_id == entity_id && e.step.event_type == type && --nth == 0)
        return e;
    FAIL("no event " << type << " of " << entity_id);
    return events.front();
  }

  uint64_t count(bool legacy) const {
    return static_cast<uint64_t>(std::count_if(events.begin(), events.end(), [&](auto& e) {
      return e.step.legacy == legacy;
    }));
  }

  uint64_t expected_blocked() const {
    return static_cast<uint64_t>(std::count_if(model.dlq.begin(), model.dlq.end(),
                                               [](auto& r) { return r.second.blocked_behind; }));
  }

  /// Waits until every event is projected and every retryable row has used its retries:
  /// the only pending rows left are the ones waiting behind another.
  void wait_until_settled() {
    auto settled = [&] {
      auto st = projection_status(admin, agent);
      auto& lag = member(st, "lag");
      auto& by_status = member(member(st, "dlq"), "by_status");
      return u64_of(lag, "total") == 0 && u64_of(by_status, "retrying") == 0
             && u64_of(by_status, "pending") == expected_blocked()
             && u64_of(member(st, "checkpoint"), "ves") == count(false)
             && u64_of(member(st, "checkpoint"), "legacy") == count(true);
    };
    INFO("last status: " << projection_status(admin, agent).dump() << "\nserver log:\n"
                         << srv.log_tail());
    REQUIRE(eventually(settled));
  }

  /// Every projection equals the model; entities that were never created are 404.
  void check_projections() {
    auto got = all_projections(admin, agent, entity_types());
    for (auto& [k, e] : model.entities) {
      INFO("entity " << k.first << "/" << k.second);
      auto i = got.find(k);
      REQUIRE(i != got.end());
      CHECK(i->second.state == e.state.jcs());
      CHECK(i->second.version == static_cast<uint64_t>(e.version));
      CHECK(i->second.last_sequence == e.last_sequence);
      CHECK(i->second.space == e.space);
    }
    CHECK(got.size() == model.entities.size());
    // One entity through the by-id route.
    auto r = admin.get("/api/v1/projections/order/order-01" + agent.query());
    INFO(r.describe());
    REQUIRE(r.status == 200);
    CHECK(member(r.doc(), "state") == model.entities.at({"order", "order-01"}).state);
    CHECK(str_of(r.doc(), "tenant_id") == agent.tenant_str());
    CHECK(msg::parse_rfc3339(str_of(r.doc(), "updated_at")).has_value());
    for (auto [type, id] : std::vector<key>{{"customer", "cust-07"},
                                            {"return", "ret-04"},
                                            {"inventory", "sku-07:wh-1"},
                                            {"order", "order-99"}})
      check_error(admin.get("/api/v1/projections/" + type + "/" + id + agent.query()), 404,
                  "RESOURCE_NOT_FOUND");
  }

  /// The DLQ holds exactly the model's rows, with their reasons, and the state each reached.
  void check_dlq() {
    auto rows = dlq_entries(admin, agent);
    CHECK(rows.size() == model.dlq.size());
    for (auto& [id, x] : model.dlq) {
      INFO("DLQ entry of event " << id << " (" << x.entity.first << "/" << x.entity.second
                                 << " #" << x.sequence << ")");
      auto i = rows.find(id); // DLQ entry ids are the event ids
      REQUIRE(i != rows.end());
      auto& e = i->second;
      CHECK(str_of(e, "event_id") == id);
      CHECK(str_of(e, "reason") == x.reason);
      CHECK(member(e, "blocked_behind").as_bool() == x.blocked_behind);
      CHECK(str_of(e, "entity_type") == x.entity.first);
      CHECK(str_of(e, "entity_id") == x.entity.second);
      CHECK(u64_of(e, "sequence_number") == x.sequence);
      CHECK(str_of(e, "space") == x.space);
      CHECK(!str_of(e, "error_message").empty());
      if (x.blocked_behind) {
        CHECK(str_of(e, "status") == "pending");
        CHECK(u64_of(e, "retry_count") == 0);
        CHECK_FALSE(has_member(e, "next_retry_at"));
      } else {
        // Not retryable: dead at once. Retryable: dead after its two retries.
        CHECK(str_of(e, "status") == "dead");
        CHECK(member(e, "retryable").as_bool() == x.retryable);
        CHECK(u64_of(e, "retry_count") == (x.retryable ? 2u : 0u));
      }
    }
  }
};

/// The count of open rows per reason the model expects.
std::map<std::string, uint64_t> open_by_reason(const commerce::model& m) {
  std::map<std::string, uint64_t> out;
  for (auto& [id, x] : m.dlq)
    ++out[x.reason];
  return out;
}

} // namespace

TEST_CASE("a commerce scenario is projected, parked, fixed up and rebuilt",
          "[integration][projections]") {
  scenario sc;
  sc.ingest_all();
  REQUIRE(sc.events.size() >= 180);
  sc.wait_until_settled();

  // 1–2: the projected states equal the independent expectation.
  sc.check_projections();

  // 3: each violation is in the DLQ with its category; the events behind it wait.
  sc.check_dlq();
  auto reason_of = [&](const std::string& entity, const std::string& type, int nth = 1) {
    return sc.model.dlq.at(sc.event(entity, type, nth).event_id).reason;
  };
  CHECK(reason_of("order-05", "order.shipped") == "invalid_state_transition");
  CHECK(reason_of("order-08", "order.cancelled") == "invalid_state_transition");
  CHECK(reason_of("sku-05:wh-1", "inventory.adjusted") == "invariant_violation");
  CHECK(reason_of("sku-06:wh-1", "inventory.reserved") == "invariant_violation");
  CHECK(reason_of("sku-07:wh-1", "inventory.adjusted") == "handler_error");
  CHECK(reason_of("cust-07", "customer.created") == "schema_validation");
  CHECK(reason_of("ret-04", "return.requested") == "schema_validation");
  CHECK(reason_of("ret-03", "return.received") == "invalid_state_transition");
  CHECK(reason_of("prod-09", "product.updated") == "version_conflict");
  CHECK(sc.model.dlq.at(sc.event("order-05", "order.confirmed").event_id).blocked_behind);
  CHECK(sc.model.dlq.at(sc.event("sku-07:wh-1", "inventory.initialized").event_id).blocked_behind);

  // Status: head, checkpoint, lag, DLQ counts (open rows per reason).
  auto st = projection_status(sc.admin, sc.agent);
  CHECK(u64_of(member(st, "head"), "ves") == sc.count(false));
  CHECK(u64_of(member(st, "head"), "legacy") == sc.count(true));
  CHECK(u64_of(member(st, "lag"), "ves") == 0);
  auto& by_reason = member(member(st, "dlq"), "by_reason");
  for (auto& [reason, n] : open_by_reason(sc.model))
    CHECK(u64_of(by_reason, reason) == n);
  CHECK(u64_of(member(member(st, "dlq"), "by_status"), "dead")
        == sc.model.dlq.size() - sc.expected_blocked());
  CHECK(str_of(member(st, "projector"), "mode") == "park");
  CHECK_FALSE(member(member(st, "projector"), "halted").as_bool());

  // Filters of the DLQ listing.
  auto dead_inv = dlq_entries(sc.admin, sc.agent, "&status=dead&reason=invariant_violation");
  CHECK(dead_inv.size() == 2);
  for (auto& [id, e] : dead_inv)
    CHECK(str_of(e, "reason") == "invariant_violation");
  auto one = sc.admin.get("/api/v1/dlq/" + sc.event("order-05", "order.shipped").event_id);
  INFO(one.describe());
  REQUIRE(one.status == 200);
  CHECK(str_of(one.doc(), "status") == "dead");
  check_error(sc.admin.get("/api/v1/dlq/" + ves::uuid::random_v4().str()), 404);

  // 5: a rebuild reproduces the projections, and the DLQ rows with their categories (a
  // rebuild re-derives the DLQ from the log: its retryable rows are retried again).
  auto before = all_projections(sc.admin, sc.agent, entity_types());
  for (auto& [k, v] : fast_dlq_env())
    ::setenv(k.c_str(), v.c_str(), 1); // the CLI schedules retries like the server
  auto rb = run_cli(sc.db.url(), {"projections", "rebuild", "--tenant", sc.agent.tenant_str(),
                                  "--store", sc.agent.store_str(), "--batch", "17"});
  INFO("ves projections rebuild: exit " << rb.exit_code << ", stdout: " << rb.out);
  REQUIRE(rb.exit_code == 0);
  CHECK(rb.out.find("rebuilt " + sc.agent.tenant_str() + "/" + sc.agent.store_str())
        != std::string::npos);
  CHECK(rb.out.find(std::to_string(sc.events.size()) + " events") != std::string::npos);
  auto after = all_projections(sc.admin, sc.agent, entity_types());
  CHECK(after == before);
  sc.wait_until_settled();
  sc.check_dlq();
  sc.check_projections();

  // 4: a fixed-up retry. order-05's confirmation waits behind its early shipment, which is
  // dead: retrying an event behind it is refused while it is there.
  const auto& shipped_early = sc.event("order-05", "order.shipped", 1);
  const auto& processing = sc.event("order-05", "order.processing");
  check_error(
    sc.admin.post("/api/v1/dlq/" + processing.event_id + "/retry", std::string{"{}"}), 409,
    "DLQ_RETRY_REFUSED");
  // Purging pending rows needs force; the operator purges the dead transitions only.
  auto purge_body = [&](json::object extra) {
    json::object o{{"tenant_id", sc.agent.tenant_str()}, {"store_id", sc.agent.store_str()}};
    for (auto& m : extra)
      o.push_back(m);
    return obj(std::move(o));
  };
  check_error(sc.admin.post("/api/v1/dlq/purge", purge_body({{"status", "pending"}})), 400);
  auto purged = sc.admin.post(
    "/api/v1/dlq/purge",
    purge_body({{"status", "dead"}, {"reason", "invalid_state_transition"}}));
  INFO(purged.describe());
  REQUIRE(purged.status == 200);
  CHECK(u64_of(purged.doc(), "purged") == 3); // order-05, order-08, ret-03
  check_error(sc.admin.get("/api/v1/dlq/" + shipped_early.event_id), 404);
  // Now the first event behind it can be retried: it and the events behind it apply in order.
  const auto& confirmed = sc.event("order-05", "order.confirmed");
  auto retried = sc.admin.post("/api/v1/dlq/" + confirmed.event_id + "/retry", std::string{"{}"});
  INFO(retried.describe());
  REQUIRE(retried.status == 200);
  CHECK(str_of(retried.doc(), "status") == "resolved");
  std::vector<std::pair<std::string, commerce::step>> chain;
  for (auto* t : {"order.confirmed", "order.processing", "order.shipped", "order.delivered"}) {
    int nth = std::string{t} == "order.shipped" ? 2 : 1;
    chain.emplace_back(sc.event("order-05", t, nth).event_id, sc.event("order-05", t, nth).step);
  }
  sc.model.dlq.erase(shipped_early.event_id);
  sc.model.dlq.erase(sc.event("order-08", "order.cancelled").event_id);
  sc.model.dlq.erase(sc.event("ret-03", "return.received").event_id);
  sc.model.unblock({"order", "order-05"}, chain);
  auto o5 = sc.model.entities.at({"order", "order-05"});
  CHECK(str_of(o5.state, "status") == "delivered");
  CHECK(o5.version == 5);
  REQUIRE(eventually([&] {
    auto r = sc.admin.get("/api/v1/projections/order/order-05" + sc.agent.query());
    return r.status == 200 && member(r.doc(), "state") == o5.state;
  }));
  for (auto& [id, s] : chain) {
    auto r = sc.admin.get("/api/v1/dlq/" + id);
    INFO(r.describe());
    REQUIRE(r.status == 200);
    CHECK(str_of(r.doc(), "status") == "resolved");
  }
  CHECK(dlq_entries(sc.admin, sc.agent, "&status=resolved").size() == 4);
  sc.check_projections();

  // Every DLQ operation left an audit row.
  auto audit = run_cli(sc.db.url(), {"dlq", "audit", "--tenant", sc.agent.tenant_str(),
                                     "--limit", "1000", "--json"});
  INFO("ves dlq audit: " << audit.out);
  REQUIRE(audit.exit_code == 0);
  auto log = parse_json(audit.out);
  std::map<std::string, std::set<std::string>> actors_by_action;
  for (auto& row : arr_of(log, "entries"))
    actors_by_action[str_of(row, "action")].insert(str_of(row, "actor"));
  auto admin_prefix = ves::api_key_hash(test_admin_key).substr(0, 16);
  CHECK(actors_by_action["dlq_purge"].count(admin_prefix) == 1);
  CHECK(actors_by_action["dlq_retry"].count(admin_prefix) == 1);
  CHECK(actors_by_action["projections_rebuild"].count("cli") == 1);
  CHECK(actors_by_action["dlq_park"].count("projector") == 1);

  // The CLI sees the same DLQ, and its retry goes through the server's retry actor: the
  // exhausted schema_validation row of cust-07 is tried once more and stays dead.
  auto t = sc.agent.tenant_str(), s = sc.agent.store_str();
  auto listed = run_cli(sc.db.url(), {"dlq", "list", "--tenant", t, "--store", s, "--limit",
                                      "1000", "--json"});
  REQUIRE(listed.exit_code == 0);
  CHECK(arr_of(parse_json(listed.out), "entries").size() == dlq_entries(sc.admin, sc.agent).size());
  auto cust7 = sc.event("cust-07", "customer.created").event_id;
  auto shown = run_cli(sc.db.url(), {"dlq", "show", cust7});
  REQUIRE(shown.exit_code == 0);
  CHECK(str_of(parse_json(shown.out), "reason") == "schema_validation");
  CHECK(run_cli(sc.db.url(), {"dlq", "show", ves::uuid::random_v4().str()}).exit_code == 1);
  CHECK(run_cli(sc.db.url(), {"dlq", "purge", "--tenant", t, "--store", s, "--status", "pending"})
          .exit_code
        == 1);
  auto cli_retry = run_cli(sc.db.url(), {"dlq", "retry", cust7, "--wait", "30"});
  INFO("ves dlq retry: " << cli_retry.out);
  REQUIRE(cli_retry.exit_code == 0);
  auto after_retry = parse_json(cli_retry.out);
  CHECK(str_of(after_retry, "status") == "dead");
  CHECK(u64_of(after_retry, "retry_count") == 3);

  // Metrics: lag per stream, DLQ sizes per reason, retries and outcomes.
  auto m = sc.admin.get("/metrics");
  REQUIRE(m.status == 200);
  CHECK(m.body.find("ves_projection_lag_events{tenant_id=\"" + sc.agent.tenant_str()
                    + "\",store_id=\"" + sc.agent.store_str() + "\",space=\"ves\"} 0")
        != std::string::npos);
  CHECK(m.body.find("ves_dlq_entries{reason=\"invariant_violation\"} 2") != std::string::npos);
  CHECK(m.body.find("ves_dlq_retries_total{outcome=\"succeeded\"} 1") != std::string::npos);
  CHECK(m.body.find("ves_projection_events_applied_total") != std::string::npos);
  CHECK(m.body.find("ves_projection_batches_total") != std::string::npos);
  // The projector took (some of) the events from the committed groups it was handed.
  auto fed_at = m.body.find("\nves_projection_events_fed_total ");
  REQUIRE(fed_at != std::string::npos);
  CHECK(std::stoull(m.body.substr(fed_at + 33)) > 0);
}

TEST_CASE("projection and DLQ routes check their input and the caller's rights",
          "[integration][projections]") {
  auto& srv = shared_server();
  api_client admin{srv.port()};
  auto a = agent_identity::random();
  register_key(admin, a);

  // A stream without events: zero everywhere, every status and reason counted.
  auto st = projection_status(admin, a);
  CHECK(u64_of(member(st, "head"), "ves") == 0);
  CHECK(u64_of(member(st, "checkpoint"), "ves") == 0);
  CHECK(u64_of(member(st, "lag"), "total") == 0);
  for (auto* s : {"pending", "retrying", "resolved", "dead"})
    CHECK(u64_of(member(member(st, "dlq"), "by_status"), s) == 0);
  for (auto* r : {"version_conflict", "invariant_violation", "invalid_state_transition",
                  "schema_validation", "handler_error"})
    CHECK(u64_of(member(member(st, "dlq"), "by_reason"), r) == 0);
  check_error(admin.get("/api/v1/projections/order/o-1" + a.query()), 404, "RESOURCE_NOT_FOUND");
  auto list = admin.get("/api/v1/projections/order" + a.query());
  REQUIRE(list.status == 200);
  CHECK(arr_of(list.doc(), "projections").empty());
  CHECK_FALSE(member(list.doc(), "has_more").as_bool());

  // Bad input.
  check_error(admin.get("/api/v1/projections/status?tenant_id=x&store_id=y"), 400);
  check_error(admin.get("/api/v1/projections/order" + a.query() + "&limit=0"), 400);
  check_error(admin.get("/api/v1/dlq" + a.query() + "&status=lost"), 400);
  check_error(admin.get("/api/v1/dlq" + a.query() + "&reason=bad_luck"), 400);
  check_error(admin.get("/api/v1/dlq/not-a-uuid"), 400);
  check_error(
    admin.post("/api/v1/dlq/" + ves::uuid::random_v4().str() + "/retry", std::string{"{}"}),
    404);
  check_error(admin.post("/api/v1/dlq/purge", "{\"tenant_id\":\"" + a.tenant_str() + "\"}"), 422);

  // Rights: no key → 401; a read-only key of the tenant reads but cannot purge; another
  // tenant's admin-less key cannot read.
  api_client anonymous{srv.port(), "", auth_style::none};
  check_error(anonymous.get("/api/v1/projections/status" + a.query()), 401);
  auto minted = admin.post("/api/v1/agents/" + a.agent.str() + "/api-keys",
                           obj({{"tenantId", a.tenant_str()}, {"readOnly", true}}));
  INFO(minted.describe());
  REQUIRE(minted.status == 200);
  api_client reader{srv.port(), str_of(minted.doc(), "apiKey")};
  CHECK(reader.get("/api/v1/projections/status" + a.query()).status == 200);
  CHECK(reader.get("/api/v1/dlq" + a.query()).status == 200);
  auto purge = obj({{"tenant_id", a.tenant_str()}, {"store_id", a.store_str()}});
  check_error(reader.post("/api/v1/dlq/purge", purge), 403);
  auto other = agent_identity::random();
  check_error(reader.get("/api/v1/projections/status" + other.query()), 403);
  auto ok = admin.post("/api/v1/dlq/purge", purge);
  INFO(ok.describe());
  REQUIRE(ok.status == 200);
  CHECK(u64_of(ok.doc(), "purged") == 0);
}

TEST_CASE("kill -9 during projection neither repeats nor loses an event",
          "[integration][projections][crash]") {
  temp_dir dir{"ves-it-proj-crash"};
  own_database db{dir};
  // Small projector batches: more steps, a longer window to crash in.
  auto env = fast_dlq_env();
  env["VES_PROJECTION_BATCH_SIZE"] = "10";
  server_process srv{server_config{dir.path(), db.url(), env}};
  api_client admin{srv.port()};
  auto seq_info = fetch_sequencer(admin);
  auto a = agent_identity::random();
  register_key(admin, a);

  // Eight SKUs, then many adjustments; the expectation is plain arithmetic.
  constexpr int skus = 8;
  std::mt19937_64 rng{42};
  std::map<std::string, int64_t> on_hand;
  std::map<std::string, uint64_t> applied, last_seq;
  std::vector<commerce::step> steps;
  for (int i = 0; i < skus; ++i) {
    auto id = "sku-" + std::to_string(i) + ":wh-9";
    steps.push_back({"inventory", id, "inventory.initialized",
                     commerce::object({{"quantity", commerce::num(1000)}}), {}, false});
  }
  auto int_of = [](const json::value& v) {
    auto& n = v.as_number();
    return n.is_i64 ? n.i : static_cast<int64_t>(n.u);
  };
  int crashes = 0;
  uint64_t total = 0;
  for (int round = 0; round < 6 && crashes == 0; ++round) {
    for (int n = 0; n < 2000; ++n) {
      auto id = "sku-" + std::to_string(rng() % skus) + ":wh-9";
      auto delta = static_cast<int64_t>(rng() % 21) - 9; // -9..+11: never below zero
      steps.push_back({"inventory", id, "inventory.adjusted",
                       commerce::object({{"adjustment", commerce::num(delta)}}), {}, false});
    }
    auto done = ingest_script(admin, a, seq_info, steps, 1000);
    steps.clear();
    for (auto& e : done) {
      auto& id = e.step.entity_id;
      if (e.step.event_type == "inventory.initialized")
        on_hand[id] = 1000;
      else
        on_hand[id] += int_of(*e.step.payload.find("adjustment"));
      ++applied[id];
      last_seq[id] = e.sequence;
    }
    total += done.size();
    // Crash while the projector is part-way through what was just ingested (every request
    // above was acknowledged: all events are stored).
    for (auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{60};
         std::chrono::steady_clock::now() < deadline;
         std::this_thread::sleep_for(std::chrono::milliseconds{10})) {
      auto cp = u64_of(member(projection_status(admin, a), "checkpoint"), "ves");
      if (cp == total)
        break; // too fast this time: ingest more
      if (cp > 0) {
        srv.kill9();
        ++crashes;
        WARN("killed the server at checkpoint " << cp << " of " << total);
        srv.start();
        break;
      }
    }
  }
  if (crashes == 0) {
    // The projector kept up with every round (a fast machine): crash it anyway. The checks
    // below still prove that a kill -9 neither repeats nor loses an applied event.
    WARN("the projector was never seen part-way; killing the server after round 6");
    srv.kill9();
    ++crashes;
    srv.start();
  }
  INFO("server log:\n" << srv.log_tail());
  REQUIRE(crashes == 1);

  // After the restart the projector catches up by itself: no new event arrives and nothing
  // asks the server about the stream (the CLI reads the store), so it is the start-up
  // catch-up of streams behind their projections that starts it.
  auto lag_in_store = [&] {
    auto r = run_cli(db.url(), {"projections", "status", "--tenant", a.tenant_str(), "--store",
                                a.store_str(), "--json"});
    REQUIRE(r.exit_code == 0);
    auto st = parse_json(r.out);
    return u64_of(member(st, "lag"), "ves") + u64_of(member(st, "lag"), "legacy");
  };
  REQUIRE(eventually([&] { return lag_in_store() == 0; }));
  api_client after{srv.port()};
  auto st = projection_status(after, a);
  CHECK(u64_of(member(st, "checkpoint"), "ves") == total);
  CHECK(u64_of(member(member(st, "dlq"), "by_status"), "pending") == 0);
  CHECK(u64_of(member(member(st, "dlq"), "by_status"), "dead") == 0);
  auto got = all_projections(after, a, {"inventory"}, 100);
  REQUIRE(got.size() == static_cast<size_t>(skus));
  for (auto& [id, expect] : on_hand) {
    INFO("inventory " << id);
    auto& p = got.at({"inventory", id});
    auto state = parse_json(p.state);
    CHECK(u64_of(state, "quantity_on_hand") == static_cast<uint64_t>(expect));
    CHECK(u64_of(state, "quantity_available") == static_cast<uint64_t>(expect));
    CHECK(p.version == applied[id]); // every event applied exactly once
    CHECK(p.last_sequence == last_seq[id]);
  }
}

} // namespace seq::it

namespace seq::it {

TEST_CASE("a stream configured to halt stops at a failed event until an operator resumes it",
          "[integration][projections]") {
  temp_dir dir{"ves-it-proj-halt"};
  own_database db{dir};
  auto halted = agent_identity::random();
  auto parked = agent_identity::random();
  auto env = fast_dlq_env();
  env["VES_PROJECTION_HALT_STREAMS"] = halted.tenant_str() + "/" + halted.store_str();
  server_process srv{server_config{dir.path(), db.url(), env}};
  api_client admin{srv.port()};
  auto seq_info = fetch_sequencer(admin);
  std::vector<commerce::step> steps = {
    {"order", "o-1", "order.created", commerce::object({{"customer_id", "c-1"}}), {}, false},
    {"order", "o-1", "order.shipped", commerce::object({}), {}, false}, // not confirmed
    {"order", "o-2", "order.created", commerce::object({{"customer_id", "c-2"}}), {}, false},
  };
  for (auto* a : {&halted, &parked}) {
    register_key(admin, *a);
    ingest_script(admin, *a, seq_info, steps);
  }
  auto state_of = [&](const agent_identity& a) { return projection_status(admin, a); };

  // The parked stream (default mode) goes on with o-2.
  REQUIRE(eventually([&] { return u64_of(member(state_of(parked), "lag"), "total") == 0; }));
  CHECK(admin.get("/api/v1/projections/order/o-2" + parked.query()).status == 200);
  CHECK(str_of(member(state_of(parked), "projector"), "mode") == "park");

  // The halted stream stops right before the shipment: o-2 is not applied.
  REQUIRE(eventually([&] {
    auto st = state_of(halted);
    return has_member(st, "projector") && member(member(st, "projector"), "halted").as_bool();
  }));
  auto st = state_of(halted);
  INFO(st.dump());
  auto& live = member(st, "projector");
  CHECK(str_of(live, "mode") == "halt");
  CHECK(u64_of(member(live, "halted_at"), "sequence_number") == 2);
  CHECK(u64_of(member(st, "checkpoint"), "ves") == 1);
  CHECK(u64_of(member(st, "lag"), "ves") == 2);
  CHECK(u64_of(member(member(st, "dlq"), "by_reason"), "invalid_state_transition") == 1);
  check_error(admin.get("/api/v1/projections/order/o-2" + halted.query()), 404);

  // Only an admin may resume; then the projection continues past it (the row stays, dead).
  auto resume = obj({{"tenant_id", halted.tenant_str()}, {"store_id", halted.store_str()}});
  auto r = admin.post("/api/v1/projections/resume", resume);
  INFO(r.describe());
  REQUIRE(r.status == 200);
  REQUIRE(eventually([&] { return u64_of(member(state_of(halted), "lag"), "total") == 0; }));
  st = state_of(halted);
  CHECK_FALSE(member(member(st, "projector"), "halted").as_bool());
  auto o1 = admin.get("/api/v1/projections/order/o-1" + halted.query());
  REQUIRE(o1.status == 200);
  CHECK(str_of(member(o1.doc(), "state"), "status") == "pending");
  CHECK(admin.get("/api/v1/projections/order/o-2" + halted.query()).status == 200);
  auto rows = dlq_entries(admin, halted, "&status=dead");
  REQUIRE(rows.size() == 1);
  CHECK(str_of(rows.begin()->second, "reason") == "invalid_state_transition");
  auto audit = run_cli(db.url(), {"dlq", "audit", "--tenant", halted.tenant_str(), "--json"});
  REQUIRE(audit.exit_code == 0);
  CHECK(audit.out.find("\"action\":\"projection_resume\"") != std::string::npos);
  // As the route, the CLI refuses a limit of 0 (it printed "0 entries").
  CHECK(run_cli(db.url(), {"dlq", "list", "--limit", "0"}).exit_code == 2);
}

TEST_CASE("a VES and a legacy event with the same id are parked side by side",
          "[integration][projections]") {
  // Event ids are unique within a space, not across the two: a legacy event may carry a VES
  // event's id. Both failing must not stop the stream's projection.
  auto& srv = shared_server();
  api_client admin{srv.port()};
  auto seq_info = fetch_sequencer(admin);
  auto a = agent_identity::random();
  register_key(admin, a);
  auto shared_id = ves::uuid::random_v4();
  event_spec shipped;
  shipped.entity_id = "o-missing-1";
  shipped.event_type = "order.shipped";
  shipped.payload = parse_json("{}");
  auto ves_event = make_event(a, shipped.with_event_id(shared_id));
  check_receipts(ingest(admin, a, {ves_event}), {ves_event}, seq_info);
  commerce::step legacy_shipped{"order", "o-missing-2", "order.shipped", commerce::object({}),
                                {}, false};
  commerce::step legacy_created{"order", "o-3", "order.created",
                                commerce::object({{"customer_id", "c-3"}}), {}, false};
  auto r = admin.post(
    "/api/v1/events/ingest",
    obj({{"agent_id", a.agent.str()},
         {"events", json::array{legacy_envelope(a, legacy_shipped, shared_id.str()),
                                legacy_envelope(a, legacy_created,
                                                ves::uuid::random_v4().str())}}}));
  INFO(r.describe());
  REQUIRE(r.status == 200);
  REQUIRE(u64_of(r.doc(), "events_accepted") == 2);

  // The legacy order after the parked shipment is projected; nothing lags.
  REQUIRE(eventually(
    [&] { return u64_of(member(projection_status(admin, a), "lag"), "total") == 0; }));
  CHECK(admin.get("/api/v1/projections/order/o-3" + a.query()).status == 200);
  // Two rows for the one event id: the VES row is addressed by the event id, the legacy row
  // by an id of its own; each is found by its id.
  auto rows = dlq_entries(admin, a);
  REQUIRE(rows.size() == 2);
  std::map<std::string, std::string> id_of_space;
  for (auto& [id, e] : rows) {
    CHECK(str_of(e, "event_id") == shared_id.str());
    id_of_space[str_of(e, "space")] = id;
  }
  CHECK(id_of_space["ves"] == shared_id.str());
  REQUIRE(id_of_space.count("legacy") == 1);
  CHECK(id_of_space["legacy"] != shared_id.str());
  for (auto& [space, id] : id_of_space) {
    auto one = admin.get("/api/v1/dlq/" + id);
    INFO(one.describe());
    REQUIRE(one.status == 200);
    CHECK(str_of(one.doc(), "space") == space);
  }
}

} // namespace seq::it
