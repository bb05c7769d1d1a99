// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The one domain error enum. Values are grouped: 1–19 request/sequence, 20–39 storage,
/// 40–59 payment/x402, 60+ overload and lifecycle. Every fallible function returns
/// caf::expected<T> with a caf::error made from these, so storage errors flow unchanged
/// into actor replies and are mapped to HTTP statuses in one place
/// (adapters/http/error_mapping.hpp).

#include <cstdint>
#include <string>

#include "caf/error.hpp"
#include "caf/make_message.hpp"

namespace seq {

enum class errc : uint8_t {
  none = 0,
  /// The request is malformed or a field has a wrong value (400).
  invalid_request = 1,
  /// The addressed resource does not exist (404).
  not_found = 2,
  /// A unique resource already exists (409).
  already_exists = 3,
  /// `base_version` does not match the entity's current version (409).
  version_conflict = 4,
  /// The event id is already stored with other contents (409).
  duplicate_event = 5,
  /// The command id was already processed (409).
  duplicate_command = 6,
  /// Stored events are not contiguous in the requested range (409).
  sequence_gap = 7,
  /// Missing or invalid credentials (401).
  unauthenticated = 8,
  /// Valid credentials without the needed permission or scope (403).
  forbidden = 9,
  /// A body, batch or payload exceeds a configured limit (413).
  too_large = 10,
  /// The stream's sequence space is exhausted (i64::MAX) (400).
  sequence_exhausted = 11,
  /// The database cannot be reached; retry later (503).
  storage_unavailable = 20,
  /// A uniqueness or compare-and-set fence fired; the owner reloads and retries.
  storage_conflict = 21,
  /// Any other storage failure (500).
  storage_failure = 22,
  /// Migrations could not be applied (startup).
  migration_failed = 23,
  /// A resource is not in a state that allows the requested change, e.g. settling an x402
  /// batch that is pending or failed (400 INVALID_STATE_TRANSITION).
  invalid_state_transition = 40,
  /// Too much queued work; retry later (503).
  overloaded = 60,
  /// A request to an actor timed out (504).
  timeout = 61,
  /// The server is shutting down (503).
  shutting_down = 62,
  /// Internal invariant broken (500).
  internal = 63,
  /// The chain's JSON-RPC endpoint cannot be reached, timed out or answered garbage (503).
  chain_unavailable = 64,
  /// The chain refused a call or transaction: a revert, an invalid transaction, a wrong
  /// chain id (502).
  chain_rejected = 65,
  /// A circuit breaker is open: the call failed fast without reaching the service (503).
  circuit_open = 66,
};

std::string to_string(errc x);

/// Shorthand for caf::make_error(code, message).
caf::error make_error(errc code, std::string message);
/// The message string carried in an error's context, or "".
std::string error_message(const caf::error& e);

} // namespace seq

CAF_ERROR_CODE_ENUM(seq::errc, "seq")
