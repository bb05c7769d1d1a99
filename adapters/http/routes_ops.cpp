// SPDX-License-Identifier: Apache-2.0
// GET /health, /ready, /health/detailed, /metrics, /api/v1/ves/sequencer.
#include "adapters/http/ask.hpp"
#include "adapters/http/json_writer.hpp"
#include "adapters/http/metrics.hpp"
#include "adapters/http/request.hpp"
#include "adapters/http/server.hpp"
#include "messages/anchor.hpp"
#include "messages/chain.hpp"

#include <httplib.h>

#include <chrono>

namespace seq::http {

namespace {

/// The database's name in /health/detailed: the reference's "postgresql", or "sqlite".
std::string database_name(const std::string& backend) {
  return backend == "postgres" ? "postgresql" : backend;
}

/// One ping of the database through a read connection, timed from taking the connection.
struct database_ping {
  caf::expected<void> ok;
  uint64_t ms = 0;
  std::string name = "unknown"; ///< database_name of the backend; "unknown" without a connection
};

database_ping ping_database(context& ctx) {
  auto t0 = std::chrono::steady_clock::now();
  auto conn = ctx.pool->acquire();
  database_ping p{conn ? (*conn)->ping() : caf::expected<void>{conn.error()}};
  p.ms = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                 std::chrono::steady_clock::now() - t0)
                                 .count());
  if (conn)
    p.name = database_name((*conn)->backend());
  return p;
}

/// The chain breaker's state, or none when no chain is configured or it does not answer.
std::optional<msg::breaker_status> breaker_status(context& ctx) {
  if (!ctx.chain_breaker || !ctx.sys)
    return std::nullopt;
  try {
    return ask<msg::breaker_status>(ctx, ctx.chain_breaker, caf::get_atom_v);
  } catch (const request_error&) {
    return std::nullopt;
  }
}

std::optional<msg::anchor_status> anchor_status(context& ctx) {
  if (!ctx.anchor || !ctx.sys)
    return std::nullopt;
  try {
    return ask<msg::anchor_status>(ctx, ctx.anchor, caf::get_atom_v);
  } catch (const request_error&) {
    return std::nullopt;
  }
}

/// Prometheus text for the chain breaker and the anchor actor.
std::string chain_metrics(const msg::breaker_status* b, const msg::anchor_status* a) {
  std::string out;
  auto line = [&out](const std::string& name, const std::string& labels, uint64_t v) {
    out += name + labels + " " + std::to_string(v) + "\n";
  };
  if (b) {
    auto l = "{breaker=\"" + b->name + "\"}";
    out += "# TYPE ves_circuit_breaker_state gauge\n";
    out += "# HELP ves_circuit_breaker_state 0 closed, 1 open, 2 half-open\n";
    line("ves_circuit_breaker_state", l, static_cast<uint64_t>(b->state));
    out += "# TYPE ves_circuit_breaker_calls_total counter\n";
    line("ves_circuit_breaker_calls_total", l, b->calls);
    out += "# TYPE ves_circuit_breaker_successes_total counter\n";
    line("ves_circuit_breaker_successes_total", l, b->successes);
    out += "# TYPE ves_circuit_breaker_failures_total counter\n";
    line("ves_circuit_breaker_failures_total", l, b->failures);
    out += "# TYPE ves_circuit_breaker_slow_calls_total counter\n";
    line("ves_circuit_breaker_slow_calls_total", l, b->slow_calls);
    out += "# TYPE ves_circuit_breaker_rejected_total counter\n";
    line("ves_circuit_breaker_rejected_total", l, b->rejected);
    out += "# TYPE ves_circuit_breaker_opened_total counter\n";
    line("ves_circuit_breaker_opened_total", l, b->opened);
  }
  if (a) {
    out += "# TYPE ves_anchor_anchored_total counter\n";
    line("ves_anchor_anchored_total", "", a->anchored);
    out += "# TYPE ves_anchor_recovered_total counter\n";
    line("ves_anchor_recovered_total", "", a->recovered);
    out += "# TYPE ves_anchor_failures_total counter\n";
    line("ves_anchor_failures_total", "", a->failures);
    out += "# TYPE ves_anchor_queued gauge\n";
    line("ves_anchor_queued", "", a->queued);
    out += "# TYPE ves_anchor_rounds_total counter\n";
    line("ves_anchor_rounds_total", "", a->rounds);
  }
  return out;
}

void detailed_health(context& ctx, const httplib::Request& req, httplib::Response& res) {
  auto p = ctx.auth->authenticate(req);
  if (!p.admin)
    reject(api_error::forbidden("Admin permission required"));
  auto db = ping_database(ctx);
  std::string db_status = !db.ok        ? "unhealthy"
                          : db.ms < 100 ? "healthy"
                          : db.ms < 500 ? "degraded"
                                        : "unhealthy";
  auto b = breaker_status(ctx);
  auto a = anchor_status(ctx);
  std::string overall = db_status;
  if (overall == "healthy" && b && b->state != msg::breaker_state::closed)
    overall = "degraded";
  json_writer w;
  w.begin_object()
    .field("status", overall)
    .field("service", "ves-sequencer")
    .field("version", ctx.version)
    .field("timestamp", msg::rfc3339_offset(msg::now_us()))
    .key("components")
    .begin_object()
    .key("database")
    .begin_object()
    .field("name", db.name)
    .field("status", db_status)
    .field("response_time_ms", db.ms);
  if (!db.ok)
    w.field("message", "Connection failed");
  w.end_object();
  if (b) {
    w.key("circuit_breakers")
      .begin_array()
      .begin_object()
      .field("name", b->name)
      .field("state", msg::to_string(b->state))
      .field("calls", b->calls)
      .field("successes", b->successes)
      .field("failures", b->failures)
      .field("slow_calls", b->slow_calls)
      .field("rejected", b->rejected)
      .field("opened", b->opened)
      .field("retry_in_ms", b->retry_in_ms)
      .end_object()
      .end_array();
  }
  if (ctx.anchor) {
    w.key("anchor_service")
      .begin_object()
      .field("name", "anchor_service")
      .field("status", !b ? "unknown" : b->state == msg::breaker_state::closed ? "healthy"
                                                                               : "degraded")
      .field("message", "Configured");
    if (a)
      w.field("anchored", a->anchored)
        .field("recovered", a->recovered)
        .field("failures", a->failures)
        .field("queued", a->queued);
    if (a && !a->last_error.empty())
      w.field("last_error", a->last_error);
    w.end_object();
  }
  w.end_object().end_object();
  write_json(res, w.take(), overall == "unhealthy" ? 503 : 200);
}

} // namespace

void add_ops_routes(context& ctx, const route_adder& add, request_metrics& m,
                    std::function<int64_t()> in_flight) {
  add("GET", "/health", [&ctx](const httplib::Request&, httplib::Response& res) {
    json_writer w;
    w.begin_object()
      .field("status", "healthy")
      .field("service", "ves-sequencer")
      .field("version", ctx.version)
      .field("timestamp", msg::rfc3339_offset(msg::now_us()))
      .end_object();
    write_json(res, w.take());
  });

  add("GET", "/ready", [&ctx](const httplib::Request&, httplib::Response& res) {
    auto db = ping_database(ctx);
    if (!db.ok) {
      auto e = from_error(db.ok.error());
      e.status = 503;
      e.code = "SERVICE_UNAVAILABLE";
      e.numeric_code = 8002;
      e.message = "Database is not reachable";
      e.retry_after_s = 1;
      reject(e);
    }
    json_writer w;
    w.begin_object()
      .field("status", "ready")
      .key("database")
      .begin_object()
      .field("connected", true)
      .field("response_time_ms", db.ms)
      .end_object()
      .key("pool")
      .null()
      .end_object();
    write_json(res, w.take());
  });

  add("GET", "/metrics", [&ctx, &m, in_flight = std::move(in_flight)](
                           const httplib::Request& req, httplib::Response& res) {
    auto p = ctx.auth->authenticate(req);
    if (!p.admin)
      reject(api_error::forbidden("Admin permission required"));
    auto text = m.render()
                + "# HELP ves_http_requests_in_flight HTTP requests being handled or answered.\n"
                  "# TYPE ves_http_requests_in_flight gauge\n"
                  "ves_http_requests_in_flight "
                + std::to_string(in_flight()) + '\n';
    // Counters are node-wide; series of one stream only for the caller's own streams.
    if (ctx.extra_metrics)
      text += ctx.extra_metrics([&p](const msg::stream_key& s) {
        return in_scope(p, s.tenant_id, s.store_id);
      });
    auto b = breaker_status(ctx);
    auto a = anchor_status(ctx);
    text += chain_metrics(b ? &*b : nullptr, a ? &*a : nullptr);
    res.status = 200;
    res.set_content(std::move(text), "text/plain; version=0.0.4");
  });

  add("GET", "/health/detailed", [&ctx](const httplib::Request& req, httplib::Response& res) {
    detailed_health(ctx, req, res);
  });

  // This project's addition: publishes the receipt verification key.
  add("GET", "/api/v1/ves/sequencer", [&ctx](const httplib::Request& req, httplib::Response& res) {
    ctx.auth->authenticate(req);
    json_writer w;
    w.begin_object()
      .field("sequencerId", ctx.sequencer_id.str())
      .field("publicKey", ves::to_hex(ctx.sequencer_public_key))
      .field("signatureAlg", "ed25519")
      .field("sequencerKeyVersion", 0)
      .end_object();
    write_json(res, w.take());
  });
}

} // namespace seq::http
