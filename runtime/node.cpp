// SPDX-License-Identifier: Apache-2.0
#include "runtime/node.hpp"

#include "actors/topology.hpp"
#include "adapters/http/server.hpp"
#include "adapters/storage/event_store.hpp"
#include "messages/sequencing.hpp"
#include "messages/type_ids.hpp"
#include "messages/ves/ves.hpp"
#include "runtime/identity.hpp"
#include "runtime/logging.hpp"
#include "runtime/metrics.hpp"

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"

#include <spdlog/spdlog.h>

#include <atomic>
#include <cstdio>
#include <future>
#include <thread>
#include <unistd.h>

namespace seq::runtime {

namespace {

constexpr const char* version = "0.1.0";

/// Opens a connection, retrying while the database is unreachable (a starting PostgreSQL).
caf::expected<storage::store_ptr> open_with_retry(const std::string& url) {
  caf::expected<storage::store_ptr> s = storage::open_store(url);
  for (int attempt = 1; !s && s.error() == errc::storage_unavailable && attempt < 10; ++attempt) {
    spdlog::warn("database unreachable ({}), retrying in 1 s", error_message(s.error()));
    std::this_thread::sleep_for(std::chrono::seconds{1});
    s = storage::open_store(url);
  }
  return s;
}

/// Upserts the configured bootstrap admin key, or generates one at first start and prints it
/// once. Returns the key's hash ("" on error, after logging).
std::optional<std::string> ensure_bootstrap_key(storage::event_store& store,
                                                const config::settings& s) {
  msg::api_key_record rec;
  rec.tenant_id = ves::uuid{};
  rec.can_read = rec.can_write = rec.can_admin = true;
  rec.active = true;
  rec.created_at = rec.updated_at = msg::now_us();
  if (!s.auth.bootstrap_admin_api_key.empty()) {
    if (s.auth.bootstrap_admin_api_key.size() < 32)
      spdlog::warn("the bootstrap admin API key is shorter than 32 characters; production mode "
                   "refuses such keys");
    rec.key_hash = ves::api_key_hash(s.auth.bootstrap_admin_api_key);
    if (auto ok = store.upsert_api_key(rec); !ok) {
      spdlog::error("cannot store the bootstrap admin key: {}", error_message(ok.error()));
      return std::nullopt;
    }
    return rec.key_hash;
  }
  auto existing = store.list_api_keys(std::nullopt, ves::uuid{});
  if (!existing) {
    spdlog::error("cannot read API keys: {}", error_message(existing.error()));
    return std::nullopt;
  }
  for (auto& k : *existing)
    if (k.active && k.can_admin && !k.agent_id)
      return std::string{}; // generated at an earlier start; its hash is in the store
  auto key = ves::generate_api_key(ves::uuid{});
  rec.key_hash = ves::api_key_hash(key);
  if (auto ok = store.upsert_api_key(rec); !ok) {
    spdlog::error("cannot store the bootstrap admin key: {}", error_message(ok.error()));
    return std::nullopt;
  }
  std::printf("\nGenerated bootstrap admin API key (shown once, store it now):\n  %s\n\n",
              key.c_str());
  std::fflush(stdout);
  return rec.key_hash;
}

/// Asks the registry to refuse new work and answer once every queued group has committed.
void drain_topology(caf::actor_system& sys, const actors::ingest_topology& topo,
                    std::chrono::seconds timeout) {
  caf::scoped_actor self{sys};
  self->request(topo.registry, timeout, msg::drain_atom_v)
    .receive([](caf::ok_atom) { spdlog::info("all streams drained"); },
             [&](caf::error& e) { spdlog::error("drain failed: {}", sys.render(e)); });
}

void stop_topology(caf::actor_system& sys, const actors::ingest_topology& topo) {
  caf::scoped_actor self{sys};
  self->send_exit(topo.registry, caf::exit_reason::user_shutdown);
  self->wait_for(topo.registry);
}

struct system_config : caf::actor_system_config {
  explicit system_config(const config::settings& s) {
    add_message_types<caf::id_block::seq>();
    add_error_category(caf::atom("seq"),
                       [](uint8_t code, caf::atom_value, const caf::message& ctx) {
                         return "seq::" + to_string(static_cast<errc>(code)) + " "
                                + caf::to_string(ctx);
                       });
    set("scheduler.max-threads", s.sequencer.scheduler_threads);
    set("scheduler.policy", caf::atom("stealing"));
  }
};

} // namespace

int run_node(const config::settings& s, const sigset_t& signals) {
  setup_logging(s.log.format, s.log.level);
  identity id;
  try {
    id = load_identity(s.sequencer.data_dir, s.sequencer.signing_key, s.sequencer.id);
  } catch (const std::exception& e) {
    spdlog::critical("sequencer identity: {}", e.what());
    return 2;
  }
  if (id.generated_key)
    spdlog::info("generated a receipt signing key in {}/sequencer.key", s.sequencer.data_dir);

  auto store = open_with_retry(s.storage.url);
  if (!store) {
    spdlog::critical("storage {}: {}", s.storage.url, error_message(store.error()));
    return 3;
  }
  spdlog::info("storage backend {} ({})", (*store)->backend(),
               config::is_postgres_url(s.storage.url) ? "postgres url" : s.storage.url);
  if (s.storage.migrate_on_start) {
    if (auto ok = (*store)->migrate(); !ok) {
      spdlog::critical("migrations failed: {}", error_message(ok.error()));
      return 3;
    }
  }
  auto bootstrap_hash = ensure_bootstrap_key(**store, s);
  if (!bootstrap_hash)
    return 3;
  store->reset();

  storage::store_pool pool{s.storage.url, s.storage.read_pool_size};
  node_metrics metrics;

  system_config cfg{s};
  caf::actor_system sys{cfg};

  actors::ingest_config icfg;
  icfg.verify_workers = s.sequencer.verify_workers;
  icfg.group_commit_max_events = s.sequencer.group_commit_max_events;
  icfg.max_queued_events = s.sequencer.max_queued_events;
  icfg.recent_id_cache = s.sequencer.recent_id_cache;
  icfg.idle_timeout = s.sequencer.idle_stream_timeout;
  icfg.sequencer_seed = id.seed;
  icfg.sequencer_id = id.id;
  icfg.storage_writers = config::is_postgres_url(s.storage.url) ? s.storage.writers : 1;
  auto url = s.storage.url;
  auto topo = actors::spawn_ingest_topology(
    sys, icfg, [url] { return storage::open_store(url); }, &metrics.actors);

  http::authenticator auth{pool, *bootstrap_hash};
  http::context ctx;
  ctx.sys = &sys;
  ctx.registry = topo.registry;
  ctx.pool = &pool;
  ctx.auth = &auth;
  ctx.sequencer_id = id.id;
  ctx.sequencer_public_key = id.public_key;
  ctx.version = version;
  ctx.extra_metrics = [&metrics] { return metrics.render(); };
  auto& o = ctx.opts;
  o.host = s.http.host;
  o.port = s.http.port;
  o.threads = s.http.threads;
  o.listen_backlog = s.http.listen_backlog;
  o.max_body_bytes = s.http.max_body_bytes;
  o.keep_alive_timeout_s = s.http.keep_alive_timeout_s;
  o.keep_alive_max_requests = s.http.keep_alive_max_requests;
  o.read_timeout_s = s.http.read_timeout_s;
  o.request_timeout = std::chrono::seconds{s.http.request_timeout_s};
  o.max_events_per_batch = s.limits.max_events_per_batch;
  o.max_event_payload_size = s.limits.max_event_payload_size;

  http::server server{ctx};
  auto bound = server.start();
  if (auto* err = std::get_if<std::string>(&bound)) {
    spdlog::critical("http: {}", *err);
    stop_topology(sys, topo);
    return 4;
  }
  auto port = std::get<uint16_t>(bound);
  spdlog::info("ves-sequencerd {} listening on http://{}:{} (sequencer id {})", version,
               s.http.host, port, id.id.str());
  std::printf("ves-sequencerd listening on http://%s:%u\n", s.http.host.c_str(), port);
  std::fflush(stdout);

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received {}, shutting down (deadline {} s)", sig == SIGTERM ? "SIGTERM" : "SIGINT",
               s.shutdown_deadline.count());

  // Watchdog: a shutdown that hangs past the deadline ends the process with exit code 1.
  std::promise<void> done;
  auto deadline = s.shutdown_deadline;
  std::thread watchdog([f = done.get_future(), deadline]() mutable {
    if (f.wait_for(deadline) == std::future_status::timeout) {
      spdlog::error("shutdown deadline of {} s passed; exiting now", deadline.count());
      spdlog::default_logger()->flush();
      _exit(1);
    }
  });
  server.stop();                               // stop accepting, finish in-flight requests
  drain_topology(sys, topo, deadline);       // flush queued group commits
  stop_topology(sys, topo);
  done.set_value();
  watchdog.join();
  spdlog::info("shutdown complete");
  return 0;
}

} // namespace seq::runtime
