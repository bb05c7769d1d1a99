// SPDX-License-Identifier: Apache-2.0
#include "config/settings.hpp"

#include "messages/ves/ves.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>
#include <functional>
#include <string_view>
#include <thread>

extern char** environ;

namespace seq::config {

namespace {

[[noreturn]] void fail(const std::string& key, const std::string& what, const std::string& got) {
  throw config_error("config: " + key + ": " + what + ", got \"" + got + "\"");
}

template <class T>
T parse_uint(const std::string& key, const std::string& v, T lo, T hi) {
  uint64_t x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc{} || p != v.data() + v.size() || x < static_cast<uint64_t>(lo)
      || x > static_cast<uint64_t>(hi))
    fail(key, "expected an integer in " + std::to_string(lo) + ".." + std::to_string(hi), v);
  return static_cast<T>(x);
}

bool parse_bool(const std::string& key, const std::string& v) {
  std::string s = v;
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  if (s == "1" || s == "true" || s == "on" || s == "yes")
    return true;
  if (s == "0" || s == "false" || s == "off" || s == "no")
    return false;
  fail(key, "expected true/false", v);
}

std::string parse_choice(const std::string& key, const std::string& v,
                         std::initializer_list<const char*> choices) {
  std::string s = v;
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  std::string list;
  for (auto c : choices) {
    if (s == c)
      return s;
    list += list.empty() ? c : std::string{"|"} + c;
  }
  fail(key, "expected one of " + list, v);
}

double parse_fraction(const std::string& key, const std::string& v) {
  double x = 0;
  auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), x);
  if (ec != std::errc{} || p != v.data() + v.size() || !(x >= 0.0 && x <= 1.0))
    fail(key, "expected a number in 0..1", v);
  return x;
}

std::string trim(std::string_view v) {
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.front())))
    v.remove_prefix(1);
  while (!v.empty() && std::isspace(static_cast<unsigned char>(v.back())))
    v.remove_suffix(1);
  return std::string{v};
}

/// The items of a comma-separated list (a YAML sequence arrives joined with commas), each
/// trimmed; empty items are dropped.
std::vector<std::string> split_list(std::string_view v) {
  std::vector<std::string> out;
  while (!v.empty()) {
    auto comma = v.find(',');
    auto item = trim(v.substr(0, comma));
    v = comma == std::string_view::npos ? std::string_view{} : v.substr(comma + 1);
    if (!item.empty())
      out.push_back(std::move(item));
  }
  return out;
}

/// A list of `tenant/store`.
std::vector<std::pair<ves::uuid, ves::uuid>> parse_streams(const std::string& key,
                                                           const std::string& v) {
  std::vector<std::pair<ves::uuid, ves::uuid>> out;
  for (const auto& item : split_list(v)) {
    auto slash = item.find('/');
    std::optional<ves::uuid> tenant, store;
    if (slash != std::string::npos) {
      tenant = ves::uuid::parse(item.substr(0, slash));
      store = ves::uuid::parse(item.substr(slash + 1));
    }
    if (!tenant || !store)
      fail(key, "expected a list of \"tenant-uuid/store-uuid\"", item);
    out.emplace_back(*tenant, *store);
  }
  return out;
}

bool is_production_env(const std::string& v) {
  std::string s = v;
  std::transform(s.begin(), s.end(), s.begin(), ::tolower);
  for (auto dev : {"", "local", "dev", "development", "test", "testing", "ci", "staging"})
    if (s == dev)
      return false;
  return true;
}

/// An EVM address, 0x + 40 hex digits ("" allowed when `empty_ok`).
std::string parse_address(const std::string& key, const std::string& v, bool empty_ok) {
  if (v.empty() && empty_ok)
    return v;
  auto b = ves::from_hex(v, true);
  if (!b || b->size() != 20 || v.rfind("0x", 0) != 0)
    fail(key, "expected 0x + 40 hex digits", v);
  return v;
}

/// x402 network names, comma-separated (the reference's X402_BATCH_NETWORKS form).
std::vector<std::string> parse_x402_networks(const std::string& key, const std::string& v) {
  auto out = split_list(v);
  for (const auto& item : out)
    if (ves::x402_chain_id(item) == 0)
      fail(key, "unknown x402 network (set_chain, set_chain_testnet, arc, arc_testnet, base, "
                "base_sepolia, ethereum, ethereum_sepolia, arbitrum, optimism)",
           item);
  return out;
}

/// `asset=0x…` pairs, comma-separated (VES_X402_TOKEN_ADDRESSES): the whole table, which
/// replaces the one from the file.
std::map<std::string, std::string> parse_token_list(const std::string& key,
                                                    const std::string& v) {
  std::map<std::string, std::string> out;
  for (const auto& item : split_list(v)) {
    auto eq = item.find('=');
    if (eq == std::string::npos)
      fail(key, "expected asset=0x… pairs separated by commas", v);
    auto asset = ves::x402_asset_string(trim(std::string_view{item}.substr(0, eq)));
    if (asset.empty())
      fail(key, "unknown x402 asset", item.substr(0, eq));
    out[asset] = parse_address(key, trim(std::string_view{item}.substr(eq + 1)), false);
  }
  return out;
}

using setter = std::function<void(settings&, const std::string& key, const std::string& v)>;

/// Every YAML key (dotted path) and how it is parsed. Environment variables map onto these.
const std::map<std::string, setter>& setters() {
  static const std::map<std::string, setter> table = {
    {"http.host", [](settings& s, auto&, auto& v) { s.http.host = v; }},
    {"http.port", [](settings& s, auto& k, auto& v) { s.http.port = parse_uint<uint16_t>(k, v, 0, 65535); }},
    {"http.threads", [](settings& s, auto& k, auto& v) { s.http.threads = parse_uint<size_t>(k, v, 1, 4096); }},
    {"http.loops", [](settings& s, auto& k, auto& v) { s.http.loops = parse_uint<size_t>(k, v, 0, 256); }},
    {"http.listen_backlog", [](settings& s, auto& k, auto& v) { s.http.listen_backlog = parse_uint<int>(k, v, 1, 65535); }},
    {"http.max_body_bytes", [](settings& s, auto& k, auto& v) { s.http.max_body_bytes = parse_uint<size_t>(k, v, 1024, size_t{1} << 32); }},
    {"http.keep_alive_timeout_s", [](settings& s, auto& k, auto& v) { s.http.keep_alive_timeout_s = parse_uint<int>(k, v, 1, 3600); }},
    {"http.keep_alive_max_requests", [](settings& s, auto& k, auto& v) { s.http.keep_alive_max_requests = parse_uint<int>(k, v, 1, 1000000000); }},
    {"http.read_timeout_s", [](settings& s, auto& k, auto& v) { s.http.read_timeout_s = parse_uint<int>(k, v, 1, 3600); }},
    {"http.request_timeout_s", [](settings& s, auto& k, auto& v) { s.http.request_timeout_s = parse_uint<int>(k, v, 1, 3600); }},
    {"storage.url", [](settings& s, auto& k, auto& v) {
       if (v.empty()) fail(k, "expected a sqlite path/URL or a postgres:// URL", v);
       s.storage.url = v; }},
    {"storage.migrate_on_start", [](settings& s, auto& k, auto& v) { s.storage.migrate_on_start = parse_bool(k, v); }},
    {"storage.read_pool_size", [](settings& s, auto& k, auto& v) { s.storage.read_pool_size = parse_uint<size_t>(k, v, 1, 256); }},
    {"storage.writers", [](settings& s, auto& k, auto& v) { s.storage.writers = parse_uint<size_t>(k, v, 0, 64); }},
    {"auth.bootstrap_admin_api_key", [](settings& s, auto&, auto& v) { s.auth.bootstrap_admin_api_key = v; }},
    {"auth.environment", [](settings& s, auto&, auto& v) { s.auth.production = is_production_env(v); }},
    {"auth.rate_limit_window_s", [](settings& s, auto& k, auto& v) { s.auth.rate_limit_window = std::chrono::seconds{parse_uint<int64_t>(k, v, 1, 86400)}; }},
    {"auth.rate_limit_max_entries", [](settings& s, auto& k, auto& v) { s.auth.rate_limit_max_entries = parse_uint<size_t>(k, v, 1, 10'000'000); }},
    {"auth.rate_limit_per_minute", [](settings& s, auto& k, auto& v) { s.auth.rate_limit_per_minute = parse_uint<uint32_t>(k, v, 0, 1'000'000'000); }},
    {"sequencer.signing_key", [](settings& s, auto& k, auto& v) { s.sequencer.signing_key = parse_seed(k, v); }},
    {"sequencer.id", [](settings& s, auto& k, auto& v) {
       auto id = ves::uuid::parse(v);
       if (!id) fail(k, "expected a UUID", v);
       s.sequencer.id = *id; }},
    {"sequencer.data_dir", [](settings& s, auto&, auto& v) { s.sequencer.data_dir = v; }},
    {"sequencer.group_commit_max_events", [](settings& s, auto& k, auto& v) { s.sequencer.group_commit_max_events = parse_uint<size_t>(k, v, 1, 100000); }},
    {"sequencer.max_queued_events", [](settings& s, auto& k, auto& v) { s.sequencer.max_queued_events = parse_uint<size_t>(k, v, 1, 100000000); }},
    {"sequencer.recent_id_cache", [](settings& s, auto& k, auto& v) { s.sequencer.recent_id_cache = parse_uint<size_t>(k, v, 0, 100000000); }},
    {"sequencer.companion_idle_stop_ms", [](settings& s, auto& k, auto& v) { s.sequencer.companion_idle_stop = std::chrono::milliseconds{parse_uint<int64_t>(k, v, 0, 3'600'000)}; }},
    {"sequencer.idle_stream_timeout_s", [](settings& s, auto& k, auto& v) { s.sequencer.idle_stream_timeout = std::chrono::seconds{parse_uint<int64_t>(k, v, 1, 86400 * 365)}; }},
    {"sequencer.verify_workers", [](settings& s, auto& k, auto& v) { s.sequencer.verify_workers = parse_uint<size_t>(k, v, 0, 256); }},
    {"sequencer.scheduler_threads", [](settings& s, auto& k, auto& v) { s.sequencer.scheduler_threads = parse_uint<size_t>(k, v, 0, 256); }},
    {"limits.max_events_per_batch", [](settings& s, auto& k, auto& v) { s.limits.max_events_per_batch = parse_uint<size_t>(k, v, 1, 100000); }},
    {"limits.max_event_payload_size", [](settings& s, auto& k, auto& v) { s.limits.max_event_payload_size = parse_uint<size_t>(k, v, 1, size_t{1} << 31); }},
    {"projection.mode", [](settings& s, auto& k, auto& v) { s.projection.halt_by_default = parse_choice(k, v, {"park", "halt"}) == "halt"; }},
    {"projection.halt_streams", [](settings& s, auto& k, auto& v) { s.projection.halt_streams = parse_streams(k, v); }},
    {"projection.park_streams", [](settings& s, auto& k, auto& v) { s.projection.park_streams = parse_streams(k, v); }},
    {"projection.batch_size", [](settings& s, auto& k, auto& v) { s.projection.batch_size = parse_uint<uint32_t>(k, v, 1, 100000); }},
    {"projection.io_workers", [](settings& s, auto& k, auto& v) { s.projection.io_workers = parse_uint<size_t>(k, v, 1, 64); }},
    {"projection.linger_ms", [](settings& s, auto& k, auto& v) { s.projection.linger = std::chrono::milliseconds{parse_uint<int64_t>(k, v, 0, 10'000)}; }},
    {"commitments.auto", [](settings& s, auto& k, auto& v) { s.commitments.automatic = parse_bool(k, v); }},
    {"commitments.max_events", [](settings& s, auto& k, auto& v) { s.commitments.max_events = parse_uint<uint64_t>(k, v, 1, 1'000'000); }},
    {"commitments.max_age_s", [](settings& s, auto& k, auto& v) { s.commitments.max_age = std::chrono::seconds{parse_uint<int64_t>(k, v, 1, 86400)}; }},
    {"dlq.retry_initial_delay_ms", [](settings& s, auto& k, auto& v) { s.dlq.retry_initial_delay = std::chrono::milliseconds{parse_uint<int64_t>(k, v, 1, int64_t{86'400'000} * 30)}; }},
    {"dlq.retry_max_delay_ms", [](settings& s, auto& k, auto& v) { s.dlq.retry_max_delay = std::chrono::milliseconds{parse_uint<int64_t>(k, v, 1, int64_t{86'400'000} * 30)}; }},
    {"dlq.max_retries", [](settings& s, auto& k, auto& v) { s.dlq.max_retries = parse_uint<uint32_t>(k, v, 0, 1000); }},
    {"dlq.retry_jitter", [](settings& s, auto& k, auto& v) { s.dlq.retry_jitter = parse_fraction(k, v); }},
    {"dlq.poll_interval_ms", [](settings& s, auto& k, auto& v) { s.dlq.poll_interval = std::chrono::milliseconds{parse_uint<int64_t>(k, v, 10, 3'600'000)}; }},
    {"anchor.rpc_url", [](settings& s, auto& k, auto& v) {
       // http(s)://host…; only the scheme is echoed (a hosted node's key may be in the URL).
       auto sep = v.find("://");
       auto scheme = sep == std::string::npos ? std::string{} : v.substr(0, sep);
       auto host = sep == std::string::npos ? std::string{} : v.substr(sep + 3, 1);
       if (!v.empty() && ((scheme != "http" && scheme != "https") || host.empty() || host == "/"))
         fail(k, "expected an http:// or https:// URL with a host",
              sep == std::string::npos ? "(no scheme)" : scheme + "://…");
       s.anchor.rpc_url = v; }},
    {"anchor.contract_address", [](settings& s, auto& k, auto& v) {
       auto b = ves::from_hex(v, true);
       if (!v.empty() && (!b || b->size() != 20 || v.rfind("0x", 0) != 0))
         fail(k, "expected 0x + 40 hex digits", v);
       s.anchor.contract_address = v; }},
    {"anchor.private_key", [](settings& s, auto& k, auto& v) {
       auto b = ves::from_hex(v, true);
       if (!v.empty() && (!b || b->size() != 32))
         fail(k, "expected a 32-byte secp256k1 key as 64 hex digits", "(hidden)");
       s.anchor.private_key = v; }},
    {"anchor.chain_id", [](settings& s, auto& k, auto& v) { s.anchor.chain_id = parse_uint<uint64_t>(k, v, 0, uint64_t{1} << 53); }},
    {"anchor.abi", [](settings& s, auto& k, auto& v) { s.anchor.abi = parse_choice(k, v, {"stateset_anchor", "set_registry"}); }},
    {"anchor.confirmations", [](settings& s, auto& k, auto& v) { s.anchor.confirmations = parse_uint<uint32_t>(k, v, 1, 1000); }},
    {"anchor.auto", [](settings& s, auto& k, auto& v) { s.anchor.automatic = parse_bool(k, v); }},
    {"anchor.interval_ms", [](settings& s, auto& k, auto& v) { s.anchor.interval = std::chrono::milliseconds{parse_uint<int64_t>(k, v, 100, 86'400'000)}; }},
    {"anchor.interval_s", [](settings& s, auto& k, auto& v) { s.anchor.interval = std::chrono::seconds{parse_uint<int64_t>(k, v, 1, 86'400)}; }},
    {"anchor.batch_threshold", [](settings& s, auto& k, auto& v) { s.anchor.batch_threshold = parse_uint<uint32_t>(k, v, 1, 1000); }},
    {"anchor.receipt_timeout_ms", [](settings& s, auto& k, auto& v) { s.anchor.receipt_timeout = std::chrono::milliseconds{parse_uint<int64_t>(k, v, 100, 3'600'000)}; }},
    {"anchor.receipt_poll_interval_ms", [](settings& s, auto& k, auto& v) { s.anchor.receipt_poll_interval = std::chrono::milliseconds{parse_uint<int64_t>(k, v, 10, 60'000)}; }},
    {"anchor.breaker.failure_threshold", [](settings& s, auto& k, auto& v) { s.anchor.breaker_failure_threshold = parse_uint<uint32_t>(k, v, 1, 1000); }},
    {"anchor.breaker.open_timeout_ms", [](settings& s, auto& k, auto& v) { s.anchor.breaker_open_timeout = std::chrono::milliseconds{parse_uint<int64_t>(k, v, 10, 3'600'000)}; }},
    {"anchor.breaker.max_backoff_ms", [](settings& s, auto& k, auto& v) { s.anchor.breaker_max_backoff = std::chrono::milliseconds{parse_uint<int64_t>(k, v, 10, 86'400'000)}; }},
    {"anchor.breaker.slow_call_ms", [](settings& s, auto& k, auto& v) { s.anchor.breaker_slow_call = std::chrono::milliseconds{parse_uint<int64_t>(k, v, 0, 3'600'000)}; }},
    {"x402.batch_max_size", [](settings& s, auto& k, auto& v) { s.x402.batch_max_size = parse_uint<uint32_t>(k, v, 1, 1000); }},
    {"x402.batch_max_wait_ms", [](settings& s, auto& k, auto& v) { s.x402.batch_max_wait = std::chrono::milliseconds{parse_uint<int64_t>(k, v, 10, 86'400'000)}; }},
    {"x402.batch_max_wait_s", [](settings& s, auto& k, auto& v) { s.x402.batch_max_wait = std::chrono::seconds{parse_uint<int64_t>(k, v, 1, 86'400)}; }},
    {"x402.networks", [](settings& s, auto& k, auto& v) { s.x402.networks = parse_x402_networks(k, v); }},
    {"x402.auto_settle", [](settings& s, auto& k, auto& v) { s.x402.auto_settle = parse_bool(k, v); }},
    {"x402.settlement_contract", [](settings& s, auto& k, auto& v) { s.x402.settlement_contract = parse_address(k, v, true); }},
    {"x402.token_addresses", [](settings& s, auto& k, auto& v) { s.x402.token_addresses = parse_token_list(k, v); }},
    {"x402.token_addresses.usdc", [](settings& s, auto& k, auto& v) { s.x402.token_addresses["usdc"] = parse_address(k, v, false); }},
    {"x402.token_addresses.usdt", [](settings& s, auto& k, auto& v) { s.x402.token_addresses["usdt"] = parse_address(k, v, false); }},
    {"x402.token_addresses.ssusd", [](settings& s, auto& k, auto& v) { s.x402.token_addresses["ssusd"] = parse_address(k, v, false); }},
    {"x402.token_addresses.wssusd", [](settings& s, auto& k, auto& v) { s.x402.token_addresses["wssusd"] = parse_address(k, v, false); }},
    {"x402.token_addresses.dai", [](settings& s, auto& k, auto& v) { s.x402.token_addresses["dai"] = parse_address(k, v, false); }},
    {"x402.token_addresses.eth", [](settings& s, auto& k, auto& v) { s.x402.token_addresses["eth"] = parse_address(k, v, false); }},
    {"x402.nonce_cleanup_interval_s", [](settings& s, auto& k, auto& v) { s.x402.nonce_cleanup_interval = std::chrono::seconds{parse_uint<int64_t>(k, v, 1, 86'400 * 7)}; }},
    {"x402.settle_retry_initial_ms", [](settings& s, auto& k, auto& v) { s.x402.settle_retry_initial = std::chrono::milliseconds{parse_uint<int64_t>(k, v, 10, 3'600'000)}; }},
    {"x402.settle_retry_max_ms", [](settings& s, auto& k, auto& v) { s.x402.settle_retry_max = std::chrono::milliseconds{parse_uint<int64_t>(k, v, 10, 86'400'000)}; }},
    {"log.format", [](settings& s, auto& k, auto& v) { s.log.format = parse_choice(k, v, {"text", "json"}); }},
    {"log.level", [](settings& s, auto& k, auto& v) { s.log.level = parse_choice(k, v, {"trace", "debug", "info", "warn", "error", "off"}); }},
    {"shutdown.deadline_s", [](settings& s, auto& k, auto& v) { s.shutdown_deadline = std::chrono::seconds{parse_uint<int64_t>(k, v, 1, 3600)}; }},
  };
  return table;
}

/// Environment variable → settings key. Reference names first, then this project's own.
const std::vector<std::pair<const char*, const char*>>& env_names() {
  static const std::vector<std::pair<const char*, const char*>> names = {
    {"HOST", "http.host"},
    {"PORT", "http.port"},
    {"MAX_BODY_SIZE_BYTES", "http.max_body_bytes"},
    {"REQUEST_TIMEOUT_SECS", "http.request_timeout_s"},
    {"VES_HTTP_THREADS", "http.threads"},
    {"VES_HTTP_LOOPS", "http.loops"},
    {"DATABASE_URL", "storage.url"},
    {"DB_MIGRATE_ON_STARTUP", "storage.migrate_on_start"},
    {"MAX_DB_CONNECTIONS", "storage.read_pool_size"},
    {"VES_STORAGE_WRITERS", "storage.writers"},
    {"BOOTSTRAP_ADMIN_API_KEY", "auth.bootstrap_admin_api_key"},
    {"ENVIRONMENT", "auth.environment"},
    {"SEQUENCER_ENV", "auth.environment"}, // wins over ENVIRONMENT, as in the reference
    {"RATE_LIMIT_WINDOW_SECONDS", "auth.rate_limit_window_s"},
    {"RATE_LIMIT_MAX_ENTRIES", "auth.rate_limit_max_entries"},
    {"RATE_LIMIT_PER_MINUTE", "auth.rate_limit_per_minute"},
    {"VES_SEQUENCER_SIGNING_KEY", "sequencer.signing_key"},
    {"VES_SEQUENCER_ID", "sequencer.id"},
    {"VES_DATA_DIR", "sequencer.data_dir"},
    {"VES_GROUP_COMMIT_MAX_EVENTS", "sequencer.group_commit_max_events"},
    {"VES_MAX_QUEUED_EVENTS", "sequencer.max_queued_events"},
    {"VES_IDLE_STREAM_TIMEOUT_SECS", "sequencer.idle_stream_timeout_s"},
    {"VES_COMPANION_IDLE_STOP_MS", "sequencer.companion_idle_stop_ms"},
    {"VES_VERIFY_WORKERS", "sequencer.verify_workers"},
    {"VES_SCHEDULER_THREADS", "sequencer.scheduler_threads"},
    {"MAX_EVENTS_PER_BATCH", "limits.max_events_per_batch"},
    {"MAX_EVENT_PAYLOAD_SIZE", "limits.max_event_payload_size"},
    {"VES_PROJECTION_MODE", "projection.mode"},
    {"VES_PROJECTION_HALT_STREAMS", "projection.halt_streams"},
    {"VES_PROJECTION_PARK_STREAMS", "projection.park_streams"},
    {"VES_PROJECTION_BATCH_SIZE", "projection.batch_size"},
    {"VES_PROJECTION_IO_WORKERS", "projection.io_workers"},
    {"VES_PROJECTION_LINGER_MS", "projection.linger_ms"},
    {"VES_AUTO_COMMIT", "commitments.auto"},
    {"VES_COMMIT_MAX_EVENTS", "commitments.max_events"},
    {"VES_COMMIT_MAX_AGE_SECS", "commitments.max_age_s"},
    {"VES_DLQ_RETRY_INITIAL_DELAY_MS", "dlq.retry_initial_delay_ms"},
    {"VES_DLQ_RETRY_MAX_DELAY_MS", "dlq.retry_max_delay_ms"},
    {"VES_DLQ_MAX_RETRIES", "dlq.max_retries"},
    {"VES_DLQ_RETRY_JITTER", "dlq.retry_jitter"},
    {"VES_DLQ_POLL_INTERVAL_MS", "dlq.poll_interval_ms"},
    {"L2_RPC_URL", "anchor.rpc_url"},
    {"SET_REGISTRY_ADDRESS", "anchor.contract_address"},
    {"SEQUENCER_PRIVATE_KEY", "anchor.private_key"},
    {"L2_CHAIN_ID", "anchor.chain_id"},
    {"ANCHOR_FINALITY_CONFIRMATIONS", "anchor.confirmations"},
    {"ANCHOR_INTERVAL_SECS", "anchor.interval_s"},
    {"ANCHOR_BATCH_THRESHOLD", "anchor.batch_threshold"},
    {"VES_ANCHOR_ABI", "anchor.abi"},
    {"VES_ANCHOR_AUTO", "anchor.auto"},
    {"VES_ANCHOR_INTERVAL_MS", "anchor.interval_ms"},
    {"VES_ANCHOR_RECEIPT_TIMEOUT_MS", "anchor.receipt_timeout_ms"},
    {"VES_ANCHOR_RECEIPT_POLL_INTERVAL_MS", "anchor.receipt_poll_interval_ms"},
    {"VES_ANCHOR_BREAKER_FAILURE_THRESHOLD", "anchor.breaker.failure_threshold"},
    {"VES_ANCHOR_BREAKER_OPEN_TIMEOUT_MS", "anchor.breaker.open_timeout_ms"},
    {"VES_ANCHOR_BREAKER_MAX_BACKOFF_MS", "anchor.breaker.max_backoff_ms"},
    {"VES_ANCHOR_BREAKER_SLOW_CALL_MS", "anchor.breaker.slow_call_ms"},
    {"X402_BATCH_MAX_SIZE", "x402.batch_max_size"},
    {"X402_BATCH_MAX_WAIT_SECS", "x402.batch_max_wait_s"},
    {"X402_BATCH_NETWORKS", "x402.networks"},
    {"X402_NONCE_CLEANUP_INTERVAL_SECS", "x402.nonce_cleanup_interval_s"},
    {"VES_X402_BATCH_MAX_WAIT_MS", "x402.batch_max_wait_ms"},
    {"VES_X402_AUTO_SETTLE", "x402.auto_settle"},
    {"VES_X402_SETTLEMENT_CONTRACT", "x402.settlement_contract"},
    {"VES_X402_TOKEN_ADDRESSES", "x402.token_addresses"},
    {"VES_X402_SETTLE_RETRY_INITIAL_MS", "x402.settle_retry_initial_ms"},
    {"VES_X402_SETTLE_RETRY_MAX_MS", "x402.settle_retry_max_ms"},
    {"LOG_FORMAT", "log.format"},
    {"LOG_LEVEL", "log.level"},
    {"VES_SHUTDOWN_DEADLINE_SECS", "shutdown.deadline_s"},
  };
  return names;
}

void apply(settings& s, const std::string& key, const std::string& value) {
  auto& t = setters();
  auto i = t.find(key);
  if (i == t.end())
    throw config_error("config: " + key + ": unknown setting");
  i->second(s, key, value);
}

void walk_yaml(settings& s, const YAML::Node& node, const std::string& prefix) {
  if (node.IsMap()) {
    for (auto it = node.begin(); it != node.end(); ++it) {
      auto key = it->first.as<std::string>();
      walk_yaml(s, it->second, prefix.empty() ? key : prefix + "." + key);
    }
  } else if (node.IsScalar()) {
    apply(s, prefix, node.Scalar());
  } else if (node.IsNull()) {
    // an empty value keeps the default
  } else if (node.IsSequence()) {
    // A list of scalars (projection.halt_streams: [...]) is applied as one comma-separated
    // value, the same form its environment variable takes.
    std::string joined;
    for (const auto& item : node) {
      if (!item.IsScalar())
        throw config_error("config: " + prefix + ": expected a list of scalar values");
      if (item.Scalar().find(',') != std::string::npos)
        throw config_error("config: " + prefix + ": list items must not contain commas");
      joined += joined.empty() ? item.Scalar() : "," + item.Scalar();
    }
    apply(s, prefix, joined);
  } else {
    throw config_error("config: " + prefix + ": expected a scalar value");
  }
}

} // namespace

env_map process_env() {
  env_map m;
  for (char** e = environ; e && *e; ++e) {
    std::string kv = *e;
    auto eq = kv.find('=');
    if (eq != std::string::npos)
      m.emplace(kv.substr(0, eq), kv.substr(eq + 1));
  }
  return m;
}

ves::seed32 parse_seed(const std::string& key, const std::string& text) {
  std::string t = text;
  while (!t.empty() && isspace(static_cast<unsigned char>(t.back())))
    t.pop_back();
  if (auto h = ves::from_hex_fixed<32>(t); h && (t.size() == 64 || t.size() == 66))
    return *h;
  if (auto b = ves::base64_decode_any(t); b && b->size() == 32) {
    ves::seed32 out{};
    std::copy(b->begin(), b->end(), out.begin());
    return out;
  }
  if (auto b = ves::base64url_decode(t); b && b->size() == 32) {
    ves::seed32 out{};
    std::copy(b->begin(), b->end(), out.begin());
    return out;
  }
  throw config_error("config: " + key
                     + ": expected a 32-byte Ed25519 seed as 64 hex chars (optional 0x) or base64");
}

size_t auto_storage_writers(unsigned cores) {
  return std::clamp<size_t>(2 * static_cast<size_t>(cores), 4, 16);
}

std::optional<std::string> rust_log_level(std::string_view filter) {
  // env_logger's syntax: comma-separated directives, `module=level` or a bare level that sets
  // the default; the last bare level wins. Module directives have no counterpart here.
  std::optional<std::string> level;
  for (auto item : split_list(filter)) {
    std::transform(item.begin(), item.end(), item.begin(), ::tolower);
    for (auto lvl : {"trace", "debug", "info", "warn", "error", "off"})
      if (item == lvl)
        level = item;
  }
  return level;
}

bool is_postgres_url(const std::string& url) {
  return url.rfind("postgres://", 0) == 0 || url.rfind("postgresql://", 0) == 0;
}

settings load(const std::string& path, const env_map& env) {
  settings s;
  if (!path.empty()) {
    if (std::error_code ec; !std::filesystem::is_regular_file(path, ec))
      throw config_error("config: " + path + ": no such file (or not a regular file)");
    try {
      auto root = YAML::LoadFile(path);
      if (!root.IsNull() && !root.IsMap())
        throw config_error("config: " + path + ": expected a mapping at the top level");
      walk_yaml(s, root, "");
    } catch (const YAML::Exception& e) {
      throw config_error("config: " + path + ": " + e.what());
    } catch (const config_error&) {
      throw;
    } catch (const std::exception& e) { // an unreadable file, a key that is not a scalar, …
      throw config_error("config: " + path + ": " + e.what());
    }
  }
  for (auto& [var, key] : env_names()) {
    auto i = env.find(var);
    if (i == env.end() || (i->second.empty() && std::string{var} != "BOOTSTRAP_ADMIN_API_KEY"))
      continue;
    try {
      apply(s, key, i->second);
    } catch (const config_error& e) {
      // name the variable the operator actually set
      throw config_error(std::string{e.what()} + " (from $" + var + ")");
    }
  }
  if (auto refusal = reference_env_refusal(env))
    throw config_error(*refusal);
  s.notices = reference_env_notices(env);
  auto log_level = env.find("LOG_LEVEL");
  if (auto i = env.find("RUST_LOG");
      i != env.end() && (log_level == env.end() || log_level->second.empty())) {
    if (auto lvl = rust_log_level(i->second))
      s.log.level = *lvl;
  }
  // cross-field checks
  {
    auto& a = s.anchor;
    int set = !a.rpc_url.empty() + !a.contract_address.empty() + !a.private_key.empty();
    if (set != 0 && set != 3)
      throw config_error("config: anchor: set all of anchor.rpc_url, anchor.contract_address and "
                         "anchor.private_key (L2_RPC_URL, SET_REGISTRY_ADDRESS, "
                         "SEQUENCER_PRIVATE_KEY) to enable anchoring, or none of them");
    if (a.breaker_max_backoff < a.breaker_open_timeout)
      throw config_error("config: anchor.breaker.max_backoff_ms: must not be below "
                         "anchor.breaker.open_timeout_ms");
  }
  if (!s.x402.settlement_contract.empty() && !s.anchor.enabled())
    throw config_error("config: x402.settlement_contract: settlement needs the chain connection "
                       "of anchor.rpc_url, anchor.contract_address and anchor.private_key");
  if (s.x402.settle_retry_max < s.x402.settle_retry_initial)
    throw config_error("config: x402.settle_retry_max_ms: must not be below "
                       "x402.settle_retry_initial_ms");
  if (s.auth.production && !s.auth.bootstrap_admin_api_key.empty()
      && s.auth.bootstrap_admin_api_key.size() < 32)
    throw config_error("config: auth.bootstrap_admin_api_key: must be at least 32 characters in "
                       "production, got " + std::to_string(s.auth.bootstrap_admin_api_key.size()));
  if (s.dlq.retry_max_delay < s.dlq.retry_initial_delay)
    throw config_error("config: dlq.retry_max_delay_ms: must not be below "
                       "dlq.retry_initial_delay_ms ("
                       + std::to_string(s.dlq.retry_initial_delay.count()) + "), got "
                       + std::to_string(s.dlq.retry_max_delay.count()));
  for (auto& h : s.projection.halt_streams)
    for (auto& p : s.projection.park_streams)
      if (h == p)
        throw config_error("config: projection.park_streams: " + h.first.str() + "/"
                           + h.second.str() + " is also in projection.halt_streams");
  if (s.sequencer.verify_workers == 0)
    s.sequencer.verify_workers = std::max(1u, std::thread::hardware_concurrency());
  if (s.storage.writers == 0)
    s.storage.writers = auto_storage_writers(std::thread::hardware_concurrency());
  if (s.http.loops == 0)
    s.http.loops = std::max(1u, std::thread::hardware_concurrency());
  if (s.sequencer.scheduler_threads == 0)
    s.sequencer.scheduler_threads = std::max(2u, std::thread::hardware_concurrency());
  return s;
}

} // namespace seq::config
