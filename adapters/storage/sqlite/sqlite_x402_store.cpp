// SPDX-License-Identifier: Apache-2.0
// The x402 half of the SQLite backend (messages/x402_store.hpp): payment intents (written by
// commit_group, see write_x402_rows), batches and nonces, on the same connection as the event
// store (see sqlite_event_store.hpp). Multi-statement changes run in one BEGIN IMMEDIATE
// transaction; reads are single statements.
#include "adapters/storage/sqlite/sqlite_event_store.hpp"

#include "adapters/storage/sqlite/sqlite_stmt.hpp"
#include "adapters/storage/x402_rows.hpp"
#include "messages/errc.hpp"

#include <sqlite3.h>

#include <algorithm>

namespace seq::storage {

namespace {

using detail::decode_x402_batch;
using detail::decode_x402_intent;
using sqlite::collect;
using sqlite::exec_step;
using sqlite::sqlite_error;
using sqlite::stmt;

#define SEQ_X402_INTENT_COLS                                                                    \
  "intent_id, x402_version, status, tenant_id, store_id, source_agent_id, agent_key_id,"        \
  " payer_address, payee_address, amount, asset, network, chain_id, token_address,"             \
  " created_at_unix, valid_until, nonce, idempotency_key, resource_uri, description, order_id,"  \
  " merchant_id, signing_hash, payer_signature, payer_public_key, sequence_number,"             \
  " sequenced_at, batch_id, tx_hash, block_number, settled_at, metadata, created_at,"           \
  " updated_at"

#define SEQ_X402_BATCH_COLS                                                                     \
  "batch_id, status, tenant_id, store_id, network, payment_count, total_amounts, merkle_root,"  \
  " prev_state_root, new_state_root, sequence_start, sequence_end, tx_hash, block_number,"      \
  " gas_used, created_at, committed_at, submitted_at, settled_at"

constexpr std::string_view sql_begin_immediate = "BEGIN IMMEDIATE";
constexpr std::string_view sql_commit = "COMMIT";

constexpr std::string_view sql_insert_intent
  = "INSERT INTO x402_payment_intents (" SEQ_X402_INTENT_COLS ") VALUES (?1, ?2, ?3, ?4, ?5,"
    " ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23,"
    " ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33, ?34)";
constexpr std::string_view sql_insert_nonce
  = "INSERT INTO x402_nonce_tracking (tenant_id, store_id, payer_address, nonce, intent_id,"
    " created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr std::string_view sql_nonce_exists
  = "SELECT 1 FROM x402_nonce_tracking WHERE tenant_id = ?1 AND store_id = ?2"
    " AND payer_address = ?3 AND nonce = ?4";
constexpr std::string_view sql_intent_by_key
  = "SELECT " SEQ_X402_INTENT_COLS " FROM x402_payment_intents WHERE tenant_id = ?1"
    " AND store_id = ?2 AND idempotency_key = ?3";
constexpr std::string_view sql_intent_by_id
  = "SELECT " SEQ_X402_INTENT_COLS " FROM x402_payment_intents WHERE intent_id = ?1";
constexpr std::string_view sql_list_intents
  = "SELECT " SEQ_X402_INTENT_COLS " FROM x402_payment_intents WHERE tenant_id = ?1"
    " AND (?2 IS NULL OR store_id = ?2) AND (?3 IS NULL OR payer_address = ?3)"
    " AND (?4 IS NULL OR payee_address = ?4) AND (?5 IS NULL OR status = ?5)"
    " AND (?6 IS NULL OR network = ?6) AND (?7 IS NULL OR asset = ?7)"
    " AND (?8 IS NULL OR batch_id = ?8) AND (?9 IS NULL OR created_at >= ?9)"
    " AND (?10 IS NULL OR created_at <= ?10)"
    " ORDER BY created_at DESC, sequence_number DESC LIMIT ?11 OFFSET ?12";
constexpr std::string_view sql_sequenced
  = "SELECT " SEQ_X402_INTENT_COLS " FROM x402_payment_intents WHERE tenant_id = ?1"
    " AND store_id = ?2 AND network = ?3 AND status = 'sequenced'"
    " ORDER BY sequence_number LIMIT ?4";
constexpr std::string_view sql_pending
  = "SELECT COUNT(*), COALESCE(MIN(sequenced_at), 0), COALESCE(MIN(valid_until), 0),"
    " (SELECT COALESCE(MAX(sequence_number), 0) FROM x402_payment_intents"
    " WHERE tenant_id = ?1 AND store_id = ?2)"
    " FROM x402_payment_intents WHERE tenant_id = ?1 AND store_id = ?2 AND network = ?3"
    " AND status = 'sequenced'";
constexpr std::string_view sql_expire
  = "UPDATE x402_payment_intents SET status = 'expired', updated_at = ?5 WHERE tenant_id = ?1"
    " AND store_id = ?2 AND network = ?3 AND status = 'sequenced' AND valid_until < ?4";

constexpr std::string_view sql_insert_batch
  = "INSERT INTO x402_payment_batches (" SEQ_X402_BATCH_COLS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6,"
    " ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)";
constexpr std::string_view sql_claim_intent
  = "UPDATE x402_payment_intents SET status = 'batched', batch_id = ?2, updated_at = ?3"
    " WHERE intent_id = ?1 AND status = 'sequenced' AND tenant_id = ?4 AND store_id = ?5"
    " AND network = ?6";
constexpr std::string_view sql_batch_by_id
  = "SELECT " SEQ_X402_BATCH_COLS " FROM x402_payment_batches WHERE batch_id = ?1";
constexpr std::string_view sql_batch_intents
  = "SELECT " SEQ_X402_INTENT_COLS " FROM x402_payment_intents WHERE batch_id = ?1"
    " ORDER BY sequence_number";
constexpr std::string_view sql_batch_intent_ids
  = "SELECT intent_id FROM x402_payment_intents WHERE batch_id = ?1 ORDER BY sequence_number";
constexpr std::string_view sql_batches_in
  = "SELECT " SEQ_X402_BATCH_COLS " FROM x402_payment_batches WHERE tenant_id = ?1"
    " AND store_id = ?2 AND network = ?3 AND status = ?4 ORDER BY created_at, sequence_start"
    " LIMIT ?5";
constexpr std::string_view sql_update_batch
  = "UPDATE x402_payment_batches SET status = ?2, tx_hash = COALESCE(?3, tx_hash),"
    " block_number = COALESCE(?4, block_number), gas_used = COALESCE(?5, gas_used),"
    " submitted_at = CASE WHEN ?2 IN ('submitted', 'settled') THEN COALESCE(submitted_at, ?6)"
    " ELSE submitted_at END,"
    " settled_at = CASE WHEN ?2 = 'settled' THEN ?6 ELSE settled_at END"
    " WHERE batch_id = ?1 AND status = ?7";
constexpr std::string_view sql_batch_exists
  = "SELECT 1 FROM x402_payment_batches WHERE batch_id = ?1";
constexpr std::string_view sql_settle_intents
  = "UPDATE x402_payment_intents SET status = 'settled',"
    " tx_hash = (SELECT tx_hash FROM x402_payment_batches WHERE batch_id = ?1),"
    " block_number = (SELECT block_number FROM x402_payment_batches WHERE batch_id = ?1),"
    " settled_at = ?2, updated_at = ?2 WHERE batch_id = ?1 AND status = 'batched'";
constexpr std::string_view sql_fail_intents
  = "UPDATE x402_payment_intents SET status = 'failed', updated_at = ?2"
    " WHERE batch_id = ?1 AND status = 'batched'";

constexpr std::string_view sql_open_work
  = "SELECT tenant_id, store_id, network FROM x402_payment_intents WHERE status = 'sequenced'"
    " UNION SELECT tenant_id, store_id, network FROM x402_payment_batches"
    " WHERE status IN ('committed', 'submitted') ORDER BY 1, 2, 3";
constexpr std::string_view sql_prune_nonces
  = "DELETE FROM x402_nonce_tracking WHERE created_at < ?1";
constexpr std::string_view sql_status_counts
  = "SELECT status, COUNT(*) FROM x402_payment_intents GROUP BY status ORDER BY status";

void opt_text(stmt& q, int i, const std::optional<std::string>& v) {
  v ? q.text(i, *v) : q.null(i);
}

template <size_t N>
void opt_blob(stmt& q, int i, const std::optional<std::array<uint8_t, N>>& v) {
  v ? q.blob(i, *v) : q.null(i);
}

void opt_tx(stmt& q, int i, const std::optional<msg::hash32>& v) {
  v ? q.text(i, detail::encode_tx_hash(*v)) : q.null(i);
}

void bind_intent(stmt& q, const msg::x402_intent& x) {
  q.id(1, x.intent_id);
  q.int64(2, x.x402_version);
  q.text(3, msg::to_string(x.status));
  q.id(4, x.tenant_id);
  q.id(5, x.store_id);
  q.id(6, x.source_agent_id);
  q.opt_int64(7, x.agent_key_id);
  q.text(8, x.payer_address);
  q.text(9, x.payee_address);
  q.int64(10, static_cast<int64_t>(x.amount));
  q.text(11, x.asset);
  q.text(12, x.network);
  q.int64(13, static_cast<int64_t>(x.chain_id));
  opt_text(q, 14, x.token_address);
  q.int64(15, static_cast<int64_t>(x.created_at_unix));
  q.int64(16, static_cast<int64_t>(x.valid_until));
  q.int64(17, static_cast<int64_t>(x.nonce));
  opt_text(q, 18, x.idempotency_key);
  opt_text(q, 19, x.resource_uri);
  opt_text(q, 20, x.description);
  q.opt_id(21, x.order_id);
  opt_text(q, 22, x.merchant_id);
  q.blob(23, x.signing_hash);
  q.blob(24, x.payer_signature);
  opt_blob(q, 25, x.payer_public_key);
  x.sequence_number > 0 ? q.int64(26, static_cast<int64_t>(x.sequence_number)) : q.null(26);
  q.opt_int64(27, x.sequenced_at);
  q.opt_id(28, x.batch_id);
  opt_tx(q, 29, x.tx_hash);
  q.opt_int64(30, x.block_number);
  q.opt_int64(31, x.settled_at);
  q.text_or_null(32, x.metadata);
  q.int64(33, x.created_at);
  q.int64(34, x.updated_at);
}

caf::error not_found_batch(const uuid& id) {
  return make_error(errc::not_found, "Batch " + id.str() + " not found");
}

} // namespace

// -- commit_group (sqlite_event_store.cpp) ------------------------------------------------

caf::expected<void> sqlite_event_store::write_x402_rows(const write_group& g) {
  for (const auto& x : g.x402) {
    if (x.stream() != g.stream)
      return make_error(errc::invalid_request,
                        "x402 intent " + x.intent_id.str() + " does not belong to the group");
    auto p = prepare(sql_insert_intent);
    if (!p)
      return p.error();
    {
      stmt q{*p};
      bind_intent(q, x);
      if (auto ok = exec_step(db_, q, "insert x402_payment_intents"); !ok)
        return ok;
    }
    auto n = prepare(sql_insert_nonce);
    if (!n)
      return n.error();
    stmt q{*n};
    q.id(1, x.tenant_id);
    q.id(2, x.store_id);
    q.text(3, x.payer_address);
    q.int64(4, static_cast<int64_t>(x.nonce));
    q.id(5, x.intent_id);
    q.int64(6, x.created_at);
    if (auto ok = exec_step(db_, q, "insert x402_nonce_tracking"); !ok)
      return ok;
  }
  return {};
}

caf::expected<void> sqlite_event_store::read_x402_conflict(const write_group& g,
                                                           conflict_report& rep) {
  for (const auto& x : g.x402) {
    auto p = prepare(sql_nonce_exists);
    if (!p)
      return p.error();
    stmt q{*p};
    q.id(1, g.stream.tenant_id);
    q.id(2, g.stream.store_id);
    q.text(3, x.payer_address);
    q.int64(4, static_cast<int64_t>(x.nonce));
    auto rc = q.step();
    if (rc == SQLITE_ROW) {
      msg::x402_nonce_key k{x.payer_address, x.nonce};
      auto& xs = rep.existing_x402_nonces;
      if (std::find(xs.begin(), xs.end(), k) == xs.end())
        xs.push_back(std::move(k));
    } else if (rc != SQLITE_DONE) {
      return sqlite_error(db_, rc, "read x402_nonce_tracking");
    }
  }
  for (const auto& x : g.x402) {
    if (!x.idempotency_key)
      continue;
    auto found = find_x402_intent_by_key(g.stream, *x.idempotency_key);
    if (!found)
      return found.error();
    if (!*found)
      continue;
    auto& xs = rep.existing_x402_keys;
    auto k = std::pair{*x.idempotency_key, (*found)->intent_id};
    if (std::find(xs.begin(), xs.end(), k) == xs.end())
      xs.push_back(std::move(k));
  }
  return {};
}

// -- intents ----------------------------------------------------------------------------------

caf::expected<msg::x402_intent> sqlite_event_store::get_x402_intent(const uuid& id) {
  auto p = prepare(sql_intent_by_id);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, id);
  auto xs = collect<msg::x402_intent>(db_, q, decode_x402_intent, "x402_payment_intents");
  if (!xs)
    return xs.error();
  if (xs->empty())
    return make_error(errc::not_found, "Payment intent " + id.str() + " not found");
  return std::move(xs->front());
}

caf::expected<std::vector<msg::x402_intent>>
sqlite_event_store::get_x402_intents(const std::vector<uuid>& ids) {
  std::vector<msg::x402_intent> out;
  for (const auto& id : ids) {
    auto x = get_x402_intent(id);
    if (x)
      out.push_back(std::move(*x));
    else if (x.error() != errc::not_found)
      return x.error();
  }
  return out;
}

caf::expected<std::optional<msg::x402_intent>>
sqlite_event_store::find_x402_intent_by_key(const stream_key& s, const std::string& key) {
  auto p = prepare(sql_intent_by_key);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, s.tenant_id);
  q.id(2, s.store_id);
  q.text(3, key);
  auto xs = collect<msg::x402_intent>(db_, q, decode_x402_intent, "x402_payment_intents");
  if (!xs)
    return xs.error();
  if (xs->empty())
    return std::optional<msg::x402_intent>{};
  return std::optional<msg::x402_intent>{std::move(xs->front())};
}

caf::expected<std::vector<msg::x402_intent>>
sqlite_event_store::list_x402_intents(const msg::x402_intent_filter& f) {
  auto p = prepare(sql_list_intents);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, f.tenant_id);
  q.opt_id(2, f.store_id);
  opt_text(q, 3, f.payer_address);
  opt_text(q, 4, f.payee_address);
  f.status ? q.text(5, msg::to_string(*f.status)) : q.null(5);
  opt_text(q, 6, f.network);
  opt_text(q, 7, f.asset);
  q.opt_id(8, f.batch_id);
  q.opt_int64(9, f.from);
  q.opt_int64(10, f.to);
  q.int64(11, f.limit);
  q.int64(12, f.offset);
  return collect<msg::x402_intent>(db_, q, decode_x402_intent, "x402_payment_intents");
}

caf::expected<std::vector<msg::x402_intent>>
sqlite_event_store::sequenced_x402_intents(const stream_key& s, const std::string& network,
                                           uint32_t limit) {
  auto p = prepare(sql_sequenced);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, s.tenant_id);
  q.id(2, s.store_id);
  q.text(3, network);
  q.int64(4, limit);
  return collect<msg::x402_intent>(db_, q, decode_x402_intent, "x402_payment_intents");
}

caf::expected<msg::x402_pending_summary>
sqlite_event_store::x402_pending(const stream_key& s, const std::string& network) {
  auto p = prepare(sql_pending);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, s.tenant_id);
  q.id(2, s.store_id);
  q.text(3, network);
  auto rc = q.step();
  if (rc != SQLITE_ROW)
    return sqlite_error(db_, rc, "read x402 pending intents");
  msg::x402_pending_summary out;
  out.count = static_cast<uint64_t>(sqlite3_column_int64(q.get(), 0));
  out.oldest_sequenced_at = sqlite3_column_int64(q.get(), 1);
  out.earliest_valid_until = static_cast<uint64_t>(sqlite3_column_int64(q.get(), 2));
  out.last_sequence = static_cast<uint64_t>(sqlite3_column_int64(q.get(), 3));
  return out;
}

caf::expected<uint64_t> sqlite_event_store::expire_x402_intents(const stream_key& s,
                                                                const std::string& network,
                                                                uint64_t now_unix) {
  auto p = prepare(sql_expire);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, s.tenant_id);
  q.id(2, s.store_id);
  q.text(3, network);
  q.int64(4, static_cast<int64_t>(now_unix));
  q.int64(5, detail::now_micros());
  if (auto ok = exec_step(db_, q, "expire x402 intents"); !ok)
    return ok.error();
  return static_cast<uint64_t>(sqlite3_changes(db_));
}

// -- batches ----------------------------------------------------------------------------------

caf::expected<void> sqlite_event_store::insert_x402_batch(const msg::x402_batch& b) {
  if (auto ok = run(sql_begin_immediate); !ok)
    return ok;
  auto body = [&]() -> caf::expected<void> {
    auto p = prepare(sql_insert_batch);
    if (!p)
      return p.error();
    {
      stmt q{*p};
      q.id(1, b.batch_id);
      q.text(2, msg::to_string(b.status));
      q.id(3, b.stream.tenant_id);
      q.id(4, b.stream.store_id);
      q.text(5, b.network);
      q.int64(6, b.payment_count);
      q.text(7, detail::encode_x402_totals(b.total_amounts));
      opt_blob(q, 8, b.merkle_root);
      opt_blob(q, 9, b.prev_state_root);
      opt_blob(q, 10, b.new_state_root);
      q.int64(11, static_cast<int64_t>(b.sequence_start));
      q.int64(12, static_cast<int64_t>(b.sequence_end));
      opt_tx(q, 13, b.tx_hash);
      q.opt_int64(14, b.block_number);
      q.opt_int64(15, b.gas_used);
      q.int64(16, b.created_at);
      q.opt_int64(17, b.committed_at);
      q.opt_int64(18, b.submitted_at);
      q.opt_int64(19, b.settled_at);
      if (auto ok = exec_step(db_, q, "insert x402_payment_batches"); !ok)
        return ok;
    }
    for (const auto& id : b.intent_ids) {
      auto c = prepare(sql_claim_intent);
      if (!c)
        return c.error();
      stmt q{*c};
      q.id(1, id);
      q.id(2, b.batch_id);
      q.int64(3, b.committed_at.value_or(b.created_at));
      q.id(4, b.stream.tenant_id);
      q.id(5, b.stream.store_id);
      q.text(6, b.network);
      if (auto ok = exec_step(db_, q, "claim x402 intent"); !ok)
        return ok;
      if (sqlite3_changes(db_) != 1)
        return make_error(errc::storage_conflict,
                          "x402 intent " + id.str() + " is no longer sequenced in this stream");
    }
    return run(sql_commit);
  };
  auto ok = body();
  if (!ok)
    rollback_if_open();
  return ok;
}

caf::expected<msg::x402_batch> sqlite_event_store::get_x402_batch(const uuid& id) {
  auto p = prepare(sql_batch_by_id);
  if (!p)
    return p.error();
  msg::x402_batch b;
  {
    stmt q{*p};
    q.id(1, id);
    auto xs = collect<msg::x402_batch>(db_, q, decode_x402_batch, "x402_payment_batches");
    if (!xs)
      return xs.error();
    if (xs->empty())
      return not_found_batch(id);
    b = std::move(xs->front());
  }
  auto ip = prepare(sql_batch_intent_ids);
  if (!ip)
    return ip.error();
  stmt q{*ip};
  q.id(1, id);
  auto ids = collect<uuid>(
    db_, q, [](const detail::row_view& r) { return r.id(0); }, "x402_payment_intents");
  if (!ids)
    return ids.error();
  b.intent_ids = std::move(*ids);
  return b;
}

caf::expected<std::vector<msg::x402_intent>>
sqlite_event_store::x402_batch_intents(const uuid& id) {
  auto p = prepare(sql_batch_intents);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, id);
  return collect<msg::x402_intent>(db_, q, decode_x402_intent, "x402_payment_intents");
}

caf::expected<std::vector<msg::x402_batch>>
sqlite_event_store::x402_batches_in(const stream_key& s, const std::string& network,
                                    msg::x402_batch_status status, uint32_t limit) {
  auto p = prepare(sql_batches_in);
  if (!p)
    return p.error();
  stmt q{*p};
  q.id(1, s.tenant_id);
  q.id(2, s.store_id);
  q.text(3, network);
  q.text(4, msg::to_string(status));
  q.int64(5, limit);
  return collect<msg::x402_batch>(db_, q, decode_x402_batch, "x402_payment_batches");
}

caf::expected<void> sqlite_event_store::update_x402_batch(const msg::x402_batch_update& u) {
  if (auto ok = run(sql_begin_immediate); !ok)
    return ok;
  auto body = [&]() -> caf::expected<void> {
    auto p = prepare(sql_update_batch);
    if (!p)
      return p.error();
    {
      stmt q{*p};
      q.id(1, u.batch_id);
      q.text(2, msg::to_string(u.to));
      opt_tx(q, 3, u.tx_hash);
      q.opt_int64(4, u.block_number);
      q.opt_int64(5, u.gas_used);
      q.int64(6, u.at);
      q.text(7, msg::to_string(u.from));
      if (auto ok = exec_step(db_, q, "update x402_payment_batches"); !ok)
        return ok;
    }
    if (sqlite3_changes(db_) != 1) {
      auto e = prepare(sql_batch_exists);
      if (!e)
        return e.error();
      stmt q{*e};
      q.id(1, u.batch_id);
      auto rc = q.step();
      if (rc == SQLITE_DONE)
        return not_found_batch(u.batch_id);
      if (rc != SQLITE_ROW)
        return sqlite_error(db_, rc, "read x402_payment_batches");
      return make_error(errc::storage_conflict, "batch " + u.batch_id.str() + " is no longer "
                                                  + msg::to_string(u.from));
    }
    if (u.to == msg::x402_batch_status::settled || u.to == msg::x402_batch_status::failed) {
      auto i = prepare(u.to == msg::x402_batch_status::settled ? sql_settle_intents
                                                               : sql_fail_intents);
      if (!i)
        return i.error();
      stmt q{*i};
      q.id(1, u.batch_id);
      q.int64(2, u.at);
      if (auto ok = exec_step(db_, q, "update x402 batch intents"); !ok)
        return ok;
    }
    return run(sql_commit);
  };
  auto ok = body();
  if (!ok)
    rollback_if_open();
  return ok;
}

// -- background -------------------------------------------------------------------------------

caf::expected<std::vector<msg::x402_work>> sqlite_event_store::x402_open_work() {
  auto p = prepare(sql_open_work);
  if (!p)
    return p.error();
  stmt q{*p};
  return collect<msg::x402_work>(
    db_, q,
    [](const detail::row_view& r) {
      return msg::x402_work{stream_key{r.id(0), r.id(1)}, r.text(2)};
    },
    "x402_payment_intents");
}

caf::expected<uint64_t> sqlite_event_store::prune_x402_nonces(msg::timestamp_us before) {
  auto p = prepare(sql_prune_nonces);
  if (!p)
    return p.error();
  stmt q{*p};
  q.int64(1, before);
  if (auto ok = exec_step(db_, q, "prune x402_nonce_tracking"); !ok)
    return ok.error();
  return static_cast<uint64_t>(sqlite3_changes(db_));
}

caf::expected<std::vector<std::pair<msg::x402_status, uint64_t>>>
sqlite_event_store::x402_status_counts() {
  auto p = prepare(sql_status_counts);
  if (!p)
    return p.error();
  stmt q{*p};
  return collect<std::pair<msg::x402_status, uint64_t>>(
    db_, q,
    [](const detail::row_view& r) {
      msg::x402_status s = msg::x402_status::pending;
      if (!msg::from_string(r.text(0), s))
        r.fail("unknown x402 intent status '" + r.text(0) + "'");
      return std::pair{s, static_cast<uint64_t>(r.i64(1))};
    },
    "x402_payment_intents");
}

} // namespace seq::storage
