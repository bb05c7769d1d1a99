// SPDX-License-Identifier: Apache-2.0
#include "runtime/node.hpp"

#include "actors/anchor/anchor_actor.hpp"
#include "actors/circuit_breaker/circuit_breaker.hpp"
#include "actors/dlq/dlq_retry.hpp"
#include "actors/committer/committer.hpp"
#include "actors/projector/projector.hpp"
#include "actors/topology.hpp"
#include "actors/verify/verify_pool.hpp"
#include "actors/x402_batcher/x402_hub.hpp"
#include "adapters/chain/gateway.hpp"
#include "adapters/http/server.hpp"
#include "adapters/storage/event_store.hpp"
#include "adapters/storage/migrate.hpp"
#include "adapters/storage/sqlite/wal_checkpointer.hpp"
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
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
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

/// "" when the process may write the SQLite files `url` names (or `url` is PostgreSQL); else
/// why not. Checked at start: SQLite opens a read-only file without complaint, and the first
/// ingest would fail.
std::string sqlite_unwritable(const std::string& url) {
  auto file = storage::sqlite_path(url);
  if (!file || *file == ":memory:")
    return {};
  std::vector<std::string> paths{*file};
  if (auto p = storage::sqlite_projection_path(url))
    paths.push_back(*p);
  auto dir = std::filesystem::path{*file}.parent_path();
  paths.push_back(dir.empty() ? "." : dir.string()); // the -wal and -shm files go there
  for (const auto& p : paths)
    if (::access(p.c_str(), F_OK) == 0 && ::access(p.c_str(), W_OK) != 0)
      return p + " is not writable: " + std::strerror(errno);
  return {};
}

/// "" when every migration of this build is applied; else what is pending, per database.
std::string pending_migrations(storage::event_store& store) {
  auto reports = storage::migration_status(store);
  if (!reports)
    return "cannot read the applied migrations: " + error_message(reports.error());
  std::string out;
  for (const auto& r : *reports)
    if (auto n = r.pending(); n > 0)
      out += (out.empty() ? "" : ", ") + std::to_string(n) + " migration" + (n == 1 ? "" : "s")
             + " pending in the " + r.database + " database";
  return out;
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
    // A key generated at an earlier start, or configured before, stays valid: configuring
    // another key does not revoke it (`ves keys create` may have made such keys on purpose).
    if (auto others = store.list_api_keys(std::nullopt, ves::uuid{}))
      for (auto& k : *others)
        if (k.active && k.can_admin && !k.agent_id && k.key_hash != rec.key_hash)
          spdlog::warn("another bootstrap admin key (hash prefix {}) is still active; if it is "
                       "an earlier generated or configured one, revoke it: ves keys revoke {}",
                       k.key_hash.substr(0, 16), k.key_hash.substr(0, 16));
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

actors::dlq::retry_options retry_options_of(const config::dlq_settings& d) {
  using std::chrono::microseconds;
  actors::dlq::retry_options o;
  o.initial_delay = std::chrono::duration_cast<microseconds>(d.retry_initial_delay);
  o.max_delay = std::chrono::duration_cast<microseconds>(d.retry_max_delay);
  // Small configured delays (tests) are not raised to the default 1 s floor.
  o.min_delay = std::min(o.min_delay, o.initial_delay);
  o.jitter = d.retry_jitter;
  o.max_retries = d.max_retries;
  return o;
}

/// The projector settings: default mode and per-stream exceptions.
actors::projection::projector_deps projector_deps_of(const config::projection_settings& p) {
  actors::projection::projector_deps pd;
  pd.default_mode = p.halt_by_default ? msg::blocking_mode::halt : msg::blocking_mode::park;
  for (auto& [t, st] : p.halt_streams)
    pd.modes[msg::stream_key{t, st}] = msg::blocking_mode::halt;
  for (auto& [t, st] : p.park_streams)
    pd.modes[msg::stream_key{t, st}] = msg::blocking_mode::park;
  pd.batch_size = p.batch_size;
  pd.linger = p.linger;
  return pd;
}

/// The streams whose events are not all projected: their actors are started now, so their
/// projectors catch up without waiting for a new event (after a crash, or an upgrade).
std::vector<msg::stream_key> streams_to_catch_up(storage::event_store& store) {
  auto xs = storage::streams_behind(storage::projections_of(store));
  if (!xs) {
    spdlog::warn("cannot list streams behind their projections: {}", error_message(xs.error()));
    return {};
  }
  return std::move(*xs);
}

/// The chain connection of the `anchor.*` settings.
chain::chain_settings chain_settings_of(const config::anchor_settings& a) {
  chain::chain_settings c;
  c.rpc_url = a.rpc_url;
  c.contract_address = a.contract_address;
  c.private_key_hex = a.private_key;
  c.chain_id = a.chain_id;
  msg::from_string(a.abi, c.abi);
  c.confirmations = a.confirmations;
  c.receipt_timeout = a.receipt_timeout;
  c.receipt_poll_interval = a.receipt_poll_interval;
  return c;
}

/// How long an anchoring HTTP request may wait: the anchor actor's chain call bound.
caf::timespan ac_timeout(const config::anchor_settings& a) {
  return a.receipt_timeout * 2 + std::chrono::seconds{60};
}

actors::circuit_breaker_config breaker_config_of(const config::anchor_settings& a) {
  actors::circuit_breaker_config c;
  c.breaker = actors::breaker_options::anchor_defaults();
  c.breaker.failure_threshold = a.breaker_failure_threshold;
  c.breaker.open_timeout = a.breaker_open_timeout;
  c.breaker.max_backoff = a.breaker_max_backoff;
  c.breaker.slow_call_threshold = a.breaker_slow_call;
  // One call may wait for a mined receipt; the breaker's own bound is a little longer.
  c.call_timeout = a.receipt_timeout + a.receipt_timeout / 2 + std::chrono::seconds{30};
  return c;
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
    // An idle worker spins briefly, then sleeps on its condition variable. CAF's default
    // polls 500 more times with a 50 µs sleep in between first: on a busy 2-core machine
    // those wake-ups cost more CPU than they save latency (bench/README.md, tuning log).
    set("work-stealing.moderate-poll-attempts", size_t{0});
  }
};

} // namespace

int run_node(const config::settings& s, const sigset_t& signals) {
  setup_logging(s.log.format, s.log.level);
  for (auto& line : s.notices)
    spdlog::warn("config: {}", line);
  identity id;
  try {
    id = load_identity(s.sequencer.data_dir, s.sequencer.signing_key, s.sequencer.id);
  } catch (const std::exception& e) {
    spdlog::critical("sequencer identity: {}", e.what());
    return 2;
  }
  if (id.generated_key)
    spdlog::info("generated a receipt signing key in {}/sequencer.key", s.sequencer.data_dir);

  if (auto why = sqlite_unwritable(s.storage.url); !why.empty()) {
    spdlog::critical("storage {}: {}", msg::redact_url(s.storage.url), why);
    return 3;
  }
  auto store = open_with_retry(s.storage.url);
  if (!store) {
    spdlog::critical("storage {}: {}", msg::redact_url(s.storage.url),
                     error_message(store.error()));
    return 3;
  }
  spdlog::info("storage backend {} ({})", (*store)->backend(), msg::redact_url(s.storage.url));
  if (s.storage.migrate_on_start) {
    if (auto ok = (*store)->migrate(); !ok) {
      spdlog::critical("migrations failed: {}", error_message(ok.error()));
      return 3;
    }
  } else if (auto pending = pending_migrations(**store); !pending.empty()) {
    // Without this check the server would start and answer 500 on the routes whose tables
    // are missing or old.
    spdlog::critical("{}; run `ves migrate` or set storage.migrate_on_start "
                     "(DB_MIGRATE_ON_STARTUP=true)",
                     pending);
    return 3;
  }
  auto bootstrap_hash = ensure_bootstrap_key(**store, s);
  if (!bootstrap_hash)
    return 3;
  auto catch_up = streams_to_catch_up(**store);
  store->reset();
  // Outlives the actor system (declared before it): checkpoints run until the last commit.
  auto checkpointer = storage::start_wal_checkpointer(s.storage.url);
  if (!checkpointer) {
    spdlog::critical("storage {}: {}", msg::redact_url(s.storage.url),
                     error_message(checkpointer.error()));
    return 3;
  }

  storage::store_pool pool{s.storage.url, s.storage.read_pool_size};
  node_metrics metrics;
  metrics.wal = checkpointer->get();

  system_config cfg{s};
  caf::actor_system sys{cfg};

  actors::ingest_config icfg;
  icfg.verify_workers = s.sequencer.verify_workers;
  icfg.group_commit_max_events = s.sequencer.group_commit_max_events;
  icfg.max_queued_events = s.sequencer.max_queued_events;
  icfg.recent_id_cache = s.sequencer.recent_id_cache;
  icfg.idle_timeout = s.sequencer.idle_stream_timeout;
  icfg.companion_idle_stop = s.sequencer.companion_idle_stop;
  icfg.sequencer_seed = id.seed;
  icfg.sequencer_id = id.id;
  icfg.storage_writers = config::is_postgres_url(s.storage.url) ? s.storage.writers : 1;
  auto url = s.storage.url;
  // The event writers' connections do not attach the SQLite projection file, whose write lock
  // is the projector's (storage::store_scope).
  actors::store_factory events_factory = [url] {
    return storage::open_store(url, storage::store_scope::events);
  };

  // Projections: I/O workers, a projector companion per stream, one DLQ retry actor.
  auto policy = std::make_shared<const actors::dlq::dlq_policy>(
    actors::dlq::retry_schedule{retry_options_of(s.dlq)});
  actors::projection::projection_io_options io_opts;
  io_opts.workers = s.projection.io_workers;
  io_opts.policy = policy;
  auto io = actors::projection::spawn_projection_io(
    sys, io_opts, events_factory, [url] { return storage::open_projection_store(url); });
  auto pd = projector_deps_of(s.projection);
  pd.io = io;
  pd.metrics = &metrics.projections;
  icfg.companions.push_back(actors::projection::projector_companion(pd));

  // Commitments: I/O workers and a committer companion per stream.
  auto commit_io = actors::committer::spawn_commit_io(sys, 2, true, events_factory);
  actors::committer::committer_deps cd;
  cd.io = commit_io;
  cd.options.automatic = s.commitments.automatic;
  cd.options.max_events = s.commitments.max_events;
  cd.options.max_age = s.commitments.max_age;
  icfg.companions.push_back(actors::committer::committer_companion(cd));

  // -- x402 payments (issue 5) ---------------------------------------------------------------
  // I/O workers and the batcher hub (one batcher per stream and network, sealing and settling).
  // Every sequencer tells the hub about the intents it commits (icfg.x402_sink). Settlement
  // needs the chain breaker spawned below (anchor.*) and x402.settlement_contract; the breaker
  // is handed to the hub once it exists.
  auto x402_io = actors::x402::spawn_x402_io(sys, 2, true, events_factory);
  actors::x402::hub_deps x402_deps;
  x402_deps.batcher.io = x402_io;
  x402_deps.batcher.settlement.chain_id = s.anchor.chain_id;
  x402_deps.batcher.settlement.tokens = s.x402.token_addresses;
  x402_deps.batcher.options.max_size = s.x402.batch_max_size;
  x402_deps.batcher.options.max_wait = s.x402.batch_max_wait;
  x402_deps.batcher.options.auto_settle = s.x402.auto_settle && s.anchor.enabled()
                                          && !s.x402.settlement_contract.empty();
  x402_deps.batcher.options.retry_initial = s.x402.settle_retry_initial;
  x402_deps.batcher.options.retry_max = s.x402.settle_retry_max;
  x402_deps.batcher.metrics = &metrics.x402;
  x402_deps.networks = {s.x402.networks.begin(), s.x402.networks.end()};
  x402_deps.prune_interval = s.x402.nonce_cleanup_interval;
  auto x402_hub = actors::x402::spawn_x402_hub(sys, x402_deps);
  icfg.x402_sink = x402_hub;
  auto stop_x402 = [&] {
    caf::anon_send_exit(x402_hub, caf::exit_reason::user_shutdown);
    actors::x402::stop_x402_io(x402_io);
  };
  // -- end x402 (continued after the chain block) --------------------------------------------

  auto topo = actors::spawn_ingest_topology(sys, icfg, events_factory, &metrics.actors);

  actors::dlq::dlq_retry_deps rd;
  rd.registry = topo.registry;
  rd.io = io;
  rd.policy = policy;
  rd.poll_interval = s.dlq.poll_interval;
  rd.metrics = &metrics.projections;
  auto dlq_retry = actors::dlq::spawn_dlq_retry(sys, rd);
  for (auto& stream : catch_up)
    caf::anon_send(topo.registry,
                   msg::get_companion{stream, actors::projection::projector_role});
  if (!catch_up.empty())
    spdlog::info("{} stream(s) behind their projections: projectors started",
                 catch_up.size());
  auto stop_projections = [&] {
    caf::anon_send_exit(dlq_retry, caf::exit_reason::user_shutdown);
    actors::projection::stop_projection_io(io);
    actors::committer::stop_commit_io(commit_io);
  };

  // Chain: one circuit breaker for every chain call, and the anchor actor (a singleton).
  caf::actor chain_breaker;
  caf::actor anchor;
  if (s.anchor.enabled()) {
    auto bc = breaker_config_of(s.anchor);
    auto cs = chain_settings_of(s.anchor);
    cs.settlement_contract_address = s.x402.settlement_contract; // x402 settlement (issue 5)
    chain_breaker = actors::spawn_circuit_breaker(sys, bc, chain::make_gateway_factory(cs));
    actors::anchor::anchor_config ac;
    ac.breaker = chain_breaker;
    ac.factory = events_factory;
    ac.automatic = s.anchor.automatic;
    ac.interval = s.anchor.interval;
    ac.batch_threshold = s.anchor.batch_threshold;
    ac.call_timeout = bc.call_timeout + std::chrono::seconds{5};
    anchor = actors::anchor::spawn_anchor(sys, ac);
    spdlog::info("anchoring to {} (contract {}, abi {}, chain id {}; automatic {})",
                 msg::url_origin(s.anchor.rpc_url), s.anchor.contract_address, s.anchor.abi,
                 s.anchor.chain_id,
                 s.anchor.automatic ? "every " + std::to_string(s.anchor.interval.count()) + " ms"
                                    : "off");
  }
  auto stop_chain = [&] {
    for (auto& a : {anchor, chain_breaker})
      if (a)
        caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
  };

  // -- x402 (continued): settle through the one chain breaker ---------------------------------
  if (chain_breaker && x402_deps.batcher.options.auto_settle)
    caf::anon_send(x402_hub, caf::put_atom_v, chain_breaker);
  spdlog::info("x402: batches of {} intents or {} ms on {}; settlement {}", s.x402.batch_max_size,
               s.x402.batch_max_wait.count(),
               s.x402.networks.empty() ? std::string{"no network (manual only)"}
                                       : std::to_string(s.x402.networks.size()) + " network(s)",
               x402_deps.batcher.options.auto_settle
                 ? "on chain through " + s.x402.settlement_contract
                 : std::string{"manual (no chain, no settlement contract or auto_settle off)"});
  // -- end x402 ------------------------------------------------------------------------------

  http::rate_limiter key_limits{s.auth.rate_limit_window, s.auth.rate_limit_max_entries};
  http::authenticator auth{pool, *bootstrap_hash, key_limits};
  auth.limit_tenants(s.auth.rate_limit_per_minute);
  http::context ctx;
  ctx.sys = &sys;
  ctx.registry = topo.registry;
  ctx.dlq_retry = dlq_retry;
  ctx.projector_role = actors::projection::projector_role;
  ctx.committer_role = actors::committer::committer_role;
  ctx.anchor = anchor;
  ctx.chain_breaker = chain_breaker;
  ctx.x402_batcher = x402_hub;
  ctx.x402_tokens = s.x402.token_addresses;
  ctx.pool = &pool;
  ctx.verify_ves = [keys = topo.keys, m = &metrics.actors](std::vector<msg::ves_candidate>& b) {
    return actors::verify_ves_here(b, *keys, m);
  };
  ctx.verify_legacy = &actors::verify_legacy_here;
  ctx.auth = &auth;
  ctx.sequencer_id = id.id;
  ctx.sequencer_public_key = id.public_key;
  ctx.version = version;
  ctx.extra_metrics = [&metrics, &pool](const auto& visible) {
    return metrics.render(&pool, visible);
  };
  auto& o = ctx.opts;
  o.host = s.http.host;
  o.port = s.http.port;
  o.threads = s.http.threads;
  o.loops = s.http.loops;
  o.listen_backlog = s.http.listen_backlog;
  o.max_body_bytes = s.http.max_body_bytes;
  o.keep_alive_timeout_s = s.http.keep_alive_timeout_s;
  o.keep_alive_max_requests = s.http.keep_alive_max_requests;
  o.read_timeout_s = s.http.read_timeout_s;
  o.request_timeout = std::chrono::seconds{s.http.request_timeout_s};
  o.anchor_timeout = std::chrono::duration_cast<std::chrono::milliseconds>(ac_timeout(s.anchor));
  o.max_events_per_batch = s.limits.max_events_per_batch;
  o.max_event_payload_size = s.limits.max_event_payload_size;

  http::server server{ctx};
  auto bound = server.start();
  if (auto* err = std::get_if<std::string>(&bound)) {
    spdlog::critical("http: {}", *err);
    stop_topology(sys, topo);
    stop_projections();
    stop_x402();
    stop_chain();
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
  stop_topology(sys, topo);                  // streams, with their projectors
  stop_projections();                        // DLQ retry actor, projection I/O workers
  stop_x402();                               // x402 batchers and their I/O workers
  stop_chain();                              // anchor actor, circuit breaker
  done.set_value();
  watchdog.join();
  spdlog::info("shutdown complete");
  return 0;
}

} // namespace seq::runtime
