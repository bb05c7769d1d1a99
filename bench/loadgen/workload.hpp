// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The load generator's workload: every request of a run, built and signed before the clock
/// starts. One tenant and one agent per run (fresh random ids, so every run starts on empty
/// streams); S stores give S streams; request r goes to stream r % S and carries events
/// r·B … r·B+B−1. Events have fresh random ids, a realistic ~150-byte order payload and an
/// entity id out of 1000 per stream; VES events are signed with the agent's Ed25519 key.

#include "bench/loadgen/payload.hpp"
#include "messages/ves/bytes.hpp"

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace seq::bench {

/// Who sends: the tenant, the agent and its signing key (VES), and the API key to send with.
struct identity {
  ves::uuid tenant, agent;
  uint32_t key_id = 1;
  ves::seed32 seed{};
  ves::pubkey32 public_key{};
  std::array<uint8_t, 64> secret_key{}; ///< libsodium's expanded key (seed || public key)
  std::string api_key;                   ///< sent as `Authorization: ApiKey …` on ingest

  /// Fresh random tenant, agent and signing key.
  static identity random();
};

struct workload_spec {
  bool legacy = false;
  size_t streams = 1;
  size_t batch = 1;
  size_t requests = 0;   ///< total, warm-up included
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  size_t threads = 2;    ///< generation threads
};

/// One event as the client keeps it to check what comes back.
struct event_record {
  ves::uuid event_id;
  ves::hash32 signing_hash{}; ///< VES only
};

/// One request: the stream it goes to, its events, and its complete HTTP/1.1 bytes.
struct request_plan {
  uint32_t stream = 0;
  uint32_t first_event = 0;
  uint32_t count = 0;
  std::string wire;
};

struct workload {
  workload_spec spec;
  identity who;
  std::vector<ves::uuid> stores;       ///< stream i = (who.tenant, stores[i])
  std::vector<event_record> events;
  std::vector<request_plan> requests;
  std::string created_at;              ///< every event's created_at (RFC 3339, signed verbatim)
};

/// Builds every request of `spec` for `who` (parallel over spec.threads threads).
workload build_workload(const workload_spec& spec, const identity& who);

/// Throws std::runtime_error unless event_payload() is byte-equal to what the project's JSON
/// library prints as JCS and as serde_json's form (so the payload hashes are right).
void check_payload_forms();

} // namespace seq::bench
