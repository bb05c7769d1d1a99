// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Typed, validated settings of ves-sequencerd and the `ves` CLI. Sources, later wins:
/// built-in defaults → YAML file (config/examples/sequencer.yaml documents every key) →
/// environment variables (the reference's names where they exist). See README "Configuration".

#include "messages/ves/bytes.hpp"

#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace seq::config {

/// A rejected setting. what() is one line that names the key, e.g.
/// `config: http.port: expected an integer in 0..65535, got "80a"` (0 = any free port).
struct config_error : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct http_settings {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;
  size_t threads = 64;                  ///< workers for the blocking routes (reads, keys, …)
  size_t loops = 0;                     ///< connection loop threads (run ingest); 0 = cores
  int listen_backlog = 4096;
  size_t max_body_bytes = 10 * 1024 * 1024;
  int keep_alive_timeout_s = 30;
  int keep_alive_max_requests = 10000;
  int read_timeout_s = 30;
  int request_timeout_s = 30;           ///< how long a handler waits for the actors
};

struct storage_settings {
  std::string url = "sqlite://data/ves.db";
  bool migrate_on_start = true;
  size_t read_pool_size = 8;
  /// Storage writer actors, each with its own connection; 0 = auto_storage_writers(cores).
  /// PostgreSQL only: SQLite always uses 1.
  size_t writers = 0;
};

struct auth_settings {
  std::string bootstrap_admin_api_key;  ///< empty: generated at first start and printed once
  bool production = false;              ///< SEQUENCER_ENV/ENVIRONMENT not a dev name
  /// The per-key rate limiter (keys with a rate limit): its fixed window and how many keys'
  /// windows it keeps.
  std::chrono::seconds rate_limit_window{60};
  size_t rate_limit_max_entries = 10000;
  /// The per-tenant limiter: requests per minute of each tenant (the bootstrap admin counts as
  /// one tenant of its own), all its keys together; 0 = off. Its window is always 60 s and it
  /// keeps at most 10,000 tenants, whatever the per-key limiter is set to (as the reference).
  uint32_t rate_limit_per_minute = 0;
};

struct sequencer_settings {
  std::optional<ves::seed32> signing_key; ///< empty: generated once into data_dir
  std::optional<ves::uuid> id;            ///< empty: generated once into data_dir
  std::string data_dir = "data";
  size_t group_commit_max_events = 4096;
  size_t max_queued_events = 200000;
  size_t recent_id_cache = 100000;
  std::chrono::seconds idle_stream_timeout{300};
  /// A stream's projector or committer with nothing to do stops after this long (it is
  /// started again when needed); 0: they run as long as their stream.
  std::chrono::milliseconds companion_idle_stop{1000};
  size_t verify_workers = 0;            ///< 0: hardware threads
  size_t scheduler_threads = 0;         ///< 0: hardware threads, at least 2
};

struct limits_settings {
  size_t max_events_per_batch = 1000;
  size_t max_event_payload_size = 1024 * 1024;
};

/// The projector of each stream (actors/projector). Blocking behaviour per stream: `park`
/// (default) parks a failed event in the DLQ and goes on with the other entities; `halt`
/// stops the stream's projection at the failed event until an operator retries it or
/// resumes. `mode` is the default; the two lists name the streams that differ from it.
struct projection_settings {
  bool halt_by_default = false;                                    ///< mode: park | halt
  std::vector<std::pair<ves::uuid, ves::uuid>> halt_streams;       ///< (tenant, store)
  std::vector<std::pair<ves::uuid, ves::uuid>> park_streams;       ///< (tenant, store)
  uint32_t batch_size = 100;           ///< events per projector step batch
  size_t io_workers = 2;               ///< projection I/O workers (own connections each)
  /// How long after a projector batch a partial one waits to fill up (0: never); see
  /// actors/projector/projector_core.hpp.
  std::chrono::milliseconds linger{20};
};

/// The DLQ retry actor: exponential backoff with jitter between attempts.
struct dlq_settings {
  std::chrono::milliseconds retry_initial_delay{60'000};    ///< 1 minute
  std::chrono::milliseconds retry_max_delay{3'600'000};     ///< 1 hour
  uint32_t max_retries = 10;
  double retry_jitter = 0.25;                               ///< ±25 %
  std::chrono::milliseconds poll_interval{5'000};           ///< how often due rows are fetched
};

/// The committer of each stream (actors/committer): automatic VES commitments when
/// `max_events` events are uncommitted or the oldest has waited `max_age`.
struct commitment_settings {
  bool automatic = true;                ///< commitments.auto
  uint64_t max_events = 1024;           ///< also the most one automatic commitment covers
  std::chrono::seconds max_age{5};
};

/// On-chain anchoring (actors/anchor, adapters/chain). Enabled when rpc_url, contract_address
/// and private_key are all set (the reference's rule); setting only some of them is an error.
struct anchor_settings {
  std::string rpc_url;                  ///< L2_RPC_URL
  std::string contract_address;         ///< SET_REGISTRY_ADDRESS (0x + 40 hex)
  std::string private_key;              ///< SEQUENCER_PRIVATE_KEY (secp256k1; never logged)
  uint64_t chain_id = 84532001;         ///< L2_CHAIN_ID (0: accept the node's)
  std::string abi = "stateset_anchor";  ///< stateset_anchor | set_registry
  uint32_t confirmations = 1;           ///< blocks a transaction needs before it counts
  bool automatic = true;                ///< anchor pending VES commitments on a timer
  std::chrono::milliseconds interval{60'000};
  uint32_t batch_threshold = 10;        ///< commitments per automatic round
  std::chrono::milliseconds receipt_timeout{120'000};
  std::chrono::milliseconds receipt_poll_interval{500};
  // circuit breaker (defaults: the reference's "anchor" breaker)
  uint32_t breaker_failure_threshold = 5;
  std::chrono::milliseconds breaker_open_timeout{60'000};
  std::chrono::milliseconds breaker_max_backoff{300'000};
  std::chrono::milliseconds breaker_slow_call{30'000};
  bool enabled() const {
    return !rpc_url.empty() && !contract_address.empty() && !private_key.empty();
  }
};

/// x402 payments (actors/x402_batcher): a batcher per stream and network seals sequenced
/// intents into Merkle-committed batches and, when a chain is configured (the `anchor.*`
/// connection) with a settlement contract, settles them on chain.
struct x402_settings {
  uint32_t batch_max_size = 100;                  ///< X402_BATCH_MAX_SIZE, 1..1000
  std::chrono::milliseconds batch_max_wait{30'000}; ///< seal when the oldest waited this long
  std::vector<std::string> networks{"set_chain"}; ///< X402_BATCH_NETWORKS: sealed automatically
  bool auto_settle = true;                        ///< settle committed batches on chain
  std::string settlement_contract;                ///< VesPaymentBatch, 0x + 40 hex ("": none)
  /// Token address per asset (usdc, usdt, ssusd, wssusd, dai, eth), 0x + 40 hex; replaces the
  /// reference's table for new intents and settlement (e.g. the test token on a local chain).
  std::map<std::string, std::string> token_addresses;
  std::chrono::seconds nonce_cleanup_interval{3600}; ///< X402_NONCE_CLEANUP_INTERVAL_SECS
  std::chrono::milliseconds settle_retry_initial{1000}; ///< back-off after a failed settlement
  std::chrono::milliseconds settle_retry_max{60'000};
};

struct log_settings {
  std::string format = "text";          ///< text | json
  std::string level = "info";           ///< trace | debug | info | warn | error | off
};

struct settings {
  http_settings http;
  storage_settings storage;
  auth_settings auth;
  sequencer_settings sequencer;
  limits_settings limits;
  projection_settings projection;
  dlq_settings dlq;
  commitment_settings commitments;
  anchor_settings anchor;
  x402_settings x402;
  log_settings log;
  std::chrono::seconds shutdown_deadline{30};
  /// Lines to log as warnings at start: reference variables that are set but not read.
  std::vector<std::string> notices;
};

using env_map = std::map<std::string, std::string>;

/// The process environment as a map.
env_map process_env();

/// Loads settings: defaults, then the YAML file at `path` (if non-empty), then `env`.
/// Throws config_error naming the key on any invalid value or unknown YAML key.
settings load(const std::string& path, const env_map& env);

/// Parses a 32-byte Ed25519 seed: 64 hex chars (optional 0x) or base64 (standard or
/// URL-safe, padded or not). Throws config_error naming `key`.
ves::seed32 parse_seed(const std::string& key, const std::string& text);

/// The default number of PostgreSQL storage writers on a machine with `cores` hardware
/// threads: two per core (a writer waits on its connection most of the time), at least 4,
/// at most 16.
size_t auto_storage_writers(unsigned cores);

/// True for a storage URL that selects PostgreSQL.
bool is_postgres_url(const std::string& url);

/// One line for each of the reference's environment variables that is set (non-empty) but that
/// this server does not read, saying what it does instead (the notices of `load`).
std::vector<std::string> reference_env_notices(const env_map& env);

/// The error for a set reference variable whose absence would weaken access control
/// (ADMIN_IP_ALLOWLIST); `load` throws it.
std::optional<std::string> reference_env_refusal(const env_map& env);

/// The log level a RUST_LOG filter sets (env_logger's syntax): its last bare level directive,
/// case-insensitive ("info" in "info,tower_http=debug"); none when it has only module
/// directives or nothing this server knows.
std::optional<std::string> rust_log_level(std::string_view filter);

} // namespace seq::config
