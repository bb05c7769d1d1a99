// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Domain values shared by actors, storage and the transports: stream keys, events as the
/// sequencer stores them, receipts, keys. Plain aggregates; no I/O.

#include "messages/ves/bytes.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace seq::msg {

using ves::hash32;
using ves::pubkey32;
using ves::sig64;
using ves::uuid;

/// The three independent, gap-free sequence spaces of one (tenant, store) stream.
enum class space : uint8_t { legacy = 0, ves = 1, x402 = 2 };

struct stream_key {
  uuid tenant_id, store_id;
  auto operator<=>(const stream_key&) const = default;
  std::string str() const; ///< "tenant/store"
  /// FNV-1a over the key's 32 bytes: the same value in every process and run, so a stream
  /// always lands on the same worker of a pool (storage writers, projection, commit, x402 I/O).
  uint64_t hash() const noexcept;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, stream_key& x) {
  return f(x.tenant_id, x.store_id);
}

/// Microseconds since the Unix epoch (UTC).
using timestamp_us = int64_t;
timestamp_us now_us();
/// chrono `to_rfc3339()` form with microseconds: 2024-01-15T10:30:00.123456+00:00
std::string rfc3339_offset(timestamp_us t);
/// chrono serde form: 2024-01-15T10:30:00.123456Z (fraction omitted when zero)
std::string rfc3339_z(timestamp_us t);
/// Parses RFC 3339 (full date, `T`/`t`, time, optional fraction, `Z`/`z` or ±hh:mm).
std::optional<timestamp_us> parse_rfc3339(std::string_view s);

/// `url` fit for a log line or an error message: the password of a `scheme://user:password@`
/// URL and the value of every `password=` parameter (URI query or libpq key=value form) become
/// `***`. The rest is kept, so that the host and the database still show.
std::string redact_url(std::string_view url);
/// The scheme, host and port of a `scheme://` URL (`https://node.example:8545`), for logs and
/// errors that name a chain node: its user information, path and query are left out, since
/// hosted nodes carry their API key there. A URL without a scheme is returned redacted.
std::string url_origin(std::string_view url);

struct entity_key {
  std::string entity_type, entity_id;
  auto operator<=>(const entity_key&) const = default;
};

/// A VES event after verification, ready to be sequenced.
struct ves_event {
  uint32_t ves_version = 1;
  uuid event_id, tenant_id, store_id, source_agent_id;
  uint32_t agent_key_id = 0;
  std::string entity_type, entity_id, event_type;
  std::string created_at;            ///< verbatim string as signed
  uint32_t payload_kind = 0;         ///< 0 plaintext, 1 encrypted
  std::string payload;               ///< kind 0: JCS text of the payload; kind 1: empty
  std::string payload_encrypted;     ///< kind 1: compact JSON of the VES-ENC-1 object; else empty
  hash32 payload_plain_hash{}, payload_cipher_hash{}, event_signing_hash{};
  sig64 agent_signature{};
  std::optional<uuid> command_id;
  std::optional<uint64_t> base_version;
  int32_t agent_signature_scheme = 0;
};

/// The sequencer's receipt for one VES event.
struct receipt {
  uuid sequencer_id;
  uuid event_id;
  uint64_t sequence_number = 0;
  timestamp_us sequenced_at = 0;
  hash32 receipt_hash{};
  std::optional<sig64> sequencer_signature; ///< always set by this project
  int32_t sequencer_key_version = 0;
};

/// A stored VES event with its sequence data and receipt.
struct sequenced_ves_event {
  ves_event ev;
  uint64_t sequence_number = 0;
  timestamp_us sequenced_at = 0;
  receipt rcpt;
};

/// A legacy (non-VES) event as stored.
struct legacy_event {
  uuid event_id;
  std::optional<uuid> command_id;
  uuid tenant_id, store_id;
  std::string entity_type, entity_id, event_type;
  std::string payload;               ///< compact JSON text (document order)
  hash32 payload_hash{};
  std::optional<uint64_t> base_version;
  timestamp_us created_at = 0;
  uuid source_agent;
  std::optional<std::vector<uint8_t>> signature;
};

struct sequenced_legacy_event {
  legacy_event ev;
  uint64_t sequence_number = 0;
  timestamp_us sequenced_at = 0;
};

/// Key algorithm ids of §8.2 this server takes: 0 (unspecified) and 1 (Ed25519).
inline constexpr int32_t key_algorithm_unspecified = 0;
inline constexpr int32_t key_algorithm_ed25519 = 1;

/// The `key_algorithm` stored for a requested one: unspecified is stored as Ed25519, as the
/// reference stores it.
constexpr int32_t stored_key_algorithm(int32_t requested) {
  return requested == key_algorithm_unspecified ? key_algorithm_ed25519 : requested;
}

/// An Ed25519 agent signing key (agent_signing_keys).
struct agent_key {
  uuid tenant_id, agent_id;
  uint32_t key_id = 0;
  pubkey32 public_key{};
  int32_t key_algorithm = key_algorithm_ed25519;
  std::string status = "active";     ///< active | revoked | expired
  std::optional<timestamp_us> valid_from, valid_to, revoked_at;
  timestamp_us created_at = 0;
};

/// An API key record (api_keys); the plaintext key is never stored.
struct api_key_record {
  std::string key_hash;              ///< lowercase hex SHA-256 of the key
  uuid tenant_id;                    ///< nil = bootstrap admin
  std::vector<uuid> store_ids;       ///< empty = all stores
  bool can_read = true, can_write = false, can_admin = false;
  std::optional<uuid> agent_id;
  bool active = true;
  std::optional<int32_t> rate_limit;
  timestamp_us created_at = 0, updated_at = 0;
};

struct stream_heads {
  uint64_t legacy = 0, ves = 0, x402 = 0;
};

} // namespace seq::msg
