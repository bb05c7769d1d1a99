// SPDX-License-Identifier: Apache-2.0
// GET /health, /ready, /metrics, /api/v1/ves/sequencer.
#include "adapters/http/json_writer.hpp"
#include "adapters/http/metrics.hpp"
#include "adapters/http/request.hpp"
#include "adapters/http/server.hpp"

#include <httplib.h>

namespace seq::http {

void add_ops_routes(context& ctx, const route_adder& add, request_metrics& m) {
  add("GET", "/health", [&ctx](const httplib::Request&, httplib::Response& res) {
    json_writer w;
    w.begin_object().field("status", "healthy").field("version", ctx.version).end_object();
    write_json(res, w.take());
  });

  add("GET", "/ready", [&ctx](const httplib::Request&, httplib::Response& res) {
    auto conn = ctx.pool->acquire();
    caf::expected<void> ok = conn ? (*conn)->ping() : caf::expected<void>{conn.error()};
    if (!ok) {
      auto e = from_error(ok.error());
      e.status = 503;
      e.code = "SERVICE_UNAVAILABLE";
      e.numeric_code = 8002;
      e.message = "Database is not reachable";
      e.retry_after_s = 1;
      reject(e);
    }
    json_writer w;
    w.begin_object().field("status", "ready").field("database", "ok").end_object();
    write_json(res, w.take());
  });

  add("GET", "/metrics", [&ctx, &m](const httplib::Request& req, httplib::Response& res) {
    auto p = ctx.auth->authenticate(req);
    if (!p.admin)
      reject(api_error::forbidden("Admin permission required"));
    auto text = m.render();
    if (ctx.extra_metrics)
      text += ctx.extra_metrics();
    res.status = 200;
    res.set_content(std::move(text), "text/plain; version=0.0.4");
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
