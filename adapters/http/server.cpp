// SPDX-License-Identifier: Apache-2.0
#include "adapters/http/server.hpp"

#include "adapters/http/connections.hpp"
#include "adapters/http/json_writer.hpp"
#include "adapters/http/metrics.hpp"
#include "adapters/http/request.hpp"

#include <httplib.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <spdlog/spdlog.h>
#include <sys/socket.h>

#include <charconv>
#include <filesystem>
#include <future>
#include <optional>

namespace seq::http {

void write_json(httplib::Response& res, std::string body, int status) {
  res.status = status;
  res.set_content(std::move(body), "application/json");
}

namespace {

void common_headers(const httplib::Request& req, httplib::Response& res) {
  if (!res.has_header("x-request-id")) {
    auto id = req.get_header_value("x-request-id");
    res.set_header("x-request-id", id.empty() ? ves::uuid::random_v4().str() : id);
  }
  res.set_header("X-Content-Type-Options", "nosniff");
  res.set_header("X-Frame-Options", "DENY");
  res.set_header("Cache-Control", "no-store");
}

} // namespace

void fill_transport_error(const httplib::Request& req, httplib::Response& res, bool stopping) {
  if (!res.body.empty())
    return;
  common_headers(req, res);
  if (res.status == 400 && stopping) {
    // stop() half-closes idle connections, so a request that was just arriving on one is cut
    // off and reported as malformed; it was never processed, so the client is told to retry
    // rather than that its request was bad.
    write_error(res, from_error(make_error(errc::shutting_down, {})));
  } else if (res.status == 413) {
    write_error(res, api_error::too_large("Request body exceeds the configured limit"));
  } else if (res.status == 404) {
    write_error(res, api_error::not_found("No route for " + req.method + " " + req.path));
  } else if (res.status == 400) {
    write_error(res, api_error::invalid_body("Malformed HTTP request"));
  }
}

server::server(context ctx)
  : ctx_(std::move(ctx)),
    svr_(std::make_unique<httplib::Server>()),
    metrics_(std::make_unique<request_metrics>()),
    connections_(std::make_unique<connection_tracker>()) {
  if (!ctx_.askers && ctx_.sys)
    ctx_.askers = make_asker_pool(*ctx_.sys);
  auto& o = ctx_.opts;
  auto threads = o.threads;
  svr_->new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  svr_->set_payload_max_length(o.max_body_bytes);
  svr_->set_tcp_nodelay(true);
  svr_->set_keep_alive_max_count(static_cast<size_t>(o.keep_alive_max_requests));
  svr_->set_keep_alive_timeout(o.keep_alive_timeout_s);
  svr_->set_read_timeout(o.read_timeout_s, 0);
  svr_->set_write_timeout(o.read_timeout_s, 0);
  // Replaces httplib's default socket options, so SO_REUSEADDR is set here too; the fd is
  // captured to re-listen with a real backlog (httplib compiles in a backlog of 5).
  svr_->set_socket_options([this](socket_t fd) {
    int yes = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof(yes));
    listen_fd_ = fd;
  });
  svr_->set_error_handler([this](const httplib::Request& req, httplib::Response& res) {
    fill_transport_error(req, res, stopping_.load(std::memory_order_acquire));
  });
  svr_->set_exception_handler(
    [](const httplib::Request& req, httplib::Response& res, std::exception_ptr ep) {
      try {
        std::rethrow_exception(ep);
      } catch (const std::exception& e) {
        spdlog::error("unhandled exception in {} {}: {}", req.method, req.path, e.what());
      } catch (...) {
        spdlog::error("unhandled exception in {} {}", req.method, req.path);
      }
      common_headers(req, res);
      write_error(res, {500, "INTERNAL_ERROR", 8999, "Internal server error", {}, 0});
    });
  // Called once a response has been written (or its write failed). Only a request that
  // reached a route (httplib fills `matches` then) went through connection_tracker::begin.
  svr_->set_logger([t = connections_.get()](const httplib::Request& req, const httplib::Response&) {
    if (!req.matches.empty())
      t->end(req.remote_port);
  });
  install_routes();
}

server::~server() {
  stop();
}

void server::install_routes() {
  auto* m = metrics_.get();
  auto* t = connections_.get();
  route_adder add = [this, m, t](const char* method, const char* pattern, handler h) {
    std::string route = pattern;
    auto wrapped = [h = std::move(h), route, m, t, method = std::string{method}](
                     const httplib::Request& req, httplib::Response& res) {
      auto start = std::chrono::steady_clock::now();
      common_headers(req, res);
      try {
        if (!t->begin(req.remote_port))
          write_error(res, from_error(make_error(errc::shutting_down, {})));
        else
          h(req, res);
      } catch (const request_error& e) {
        write_error(res, e.err);
      }
      auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      m->record(method, route, res.status, secs);
      spdlog::info("request_id={} method={} path={} status={} duration_ms={:.3f}",
                   res.get_header_value("x-request-id"), method, req.path, res.status,
                   secs * 1000);
    };
    std::string mth = method;
    if (mth == "GET")
      svr_->Get(pattern, wrapped);
    else if (mth == "POST")
      svr_->Post(pattern, wrapped);
    else if (mth == "DELETE")
      svr_->Delete(pattern, wrapped);
    else if (mth == "PUT")
      svr_->Put(pattern, wrapped);
  };
  add_ops_routes(ctx_, add, *metrics_, *connections_);
  add_ingest_routes(ctx_, add);
  add_read_routes(ctx_, add);
  add_key_routes(ctx_, add);
  add_projection_routes(ctx_, add);
  add_commitment_routes(ctx_, add);
  add_x402_routes(ctx_, add);
  add_anchor_routes(ctx_, add);
}

std::variant<uint16_t, std::string> server::start() {
  auto& o = ctx_.opts;
  int port = o.port;
  if (port == 0) {
    port = svr_->bind_to_any_port(o.host);
    if (port <= 0)
      return "cannot bind " + o.host + ":0";
  } else if (!svr_->bind_to_port(o.host, port)) {
    return "cannot bind " + o.host + ":" + std::to_string(port)
           + " (in use, or not a local address)";
  }
  if (listen_fd_ >= 0)
    ::listen(listen_fd_, o.listen_backlog);
  port_ = static_cast<uint16_t>(port);
  thread_ = std::thread([this] { svr_->listen_after_bind(); });
  return port_;
}

namespace {

/// The port of an IPv4 or IPv6 socket address; nullopt for another family.
std::optional<uint16_t> port_of(const sockaddr_storage& a) {
  if (a.ss_family == AF_INET)
    return ntohs(reinterpret_cast<const sockaddr_in*>(&a)->sin_port);
  if (a.ss_family == AF_INET6)
    return ntohs(reinterpret_cast<const sockaddr_in6*>(&a)->sin6_port);
  return std::nullopt;
}

/// Half-closes (read side) every idle accepted connection of the listener on `port`. httplib
/// 0.11 keeps an idle keep-alive connection in its worker until the keep-alive timeout and
/// offers no hook to end it; after stop() this makes the worker see EOF at once. A connection
/// with a request in flight is left alone: httplib would not write its response after the
/// half-close, and its worker ends the connection by itself after answering.
void end_idle_connections(uint16_t port, connection_tracker& connections) {
  std::error_code ec;
  for (auto& entry : std::filesystem::directory_iterator("/proc/self/fd", ec)) {
    int fd = -1;
    auto name = entry.path().filename().string();
    if (std::from_chars(name.data(), name.data() + name.size(), fd).ec != std::errc{})
      continue;
    sockaddr_storage local{}, peer{};
    socklen_t len = sizeof(local);
    if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &len) != 0
        || port_of(local) != port)
      continue;
    len = sizeof(peer);
    if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &len) != 0)
      continue;
    if (auto peer_port = port_of(peer); peer_port && connections.try_end(*peer_port))
      ::shutdown(fd, SHUT_RD);
  }
}

} // namespace

void server::stop() {
  stopping_.store(true, std::memory_order_release);
  if (svr_ && svr_->is_running())
    svr_->stop();
  if (!thread_.joinable())
    return;
  // The listener thread joins the handler pool; keep ending idle connections until it has.
  auto joined = std::async(std::launch::async, [this] { thread_.join(); });
  while (joined.wait_for(std::chrono::milliseconds{0}) != std::future_status::ready) {
    end_idle_connections(port_, *connections_);
    joined.wait_for(std::chrono::milliseconds{50});
  }
}

} // namespace seq::http
