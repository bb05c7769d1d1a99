// SPDX-License-Identifier: Apache-2.0
// The reference's environment variables this server does not read (wire-contract.md §10): an
// operator who moves a deployment over is told at start what each one no longer does, instead
// of finding out later. One of them guards access and is refused (see reference_env_refusal).
#include "config/settings.hpp"

#include <vector>

namespace seq::config {

namespace {

/// Reference variables that this server does not read, grouped by what it does instead.
struct unread_group {
  std::vector<const char*> names;
  const char* instead;
};

const std::vector<unread_group>& unread_groups() {
  static const std::vector<unread_group> groups{
    {{"GRPC_PORT", "GRPC_DISABLED", "GRPC_REQUEST_TIMEOUT_SECS"},
     "this server has no gRPC service (HTTP only)"},
    {{"CORS_ALLOW_ORIGINS"}, "no CORS headers are sent"},
    {{"READ_DATABASE_URL", "READ_DB_APPLICATION_NAME"}, "every read uses DATABASE_URL"},
    {{"DB_APPLICATION_NAME"},
     "PostgreSQL sessions are named ves-sequencer (an application_name in DATABASE_URL wins)"},
    {{"DB_STATEMENT_TIMEOUT_MS"},
     "statement_timeout is 30 s (set another with options in DATABASE_URL)"},
    {{"DB_LOCK_TIMEOUT_MS"}, "lock_timeout is 10 s (set another with options in DATABASE_URL)"},
    {{"DB_IDLE_IN_TX_TIMEOUT_MS"},
     "idle_in_transaction_session_timeout is 60 s (set another with options in DATABASE_URL)"},
    {{"ALLOW_INSECURE_LOCAL_DB"}, "TLS to PostgreSQL follows DATABASE_URL's sslmode (libpq)"},
    {{"MIN_DB_CONNECTIONS", "DB_ACQUIRE_TIMEOUT_MS", "DB_IDLE_TIMEOUT_SECS", "DB_MAX_LIFETIME_SECS",
      "READ_MAX_DB_CONNECTIONS", "READ_MIN_DB_CONNECTIONS", "READ_DB_ACQUIRE_TIMEOUT_MS",
      "READ_DB_IDLE_TIMEOUT_SECS", "READ_DB_MAX_LIFETIME_SECS"},
     "connections are opened as needed and kept (MAX_DB_CONNECTIONS sizes the read pool)"},
    {{"DB_STARTUP_MAX_RETRIES", "DB_STARTUP_RETRY_DELAY_SECS"},
     "an unreachable database is retried 10 times, 1 s apart, at start"},
    {{"CACHE_COMMITMENT_MAX", "CACHE_COMMITMENT_TTL_SECS", "CACHE_PROOF_MAX",
      "CACHE_PROOF_TTL_SECS", "CACHE_VES_COMMITMENT_MAX", "CACHE_VES_COMMITMENT_TTL_SECS",
      "CACHE_VES_PROOF_MAX", "CACHE_VES_PROOF_TTL_SECS", "CACHE_AGENT_KEY_MAX",
      "CACHE_AGENT_KEY_TTL_SECS", "CACHE_SCHEMA_MAX", "CACHE_SCHEMA_TTL_SECS"},
     "there are no such caches: each stream's committer keeps the trees of its last 8 "
     "commitments, and the verifier its agents' keys"},
    {{"AUTH_MODE", "ALLOW_AUTH_DISABLED"}, "authentication is always required"},
    {{"JWT_SECRET", "JWT_ISSUER", "JWT_AUDIENCE"},
     "JWTs are not accepted: a Bearer token gets 401 INVALID_TOKEN"},
    {{"PUBLIC_AGENT_REGISTRATION_ENABLED", "PUBLIC_AGENT_REGISTRATION_RATE_LIMIT_PER_MINUTE",
      "PUBLIC_AGENT_REGISTRATION_MAX_ENTRIES", "PUBLIC_AGENT_REGISTRATION_WINDOW_SECONDS"},
     "POST /api/v1/agents/register is not served (agents get keys from an admin)"},
    {{"TRUST_PROXY_HEADERS", "TRUST_PROXY_ALLOWLIST"},
     "client addresses are not used, so forwarding headers are not read"},
    {{"SCHEMA_VALIDATION_MODE"},
     "there is no schema registry: payloads are not checked against schemas"},
    {{"PAYLOAD_ENCRYPTION_MODE", "PAYLOAD_ENCRYPTION_KEY", "PAYLOAD_ENCRYPTION_KEYS",
      "PAYLOAD_ENCRYPTION_KEYS_BY_TENANT"},
     "legacy payloads are stored as sent (no encryption at rest)"},
    {{"VES_SEQUENCER_SECURITY_PROFILE", "VES_SEQUENCER_ML_DSA_SEED"},
     "receipts are signed with Ed25519 only"},
    {{"VES_STRICT_FORMAT_VALIDATION"},
     "hex fields take 0x or bare hex of either case, as the reference's default"},
    {{"VES_STARK_VERIFY_ON_SUBMIT", "VES_STARK_VERIFY_CONCURRENCY"},
     "there are no validity or compliance proof routes"},
    {{"ANCHOR_FINALITY_POLL_SECS"},
     "see anchor.receipt_poll_interval_ms and anchor.confirmations"},
    {{"ANCHOR_RECONCILE_SECS"},
     "each anchoring job asks the contract first, and records a commitment it already holds"},
    {{"X402_BATCH_INTERVAL_SECS", "X402_BATCH_MIN_SIZE"},
     "x402 batches seal by size or age (x402.batch_max_size, x402.batch_max_wait_ms)"},
    {{"X402_BATCH_AUTO_COMMIT"}, "every sealed x402 batch is committed"},
    {{"WORKER_LEADER_ELECTION"}, "one server owns its store: its background workers always run"},
    {{"AUDIT_LOG_ENABLED"}, "audit rows are always written"},
    {{"OTEL_EXPORTER_OTLP_ENDPOINT"}, "no traces are exported (logs and /metrics only)"},
  };
  return groups;
}

} // namespace

std::vector<std::string> reference_env_notices(const env_map& env) {
  std::vector<std::string> out;
  for (auto& g : unread_groups())
    for (auto name : g.names)
      if (auto i = env.find(name); i != env.end() && !i->second.empty())
        out.push_back(std::string{name} + " is set but not read: " + g.instead);
  return out;
}

std::optional<std::string> reference_env_refusal(const env_map& env) {
  auto i = env.find("ADMIN_IP_ALLOWLIST");
  if (i == env.end() || i->second.empty())
    return std::nullopt;
  return std::string{"config: ADMIN_IP_ALLOWLIST is set, but this server has no admin IP "
                     "allowlist: /metrics and /health/detailed would answer any address with "
                     "an admin key. Restrict them in front of the server and unset it"};
}

} // namespace seq::config
