// SPDX-License-Identifier: Apache-2.0
#pragma once

/// libpq plumbing for pg_event_store (private to adapters/storage/postgres): text-format
/// parameter lists that also write their `$n` placeholders, owned results, one connection
/// that reconnects after a failure, error mapping, pipelined execution (many statements,
/// one sync, one round trip) and COPY FROM STDIN.
///
/// Error mapping: connection loss, SQLSTATE class 08, 53 (insufficient resources) and
/// 57P01–57P03 (server shutting down) → errc::storage_unavailable, and the connection is
/// replaced on the next call; 40001/40P01 (serialization, deadlock), 55P03 (lock_timeout) and
/// 57014 (statement_timeout) → errc::storage_unavailable on a healthy connection; 23505
/// (unique violation) and SQ409 (our compare-and-set miss) → errc::storage_conflict; anything
/// else → errc::storage_failure with the server message.

#include "adapters/storage/rows.hpp"

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"

namespace seq::storage::pg {

/// SQL expression turning a µs-since-epoch BIGINT placeholder into a TIMESTAMPTZ.
std::string ts_expr(const std::string& placeholder);
/// SQL expression turning a TIMESTAMPTZ column into µs since the epoch (BIGINT).
std::string us_expr(std::string_view column);
/// SQL expression for the highest sequence_number of one stream in `table` (0 if none), as
/// a backward scan of the (tenant_id, store_id, sequence_number) unique index. (`MAX()` lets
/// the planner pick another index on a (tenant_id, store_id, …) prefix when its statistics
/// are stale, and then it reads every row of the stream.)
std::string head_expr(std::string_view table, std::string_view tenant, std::string_view store);

/// A PostgreSQL array literal (text input form) built element by element: every element is
/// double-quoted with `"` and `\` escaped, so any text is safe. Whole columns travel as one
/// parameter each and are expanded with `unnest(...)`, which keeps statements tiny to parse
/// however many rows they carry.
class array_literal {
public:
  array_literal() : s_("{") {}
  void add(std::string_view v);
  void null();
  void id(const uuid& v) { add(v.str()); }
  void opt_id(const std::optional<uuid>& v) { v ? id(*v) : null(); }
  void int64(int64_t v) { add(std::to_string(v)); }
  template <class T>
  void opt_int64(const std::optional<T>& v) {
    v ? int64(static_cast<int64_t>(*v)) : null();
  }
  /// A bytea element in hex form.
  void bytes(const uint8_t* p, size_t n);
  template <class C>
  void bytes(const C& c) {
    bytes(reinterpret_cast<const uint8_t*>(c.data()), c.size());
  }
  /// NULL for an empty string.
  void text_or_null(const std::string& v) { v.empty() ? null() : add(v); }
  size_t size() const { return s_.size(); }
  /// The literal, `{...}`.
  std::string finish() &&;

private:
  void sep();
  std::string s_;
};

/// Text-format parameters. Each `add…` appends one value and returns the SQL that refers to
/// it (placeholder plus cast), so statements are written and bound in one pass.
class params {
public:
  std::string text(std::string v);
  std::string null(std::string_view cast);
  std::string id(const uuid& v);
  std::string opt_id(const std::optional<uuid>& v);
  std::string int64(int64_t v);
  template <class T>
  std::string opt_int64(const std::optional<T>& v) {
    return v ? int64(static_cast<int64_t>(*v)) : null("bigint");
  }
  std::string boolean(bool v);
  std::string bytes(const uint8_t* p, size_t n);
  template <class C>
  std::string bytes(const C& c) {
    return bytes(reinterpret_cast<const uint8_t*>(c.data()), c.size());
  }
  std::string time(int64_t us);
  template <class T>
  std::string opt_time(const std::optional<T>& v) {
    return v ? time(static_cast<int64_t>(*v)) : null("timestamptz");
  }
  std::string jsonb_or_null(const std::string& v);
  /// Any value (none: NULL) as a parameter cast to `cast`; a NULL is a parameter too, so the
  /// SQL text does not depend on which values are NULL.
  std::string placeholder(std::optional<std::string> v, std::string_view cast);
  std::string uuid_array(const std::vector<uuid>& xs);
  /// A whole array column, e.g. `array(std::move(a), "bytea[]")`.
  std::string array(array_literal a, std::string_view cast);
  /// Two array columns, the keys' entity types then their ids (`unnest(<this>)`).
  std::string entity_keys(const std::vector<entity_key>& keys);

  int size() const { return static_cast<int>(values_.size()); }
  /// Pointers into the stored values (valid until the next `add…`).
  std::vector<const char*> pointers() const;

private:
  std::vector<std::optional<std::string>> values_;
};

/// An owned PGresult.
class result {
public:
  result() = default;
  explicit result(PGresult* r) : r_(r, &PQclear) {}
  PGresult* get() const { return r_.get(); }
  int rows() const { return r_ ? PQntuples(r_.get()) : 0; }

private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_{nullptr, &PQclear};
};

/// One row of a text-format result.
class row final : public detail::row_view {
public:
  row(const PGresult* r, int i) : r_(r), i_(i) {}
  bool is_null(int col) const override;
  std::string text(int col) const override;
  int64_t i64(int col) const override;
  bool boolean(int col) const override;
  std::vector<uint8_t> blob(int col) const override;
  std::vector<uuid> uuid_list(int col) const override;

private:
  const PGresult* r_;
  int i_;
};

/// Every row of `r` decoded by `decode(row)`; the first row that fails to decode ends it with
/// detail::corrupt_row (naming `table`).
template <class T, class Decode>
caf::expected<std::vector<T>> decode_all(const result& r, Decode decode, const char* table) {
  std::vector<T> out;
  out.reserve(static_cast<size_t>(r.rows()));
  for (int i = 0; i < r.rows(); ++i) {
    row x{r.get(), i};
    out.push_back(decode(x));
    if (x.failed())
      return detail::corrupt_row(table, x);
  }
  return out;
}

/// One statement of a pipeline. A `prepared` statement is parsed once per connection (a named
/// server-side statement, created in the same pipeline the first time its text is seen); use
/// it only for SQL whose text does not depend on the values.
///
/// PostgreSQL keeps a prepared statement's generic plan until something invalidates it
/// (DDL, or ANALYZE of a table it reads), and autovacuum analyzes a growing table only every
/// minute or so. A plan made while a table was small can be wrong for the same table a
/// thousand times larger: the VES range read, planned with a few hundred events in the table,
/// scanned every event of the tenant by the agent index on every read. So the connection
/// drops its cached plans (`DISCARD PLANS`, the statements stay) after 64, 256, 1024, …
/// executions of its prepared statements (×4 each time): a few re-plans while its tables
/// grow from nothing, and almost none later.
struct statement {
  std::string sql;
  params args;
  bool prepared = false;
};

class connection {
public:
  /// Connects to a libpq URI, adding defaults the URI may override: connect_timeout=3,
  /// application_name=ves-sequencer, keepalives, client_encoding=UTF8 and session options
  /// statement_timeout=30s, lock_timeout=10s, idle_in_transaction_session_timeout=60s,
  /// bytea_output=hex, client_min_messages=warning.
  /// Fails with errc::storage_unavailable.
  static caf::expected<std::unique_ptr<connection>> open(std::string url);

  ~connection();
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  /// Reconnects if the previous call lost the connection.
  caf::expected<void> ensure();

  /// One statement with parameters (extended protocol).
  caf::expected<result> exec(const std::string& sql, const params& args, std::string_view what);
  /// One or more statements without parameters (simple protocol).
  caf::expected<result> exec(const std::string& sql, std::string_view what);
  /// One statement, prepared once per connection when `x.prepared` (see statement).
  caf::expected<result> exec_prepared(const statement& x, std::string_view what);
  /// Sends all statements in pipeline mode with a single sync and returns one result per
  /// statement, or the first error (later statements are then skipped by the server). A
  /// transaction left open or failed by the pipeline is rolled back.
  caf::expected<std::vector<result>> pipeline(const std::vector<statement>& xs,
                                              std::string_view what);

  /// Runs `sql`, a simple query of several statements (e.g. `BEGIN; COPY a … FROM STDIN;
  /// COPY b … FROM STDIN`), and feeds its i-th `COPY … FROM STDIN` with `inputs[i]`; it fails
  /// unless the query starts exactly `inputs.size()` copies. One round trip per copy, plus one.
  /// A failure rolls back a transaction the call leaves open or failed.
  caf::expected<void> copy_in(const std::string& sql, const std::vector<std::string_view>& inputs,
                              std::string_view what);

  /// True if the connection is healthy and inside a transaction block that has not failed. A
  /// call that continues a transaction checks this first: ensure() would otherwise replace a
  /// lost connection, and the rest of the transaction would run outside one.
  bool in_transaction() const {
    return !broken_ && conn_ && PQstatus(conn_) == CONNECTION_OK
           && PQtransactionStatus(conn_) == PQTRANS_INTRANS;
  }

  /// Maps a failed result (or the connection's last error when `r` is null).
  caf::error error_of(const PGresult* r, std::string_view what);

  /// Named server-side statements this connection holds (see statement::prepared).
  size_t prepared_count() const { return prepared_.size(); }

  /// Synchronisation points with the server since the connection object was created.
  uint64_t round_trips() const { return round_trips_; }
  /// Times this connection dropped its cached plans (see statement).
  uint64_t replans() const { return replans_; }
  int backend_pid() const { return conn_ ? PQbackendPID(conn_) : 0; }

private:
  explicit connection(std::string url);
  bool connect();
  void rollback_if_open();
  void forget_prepared(const std::string& name);

  /// Beyond this many, statements run unprepared (guards against texts that vary).
  static constexpr size_t max_prepared = 64;
  /// Cached plans are dropped when the prepared executions since connecting reach this, then
  /// four times as many, and so on (see statement).
  static constexpr uint64_t first_replan = 64;

  std::string url_;
  PGconn* conn_ = nullptr;
  bool broken_ = false;
  uint64_t round_trips_ = 0;
  /// SQL text → name of its server-side prepared statement (cleared on reconnect).
  std::unordered_map<std::string, std::string> prepared_;
  uint64_t prepared_serial_ = 0;
  uint64_t prepared_runs_ = 0; ///< executions of prepared statements since connecting
  uint64_t next_replan_ = first_replan;
  uint64_t replans_ = 0;
};

} // namespace seq::storage::pg
