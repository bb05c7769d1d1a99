// SPDX-License-Identifier: Apache-2.0
#include "adapters/http/server.hpp"

#include "adapters/http/ask.hpp"
#include "adapters/http/event_server.hpp"
#include "adapters/http/json_writer.hpp"
#include "adapters/http/metrics.hpp"
#include "adapters/http/request.hpp"
#include "adapters/http/route_common.hpp"

#include <httplib.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace seq::http {

void write_json(httplib::Response& res, std::string body, int status) {
  res.status = status;
  res.set_content(std::move(body), "application/json");
}

namespace {

/// A client's request id is kept (echoed and logged) when it is a usable header value: 1–256
/// bytes without control characters; otherwise the server makes one.
bool usable_request_id(std::string_view id) {
  return !id.empty() && id.size() <= 256 && std::none_of(id.begin(), id.end(), [](char ch) {
    auto c = static_cast<unsigned char>(ch);
    return (c < 0x20 && c != '\t') || c == 0x7f;
  });
}

void common_headers(const httplib::Request& req, httplib::Response& res) {
  if (!res.has_header("x-request-id")) {
    auto id = req.get_header_value("x-request-id");
    res.set_header("x-request-id", usable_request_id(id) ? id : ves::uuid::random_v4().str());
  }
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Cache-Control", "no-store");
}

} // namespace

void fill_transport_error(const httplib::Request& req, httplib::Response& res) {
  if (!res.body.empty())
    return;
  common_headers(req, res);
  switch (res.status) {
  case 503:
    // Arrived after stop() began: it was never processed, so the client is told to retry.
    return write_error(res, from_error(make_error(errc::shutting_down, {})));
  case 413:
    return write_error(res, api_error::too_large("Request body exceeds the configured limit"));
  case 404:
    return write_error(res, api_error::not_found("No route for " + req.method + " " + req.path));
  case 405:
    return write_error(res, {405, "INVALID_REQUEST_BODY", 3001,
                             req.method + " is not allowed on " + req.path + " (allowed: "
                               + res.get_header_value("Allow") + ")",
                             {}, 0});
  case 431:
    return write_error(res, {431, "INVALID_REQUEST_BODY", 3001,
                             "Request line and headers exceed the server's limit", {}, 0});
  case 501:
    return write_error(res, {501, "INVALID_REQUEST_BODY", 3001,
                             "Only the chunked transfer coding is supported", {}, 0});
  case 505:
    return write_error(res, {505, "INVALID_REQUEST_BODY", 3001,
                             "Only HTTP/1.0 and HTTP/1.1 are supported", {}, 0});
  default:
    return write_error(res, api_error::invalid_body("Malformed HTTP request"));
  }
}

server::server(context ctx)
  : ctx_(std::move(ctx)), metrics_(std::make_unique<request_metrics>()) {
  if (!ctx_.askers && ctx_.sys)
    ctx_.askers = make_asker_pool(*ctx_.sys);
  if (!ctx_.relays && ctx_.sys)
    ctx_.relays = std::make_shared<relay_set>(*ctx_.sys, std::max<size_t>(ctx_.opts.loops, 1));
  auto& o = ctx_.opts;
  event_server_options eo;
  eo.host = o.host;
  eo.port = o.port;
  eo.loops = o.loops;
  eo.workers = o.threads;
  eo.backlog = o.listen_backlog;
  eo.limits.max_body_bytes = o.max_body_bytes;
  eo.keep_alive_timeout = std::chrono::seconds{o.keep_alive_timeout_s};
  eo.keep_alive_max = static_cast<size_t>(std::max(o.keep_alive_max_requests, 1));
  eo.read_timeout = std::chrono::seconds{o.read_timeout_s};
  eo.write_timeout = std::chrono::seconds{o.read_timeout_s};
  event_server::hooks h;
  h.transport_error = fill_transport_error;
  h.exception = [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
    try {
      std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      spdlog::error("unhandled exception in {} {}: {}", req.method, req.path, e.what());
    } catch (...) {
      spdlog::error("unhandled exception in {} {}", req.method, req.path);
    }
    common_headers(req, res);
    write_error(res, {500, "INTERNAL_ERROR", 8999, "Internal server error", {}, 0});
  };
  h.timeout = [](const httplib::Request&, httplib::Response& res) {
    write_error(res, from_error(caf::make_error(caf::sec::request_timeout)));
  };
  h.completed = [m = metrics_.get()](const exchange& ex) {
    if (ex.route.empty())
      return;
    auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - ex.started)
                  .count();
    m->record(ex.req.method, ex.route, ex.res.status, secs);
    if (ex.res.status >= 500) // the server's own failures: with the error the client got
      spdlog::warn("request_id={} method={} path={} status={} duration_ms={:.3f} error={}",
                   ex.res.get_header_value("x-request-id"), ex.req.method, ex.req.path,
                   ex.res.status, secs * 1000, ex.res.body);
    else
      spdlog::info("request_id={} method={} path={} status={} duration_ms={:.3f}",
                   ex.res.get_header_value("x-request-id"), ex.req.method, ex.req.path,
                   ex.res.status, secs * 1000);
  };
  svr_ = std::make_unique<event_server>(std::move(eo), std::move(h));
  install_routes();
}

server::~server() {
  stop();
}

void server::install_routes() {
  route_adder add = [this](const char* method, const char* pattern, handler h) {
    svr_->add(method, pattern, [h = std::move(h)](const httplib::Request& req,
                                                   httplib::Response& res) {
      common_headers(req, res);
      try {
        h(req, res);
      } catch (const request_error& e) {
        write_error(res, e.err);
      }
    });
  };
  async_route_adder add_async = [this](const char* method, const char* pattern,
                                       async_handler h) {
    svr_->add_async(
      method, pattern,
      [h = std::move(h)](const exchange_ptr& ex) {
        common_headers(ex->req, ex->res);
        try {
          h(ex);
        } catch (const request_error& e) {
          ex->complete([&](httplib::Response& res) { write_error(res, e.err); });
        }
      },
      ctx_.opts.request_timeout);
  };
  add_ops_routes(ctx_, add, *metrics_, [s = svr_.get()] { return s->in_flight(); });
  add_ingest_routes(ctx_, add_async);
  add_read_routes(ctx_, add);
  add_key_routes(ctx_, add);
  add_projection_routes(ctx_, add);
  add_commitment_routes(ctx_, add);
  add_x402_routes(ctx_, add);
  add_anchor_routes(ctx_, add);
}

std::variant<uint16_t, std::string> server::start() {
  auto r = svr_->start();
  if (auto* p = std::get_if<uint16_t>(&r))
    port_ = *p;
  return r;
}

void server::stop() {
  if (svr_)
    svr_->stop();
}

storage::store_pool::lease conn(context& ctx) {
  auto c = ctx.pool->acquire();
  if (!c)
    reject(from_error(c.error()));
  return std::move(*c);
}

} // namespace seq::http
