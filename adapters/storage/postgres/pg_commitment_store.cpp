// SPDX-License-Identifier: Apache-2.0
// The commitment store half of the PostgreSQL backend (messages/commitment.hpp): VES and legacy
// commitments, on the same connection as the event store (see pg_event_store.hpp). Every
// operation is one statement; the UNIQUE (tenant, store, sequence_start) index is the duplicate
// fence (unique violations map to errc::storage_conflict).
#include "adapters/storage/postgres/pg_event_store.hpp"

#include "adapters/storage/commitment_rows.hpp"
#include "adapters/storage/postgres/pg_connection.hpp"
#include "messages/errc.hpp"

namespace seq::storage {

namespace {

using pg::decode_all;
using pg::params;

const std::string& ves_select() {
  static const std::string sql
    = "SELECT batch_id, tenant_id, store_id, ves_version, tree_depth, leaf_count,"
      " padded_leaf_count, merkle_root, prev_state_root, new_state_root, sequence_start,"
      " sequence_end, "
      + pg::us_expr("committed_at")
      + ", chain_id, chain_tx_hash, chain_block_number, " + pg::us_expr("anchored_at")
      + " FROM ves_commitments ";
  return sql;
}

const std::string& legacy_select() {
  static const std::string sql
    = "SELECT batch_id, tenant_id, store_id, prev_state_root, new_state_root, events_root,"
      " sequence_start, sequence_end, event_count, "
      + pg::us_expr("committed_at") + ", chain_tx_hash FROM commitments ";
  return sql;
}

using detail::first_of;
using detail::found;

std::string stream_where(params& p, const stream_key& s) {
  return "WHERE tenant_id = " + p.id(s.tenant_id) + " AND store_id = " + p.id(s.store_id);
}

std::string list_where(params& p, const msg::commitment_filter& f) {
  std::string sql = "WHERE TRUE";
  if (f.stream)
    sql += " AND tenant_id = " + p.id(f.stream->tenant_id)
           + " AND store_id = " + p.id(f.stream->store_id);
  if (f.anchored == msg::anchored_filter::unanchored)
    sql += " AND chain_tx_hash IS NULL";
  else if (f.anchored == msg::anchored_filter::anchored)
    sql += " AND chain_tx_hash IS NOT NULL";
  return sql + " ORDER BY committed_at, sequence_start LIMIT " + p.int64(f.limit);
}

std::string opt_hash(params& p, const std::optional<msg::hash32>& h) {
  return h ? p.bytes(*h) : p.null("bytea");
}

} // namespace

// -- VES ------------------------------------------------------------------------------------------

caf::expected<void> pg_event_store::insert_ves_commitment(const msg::ves_commitment& c) {
  params p;
  auto sql = "INSERT INTO ves_commitments (batch_id, tenant_id, store_id, ves_version,"
             " tree_depth, leaf_count, padded_leaf_count, merkle_root, prev_state_root,"
             " new_state_root, sequence_start, sequence_end, committed_at, chain_id,"
             " chain_tx_hash, chain_block_number, anchored_at) VALUES ("
             + p.id(c.batch_id) + ", " + p.id(c.stream.tenant_id) + ", "
             + p.id(c.stream.store_id) + ", " + p.int64(c.ves_version) + ", "
             + p.int64(c.tree_depth) + ", " + p.int64(c.leaf_count) + ", "
             + p.int64(c.padded_leaf_count) + ", " + p.bytes(c.merkle_root) + ", "
             + p.bytes(c.prev_state_root) + ", " + p.bytes(c.new_state_root) + ", "
             + p.int64(static_cast<int64_t>(c.sequence_start)) + ", "
             + p.int64(static_cast<int64_t>(c.sequence_end)) + ", " + p.time(c.committed_at)
             + ", " + p.opt_int64(c.chain_id) + ", " + opt_hash(p, c.chain_tx_hash) + ", "
             + p.opt_int64(c.chain_block_number) + ", " + p.opt_time(c.anchored_at) + ")";
  auto r = c_->exec(sql, p, "insert ves commitment");
  if (!r)
    return r.error();
  return {};
}

caf::expected<msg::ves_commitment> pg_event_store::get_ves_commitment(const uuid& batch_id) {
  params p;
  auto sql = ves_select() + "WHERE batch_id = " + p.id(batch_id);
  auto r = c_->exec(sql, p, "get ves commitment");
  if (!r)
    return r.error();
  return found(decode_all<msg::ves_commitment>(*r, detail::decode_ves_commitment,
                                               "ves_commitments"),
               batch_id);
}

caf::expected<std::optional<msg::ves_commitment>>
pg_event_store::last_ves_commitment(const stream_key& s) {
  params p;
  auto sql = ves_select() + stream_where(p, s) + " ORDER BY sequence_end DESC LIMIT 1";
  auto r = c_->exec(sql, p, "last ves commitment");
  if (!r)
    return r.error();
  return first_of(
    decode_all<msg::ves_commitment>(*r, detail::decode_ves_commitment, "ves_commitments"));
}

caf::expected<std::optional<msg::ves_commitment>>
pg_event_store::covering_ves_commitment(const stream_key& s, uint64_t sequence_number) {
  params p;
  auto n = p.int64(static_cast<int64_t>(sequence_number));
  auto sql = ves_select() + stream_where(p, s) + " AND sequence_start <= " + n
             + " AND sequence_end >= " + n + " ORDER BY sequence_start DESC LIMIT 1";
  auto r = c_->exec(sql, p, "covering ves commitment");
  if (!r)
    return r.error();
  return first_of(
    decode_all<msg::ves_commitment>(*r, detail::decode_ves_commitment, "ves_commitments"));
}

caf::expected<std::vector<msg::ves_commitment>>
pg_event_store::list_ves_commitments(const msg::commitment_filter& f) {
  params p;
  auto sql = ves_select() + list_where(p, f);
  auto r = c_->exec(sql, p, "list ves commitments");
  if (!r)
    return r.error();
  return decode_all<msg::ves_commitment>(*r, detail::decode_ves_commitment, "ves_commitments");
}

caf::expected<void> pg_event_store::mark_ves_anchored(const uuid& batch_id,
                                                      const msg::anchor_record& a) {
  params p;
  auto sql = "UPDATE ves_commitments SET chain_id = " + p.int64(a.chain_id)
             + ", chain_tx_hash = " + p.bytes(a.chain_tx_hash)
             + ", chain_block_number = " + p.opt_int64(a.chain_block_number)
             + ", anchored_at = NOW() WHERE batch_id = " + p.id(batch_id) + " RETURNING batch_id";
  auto r = c_->exec(sql, p, "anchor ves commitment");
  if (!r)
    return r.error();
  if (r->rows() == 0)
    return make_error(errc::not_found, "commitment " + batch_id.str() + " not found");
  return {};
}

// -- legacy ---------------------------------------------------------------------------------------

caf::expected<void> pg_event_store::mark_legacy_anchored(const uuid& batch_id,
                                                         const msg::hash32& chain_tx_hash) {
  params p;
  auto sql = "UPDATE commitments SET chain_tx_hash = " + p.bytes(chain_tx_hash)
             + " WHERE batch_id = " + p.id(batch_id) + " RETURNING batch_id";
  auto r = c_->exec(sql, p, "anchor legacy commitment");
  if (!r)
    return r.error();
  if (r->rows() == 0)
    return make_error(errc::not_found, "commitment " + batch_id.str() + " not found");
  return {};
}

caf::expected<void> pg_event_store::insert_legacy_commitment(const msg::legacy_commitment& c) {
  params p;
  auto sql = "INSERT INTO commitments (batch_id, tenant_id, store_id, prev_state_root,"
             " new_state_root, events_root, sequence_start, sequence_end, event_count,"
             " committed_at, chain_tx_hash) VALUES ("
             + p.id(c.batch_id) + ", " + p.id(c.stream.tenant_id) + ", "
             + p.id(c.stream.store_id) + ", " + p.bytes(c.prev_state_root) + ", "
             + p.bytes(c.new_state_root) + ", " + p.bytes(c.events_root) + ", "
             + p.int64(static_cast<int64_t>(c.sequence_start)) + ", "
             + p.int64(static_cast<int64_t>(c.sequence_end)) + ", " + p.int64(c.event_count)
             + ", " + p.time(c.committed_at) + ", " + opt_hash(p, c.chain_tx_hash) + ")";
  auto r = c_->exec(sql, p, "insert legacy commitment");
  if (!r)
    return r.error();
  return {};
}

caf::expected<msg::legacy_commitment> pg_event_store::get_legacy_commitment(const uuid& batch_id) {
  params p;
  auto sql = legacy_select() + "WHERE batch_id = " + p.id(batch_id);
  auto r = c_->exec(sql, p, "get legacy commitment");
  if (!r)
    return r.error();
  return found(decode_all<msg::legacy_commitment>(*r, detail::decode_legacy_commitment,
                                                  "commitments"),
               batch_id);
}

caf::expected<std::optional<msg::legacy_commitment>>
pg_event_store::last_legacy_commitment(const stream_key& s) {
  params p;
  auto sql = legacy_select() + stream_where(p, s) + " ORDER BY sequence_end DESC LIMIT 1";
  auto r = c_->exec(sql, p, "last legacy commitment");
  if (!r)
    return r.error();
  return first_of(
    decode_all<msg::legacy_commitment>(*r, detail::decode_legacy_commitment, "commitments"));
}

caf::expected<std::optional<msg::legacy_commitment>>
pg_event_store::covering_legacy_commitment(const stream_key& s, uint64_t sequence_number) {
  params p;
  auto n = p.int64(static_cast<int64_t>(sequence_number));
  auto sql = legacy_select() + stream_where(p, s) + " AND sequence_start <= " + n
             + " AND sequence_end >= " + n + " ORDER BY sequence_start DESC LIMIT 1";
  auto r = c_->exec(sql, p, "covering legacy commitment");
  if (!r)
    return r.error();
  return first_of(
    decode_all<msg::legacy_commitment>(*r, detail::decode_legacy_commitment, "commitments"));
}

caf::expected<std::vector<msg::legacy_commitment>>
pg_event_store::list_legacy_commitments(const msg::commitment_filter& f) {
  params p;
  auto sql = legacy_select() + list_where(p, f);
  auto r = c_->exec(sql, p, "list legacy commitments");
  if (!r)
    return r.error();
  return decode_all<msg::legacy_commitment>(*r, detail::decode_legacy_commitment, "commitments");
}

} // namespace seq::storage
