// SPDX-License-Identifier: Apache-2.0
// The commitment store half of the SQLite backend (messages/commitment.hpp): VES and legacy
// commitments, on the same connection as the event store (see sqlite_event_store.hpp). Every
// operation is one statement (autocommit); the UNIQUE (tenant, store, sequence_start) index is
// the duplicate fence.
#include "adapters/storage/sqlite/sqlite_event_store.hpp"

#include "adapters/storage/commitment_rows.hpp"
#include "adapters/storage/sqlite/sqlite_stmt.hpp"
#include "messages/errc.hpp"

#include <sqlite3.h>

namespace seq::storage {

namespace {

using detail::decode_legacy_commitment;
using detail::decode_ves_commitment;
using sqlite::collect;
using sqlite::exec_step;
using sqlite::stmt;

#define SEQ_VES_COMMITMENT_COLS                                                                 \
  "batch_id, tenant_id, store_id, ves_version, tree_depth, leaf_count, padded_leaf_count,"      \
  " merkle_root, prev_state_root, new_state_root, sequence_start, sequence_end, committed_at,"  \
  " chain_id, chain_tx_hash, chain_block_number, anchored_at"

#define SEQ_LEGACY_COMMITMENT_COLS                                                              \
  "batch_id, tenant_id, store_id, prev_state_root, new_state_root, events_root,"                \
  " sequence_start, sequence_end, event_count, committed_at, chain_tx_hash"

// ?1/?2 = stream (NULL = all streams), ?3 = anchored code, ?4 = limit.
#define SEQ_LIST_WHERE                                                                          \
  " WHERE (?1 IS NULL OR (tenant_id = ?1 AND store_id = ?2)) AND (?3 = 2"                        \
  " OR (?3 = 0 AND chain_tx_hash IS NULL) OR (?3 = 1 AND chain_tx_hash IS NOT NULL))"            \
  " ORDER BY committed_at, sequence_start LIMIT ?4"

constexpr std::string_view sql_insert_ves
  = "INSERT INTO ves_commitments (" SEQ_VES_COMMITMENT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
    " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)";
constexpr std::string_view sql_get_ves
  = "SELECT " SEQ_VES_COMMITMENT_COLS " FROM ves_commitments WHERE batch_id = ?1";
constexpr std::string_view sql_last_ves
  = "SELECT " SEQ_VES_COMMITMENT_COLS " FROM ves_commitments WHERE tenant_id = ?1"
    " AND store_id = ?2 ORDER BY sequence_end DESC LIMIT 1";
constexpr std::string_view sql_covering_ves
  = "SELECT " SEQ_VES_COMMITMENT_COLS " FROM ves_commitments WHERE tenant_id = ?1"
    " AND store_id = ?2 AND sequence_start <= ?3 AND sequence_end >= ?3"
    " ORDER BY sequence_start DESC LIMIT 1";
constexpr std::string_view sql_list_ves
  = "SELECT " SEQ_VES_COMMITMENT_COLS " FROM ves_commitments" SEQ_LIST_WHERE;
constexpr std::string_view sql_anchor_ves
  = "UPDATE ves_commitments SET chain_id = ?2, chain_tx_hash = ?3, chain_block_number = ?4,"
    " anchored_at = ?5 WHERE batch_id = ?1";

constexpr std::string_view sql_anchor_legacy
  = "UPDATE commitments SET chain_tx_hash = ?2 WHERE batch_id = ?1";

constexpr std::string_view sql_insert_legacy
  = "INSERT INTO commitments (" SEQ_LEGACY_COMMITMENT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
    " ?7, ?8, ?9, ?10, ?11)";
constexpr std::string_view sql_get_legacy
  = "SELECT " SEQ_LEGACY_COMMITMENT_COLS " FROM commitments WHERE batch_id = ?1";
constexpr std::string_view sql_last_legacy
  = "SELECT " SEQ_LEGACY_COMMITMENT_COLS " FROM commitments WHERE tenant_id = ?1"
    " AND store_id = ?2 ORDER BY sequence_end DESC LIMIT 1";
constexpr std::string_view sql_covering_legacy
  = "SELECT " SEQ_LEGACY_COMMITMENT_COLS " FROM commitments WHERE tenant_id = ?1"
    " AND store_id = ?2 AND sequence_start <= ?3 AND sequence_end >= ?3"
    " ORDER BY sequence_start DESC LIMIT 1";
constexpr std::string_view sql_list_legacy
  = "SELECT " SEQ_LEGACY_COMMITMENT_COLS " FROM commitments" SEQ_LIST_WHERE;

void bind_list(stmt& q, const msg::commitment_filter& f) {
  if (f.stream) {
    q.id(1, f.stream->tenant_id);
    q.id(2, f.stream->store_id);
  } else {
    q.null(1);
    q.null(2);
  }
  q.int64(3, detail::anchored_code(f.anchored));
  q.int64(4, f.limit);
}

using detail::first_of;
using detail::found;

} // namespace

// -- VES ------------------------------------------------------------------------------------------

caf::expected<void> sqlite_event_store::insert_ves_commitment(const msg::ves_commitment& c) {
  auto p = prepare(sql_insert_ves);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, c.batch_id);
  q.id(2, c.stream.tenant_id);
  q.id(3, c.stream.store_id);
  q.int64(4, c.ves_version);
  q.int64(5, c.tree_depth);
  q.int64(6, c.leaf_count);
  q.int64(7, c.padded_leaf_count);
  q.blob(8, c.merkle_root);
  q.blob(9, c.prev_state_root);
  q.blob(10, c.new_state_root);
  q.int64(11, static_cast<int64_t>(c.sequence_start));
  q.int64(12, static_cast<int64_t>(c.sequence_end));
  q.int64(13, c.committed_at);
  q.opt_int64(14, c.chain_id);
  c.chain_tx_hash ? q.blob(15, *c.chain_tx_hash) : q.null(15);
  q.opt_int64(16, c.chain_block_number);
  q.opt_int64(17, c.anchored_at);
  return exec_step(db_, q, "insert ves commitment");
}

caf::expected<msg::ves_commitment> sqlite_event_store::get_ves_commitment(const uuid& batch_id) {
  auto p = prepare(sql_get_ves);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, batch_id);
  return found(collect<msg::ves_commitment>(db_, q, decode_ves_commitment, "ves_commitments"),
               batch_id);
}

caf::expected<std::optional<msg::ves_commitment>>
sqlite_event_store::last_ves_commitment(const stream_key& s) {
  auto p = prepare(sql_last_ves);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, s.tenant_id);
  q.id(2, s.store_id);
  return first_of(collect<msg::ves_commitment>(db_, q, decode_ves_commitment, "ves_commitments"));
}

caf::expected<std::optional<msg::ves_commitment>>
sqlite_event_store::covering_ves_commitment(const stream_key& s, uint64_t sequence_number) {
  auto p = prepare(sql_covering_ves);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, s.tenant_id);
  q.id(2, s.store_id);
  q.int64(3, static_cast<int64_t>(sequence_number));
  return first_of(collect<msg::ves_commitment>(db_, q, decode_ves_commitment, "ves_commitments"));
}

caf::expected<std::vector<msg::ves_commitment>>
sqlite_event_store::list_ves_commitments(const msg::commitment_filter& f) {
  auto p = prepare(sql_list_ves);
  if (!p)
    return p.error();
  stmt q{*p};
  bind_list(q, f);
  return collect<msg::ves_commitment>(db_, q, decode_ves_commitment, "ves_commitments");
}

caf::expected<void> sqlite_event_store::mark_ves_anchored(const uuid& batch_id,
                                                          const msg::anchor_record& a) {
  auto p = prepare(sql_anchor_ves);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, batch_id);
  q.int64(2, a.chain_id);
  q.blob(3, a.chain_tx_hash);
  q.opt_int64(4, a.chain_block_number);
  q.int64(5, detail::now_micros());
  if (auto r = exec_step(db_, q, "anchor ves commitment"); !r)
    return r;
  if (sqlite3_changes(db_) == 0)
    return make_error(errc::not_found, "commitment " + batch_id.str() + " not found");
  return {};
}

// -- legacy ---------------------------------------------------------------------------------------

caf::expected<void> sqlite_event_store::mark_legacy_anchored(const uuid& batch_id,
                                                             const msg::hash32& chain_tx_hash) {
  auto p = prepare(sql_anchor_legacy);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, batch_id);
  q.blob(2, chain_tx_hash);
  if (auto r = exec_step(db_, q, "anchor legacy commitment"); !r)
    return r;
  if (sqlite3_changes(db_) == 0)
    return make_error(errc::not_found, "commitment " + batch_id.str() + " not found");
  return {};
}

caf::expected<void> sqlite_event_store::insert_legacy_commitment(const msg::legacy_commitment& c) {
  auto p = prepare(sql_insert_legacy);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, c.batch_id);
  q.id(2, c.stream.tenant_id);
  q.id(3, c.stream.store_id);
  q.blob(4, c.prev_state_root);
  q.blob(5, c.new_state_root);
  q.blob(6, c.events_root);
  q.int64(7, static_cast<int64_t>(c.sequence_start));
  q.int64(8, static_cast<int64_t>(c.sequence_end));
  q.int64(9, c.event_count);
  q.int64(10, c.committed_at);
  c.chain_tx_hash ? q.blob(11, *c.chain_tx_hash) : q.null(11);
  return exec_step(db_, q, "insert legacy commitment");
}

caf::expected<msg::legacy_commitment>
sqlite_event_store::get_legacy_commitment(const uuid& batch_id) {
  auto p = prepare(sql_get_legacy);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, batch_id);
  return found(collect<msg::legacy_commitment>(db_, q, decode_legacy_commitment, "commitments"),
               batch_id);
}

caf::expected<std::optional<msg::legacy_commitment>>
sqlite_event_store::last_legacy_commitment(const stream_key& s) {
  auto p = prepare(sql_last_legacy);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, s.tenant_id);
  q.id(2, s.store_id);
  return first_of(
    collect<msg::legacy_commitment>(db_, q, decode_legacy_commitment, "commitments"));
}

caf::expected<std::optional<msg::legacy_commitment>>
sqlite_event_store::covering_legacy_commitment(const stream_key& s, uint64_t sequence_number) {
  auto p = prepare(sql_covering_legacy);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, s.tenant_id);
  q.id(2, s.store_id);
  q.int64(3, static_cast<int64_t>(sequence_number));
  return first_of(
    collect<msg::legacy_commitment>(db_, q, decode_legacy_commitment, "commitments"));
}

caf::expected<std::vector<msg::legacy_commitment>>
sqlite_event_store::list_legacy_commitments(const msg::commitment_filter& f) {
  auto p = prepare(sql_list_legacy);
  if (!p)
    return p.error();
  stmt q{*p};
  bind_list(q, f);
  return collect<msg::legacy_commitment>(db_, q, decode_legacy_commitment, "commitments");
}

} // namespace seq::storage
