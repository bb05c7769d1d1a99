// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Pieces shared by both backends: one row decoder per table (over a small `row_view`
/// interface each backend implements for its result type), the fixed SELECT column orders the
/// decoders expect, compare-and-set merging, and the text encodings of UUID lists.

#include "messages/store.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace seq::storage::detail {

/// One result row. Implementations convert their native cell representation; a cell that
/// cannot be decoded marks the row as corrupt (`failed()`), and the decoder's value is then
/// discarded by the caller.
class row_view {
public:
  virtual ~row_view() = default;
  virtual bool is_null(int col) const = 0;
  virtual std::string text(int col) const = 0;
  virtual int64_t i64(int col) const = 0;
  virtual bool boolean(int col) const = 0;
  virtual std::vector<uint8_t> blob(int col) const = 0;
  virtual std::vector<uuid> uuid_list(int col) const = 0;

  uuid id(int col) const;
  std::optional<uuid> opt_id(int col) const;
  std::optional<int64_t> opt_i64(int col) const;
  template <size_t N>
  std::array<uint8_t, N> fixed(int col) const {
    std::array<uint8_t, N> out{};
    auto b = blob(col);
    if (b.size() != N) {
      fail("column " + std::to_string(col) + " has " + std::to_string(b.size())
           + " bytes, expected " + std::to_string(N));
      return out;
    }
    std::copy(b.begin(), b.end(), out.begin());
    return out;
  }

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  void fail(std::string what) const {
    if (error_.empty())
      error_ = std::move(what);
  }

private:
  mutable std::string error_;
};

// -- SELECT column orders (the decoders below read these positions) --------------------------

/// ves_events `e` LEFT JOIN ves_sequencer_receipts `r`. Backends substitute their own
/// expressions for the time and payload columns but keep this order:
/// 0 event_id, 1 command_id, 2 ves_version, 3 tenant_id, 4 store_id, 5 source_agent_id,
/// 6 agent_key_id, 7 entity_type, 8 entity_id, 9 event_type, 10 created_at_str,
/// 11 sequenced_at (µs), 12 payload_kind, 13 payload, 14 payload_encrypted,
/// 15 payload_plain_hash, 16 payload_cipher_hash, 17 event_signing_hash, 18 agent_signature,
/// 19 sequence_number, 20 base_version, 21 agent_signature_scheme, 22 r.event_id,
/// 23 r.sequencer_id, 24 r.sequence_number, 25 r.sequenced_at (µs), 26 r.receipt_hash,
/// 27 r.sequencer_signature, 28 r.sequencer_key_version.
msg::sequenced_ves_event decode_ves(const row_view& r);

/// ves_events as a projection reads them: 0 sequence_number, 1 event_id, 2 entity_type,
/// 3 entity_id, 4 event_type, 5 payload_kind, 6 payload (NULL unless payload_kind is 0),
/// 7 base_version.
msg::projectable_event decode_ves_projectable(const row_view& r);

/// ves_events leaf inputs: 0 sequence_number, 1 event_signing_hash, 2 agent_signature.
ves_leaf_row decode_ves_leaf(const row_view& r);

/// events: 0 event_id, 1 command_id, 2 tenant_id, 3 store_id, 4 entity_type, 5 entity_id,
/// 6 event_type, 7 payload, 8 payload_hash, 9 base_version, 10 created_at (µs),
/// 11 source_agent, 12 signature, 13 sequence_number, 14 sequenced_at (µs).
msg::sequenced_legacy_event decode_legacy(const row_view& r);

/// agent_signing_keys: 0 tenant_id, 1 agent_id, 2 key_id, 3 public_key, 4 key_algorithm,
/// 5 status, 6 valid_from, 7 valid_to, 8 revoked_at, 9 created_at (all times µs).
msg::agent_key decode_agent_key(const row_view& r);

/// api_keys: 0 key_hash, 1 tenant_id, 2 store_ids, 3 can_read, 4 can_write, 5 can_admin,
/// 6 agent_id, 7 active, 8 rate_limit, 9 created_at, 10 updated_at (times µs).
msg::api_key_record decode_api_key(const row_view& r);

// -- helpers ----------------------------------------------------------------------------------

/// Folds repeated keys into one compare-and-set per entity, keeping first-seen order: a chain
/// (a→b, b→c) becomes (a→c). Returns nullopt when a later entry does not continue the chain
/// (applied in order, it would miss), i.e. the group must fail with storage_conflict.
std::optional<std::vector<entity_cas>> merge_cas(const std::vector<entity_cas>& xs);

/// errc::invalid_request unless every event of `g` belongs to `g.stream` and every receipt
/// names its own event.
caf::expected<void> validate_group(const write_group& g);

/// The distinct entity keys of `xs`, first-seen order.
std::vector<entity_key> distinct_keys(const std::vector<entity_cas>& xs);

/// Canonical UUIDs joined by `sep` (`,` for SQLite's store_ids TEXT).
std::string join_uuids(const std::vector<uuid>& xs, char sep = ',');
/// Splits a `sep`-separated list of UUIDs; nullopt if any element does not parse.
std::optional<std::vector<uuid>> split_uuids(std::string_view s, char sep = ',');

/// A PostgreSQL array literal of UUIDs: `{a,b}`.
std::string pg_uuid_array(const std::vector<uuid>& xs);

/// The range [from, from + limit - 1] clamped to BIGINT; nullopt when it is empty.
std::optional<std::pair<int64_t, int64_t>> seq_range(uint64_t from, uint32_t limit);

/// Microseconds since the epoch, now.
int64_t now_micros();

/// The caf::error for a row that failed to decode.
caf::error corrupt_row(const char* table, const row_view& r);

} // namespace seq::storage::detail
