// SPDX-License-Identifier: Apache-2.0
#include "adapters/storage/postgres/pg_event_store.hpp"

#include "adapters/storage/postgres/pg_connection.hpp"
#include "adapters/storage/postgres/pg_copy.hpp"
#include "adapters/storage/postgres/pg_x402_rows.hpp"
#include "adapters/storage/rows.hpp"
#include "messages/errc.hpp"
#include "messages/ves/json.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <limits>

namespace seq::storage {

namespace {

using pg::copy_buffer;
using pg::decode_all;
using pg::params;
using pg::pg_epoch_offset_us;
using pg::statement;

/// Limits per INSERT statement: whole columns travel as array parameters, so these only bound
/// the size of one protocol message.
constexpr size_t max_rows_per_insert = 10000;
constexpr size_t max_bytes_per_insert = size_t{32} << 20;
/// Groups with at least this many events write them (and their receipts) with binary COPY:
/// one round trip more per table copied, plus one, but PostgreSQL parses no text (the
/// `INSERT … SELECT … FROM unnest(…)` form cost it about a fifth more CPU per event on a hot
/// stream's groups of about ten, bench/README.md). A group's only event keeps the
/// single-round-trip `INSERT … VALUES`; a group with a value COPY cannot carry (copy_fits)
/// takes the `unnest` form, which fails on it with PostgreSQL's own error.
constexpr size_t copy_min_events = 2;
/// Groups touching at most this many entities run one compare-and-set statement per entity
/// (see apply_cas).
constexpr size_t max_scalar_cas = 8;
/// Session advisory lock held while migrating ("SEQ_MIGR").
constexpr int64_t migrate_lock_key = 0x5345515f4d494752;

const std::string& ves_select() {
  static const std::string sql
    = "SELECT e.event_id, e.command_id, e.ves_version, e.tenant_id, e.store_id,"
      " e.source_agent_id, e.agent_key_id, e.entity_type, e.entity_id, e.event_type,"
      " e.created_at_str, "
      + pg::us_expr("e.sequenced_at")
      + ", e.payload_kind, e.payload::text, e.payload_encrypted::text, e.payload_plain_hash,"
        " e.payload_cipher_hash, e.event_signing_hash, e.agent_signature, e.sequence_number,"
        " e.base_version, e.agent_signature_scheme, r.event_id, r.sequencer_id,"
        " r.sequence_number, "
      + pg::us_expr("r.sequenced_at")
      + ", r.receipt_hash, r.sequencer_signature, r.sequencer_key_version"
        " FROM ves_events e LEFT JOIN ves_sequencer_receipts r ON r.event_id = e.event_id ";
  return sql;
}

const std::string& legacy_select() {
  static const std::string sql
    = "SELECT event_id, command_id, tenant_id, store_id, entity_type, entity_id, event_type,"
      " payload, payload_hash, base_version, "
      + pg::us_expr("created_at") + ", source_agent, signature, sequence_number, "
      + pg::us_expr("sequenced_at") + " FROM events ";
  return sql;
}

const std::string& agent_key_select() {
  static const std::string sql
    = "SELECT tenant_id, agent_id, key_id, public_key, key_algorithm, status, "
      + pg::us_expr("valid_from") + ", " + pg::us_expr("valid_to") + ", "
      + pg::us_expr("revoked_at") + ", " + pg::us_expr("created_at")
      + " FROM agent_signing_keys ";
  return sql;
}

const std::string& api_key_cols() {
  static const std::string sql
    = "key_hash, tenant_id, store_ids, can_read, can_write, can_admin, agent_id, active,"
      " rate_limit, "
      + pg::us_expr("created_at") + ", " + pg::us_expr("updated_at");
  return sql;
}

/// JSONB prints its own form; the signed bytes are the RFC 8785 form of the same value.
bool canonicalize(std::string& text) {
  if (text.empty())
    return true;
  auto v = ves::json::try_parse(text);
  if (!v)
    return false;
  text = v->jcs();
  return true;
}

caf::expected<std::vector<msg::sequenced_ves_event>> decode_ves_rows(const pg::result& r) {
  auto xs = decode_all<msg::sequenced_ves_event>(r, detail::decode_ves, "ves_events");
  if (!xs)
    return xs;
  for (auto& x : *xs)
    if (!canonicalize(x.ev.payload) || !canonicalize(x.ev.payload_encrypted))
      return make_error(errc::storage_failure,
                        "corrupt JSON payload in ves_events " + x.ev.event_id.str());
  return xs;
}

caf::expected<std::vector<uuid>> decode_ids(const pg::result& r, const char* table) {
  return decode_all<uuid>(r, [](const detail::row_view& row) { return row.id(0); }, table);
}

// -- commit_group statements ----------------------------------------------------------------------

/// One column of an `INSERT … SELECT … FROM unnest(…)`: its name, the array type its parameter
/// is sent as, and whether it is a µs value converted to TIMESTAMPTZ on the server.
struct column {
  const char* name;
  const char* array_type;
  bool time = false;
};

constexpr column ves_columns[] = {
  {"event_id", "uuid[]"},
  {"command_id", "uuid[]"},
  {"ves_version", "bigint[]"},
  {"tenant_id", "uuid[]"},
  {"store_id", "uuid[]"},
  {"source_agent_id", "uuid[]"},
  {"agent_key_id", "bigint[]"},
  {"entity_type", "text[]"},
  {"entity_id", "text[]"},
  {"event_type", "text[]"},
  {"created_at", "bigint[]", true},
  {"created_at_str", "text[]"},
  {"sequenced_at", "bigint[]", true},
  {"payload_kind", "bigint[]"},
  {"payload", "jsonb[]"},
  {"payload_encrypted", "jsonb[]"},
  {"payload_plain_hash", "bytea[]"},
  {"payload_cipher_hash", "bytea[]"},
  {"event_signing_hash", "bytea[]"},
  {"agent_signature", "bytea[]"},
  {"sequence_number", "bigint[]"},
  {"base_version", "bigint[]"},
  {"agent_signature_scheme", "bigint[]"},
};

constexpr column receipt_columns[] = {
  {"event_id", "uuid[]"},
  {"sequencer_id", "uuid[]"},
  {"sequence_number", "bigint[]"},
  {"sequenced_at", "bigint[]", true},
  {"receipt_hash", "bytea[]"},
  {"sequencer_signature", "bytea[]"},
  {"sequencer_key_version", "bigint[]"},
};

constexpr column legacy_columns[] = {
  {"event_id", "uuid[]"},
  {"command_id", "uuid[]"},
  {"sequence_number", "bigint[]"},
  {"tenant_id", "uuid[]"},
  {"store_id", "uuid[]"},
  {"entity_type", "text[]"},
  {"entity_id", "text[]"},
  {"event_type", "text[]"},
  {"payload", "text[]"},
  {"payload_hash", "bytea[]"},
  {"base_version", "bigint[]"},
  {"source_agent", "uuid[]"},
  {"signature", "bytea[]"},
  {"created_at", "bigint[]", true},
  {"sequenced_at", "bigint[]", true},
};

template <size_t N>
using arrays = std::array<pg::array_literal, N>;

template <size_t N>
std::string column_names(const column (&cols)[N]) {
  std::string names;
  for (size_t i = 0; i < N; ++i) {
    names += i == 0 ? "" : ", ";
    names += cols[i].name;
  }
  return names;
}

template <size_t N>
statement unnest_insert(const char* table, const column (&cols)[N], arrays<N> xs) {
  statement st;
  std::string exprs;
  std::string args;
  for (size_t i = 0; i < N; ++i) {
    auto sep = i == 0 ? "" : ", ";
    exprs += sep;
    auto ref = std::string{"t."} + cols[i].name;
    exprs += cols[i].time ? pg::ts_expr(ref) : ref;
    args += sep;
    args += st.args.array(std::move(xs[i]), cols[i].array_type);
  }
  auto names = column_names(cols);
  st.sql = std::string{"INSERT INTO "} + table + " (" + names + ") SELECT " + exprs
           + " FROM unnest(" + args + ") AS t(" + names + ")";
  st.prepared = true;
  return st;
}

/// Where the `add_…` binders below put one row: the next element of every column array.
template <size_t N>
struct array_row {
  arrays<N>& a;
  size_t i = 0;
  pg::array_literal& next() { return a[i++]; }
  void add(std::string_view v) { next().add(v); }
  void null() { next().null(); }
  void id(const uuid& v) { next().id(v); }
  void opt_id(const std::optional<uuid>& v) { next().opt_id(v); }
  void int64(int64_t v) { next().int64(v); }
  template <class T>
  void opt_int64(const std::optional<T>& v) { next().opt_int64(v); }
  template <class C>
  void bytes(const C& c) { next().bytes(c); }
  void text_or_null(const std::string& v) { next().text_or_null(v); }
};

/// Where the `add_…` binders put a single row: one scalar parameter per column, cast to the
/// column's element type. A one-row INSERT … VALUES costs PostgreSQL less than parsing one
/// array per column and unnesting them.
struct scalar_row {
  pg::params& p;
  const column* cols;
  std::string values;
  size_t i = 0;
  /// The next column's value as a parameter of the column's element type.
  void put(std::optional<std::string> v) {
    std::string_view type = cols[i].array_type;
    type.remove_suffix(2); // "[]"
    append(p.placeholder(std::move(v), type));
  }
  /// The next column's expression for the parameter `ref`.
  void append(const std::string& ref) {
    values += values.empty() ? "" : ", ";
    values += cols[i++].time ? pg::ts_expr(ref) : ref;
  }
  void add(std::string_view v) { put(std::string{v}); }
  void null() { put(std::nullopt); }
  void id(const uuid& v) { put(v.str()); }
  void opt_id(const std::optional<uuid>& v) { v ? id(*v) : null(); }
  void int64(int64_t v) { put(std::to_string(v)); }
  template <class T>
  void opt_int64(const std::optional<T>& v) {
    v ? int64(static_cast<int64_t>(*v)) : null();
  }
  template <class C>
  void bytes(const C& c) {
    append(p.bytes(c));
  }
  void text_or_null(const std::string& v) { v.empty() ? null() : add(v); }
};

/// A one-row INSERT with scalar parameters.
template <size_t N, class T, class Add>
statement values_insert(const char* table, const column (&cols)[N], const T& x, Add add) {
  statement st;
  scalar_row r{st.args, cols, {}};
  add(r, x);
  st.sql = std::string{"INSERT INTO "} + table + " (" + column_names(cols) + ") VALUES ("
           + r.values + ")";
  st.prepared = true;
  return st;
}

template <class Row>
void add_ves(Row& a, const msg::sequenced_ves_event& x) {
  const auto& e = x.ev;
  a.id(e.event_id);
  a.opt_id(e.command_id);
  a.int64(e.ves_version);
  a.id(e.tenant_id);
  a.id(e.store_id);
  a.id(e.source_agent_id);
  a.int64(e.agent_key_id);
  a.add(e.entity_type);
  a.add(e.entity_id);
  a.add(e.event_type);
  a.opt_int64(msg::parse_rfc3339(e.created_at));
  a.add(e.created_at);
  a.int64(x.sequenced_at);
  a.int64(e.payload_kind);
  a.text_or_null(e.payload);
  a.text_or_null(e.payload_encrypted);
  a.bytes(e.payload_plain_hash);
  a.bytes(e.payload_cipher_hash);
  a.bytes(e.event_signing_hash);
  a.bytes(e.agent_signature);
  a.int64(static_cast<int64_t>(x.sequence_number));
  a.opt_int64(e.base_version);
  a.int64(e.agent_signature_scheme);
}

template <class Row>
void add_receipt(Row& a, const msg::sequenced_ves_event& x) {
  const auto& r = x.rcpt;
  a.id(x.ev.event_id);
  a.id(r.sequencer_id);
  a.int64(static_cast<int64_t>(r.sequence_number));
  a.int64(r.sequenced_at);
  a.bytes(r.receipt_hash);
  if (r.sequencer_signature)
    a.bytes(*r.sequencer_signature);
  else
    a.null();
  a.int64(r.sequencer_key_version);
}

template <class Row>
void add_legacy(Row& a, const msg::sequenced_legacy_event& x) {
  const auto& e = x.ev;
  a.id(e.event_id);
  a.opt_id(e.command_id);
  a.int64(static_cast<int64_t>(x.sequence_number));
  a.id(e.tenant_id);
  a.id(e.store_id);
  a.add(e.entity_type);
  a.add(e.entity_id);
  a.add(e.event_type);
  a.add(e.payload);
  a.bytes(e.payload_hash);
  a.opt_int64(e.base_version);
  a.id(e.source_agent);
  if (e.signature)
    a.bytes(*e.signature);
  else
    a.null();
  a.int64(e.created_at);
  a.int64(x.sequenced_at);
}

// -- the same rows as binary COPY input (same columns, same order; see pg_copy.hpp) --------------

template <size_t N>
std::string copy_sql(const char* table, const column (&cols)[N]) {
  std::string s = std::string{"COPY "} + table + " (";
  for (size_t i = 0; i < N; ++i) {
    s += i == 0 ? "" : ", ";
    s += cols[i].name;
  }
  return s + ") FROM STDIN (FORMAT binary)";
}

/// The binary form writes INTEGER and SMALLINT columns at their width, so a value out of their
/// range could not fail on the server as it does in the INSERT path: such groups take that
/// path. (So do µs values that the PostgreSQL epoch shift would overflow; a VES `created_at`
/// cannot: parse_rfc3339 takes 4-digit years only.)
bool copy_fits(const write_group& g) {
  constexpr auto i32max = static_cast<uint32_t>(std::numeric_limits<int32_t>::max());
  constexpr auto i16min = std::numeric_limits<int16_t>::min();
  constexpr auto i16max = std::numeric_limits<int16_t>::max();
  constexpr auto us_min = std::numeric_limits<int64_t>::min() + pg_epoch_offset_us;
  for (const auto& x : g.ves) {
    const auto& e = x.ev;
    if (e.ves_version > i32max || e.agent_key_id > i32max || e.payload_kind > i32max
        || e.agent_signature_scheme < i16min || e.agent_signature_scheme > i16max
        || x.sequenced_at < us_min || x.rcpt.sequenced_at < us_min)
      return false;
  }
  for (const auto& x : g.legacy)
    if (x.ev.created_at < us_min || x.sequenced_at < us_min)
      return false;
  return true;
}

void copy_ves(copy_buffer& b, const msg::sequenced_ves_event& x) {
  const auto& e = x.ev;
  b.row(static_cast<int16_t>(std::size(ves_columns)));
  b.id(e.event_id);
  e.command_id ? b.id(*e.command_id) : b.null();
  b.int4(static_cast<int32_t>(e.ves_version));
  b.id(e.tenant_id);
  b.id(e.store_id);
  b.id(e.source_agent_id);
  b.int4(static_cast<int32_t>(e.agent_key_id));
  b.text(e.entity_type);
  b.text(e.entity_id);
  b.text(e.event_type);
  auto created = msg::parse_rfc3339(e.created_at);
  created ? b.timestamptz(*created) : b.null();
  b.text(e.created_at);
  b.timestamptz(x.sequenced_at);
  b.int4(static_cast<int32_t>(e.payload_kind));
  e.payload.empty() ? b.null() : b.jsonb(e.payload);
  e.payload_encrypted.empty() ? b.null() : b.jsonb(e.payload_encrypted);
  b.bytes(e.payload_plain_hash);
  b.bytes(e.payload_cipher_hash);
  b.bytes(e.event_signing_hash);
  b.bytes(e.agent_signature);
  b.int8(static_cast<int64_t>(x.sequence_number));
  e.base_version ? b.int8(static_cast<int64_t>(*e.base_version)) : b.null();
  b.int2(static_cast<int16_t>(e.agent_signature_scheme));
}

void copy_receipt(copy_buffer& b, const msg::sequenced_ves_event& x) {
  const auto& r = x.rcpt;
  b.row(static_cast<int16_t>(std::size(receipt_columns)));
  b.id(x.ev.event_id);
  b.id(r.sequencer_id);
  b.int8(static_cast<int64_t>(r.sequence_number));
  b.timestamptz(r.sequenced_at);
  b.bytes(r.receipt_hash);
  r.sequencer_signature ? b.bytes(*r.sequencer_signature) : b.null();
  b.int4(r.sequencer_key_version);
}

void copy_legacy(copy_buffer& b, const msg::sequenced_legacy_event& x) {
  const auto& e = x.ev;
  b.row(static_cast<int16_t>(std::size(legacy_columns)));
  b.id(e.event_id);
  e.command_id ? b.id(*e.command_id) : b.null();
  b.int8(static_cast<int64_t>(x.sequence_number));
  b.id(e.tenant_id);
  b.id(e.store_id);
  b.text(e.entity_type);
  b.text(e.entity_id);
  b.text(e.event_type);
  b.text(e.payload);
  b.bytes(e.payload_hash);
  e.base_version ? b.int8(static_cast<int64_t>(*e.base_version)) : b.null();
  b.id(e.source_agent);
  e.signature ? b.bytes(*e.signature) : b.null();
  b.timestamptz(e.created_at);
  b.timestamptz(x.sequenced_at);
}

/// One simple query that opens the group's transaction and copies its events (and receipts)
/// in, with the input of each COPY.
struct group_copy {
  std::string sql = "BEGIN";
  std::vector<copy_buffer> inputs;

  template <class T, size_t N, class Encode>
  void add(const char* table, const column (&cols)[N], const std::vector<T>& xs, Encode encode) {
    if (xs.empty())
      return;
    sql += "; " + copy_sql(table, cols);
    auto& b = inputs.emplace_back();
    for (const auto& x : xs)
      encode(b, x);
    b.finish();
  }
};

/// Appends INSERTs for `xs`: one row with scalar parameters, more rows as arrays, split so that
/// no statement exceeds the row and byte limits.
template <class T, size_t N, class Add>
void insert_all(std::vector<statement>& out, const std::vector<T>& xs, const char* table,
                const column (&cols)[N], Add add) {
  if (xs.size() == 1) {
    out.push_back(values_insert(table, cols, xs.front(), add));
    return;
  }
  size_t i = 0;
  while (i < xs.size()) {
    arrays<N> a;
    size_t rows = 0;
    auto bytes = [&] {
      size_t n = 0;
      for (const auto& c : a)
        n += c.size();
      return n;
    };
    do {
      array_row<N> r{a};
      add(r, xs[i++]);
      ++rows;
    } while (i < xs.size() && rows < max_rows_per_insert
             && (rows % 64 != 0 || bytes() < max_bytes_per_insert));
    out.push_back(unnest_insert(table, cols, std::move(a)));
  }
}

statement reserve_commands(const char* table, const stream_key& s, const std::vector<uuid>& ids) {
  statement st;
  auto& p = st.args;
  st.sql = std::string{"INSERT INTO "} + table + " (tenant_id, store_id, command_id) SELECT "
           + p.id(s.tenant_id) + ", " + p.id(s.store_id) + ", unnest(" + p.uuid_array(ids) + ")";
  st.prepared = true;
  return st;
}

/// One compare-and-set as a statement with scalar parameters; raises SQ409 unless it hits.
/// Its custom and generic plans cost the same, so PostgreSQL soon runs it on the generic plan
/// without planning (unlike the array form, see `apply_cas`). That plan depends on the table's
/// size when it was made: a sequential scan while entity_versions has a few hundred rows or
/// less (cheap at that size), the primary key beyond. The connection drops its cached plans
/// after 64, 256, 1024, … prepared runs (pg::connection::first_replan), so such a plan is
/// replaced while the table grows.
statement apply_one_cas(const stream_key& s, const entity_cas& x) {
  statement st;
  auto& p = st.args;
  auto t = p.id(s.tenant_id);
  auto sid = p.id(s.store_id);
  auto type = p.text(x.key.entity_type);
  auto id = p.text(x.key.entity_id);
  auto next = p.int64(x.next);
  if (x.expected != 0)
    st.sql = "WITH c AS (UPDATE entity_versions SET version = " + next
             + ", updated_at = now() WHERE tenant_id = " + t + " AND store_id = " + sid
             + " AND entity_type = " + type + " AND entity_id = " + id
             + " AND version = " + p.int64(x.expected) + " RETURNING 1)";
  else
    st.sql = "WITH c AS (INSERT INTO entity_versions (tenant_id, store_id, entity_type,"
             " entity_id, version, updated_at) VALUES ("
             + t + ", " + sid + ", " + type + ", " + id + ", " + next
             + ", now()) ON CONFLICT (tenant_id, store_id, entity_type, entity_id) DO UPDATE"
               " SET version = EXCLUDED.version, updated_at = EXCLUDED.updated_at"
               " WHERE entity_versions.version = 0 RETURNING 1)";
  st.sql += " SELECT seq_require_cas((SELECT count(*) FROM c), 1)";
  st.prepared = true;
  return st;
}

/// Appends the statements applying all compare-and-sets; they raise SQ409 unless every one of
/// them hits. Up to `max_scalar_cas` entities get one scalar statement each. More go in one
/// statement over arrays, whose LATERAL look-up behind `OFFSET 0` keeps primary-key look-ups
/// whatever plan PostgreSQL picks (bench/README.md, tuning log: a generic plan of an earlier
/// form hashed a sequential scan). From about ten entities on PostgreSQL keeps that form's
/// generic plan; below, its custom plan looks cheaper than a generic plan that assumes ten rows
/// per array, so it plans it at every run (0.2–0.3 ms), longer than a few scalar statements
/// take (about 0.05 ms each).
void apply_cas(std::vector<statement>& out, const stream_key& s,
               const std::vector<entity_cas>& xs) {
  if (xs.size() <= max_scalar_cas) {
    for (const auto& x : xs)
      out.push_back(apply_one_cas(s, x));
    return;
  }
  pg::array_literal types;
  pg::array_literal ids;
  pg::array_literal expected;
  pg::array_literal next;
  for (const auto& x : xs) {
    types.add(x.key.entity_type);
    ids.add(x.key.entity_id);
    expected.int64(x.expected);
    next.int64(x.next);
  }
  statement st;
  auto& p = st.args;
  auto t = p.id(s.tenant_id);
  auto sid = p.id(s.store_id);
  st.sql = "WITH input (entity_type, entity_id, expected, next) AS (SELECT * FROM unnest("
           + p.array(std::move(types), "text[]") + ", " + p.array(std::move(ids), "text[]") + ", "
           + p.array(std::move(expected), "bigint[]") + ", "
           + p.array(std::move(next), "bigint[]")
           + ")), cur AS MATERIALIZED (SELECT w.ctid AS tid, i.next FROM input i CROSS JOIN"
             " LATERAL (SELECT ctid FROM entity_versions w WHERE w.tenant_id = "
           + t + " AND w.store_id = " + sid
           + " AND w.entity_type = i.entity_type AND w.entity_id = i.entity_id"
             " AND w.version = i.expected OFFSET 0) w WHERE i.expected <> 0),"
             " upd AS (UPDATE entity_versions v SET version = cur.next, updated_at = now()"
             " FROM cur WHERE v.ctid = cur.tid RETURNING 1),"
             " ins AS (INSERT INTO entity_versions (tenant_id, store_id, entity_type, entity_id,"
             " version, updated_at) SELECT "
           + t + ", " + sid
           + ", i.entity_type, i.entity_id, i.next, now() FROM input i WHERE i.expected = 0"
             " ON CONFLICT (tenant_id, store_id, entity_type, entity_id) DO UPDATE"
             " SET version = EXCLUDED.version, updated_at = EXCLUDED.updated_at"
             " WHERE entity_versions.version = 0 RETURNING 1)"
             " SELECT seq_require_cas((SELECT count(*) FROM upd) + (SELECT count(*) FROM ins), "
           + p.int64(static_cast<int64_t>(xs.size())) + ")";
  st.prepared = true;
  out.push_back(std::move(st));
}

statement plain(std::string sql) {
  return statement{std::move(sql), {}};
}

} // namespace

// -- construction -------------------------------------------------------------------------------

caf::expected<std::unique_ptr<pg_event_store>> pg_event_store::open(const std::string& url) {
  auto c = pg::connection::open(url);
  if (!c)
    return c.error();
  return std::unique_ptr<pg_event_store>{new pg_event_store(std::move(*c))};
}

pg_event_store::pg_event_store(std::unique_ptr<pg::connection> c) : c_(std::move(c)) {
  // nop
}

pg_event_store::~pg_event_store() = default;

std::string pg_event_store::backend() const {
  return "postgres";
}

uint64_t pg_event_store::round_trips() const {
  return c_->round_trips();
}

int pg_event_store::backend_pid() const {
  return c_->backend_pid();
}

caf::expected<void> pg_event_store::ping() {
  auto r = c_->exec("SELECT 1", "ping");
  if (!r)
    return r.error();
  return {};
}

caf::expected<void> pg_event_store::execute(const std::string& sql) {
  auto r = c_->exec(sql, "execute");
  if (!r)
    return r.error();
  return {};
}

// -- migrations -----------------------------------------------------------------------------------

caf::expected<void> pg_event_store::migrate() {
  const auto& all = postgres_migrations();
  if (auto ok = check_migration_order(all); !ok)
    return ok;
  auto lock = c_->exec("SELECT pg_advisory_lock(" + std::to_string(migrate_lock_key) + ")",
                       "take migration lock");
  if (!lock)
    return lock.error();
  auto body = [&]() -> caf::expected<void> {
    // A database the reference sequencer migrated (sqlx) is not taken over: its tables clash
    // with 0001's, and its counter rows would disagree with the heads this server keeps.
    auto foreign = c_->exec("SELECT to_regclass('_sqlx_migrations') IS NOT NULL"
                            " AND to_regclass('schema_migrations') IS NULL",
                            "look for the reference's migrations");
    if (!foreign)
      return foreign.error();
    if (PQgetvalue(foreign->get(), 0, 0)[0] == 't')
      return make_error(errc::migration_failed,
                        "this database holds the reference sequencer's schema (it has"
                        " _sqlx_migrations); ves-sequencer keeps a schema of its own and does"
                        " not take it over: use a new database (see migrations/README.md)");
    auto created = c_->exec("CREATE TABLE IF NOT EXISTS schema_migrations ("
                            "version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                            " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
                            "create schema_migrations");
    if (!created)
      return created.error();
    auto applied = applied_migrations();
    if (!applied)
      return applied.error();
    for (const auto& m : all) {
      auto done = std::any_of(applied->begin(), applied->end(),
                              [&](const applied_migration& a) { return a.version == m.version; });
      if (done)
        continue;
      auto label = std::to_string(m.version) + "_" + std::string{m.name};
      auto step = c_->exec("BEGIN", "begin migration");
      if (step)
        step = c_->exec(std::string{m.sql}, "migration " + label);
      if (step) {
        params p;
        auto sql = "INSERT INTO schema_migrations (version, name) VALUES (" + p.int64(m.version)
                   + ", " + p.text(std::string{m.name}) + ")";
        step = c_->exec(sql, p, "record migration " + label);
      }
      if (step)
        step = c_->exec("COMMIT", "commit migration " + label);
      if (!step) {
        auto err = step.error();
        static_cast<void>(c_->exec("ROLLBACK", "rollback migration"));
        if (err == errc::storage_unavailable)
          return err;
        return make_error(errc::migration_failed, error_message(err));
      }
    }
    return {};
  };
  auto ok = body();
  static_cast<void>(c_->exec(
    "SELECT pg_advisory_unlock(" + std::to_string(migrate_lock_key) + ")", "release lock"));
  return ok;
}

caf::expected<std::vector<applied_migration>> pg_event_store::applied_migrations() {
  auto exists = c_->exec("SELECT to_regclass('schema_migrations') IS NOT NULL", "migrations");
  if (!exists)
    return exists.error();
  if (PQgetvalue(exists->get(), 0, 0)[0] != 't')
    return std::vector<applied_migration>{};
  auto r = c_->exec("SELECT version, name, " + pg::us_expr("applied_at")
                      + " FROM schema_migrations ORDER BY version",
                    "read schema_migrations");
  if (!r)
    return r.error();
  return decode_all<applied_migration>(
    *r,
    [](const detail::row_view& row) {
      return applied_migration{row.i64(0), row.text(1), row.i64(2)};
    },
    "schema_migrations");
}

// -- sequencing -----------------------------------------------------------------------------------

namespace {

statement heads_statement(const stream_key& s) {
  statement st;
  auto t = st.args.id(s.tenant_id);
  auto sid = st.args.id(s.store_id);
  st.sql = "SELECT " + pg::head_expr("events", t, sid) + ", "
           + pg::head_expr("ves_events", t, sid) + ", "
           + pg::head_expr("x402_payment_intents", t, sid);
  return st;
}

caf::expected<msg::stream_heads> decode_heads(const pg::result& r) {
  if (r.rows() != 1)
    return make_error(errc::storage_failure, "heads query returned no row");
  pg::row row{r.get(), 0};
  msg::stream_heads h;
  h.legacy = static_cast<uint64_t>(row.i64(0));
  h.ves = static_cast<uint64_t>(row.i64(1));
  h.x402 = static_cast<uint64_t>(row.i64(2));
  if (row.failed())
    return detail::corrupt_row("heads", row);
  return h;
}

} // namespace

caf::expected<msg::stream_heads> pg_event_store::load_heads(const stream_key& s) {
  auto st = heads_statement(s);
  auto r = c_->exec(st.sql, st.args, "load heads");
  if (!r)
    return r.error();
  return decode_heads(*r);
}

caf::expected<std::vector<std::pair<entity_key, int64_t>>>
pg_event_store::load_entity_versions(const stream_key& s) {
  params p;
  auto sql = "SELECT entity_type, entity_id, version FROM entity_versions WHERE tenant_id = "
             + p.id(s.tenant_id) + " AND store_id = " + p.id(s.store_id)
             + " ORDER BY entity_type COLLATE \"C\", entity_id COLLATE \"C\"";
  auto r = c_->exec(sql, p, "load entity versions");
  if (!r)
    return r.error();
  return decode_all<std::pair<entity_key, int64_t>>(
    *r,
    [](const detail::row_view& row) {
      return std::pair{entity_key{row.text(0), row.text(1)}, row.i64(2)};
    },
    "entity_versions");
}

caf::expected<void> pg_event_store::commit_group(const write_group& g) {
  if (auto ok = detail::validate_group(g); !ok)
    return ok;
  auto versions = detail::merge_cas(g.versions);
  if (!versions)
    return make_error(errc::storage_conflict,
                      "entity version compare-and-set chain is broken within the group");
  if (g.empty() && g.ves_commands.empty() && g.legacy_commands.empty() && versions->empty())
    return {};
  std::vector<statement> xs;
  group_copy copy;
  if (g.ves.size() + g.legacy.size() >= copy_min_events && copy_fits(g)) {
    copy.add("ves_events", ves_columns, g.ves, copy_ves);
    copy.add("ves_sequencer_receipts", receipt_columns, g.ves, copy_receipt);
    copy.add("events", legacy_columns, g.legacy, copy_legacy);
  } else {
    xs.push_back(plain("BEGIN"));
    insert_all(xs, g.ves, "ves_events", ves_columns,
               [](auto& r, const auto& x) { add_ves(r, x); });
    insert_all(xs, g.ves, "ves_sequencer_receipts", receipt_columns,
               [](auto& r, const auto& x) { add_receipt(r, x); });
    insert_all(xs, g.legacy, "events", legacy_columns,
               [](auto& r, const auto& x) { add_legacy(r, x); });
  }
  if (!g.ves_commands.empty())
    xs.push_back(reserve_commands("ves_command_dedupe", g.stream, g.ves_commands));
  if (!g.legacy_commands.empty())
    xs.push_back(reserve_commands("event_command_dedupe", g.stream, g.legacy_commands));
  pg::append_x402_inserts(xs, g);
  if (!versions->empty())
    apply_cas(xs, g.stream, *versions);
  xs.push_back(plain("COMMIT"));
  if (!copy.inputs.empty()) {
    std::vector<std::string_view> inputs;
    for (const auto& b : copy.inputs)
      inputs.push_back(b.data());
    if (auto ok = c_->copy_in(copy.sql, inputs, "commit group"); !ok)
      return ok;
    // Without this check a connection lost here would be replaced by pipeline(), which would
    // then run the rest of the group outside any transaction.
    if (!c_->in_transaction())
      return make_error(errc::storage_unavailable,
                        "commit group: the connection lost its transaction after the COPY");
  }
  auto r = c_->pipeline(xs, "commit group");
  if (!r)
    return r.error();
  return {};
}

caf::expected<conflict_report> pg_event_store::inspect_conflict(const write_group& g) {
  std::vector<uuid> ves_ids;
  for (const auto& x : g.ves)
    ves_ids.push_back(x.ev.event_id);
  std::vector<uuid> legacy_ids;
  for (const auto& x : g.legacy)
    legacy_ids.push_back(x.ev.event_id);
  auto keys = detail::distinct_keys(g.versions);
  std::vector<statement> xs;
  xs.push_back(plain("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"));
  {
    statement st;
    st.sql = ves_select() + "WHERE e.event_id = ANY(" + st.args.uuid_array(ves_ids) + ")";
    xs.push_back(std::move(st));
  }
  {
    statement st;
    st.sql = "SELECT event_id FROM events WHERE event_id = ANY(" + st.args.uuid_array(legacy_ids)
             + ")";
    xs.push_back(std::move(st));
  }
  auto commands = [&](const char* table, const std::vector<uuid>& ids) {
    statement st;
    auto& p = st.args;
    st.sql = std::string{"SELECT DISTINCT command_id FROM "} + table
             + " WHERE tenant_id = " + p.id(g.stream.tenant_id) + " AND store_id = "
             + p.id(g.stream.store_id) + " AND command_id = ANY(" + p.uuid_array(ids) + ")";
    xs.push_back(std::move(st));
  };
  commands("ves_command_dedupe", g.ves_commands);
  commands("event_command_dedupe", g.legacy_commands);
  auto versions_stmt = xs.size();
  {
    statement st;
    auto& p = st.args;
    auto t = p.id(g.stream.tenant_id);
    auto sid = p.id(g.stream.store_id);
    st.sql = "SELECT k.entity_type, k.entity_id, COALESCE(v.version, 0) FROM unnest("
             + p.entity_keys(keys) + ") WITH ORDINALITY AS k (entity_type, entity_id, ord)"
               " LEFT JOIN entity_versions v ON v.tenant_id = "
             + t + " AND v.store_id = " + sid
             + " AND v.entity_type = k.entity_type AND v.entity_id = k.entity_id ORDER BY k.ord";
    xs.push_back(std::move(st));
  }
  auto x402_stmts = pg::append_x402_conflict_reads(xs, g);
  auto heads_stmt = xs.size();
  xs.push_back(heads_statement(g.stream));
  xs.push_back(plain("COMMIT"));
  auto rs = c_->pipeline(xs, "inspect conflict");
  if (!rs)
    return rs.error();
  auto& r = *rs;
  conflict_report rep;
  auto ves = decode_ves_rows(r[1]);
  if (!ves)
    return ves.error();
  // In the order of the group.
  for (const auto& id : ves_ids) {
    auto i = std::find_if(ves->begin(), ves->end(),
                          [&](const msg::sequenced_ves_event& x) { return x.ev.event_id == id; });
    if (i != ves->end()) {
      rep.existing_ves.push_back(std::move(*i));
      ves->erase(i);
    }
  }
  auto ordered = [](std::vector<uuid> found, const std::vector<uuid>& order) {
    std::vector<uuid> out;
    for (const auto& id : order)
      if (std::find(found.begin(), found.end(), id) != found.end()
          && std::find(out.begin(), out.end(), id) == out.end())
        out.push_back(id);
    return out;
  };
  auto legacy = decode_ids(r[2], "events");
  if (!legacy)
    return legacy.error();
  rep.existing_legacy_ids = ordered(std::move(*legacy), legacy_ids);
  auto vc = decode_ids(r[3], "ves_command_dedupe");
  if (!vc)
    return vc.error();
  rep.existing_ves_commands = ordered(std::move(*vc), g.ves_commands);
  auto lc = decode_ids(r[4], "event_command_dedupe");
  if (!lc)
    return lc.error();
  rep.existing_legacy_commands = ordered(std::move(*lc), g.legacy_commands);
  auto vs = decode_all<std::pair<entity_key, int64_t>>(
    r[versions_stmt],
    [](const detail::row_view& row) {
      return std::pair{entity_key{row.text(0), row.text(1)}, row.i64(2)};
    },
    "entity_versions");
  if (!vs)
    return vs.error();
  rep.versions = std::move(*vs);
  auto heads = decode_heads(r[heads_stmt]);
  if (!heads)
    return heads.error();
  rep.heads = *heads;
  if (auto ok = pg::decode_x402_conflict(r, x402_stmts, g, rep); !ok)
    return ok.error();
  return rep;
}

caf::expected<std::vector<msg::sequenced_ves_event>>
pg_event_store::find_ves_events(const std::vector<uuid>& ids) {
  params p;
  auto sql = ves_select() + "WHERE e.event_id = ANY(" + p.uuid_array(ids) + ")";
  auto r = c_->exec(sql, p, "find VES events");
  if (!r)
    return r.error();
  auto found = decode_ves_rows(*r);
  if (!found)
    return found;
  std::vector<msg::sequenced_ves_event> out;
  for (const auto& id : ids) {
    auto i = std::find_if(found->begin(), found->end(),
                          [&](const msg::sequenced_ves_event& x) { return x.ev.event_id == id; });
    if (i != found->end()) {
      out.push_back(std::move(*i));
      found->erase(i);
    }
  }
  return out;
}

// -- reads ----------------------------------------------------------------------------------------

namespace {

/// `select` + the rows of one stream with sequence numbers in `range`, ascending; `prefix`
/// qualifies the stream and sequence columns ("e." when `select` joins). Prepared: the text
/// does not depend on the values.
statement range_read(std::string select, const char* prefix, const stream_key& s,
                     std::pair<int64_t, int64_t> range) {
  statement st;
  auto& p = st.args;
  auto col = [&](const char* name) { return std::string{prefix} + name; };
  st.sql = std::move(select) + "WHERE " + col("tenant_id") + " = " + p.id(s.tenant_id) + " AND "
           + col("store_id") + " = " + p.id(s.store_id) + " AND " + col("sequence_number")
           + " BETWEEN " + p.int64(range.first) + " AND " + p.int64(range.second)
           + " ORDER BY " + col("sequence_number");
  st.prepared = true;
  return st;
}

} // namespace

caf::expected<std::vector<msg::sequenced_ves_event>>
pg_event_store::read_ves_events(const stream_key& s, uint64_t from, uint32_t limit) {
  auto range = detail::seq_range(from, limit);
  if (!range)
    return std::vector<msg::sequenced_ves_event>{};
  auto r = c_->exec_prepared(range_read(ves_select(), "e.", s, *range), "read VES events");
  if (!r)
    return r.error();
  return decode_ves_rows(*r);
}

caf::expected<std::vector<msg::projectable_event>>
pg_event_store::read_ves_projectable(const stream_key& s, uint64_t from, uint32_t limit) {
  auto range = detail::seq_range(from, limit);
  if (!range)
    return std::vector<msg::projectable_event>{};
  static const std::string select
    = "SELECT sequence_number, event_id, entity_type, entity_id, event_type, payload_kind,"
      " CASE WHEN payload_kind = 0 THEN payload::text END, base_version FROM ves_events ";
  auto r = c_->exec_prepared(range_read(select, "", s, *range), "read VES events to project");
  if (!r)
    return r.error();
  auto xs = decode_all<msg::projectable_event>(*r, detail::decode_ves_projectable, "ves_events");
  if (!xs)
    return xs;
  for (auto& x : *xs)
    if (!canonicalize(x.payload))
      return make_error(errc::storage_failure,
                        "corrupt JSON payload in ves_events " + x.event_id.str());
  return xs;
}

caf::expected<std::vector<ves_leaf_row>>
pg_event_store::read_ves_leaf_rows(const stream_key& s, uint64_t from, uint32_t limit) {
  auto range = detail::seq_range(from, limit);
  if (!range)
    return std::vector<ves_leaf_row>{};
  static const std::string select
    = "SELECT sequence_number, event_signing_hash, agent_signature FROM ves_events ";
  auto r = c_->exec_prepared(range_read(select, "", s, *range), "read VES leaves");
  if (!r)
    return r.error();
  return decode_all<ves_leaf_row>(*r, detail::decode_ves_leaf, "ves_events");
}

caf::expected<std::vector<msg::sequenced_legacy_event>>
pg_event_store::read_legacy_events(const stream_key& s, uint64_t from, uint32_t limit) {
  auto range = detail::seq_range(from, limit);
  if (!range)
    return std::vector<msg::sequenced_legacy_event>{};
  auto r = c_->exec_prepared(range_read(legacy_select(), "", s, *range), "read legacy events");
  if (!r)
    return r.error();
  return decode_all<msg::sequenced_legacy_event>(*r, detail::decode_legacy, "events");
}

caf::expected<std::vector<msg::sequenced_legacy_event>>
pg_event_store::read_entity_events(const stream_key& s, const entity_key& e) {
  params p;
  auto sql = legacy_select() + "WHERE tenant_id = " + p.id(s.tenant_id) + " AND store_id = "
             + p.id(s.store_id) + " AND entity_type = " + p.text(e.entity_type)
             + " AND entity_id = " + p.text(e.entity_id) + " ORDER BY sequence_number";
  auto r = c_->exec(sql, p, "read entity events");
  if (!r)
    return r.error();
  return decode_all<msg::sequenced_legacy_event>(*r, detail::decode_legacy, "events");
}

// -- agent signing keys ---------------------------------------------------------------------------

caf::expected<void> pg_event_store::insert_agent_key(const msg::agent_key& k) {
  params p;
  auto sql = "INSERT INTO agent_signing_keys (tenant_id, agent_id, key_id, public_key,"
             " key_algorithm, status, valid_from, valid_to, revoked_at, created_at) VALUES ("
             + p.id(k.tenant_id) + "," + p.id(k.agent_id) + "," + p.int64(k.key_id) + ","
             + p.bytes(k.public_key) + "," + p.int64(k.key_algorithm) + "," + p.text(k.status)
             + "," + p.opt_time(k.valid_from) + "," + p.opt_time(k.valid_to) + ","
             + p.opt_time(k.revoked_at) + "," + p.time(k.created_at) + ")";
  auto r = c_->exec(sql, p, "insert agent signing key");
  if (!r) {
    if (r.error() == errc::storage_conflict)
      return make_error(errc::already_exists, "agent signing key " + k.agent_id.str() + "/"
                                                + std::to_string(k.key_id) + " already exists");
    return r.error();
  }
  return {};
}

caf::expected<msg::agent_key> pg_event_store::get_agent_key(const uuid& tenant, const uuid& agent,
                                                            uint32_t key_id) {
  params p;
  auto sql = agent_key_select() + "WHERE tenant_id = " + p.id(tenant) + " AND agent_id = "
             + p.id(agent) + " AND key_id = " + p.int64(key_id);
  auto r = c_->exec(sql, p, "get agent signing key");
  if (!r)
    return r.error();
  auto xs = decode_all<msg::agent_key>(*r, detail::decode_agent_key, "agent_signing_keys");
  if (!xs)
    return xs.error();
  if (xs->empty())
    return make_error(errc::not_found,
                      "agent signing key " + agent.str() + "/" + std::to_string(key_id));
  return std::move(xs->front());
}

// -- API keys -------------------------------------------------------------------------------------

caf::expected<void> pg_event_store::upsert_api_key(const msg::api_key_record& k) {
  params p;
  auto sql = "INSERT INTO api_keys (key_hash, tenant_id, store_ids, can_read, can_write,"
             " can_admin, agent_id, active, rate_limit, created_at, updated_at) VALUES ("
             + p.text(k.key_hash) + "," + p.id(k.tenant_id) + "," + p.uuid_array(k.store_ids)
             + "," + p.boolean(k.can_read) + "," + p.boolean(k.can_write) + ","
             + p.boolean(k.can_admin) + "," + p.opt_id(k.agent_id) + "," + p.boolean(k.active)
             + "," + p.opt_int64(k.rate_limit) + "," + p.time(k.created_at) + ","
             + p.time(k.updated_at)
             + ") ON CONFLICT (key_hash) DO UPDATE SET tenant_id = EXCLUDED.tenant_id,"
               " store_ids = EXCLUDED.store_ids, can_read = EXCLUDED.can_read,"
               " can_write = EXCLUDED.can_write, can_admin = EXCLUDED.can_admin,"
               " agent_id = EXCLUDED.agent_id, active = EXCLUDED.active,"
               " rate_limit = EXCLUDED.rate_limit, created_at = EXCLUDED.created_at,"
               " updated_at = EXCLUDED.updated_at";
  auto r = c_->exec(sql, p, "upsert API key");
  if (!r)
    return r.error();
  return {};
}

caf::expected<msg::api_key_record> pg_event_store::get_api_key(const std::string& key_hash) {
  params p;
  auto sql = "SELECT " + api_key_cols() + " FROM api_keys WHERE key_hash = " + p.text(key_hash);
  auto r = c_->exec(sql, p, "get API key");
  if (!r)
    return r.error();
  auto xs = decode_all<msg::api_key_record>(*r, detail::decode_api_key, "api_keys");
  if (!xs)
    return xs.error();
  if (xs->empty())
    return make_error(errc::not_found, "API key not found");
  return std::move(xs->front());
}

caf::expected<std::vector<msg::api_key_record>>
pg_event_store::list_api_keys(const std::optional<uuid>& agent,
                              const std::optional<uuid>& tenant) {
  params p;
  auto a = p.opt_id(agent);
  auto t = p.opt_id(tenant);
  auto sql = "SELECT " + api_key_cols() + " FROM api_keys WHERE (" + a + " IS NULL OR agent_id = "
             + a + ") AND (" + t + " IS NULL OR tenant_id = " + t
             + ") ORDER BY updated_at DESC, key_hash";
  auto r = c_->exec(sql, p, "list API keys");
  if (!r)
    return r.error();
  return decode_all<msg::api_key_record>(*r, detail::decode_api_key, "api_keys");
}

caf::expected<msg::api_key_record>
pg_event_store::revoke_api_key(const std::string& hash_prefix, const std::optional<uuid>& agent,
                               const std::optional<uuid>& tenant) {
  if (hash_prefix.empty())
    return make_error(errc::invalid_request, "empty API key prefix");
  params p;
  auto prefix = p.text(hash_prefix);
  auto a = p.opt_id(agent);
  auto t = p.opt_id(tenant);
  auto sql = "UPDATE api_keys SET active = FALSE, updated_at = " + p.time(detail::now_micros())
             + " WHERE key_hash = (SELECT key_hash FROM api_keys WHERE left(key_hash, length("
             + prefix + ")) = " + prefix + " AND (" + a + " IS NULL OR agent_id = " + a + ") AND ("
             + t + " IS NULL OR tenant_id = " + t
             + ") ORDER BY active DESC, updated_at DESC, key_hash LIMIT 1 FOR UPDATE) RETURNING "
             + api_key_cols();
  auto r = c_->exec(sql, p, "revoke API key");
  if (!r)
    return r.error();
  auto xs = decode_all<msg::api_key_record>(*r, detail::decode_api_key, "api_keys");
  if (!xs)
    return xs.error();
  if (xs->empty())
    return make_error(errc::not_found, "no API key with prefix " + hash_prefix);
  return std::move(xs->front());
}

} // namespace seq::storage
