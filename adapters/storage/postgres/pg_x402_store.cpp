// SPDX-License-Identifier: Apache-2.0
// The x402 half of the PostgreSQL backend (messages/x402_store.hpp): payment intents (written
// by commit_group's pipeline, see append_x402_inserts), batches and nonces, on the same
// connection as the event store (see pg_event_store.hpp). Multi-statement changes are one
// pipelined transaction; compare-and-set misses raise SQ409 (errc::storage_conflict).
#include "adapters/storage/postgres/pg_event_store.hpp"

#include "adapters/storage/postgres/pg_x402_rows.hpp"
#include "adapters/storage/x402_rows.hpp"
#include "messages/errc.hpp"

#include <algorithm>
#include <array>
#include <iterator>

namespace seq::storage {

namespace {

using pg::decode_all;
using pg::params;
using pg::statement;

const std::string& intent_select() {
  static const std::string sql
    = "SELECT intent_id, x402_version, status, tenant_id, store_id, source_agent_id,"
      " agent_key_id, payer_address, payee_address, amount, asset, network, chain_id,"
      " token_address, created_at_unix, valid_until, nonce, idempotency_key, resource_uri,"
      " description, order_id, merchant_id, signing_hash, payer_signature, payer_public_key,"
      " sequence_number, "
      + pg::us_expr("sequenced_at") + ", batch_id, tx_hash, block_number, "
      + pg::us_expr("settled_at") + ", metadata::text, " + pg::us_expr("created_at") + ", "
      + pg::us_expr("updated_at") + " FROM x402_payment_intents ";
  return sql;
}

const std::string& batch_select() {
  static const std::string sql
    = "SELECT batch_id, status, tenant_id, store_id, network, payment_count,"
      " total_amounts::text, merkle_root, prev_state_root, new_state_root, sequence_start,"
      " sequence_end, tx_hash, block_number, gas_used, "
      + pg::us_expr("created_at") + ", " + pg::us_expr("committed_at") + ", "
      + pg::us_expr("submitted_at") + ", " + pg::us_expr("settled_at")
      + " FROM x402_payment_batches ";
  return sql;
}

caf::expected<std::vector<msg::x402_intent>> intents_of(const pg::result& r) {
  return decode_all<msg::x402_intent>(r, detail::decode_x402_intent, "x402_payment_intents");
}

caf::expected<std::vector<msg::x402_batch>> batches_of(const pg::result& r) {
  return decode_all<msg::x402_batch>(r, detail::decode_x402_batch, "x402_payment_batches");
}

caf::error not_found_batch(const uuid& id) {
  return make_error(errc::not_found, "Batch " + id.str() + " not found");
}

std::string opt_tx(params& p, const std::optional<msg::hash32>& v) {
  return v ? p.text(detail::encode_tx_hash(*v)) : p.null("text");
}

template <size_t N>
std::string opt_bytes(params& p, const std::optional<std::array<uint8_t, N>>& v) {
  return v ? p.bytes(*v) : p.null("bytea");
}

// -- the group's INSERTs ------------------------------------------------------------------------

struct column {
  const char* name;
  const char* array_type;
  bool time = false;
};

constexpr column intent_columns[] = {
  {"intent_id", "uuid[]"},         {"x402_version", "bigint[]"},
  {"status", "text[]"},            {"tenant_id", "uuid[]"},
  {"store_id", "uuid[]"},          {"source_agent_id", "uuid[]"},
  {"agent_key_id", "bigint[]"},    {"payer_address", "text[]"},
  {"payee_address", "text[]"},     {"amount", "bigint[]"},
  {"asset", "text[]"},             {"network", "text[]"},
  {"chain_id", "bigint[]"},        {"token_address", "text[]"},
  {"created_at_unix", "bigint[]"}, {"valid_until", "bigint[]"},
  {"nonce", "bigint[]"},           {"idempotency_key", "text[]"},
  {"resource_uri", "text[]"},      {"description", "text[]"},
  {"order_id", "uuid[]"},          {"merchant_id", "text[]"},
  {"signing_hash", "bytea[]"},     {"payer_signature", "bytea[]"},
  {"payer_public_key", "bytea[]"}, {"sequence_number", "bigint[]"},
  {"sequenced_at", "bigint[]", true}, {"batch_id", "uuid[]"},
  {"tx_hash", "text[]"},           {"block_number", "bigint[]"},
  {"settled_at", "bigint[]", true}, {"metadata", "jsonb[]"},
  {"created_at", "bigint[]", true}, {"updated_at", "bigint[]", true},
};

constexpr column nonce_columns[] = {
  {"tenant_id", "uuid[]"}, {"store_id", "uuid[]"},  {"payer_address", "text[]"},
  {"nonce", "bigint[]"},   {"intent_id", "uuid[]"}, {"created_at", "bigint[]", true},
};

template <size_t N>
using arrays = std::array<pg::array_literal, N>;

template <size_t N>
statement unnest_insert(const char* table, const column (&cols)[N], arrays<N> xs) {
  statement st;
  std::string names, exprs, args;
  for (size_t i = 0; i < N; ++i) {
    auto sep = i == 0 ? "" : ", ";
    names += sep;
    names += cols[i].name;
    exprs += sep;
    auto ref = std::string{"t."} + cols[i].name;
    exprs += cols[i].time ? pg::ts_expr(ref) : ref;
    args += sep;
    args += st.args.array(std::move(xs[i]), cols[i].array_type);
  }
  st.sql = std::string{"INSERT INTO "} + table + " (" + names + ") SELECT " + exprs
           + " FROM unnest(" + args + ") AS t(" + names + ")";
  return st;
}

void opt_add(pg::array_literal& a, const std::optional<std::string>& v) {
  v ? a.add(*v) : a.null();
}

template <size_t N>
void opt_add(pg::array_literal& a, const std::optional<std::array<uint8_t, N>>& v) {
  v ? a.bytes(*v) : a.null();
}

void add_intent(arrays<std::size(intent_columns)>& a, const msg::x402_intent& x) {
  size_t i = 0;
  a[i++].id(x.intent_id);
  a[i++].int64(x.x402_version);
  a[i++].add(msg::to_string(x.status));
  a[i++].id(x.tenant_id);
  a[i++].id(x.store_id);
  a[i++].id(x.source_agent_id);
  a[i++].opt_int64(x.agent_key_id);
  a[i++].add(x.payer_address);
  a[i++].add(x.payee_address);
  a[i++].int64(static_cast<int64_t>(x.amount));
  a[i++].add(x.asset);
  a[i++].add(x.network);
  a[i++].int64(static_cast<int64_t>(x.chain_id));
  opt_add(a[i++], x.token_address);
  a[i++].int64(static_cast<int64_t>(x.created_at_unix));
  a[i++].int64(static_cast<int64_t>(x.valid_until));
  a[i++].int64(static_cast<int64_t>(x.nonce));
  opt_add(a[i++], x.idempotency_key);
  opt_add(a[i++], x.resource_uri);
  opt_add(a[i++], x.description);
  a[i++].opt_id(x.order_id);
  opt_add(a[i++], x.merchant_id);
  a[i++].bytes(x.signing_hash);
  a[i++].bytes(x.payer_signature);
  opt_add(a[i++], x.payer_public_key);
  if (x.sequence_number > 0)
    a[i++].int64(static_cast<int64_t>(x.sequence_number));
  else
    a[i++].null();
  a[i++].opt_int64(x.sequenced_at);
  a[i++].opt_id(x.batch_id);
  opt_add(a[i++], x.tx_hash ? std::optional<std::string>{detail::encode_tx_hash(*x.tx_hash)}
                            : std::nullopt);
  a[i++].opt_int64(x.block_number);
  a[i++].opt_int64(x.settled_at);
  a[i++].text_or_null(x.metadata);
  a[i++].int64(x.created_at);
  a[i++].int64(x.updated_at);
}

} // namespace

// -- commit_group / inspect_conflict (pg_event_store.cpp) -----------------------------------------

namespace pg {

void append_x402_inserts(std::vector<statement>& out, const write_group& g) {
  if (g.x402.empty())
    return;
  arrays<std::size(intent_columns)> intents;
  arrays<std::size(nonce_columns)> nonces;
  for (const auto& x : g.x402) {
    add_intent(intents, x);
    size_t i = 0;
    nonces[i++].id(x.tenant_id);
    nonces[i++].id(x.store_id);
    nonces[i++].add(x.payer_address);
    nonces[i++].int64(static_cast<int64_t>(x.nonce));
    nonces[i++].id(x.intent_id);
    nonces[i++].int64(x.created_at);
  }
  out.push_back(unnest_insert("x402_payment_intents", intent_columns, std::move(intents)));
  out.push_back(unnest_insert("x402_nonce_tracking", nonce_columns, std::move(nonces)));
}

size_t append_x402_conflict_reads(std::vector<statement>& out, const write_group& g) {
  auto first = out.size();
  array_literal payers, nonces, keys;
  for (const auto& x : g.x402) {
    payers.add(x.payer_address);
    nonces.int64(static_cast<int64_t>(x.nonce));
    if (x.idempotency_key)
      keys.add(*x.idempotency_key);
  }
  {
    statement st;
    auto& p = st.args;
    st.sql = "SELECT n.payer_address, n.nonce FROM unnest("
             + p.array(std::move(payers), "text[]") + ", " + p.array(std::move(nonces), "bigint[]")
             + ") AS k (payer_address, nonce) JOIN x402_nonce_tracking n ON n.tenant_id = "
             + p.id(g.stream.tenant_id) + " AND n.store_id = " + p.id(g.stream.store_id)
             + " AND n.payer_address = k.payer_address AND n.nonce = k.nonce";
    out.push_back(std::move(st));
  }
  {
    statement st;
    auto& p = st.args;
    st.sql = "SELECT idempotency_key, intent_id FROM x402_payment_intents WHERE tenant_id = "
             + p.id(g.stream.tenant_id) + " AND store_id = " + p.id(g.stream.store_id)
             + " AND idempotency_key = ANY(" + p.array(std::move(keys), "text[]") + ")";
    out.push_back(std::move(st));
  }
  return first;
}

caf::expected<void> decode_x402_conflict(const std::vector<result>& rs, size_t first,
                                         const write_group& g, conflict_report& rep) {
  auto used = decode_all<msg::x402_nonce_key>(
    rs[first],
    [](const detail::row_view& r) {
      return msg::x402_nonce_key{r.text(0), static_cast<uint64_t>(r.i64(1))};
    },
    "x402_nonce_tracking");
  if (!used)
    return used.error();
  auto keys = decode_all<std::pair<std::string, uuid>>(
    rs[first + 1], [](const detail::row_view& r) { return std::pair{r.text(0), r.id(1)}; },
    "x402_payment_intents");
  if (!keys)
    return keys.error();
  // In the order of the group, without repeats.
  for (const auto& x : g.x402) {
    msg::x402_nonce_key k{x.payer_address, x.nonce};
    auto& xs = rep.existing_x402_nonces;
    if (std::find(used->begin(), used->end(), k) != used->end()
        && std::find(xs.begin(), xs.end(), k) == xs.end())
      xs.push_back(std::move(k));
    if (!x.idempotency_key)
      continue;
    auto i = std::find_if(keys->begin(), keys->end(),
                          [&](const auto& e) { return e.first == *x.idempotency_key; });
    auto& ks = rep.existing_x402_keys;
    if (i != keys->end() && std::find(ks.begin(), ks.end(), *i) == ks.end())
      ks.push_back(*i);
  }
  return {};
}

} // namespace pg

// -- intents ----------------------------------------------------------------------------------

caf::expected<msg::x402_intent> pg_event_store::get_x402_intent(const uuid& id) {
  params p;
  auto r = c_->exec(intent_select() + "WHERE intent_id = " + p.id(id), p, "get x402 intent");
  if (!r)
    return r.error();
  auto xs = intents_of(*r);
  if (!xs)
    return xs.error();
  if (xs->empty())
    return make_error(errc::not_found, "Payment intent " + id.str() + " not found");
  return std::move(xs->front());
}

caf::expected<std::vector<msg::x402_intent>>
pg_event_store::get_x402_intents(const std::vector<uuid>& ids) {
  params p;
  auto r = c_->exec(intent_select() + "WHERE intent_id = ANY(" + p.uuid_array(ids) + ")", p,
                    "get x402 intents");
  if (!r)
    return r.error();
  return intents_of(*r);
}

caf::expected<std::optional<msg::x402_intent>>
pg_event_store::find_x402_intent_by_key(const stream_key& s, const std::string& key) {
  params p;
  auto sql = intent_select() + "WHERE tenant_id = " + p.id(s.tenant_id) + " AND store_id = "
             + p.id(s.store_id) + " AND idempotency_key = " + p.text(key);
  auto r = c_->exec(sql, p, "find x402 intent by idempotency key");
  if (!r)
    return r.error();
  auto xs = intents_of(*r);
  if (!xs)
    return xs.error();
  if (xs->empty())
    return std::optional<msg::x402_intent>{};
  return std::optional<msg::x402_intent>{std::move(xs->front())};
}

caf::expected<std::vector<msg::x402_intent>>
pg_event_store::list_x402_intents(const msg::x402_intent_filter& f) {
  params p;
  auto sql = intent_select() + "WHERE tenant_id = " + p.id(f.tenant_id);
  if (f.store_id)
    sql += " AND store_id = " + p.id(*f.store_id);
  if (f.payer_address)
    sql += " AND payer_address = " + p.text(*f.payer_address);
  if (f.payee_address)
    sql += " AND payee_address = " + p.text(*f.payee_address);
  if (f.status)
    sql += " AND status = " + p.text(msg::to_string(*f.status));
  if (f.network)
    sql += " AND network = " + p.text(*f.network);
  if (f.asset)
    sql += " AND asset = " + p.text(*f.asset);
  if (f.batch_id)
    sql += " AND batch_id = " + p.id(*f.batch_id);
  if (f.from)
    sql += " AND created_at >= " + p.time(*f.from);
  if (f.to)
    sql += " AND created_at <= " + p.time(*f.to);
  sql += " ORDER BY created_at DESC, sequence_number DESC LIMIT " + p.int64(f.limit) + " OFFSET "
         + p.int64(f.offset);
  auto r = c_->exec(sql, p, "list x402 intents");
  if (!r)
    return r.error();
  return intents_of(*r);
}

caf::expected<std::vector<msg::x402_intent>>
pg_event_store::sequenced_x402_intents(const stream_key& s, const std::string& network,
                                       uint32_t limit) {
  params p;
  auto sql = intent_select() + "WHERE tenant_id = " + p.id(s.tenant_id) + " AND store_id = "
             + p.id(s.store_id) + " AND network = " + p.text(network)
             + " AND status = 'sequenced' ORDER BY sequence_number LIMIT " + p.int64(limit);
  auto r = c_->exec(sql, p, "read sequenced x402 intents");
  if (!r)
    return r.error();
  return intents_of(*r);
}

caf::expected<msg::x402_pending_summary>
pg_event_store::x402_pending(const stream_key& s, const std::string& network) {
  params p;
  auto t = p.id(s.tenant_id);
  auto sid = p.id(s.store_id);
  auto sql = "SELECT COUNT(*), COALESCE(MIN(" + pg::us_expr("sequenced_at")
             + "), 0), COALESCE(MIN(valid_until), 0), (SELECT COALESCE(MAX(sequence_number), 0)"
               " FROM x402_payment_intents WHERE tenant_id = "
             + t + " AND store_id = " + sid + ") FROM x402_payment_intents WHERE tenant_id = " + t
             + " AND store_id = " + sid + " AND network = " + p.text(network)
             + " AND status = 'sequenced'";
  auto r = c_->exec(sql, p, "read x402 pending intents");
  if (!r)
    return r.error();
  if (r->rows() != 1)
    return make_error(errc::storage_failure, "x402 pending query returned no row");
  pg::row row{r->get(), 0};
  msg::x402_pending_summary out;
  out.count = static_cast<uint64_t>(row.i64(0));
  out.oldest_sequenced_at = row.i64(1);
  out.earliest_valid_until = static_cast<uint64_t>(row.i64(2));
  out.last_sequence = static_cast<uint64_t>(row.i64(3));
  if (row.failed())
    return detail::corrupt_row("x402_payment_intents", row);
  return out;
}

caf::expected<uint64_t> pg_event_store::expire_x402_intents(const stream_key& s,
                                                            const std::string& network,
                                                            uint64_t now_unix) {
  params p;
  auto sql = "WITH x AS (UPDATE x402_payment_intents SET status = 'expired', updated_at = now()"
             " WHERE tenant_id = "
             + p.id(s.tenant_id) + " AND store_id = " + p.id(s.store_id)
             + " AND network = " + p.text(network) + " AND status = 'sequenced' AND valid_until < "
             + p.int64(static_cast<int64_t>(now_unix)) + " RETURNING 1) SELECT count(*) FROM x";
  auto r = c_->exec(sql, p, "expire x402 intents");
  if (!r)
    return r.error();
  pg::row row{r->get(), 0};
  return static_cast<uint64_t>(row.i64(0));
}

// -- batches ----------------------------------------------------------------------------------

caf::expected<void> pg_event_store::insert_x402_batch(const msg::x402_batch& b) {
  std::vector<statement> xs;
  xs.push_back(statement{"BEGIN", {}});
  {
    statement st;
    auto& p = st.args;
    st.sql = "INSERT INTO x402_payment_batches (batch_id, status, tenant_id, store_id, network,"
             " payment_count, total_amounts, merkle_root, prev_state_root, new_state_root,"
             " sequence_start, sequence_end, tx_hash, block_number, gas_used, created_at,"
             " committed_at, submitted_at, settled_at) VALUES ("
             + p.id(b.batch_id) + ", " + p.text(msg::to_string(b.status)) + ", "
             + p.id(b.stream.tenant_id) + ", " + p.id(b.stream.store_id) + ", "
             + p.text(b.network) + ", " + p.int64(b.payment_count) + ", "
             + p.jsonb_or_null(detail::encode_x402_totals(b.total_amounts)) + ", "
             + opt_bytes(p, b.merkle_root) + ", " + opt_bytes(p, b.prev_state_root) + ", "
             + opt_bytes(p, b.new_state_root) + ", "
             + p.int64(static_cast<int64_t>(b.sequence_start)) + ", "
             + p.int64(static_cast<int64_t>(b.sequence_end)) + ", " + opt_tx(p, b.tx_hash) + ", "
             + p.opt_int64(b.block_number) + ", " + p.opt_int64(b.gas_used) + ", "
             + p.time(b.created_at) + ", " + p.opt_time(b.committed_at) + ", "
             + p.opt_time(b.submitted_at) + ", " + p.opt_time(b.settled_at) + ")";
    xs.push_back(std::move(st));
  }
  {
    statement st;
    auto& p = st.args;
    st.sql = "WITH c AS (UPDATE x402_payment_intents SET status = 'batched', batch_id = "
             + p.id(b.batch_id) + ", updated_at = "
             + p.time(b.committed_at.value_or(b.created_at))
             + " WHERE intent_id = ANY(" + p.uuid_array(b.intent_ids)
             + ") AND status = 'sequenced' AND tenant_id = " + p.id(b.stream.tenant_id)
             + " AND store_id = " + p.id(b.stream.store_id) + " AND network = "
             + p.text(b.network) + " RETURNING 1) SELECT seq_require((SELECT count(*) FROM c) = "
             + p.int64(static_cast<int64_t>(b.intent_ids.size()))
             + ", 'an x402 intent of the batch is no longer sequenced in this stream')";
    xs.push_back(std::move(st));
  }
  xs.push_back(statement{"COMMIT", {}});
  auto r = c_->pipeline(xs, "insert x402 batch");
  if (!r)
    return r.error();
  return {};
}

caf::expected<msg::x402_batch> pg_event_store::get_x402_batch(const uuid& id) {
  std::vector<statement> xs;
  {
    statement st;
    st.sql = batch_select() + "WHERE batch_id = " + st.args.id(id);
    xs.push_back(std::move(st));
  }
  {
    statement st;
    st.sql = "SELECT intent_id FROM x402_payment_intents WHERE batch_id = " + st.args.id(id)
             + " ORDER BY sequence_number";
    xs.push_back(std::move(st));
  }
  auto rs = c_->pipeline(xs, "get x402 batch");
  if (!rs)
    return rs.error();
  auto bs = batches_of((*rs)[0]);
  if (!bs)
    return bs.error();
  if (bs->empty())
    return not_found_batch(id);
  auto ids = decode_all<uuid>(
    (*rs)[1], [](const detail::row_view& r) { return r.id(0); }, "x402_payment_intents");
  if (!ids)
    return ids.error();
  auto b = std::move(bs->front());
  b.intent_ids = std::move(*ids);
  return b;
}

caf::expected<std::vector<msg::x402_intent>> pg_event_store::x402_batch_intents(const uuid& id) {
  params p;
  auto r = c_->exec(intent_select() + "WHERE batch_id = " + p.id(id)
                      + " ORDER BY sequence_number",
                    p, "read x402 batch intents");
  if (!r)
    return r.error();
  return intents_of(*r);
}

caf::expected<std::vector<msg::x402_batch>>
pg_event_store::x402_batches_in(const stream_key& s, const std::string& network,
                                msg::x402_batch_status status, uint32_t limit) {
  params p;
  auto sql = batch_select() + "WHERE tenant_id = " + p.id(s.tenant_id) + " AND store_id = "
             + p.id(s.store_id) + " AND network = " + p.text(network)
             + " AND status = " + p.text(msg::to_string(status))
             + " ORDER BY created_at, sequence_start LIMIT " + p.int64(limit);
  auto r = c_->exec(sql, p, "list x402 batches");
  if (!r)
    return r.error();
  return batches_of(*r);
}

caf::expected<void> pg_event_store::update_x402_batch(const msg::x402_batch_update& u) {
  using status = msg::x402_batch_status;
  std::vector<statement> xs;
  xs.push_back(statement{"BEGIN", {}});
  {
    statement st;
    auto& p = st.args;
    auto to = p.text(msg::to_string(u.to));
    bool submitted = u.to == status::submitted || u.to == status::settled;
    // Every placeholder must be used (PostgreSQL cannot type an unused one).
    auto at = submitted ? p.time(u.at) : std::string{};
    st.sql = "WITH u AS (UPDATE x402_payment_batches SET status = " + to
             + ", tx_hash = COALESCE(" + opt_tx(p, u.tx_hash) + ", tx_hash), block_number = "
             + "COALESCE(" + p.opt_int64(u.block_number) + ", block_number), gas_used = COALESCE("
             + p.opt_int64(u.gas_used) + ", gas_used)"
             + (submitted ? ", submitted_at = COALESCE(submitted_at, " + at + ")" : std::string{})
             + (u.to == status::settled ? ", settled_at = " + at : std::string{})
             + " WHERE batch_id = " + p.id(u.batch_id)
             + " AND status = " + p.text(msg::to_string(u.from))
             + " RETURNING 1) SELECT seq_require((SELECT count(*) FROM u) = 1,"
               " 'x402 batch status changed')";
    xs.push_back(std::move(st));
  }
  if (u.to == status::settled || u.to == status::failed) {
    statement st;
    auto& p = st.args;
    auto id = p.id(u.batch_id);
    auto at = p.time(u.at);
    if (u.to == status::settled)
      st.sql = "UPDATE x402_payment_intents i SET status = 'settled', tx_hash = b.tx_hash,"
               " block_number = b.block_number, settled_at = "
               + at + ", updated_at = " + at + " FROM x402_payment_batches b WHERE b.batch_id = "
               + id + " AND i.batch_id = b.batch_id AND i.status = 'batched'";
    else
      st.sql = "UPDATE x402_payment_intents SET status = 'failed', updated_at = " + at
               + " WHERE batch_id = " + id + " AND status = 'batched'";
    xs.push_back(std::move(st));
  }
  xs.push_back(statement{"COMMIT", {}});
  auto r = c_->pipeline(xs, "update x402 batch");
  if (r)
    return {};
  if (r.error() != errc::storage_conflict)
    return r.error();
  params p;
  auto e = c_->exec("SELECT 1 FROM x402_payment_batches WHERE batch_id = " + p.id(u.batch_id), p,
                    "read x402 batch");
  if (!e)
    return e.error();
  if (e->rows() == 0)
    return not_found_batch(u.batch_id);
  return make_error(errc::storage_conflict,
                    "batch " + u.batch_id.str() + " is no longer " + msg::to_string(u.from));
}

// -- background -------------------------------------------------------------------------------

caf::expected<std::vector<msg::x402_work>> pg_event_store::x402_open_work() {
  auto r = c_->exec("SELECT tenant_id, store_id, network FROM x402_payment_intents"
                    " WHERE status = 'sequenced' UNION SELECT tenant_id, store_id, network"
                    " FROM x402_payment_batches WHERE status IN ('committed', 'submitted')"
                    " ORDER BY 1, 2, 3",
                    "read x402 open work");
  if (!r)
    return r.error();
  return decode_all<msg::x402_work>(
    *r,
    [](const detail::row_view& row) {
      return msg::x402_work{stream_key{row.id(0), row.id(1)}, row.text(2)};
    },
    "x402_payment_intents");
}

caf::expected<uint64_t> pg_event_store::prune_x402_nonces(msg::timestamp_us before) {
  params p;
  auto r = c_->exec("WITH d AS (DELETE FROM x402_nonce_tracking WHERE created_at < "
                      + p.time(before) + " RETURNING 1) SELECT count(*) FROM d",
                    p, "prune x402 nonces");
  if (!r)
    return r.error();
  pg::row row{r->get(), 0};
  return static_cast<uint64_t>(row.i64(0));
}

caf::expected<std::vector<std::pair<msg::x402_status, uint64_t>>>
pg_event_store::x402_status_counts() {
  auto r = c_->exec("SELECT status, COUNT(*) FROM x402_payment_intents GROUP BY status"
                    " ORDER BY status",
                    "count x402 intents");
  if (!r)
    return r.error();
  return decode_all<std::pair<msg::x402_status, uint64_t>>(
    *r,
    [](const detail::row_view& row) {
      msg::x402_status s = msg::x402_status::pending;
      if (!msg::from_string(row.text(0), s))
        row.fail("unknown x402 intent status '" + row.text(0) + "'");
      return std::pair{s, static_cast<uint64_t>(row.i64(1))};
    },
    "x402_payment_intents");
}

} // namespace seq::storage
