// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The x402 statements of pg_event_store's commit_group and inspect_conflict pipelines
/// (private to adapters/storage/postgres; defined in pg_x402_store.cpp).

#include "adapters/storage/postgres/pg_connection.hpp"
#include "messages/store.hpp"

#include <cstddef>
#include <vector>

#include "caf/expected.hpp"

namespace seq::storage::pg {

/// Appends the INSERTs of the group's intents and nonce rows (nothing when it has none).
void append_x402_inserts(std::vector<statement>& out, const write_group& g);

/// Appends the two reads of inspect_conflict (used nonces, used idempotency keys) and returns
/// the index of the first.
size_t append_x402_conflict_reads(std::vector<statement>& out, const write_group& g);

/// Reads the results of those two statements into `rep`.
caf::expected<void> decode_x402_conflict(const std::vector<result>& rs, size_t first,
                                         const write_group& g, conflict_report& rep);

} // namespace seq::storage::pg
