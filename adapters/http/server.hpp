// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The HTTP adapter: the event-loop server (adapters/http/event_server.hpp) with keep-alive
/// limits, TCP_NODELAY and a body limit, one JSON error shape, request ids, access logs and
/// request metrics. Routes translate requests into messages for the stream actors (through the
/// registry handle) or into reads on the store pool; they hold no domain rules.

#include "adapters/http/auth.hpp"
#include "adapters/storage/event_store.hpp"
#include "messages/domain.hpp"
#include "messages/ingest.hpp"

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>
#include <variant>

#include "caf/actor.hpp"
#include "caf/fwd.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
} // namespace httplib

namespace seq::http {

struct options {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;                   ///< 0: any free port (see server::port())
  size_t threads = 64;                    ///< workers for the blocking routes
  size_t loops = 2;                       ///< epoll loop threads (they run the ingest routes)
  int listen_backlog = 4096;
  size_t max_body_bytes = 10 * 1024 * 1024;
  int keep_alive_timeout_s = 30;
  int keep_alive_max_requests = 10000;
  int read_timeout_s = 30;
  std::chrono::milliseconds request_timeout{30000};
  /// How long an anchoring request may wait for its transaction to be mined.
  std::chrono::milliseconds anchor_timeout{180000};
  size_t max_events_per_batch = 1000;
  size_t max_event_payload_size = 1024 * 1024;
};

class asker_pool;
class relay_set;
class event_server;
class exchange;
/// A new asker_pool (adapters/http/ask.hpp) with its default size.
std::shared_ptr<asker_pool> make_asker_pool(caf::actor_system& sys);

/// What the routes need from the rest of the process (wired by runtime/).
struct context {
  caf::actor_system* sys = nullptr;
  caf::actor registry;                    ///< stream registry: ingest_ves / ingest_legacy
  /// The DLQ retry actor (msg::retry_dlq → msg::dlq_entry); invalid: retries answer 503.
  caf::actor dlq_retry;
  /// Role of the per-stream projector companion (msg::get_companion through the registry)
  /// for the live status and resume; empty: no projector runs.
  std::string projector_role;
  /// Role of the per-stream committer companion (commitments, VES proofs); empty: those
  /// routes answer 503.
  std::string committer_role;
  /// The anchor actor (messages/anchor.hpp); invalid: anchoring is not configured and the
  /// anchoring routes answer 503.
  caf::actor anchor;
  /// The chain circuit breaker (messages/chain.hpp): on-chain checks, and its status for
  /// /health/detailed and /metrics. Invalid when no chain is configured.
  caf::actor chain_breaker;
  /// The x402 batcher hub (messages/x402.hpp: create_x402_batch, settle_x402_batch); invalid:
  /// the batch routes answer 503.
  caf::actor x402_batcher;
  /// x402 token addresses per asset (lowercase hash name) that replace the reference's table
  /// (msg::x402_default_token_address) in new intents' `token_address`.
  std::map<std::string, std::string> x402_tokens;
  storage::store_pool* pool = nullptr;    ///< reads, keys
  /// Verify an ingest batch on the loop thread that decoded it (actors::verify_ves_here and
  /// verify_legacy_here, wired by the runtime); a null result, or an unset hook, leaves the
  /// verification to the stream's verify pool.
  std::function<std::shared_ptr<const msg::verified_ves>(std::vector<msg::ves_candidate>&)>
    verify_ves;
  std::function<std::shared_ptr<const msg::verified_legacy>(std::vector<msg::legacy_candidate>)>
    verify_legacy;
  authenticator* auth = nullptr;
  ves::uuid sequencer_id;
  ves::pubkey32 sequencer_public_key{};
  std::string version;
  /// Extra Prometheus text (actor metrics) appended to /metrics; series labelled with a
  /// stream only for the streams `visible` accepts (the caller's scope).
  std::function<std::string(const std::function<bool(const msg::stream_key&)>& visible)>
    extra_metrics;
  options opts;
  /// Scoped actors that ask_within reuses across requests (adapters/http/ask.hpp); the
  /// server creates it. Unset: a scoped actor per call. It must end before `*sys` does.
  std::shared_ptr<asker_pool> askers;
  /// The relay actors of ask_async (adapters/http/ask.hpp); the server creates them.
  std::shared_ptr<relay_set> relays;
};

class request_metrics;

class server {
public:
  explicit server(context ctx);
  ~server();

  /// Binds and starts serving on a background thread; returns the bound port or an error
  /// message.
  std::variant<uint16_t, std::string> start();
  /// Stops accepting, closes idle connections, answers the requests in flight, joins the
  /// threads.
  void stop();
  uint16_t port() const { return port_; }

private:
  void install_routes();
  context ctx_;
  std::unique_ptr<request_metrics> metrics_;
  std::unique_ptr<event_server> svr_;
  uint16_t port_ = 0;
};

// -- route groups (one .cpp each) -------------------------------------------------------------

/// A handler body: may throw request_error; returns normally after filling `res`.
using handler = std::function<void(const httplib::Request&, httplib::Response&)>;
using route_adder = std::function<void(const char* method, const char* pattern, handler)>;
/// An async handler body (event_server::async_handler): runs on a loop thread, must not block,
/// answers through exchange::complete; may throw request_error before it has handed the
/// request on.
using async_handler = std::function<void(const std::shared_ptr<exchange>&)>;
using async_route_adder =
  std::function<void(const char* method, const char* pattern, async_handler)>;

/// `in_flight`: the requests between arrival and answer (the server's gauge).
void add_ops_routes(context& ctx, const route_adder& add, request_metrics& m,
                    std::function<int64_t()> in_flight);
void add_ingest_routes(context& ctx, const async_route_adder& add);
void add_read_routes(context& ctx, const route_adder& add);
void add_key_routes(context& ctx, const route_adder& add);
void add_projection_routes(context& ctx, const route_adder& add);
void add_commitment_routes(context& ctx, const route_adder& add);
void add_x402_routes(context& ctx, const route_adder& add);
void add_anchor_routes(context& ctx, const route_adder& add);

/// Fills in the error responses the event server makes itself (400 malformed, 404 no route,
/// 413 too large, 431 headers too large, 501 unknown transfer coding, 505 HTTP version, 503
/// stopping), which come without a body; a response that has one is left alone.
void fill_transport_error(const httplib::Request& req, httplib::Response& res);

/// Writes a 200 JSON body.
void write_json(httplib::Response& res, std::string body, int status = 200);

} // namespace seq::http
