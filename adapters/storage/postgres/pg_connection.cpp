// SPDX-License-Identifier: Apache-2.0
#include "adapters/storage/postgres/pg_connection.hpp"

#include "messages/errc.hpp"

#include <algorithm>
#include <charconv>

namespace seq::storage::pg {

// -- SQL helpers ----------------------------------------------------------------------------------

std::string ts_expr(const std::string& placeholder) {
  // Exact for |µs| < 2^53 (year ±285 000): the float8 factor holds the integer exactly.
  return "('epoch'::timestamptz + " + placeholder + " * interval '1 microsecond')";
}

std::string head_expr(std::string_view table, std::string_view tenant, std::string_view store) {
  std::string s = "COALESCE((SELECT sequence_number FROM ";
  s += table;
  s += " WHERE tenant_id = ";
  s += tenant;
  s += " AND store_id = ";
  s += store;
  s += " AND sequence_number IS NOT NULL ORDER BY sequence_number DESC LIMIT 1), 0)";
  return s;
}

std::string us_expr(std::string_view column) {
  // extract() returns numeric (exact) since PostgreSQL 14.
  return "(extract(epoch from " + std::string{column} + ") * 1000000)::bigint";
}

// -- array_literal --------------------------------------------------------------------------------

namespace {

constexpr char hex_digits[] = "0123456789abcdef";

} // namespace

void array_literal::sep() {
  if (s_.size() > 1)
    s_ += ',';
}

void array_literal::add(std::string_view v) {
  sep();
  s_ += '"';
  for (char c : v) {
    if (c == '"' || c == '\\')
      s_ += '\\';
    s_ += c;
  }
  s_ += '"';
}

void array_literal::null() {
  sep();
  s_ += "NULL";
}

void array_literal::bytes(const uint8_t* p, size_t n) {
  sep();
  s_ += "\"\\\\x"; // "\\x: an escaped backslash inside the quoted element
  for (size_t i = 0; i < n; ++i) {
    s_ += hex_digits[p[i] >> 4];
    s_ += hex_digits[p[i] & 0x0f];
  }
  s_ += '"';
}

std::string array_literal::finish() && {
  s_ += '}';
  return std::move(s_);
}

// -- params ---------------------------------------------------------------------------------------

std::string params::placeholder(std::optional<std::string> v, std::string_view cast) {
  values_.push_back(std::move(v));
  auto out = "$" + std::to_string(values_.size());
  if (!cast.empty()) {
    out += "::";
    out += cast;
  }
  return out;
}

std::string params::text(std::string v) {
  return placeholder(std::move(v), "text");
}

std::string params::null(std::string_view cast) {
  return "NULL::" + std::string{cast};
}

std::string params::id(const uuid& v) {
  return placeholder(v.str(), "uuid");
}

std::string params::opt_id(const std::optional<uuid>& v) {
  return v ? id(*v) : placeholder(std::nullopt, "uuid");
}

std::string params::int64(int64_t v) {
  return placeholder(std::to_string(v), "bigint");
}

std::string params::boolean(bool v) {
  return placeholder(v ? "t" : "f", "boolean");
}

std::string params::bytes(const uint8_t* p, size_t n) {
  std::string s;
  s.reserve(2 + 2 * n);
  s += "\\x";
  for (size_t i = 0; i < n; ++i) {
    s += hex_digits[p[i] >> 4];
    s += hex_digits[p[i] & 0x0f];
  }
  return placeholder(std::move(s), "bytea");
}

std::string params::time(int64_t us) {
  return ts_expr(int64(us));
}

std::string params::jsonb_or_null(const std::string& v) {
  if (v.empty())
    return null("jsonb");
  return placeholder(v, "jsonb");
}

std::string params::uuid_array(const std::vector<uuid>& xs) {
  return placeholder(detail::pg_uuid_array(xs), "uuid[]");
}

std::string params::array(array_literal a, std::string_view cast) {
  return placeholder(std::move(a).finish(), cast);
}

std::string params::entity_keys(const std::vector<entity_key>& keys) {
  array_literal types;
  array_literal ids;
  for (const auto& k : keys) {
    types.add(k.entity_type);
    ids.add(k.entity_id);
  }
  auto first = array(std::move(types), "text[]");
  return first + ", " + array(std::move(ids), "text[]");
}

std::vector<const char*> params::pointers() const {
  std::vector<const char*> out;
  out.reserve(values_.size());
  for (const auto& v : values_)
    out.push_back(v ? v->c_str() : nullptr);
  return out;
}

// -- rows -----------------------------------------------------------------------------------------

bool row::is_null(int col) const {
  return PQgetisnull(r_, i_, col) != 0;
}

std::string row::text(int col) const {
  return std::string{PQgetvalue(r_, i_, col), static_cast<size_t>(PQgetlength(r_, i_, col))};
}

int64_t row::i64(int col) const {
  const char* p = PQgetvalue(r_, i_, col);
  auto n = static_cast<size_t>(PQgetlength(r_, i_, col));
  int64_t v = 0;
  auto [end, ec] = std::from_chars(p, p + n, v);
  if (ec != std::errc{} || end != p + n)
    fail("column " + std::to_string(col) + " is not an integer: '" + std::string{p, n} + "'");
  return v;
}

bool row::boolean(int col) const {
  return PQgetvalue(r_, i_, col)[0] == 't';
}

std::vector<uint8_t> row::blob(int col) const {
  const char* p = PQgetvalue(r_, i_, col);
  auto n = static_cast<size_t>(PQgetlength(r_, i_, col));
  std::vector<uint8_t> out;
  if (n >= 2 && p[0] == '\\' && p[1] == 'x' && n % 2 == 0) {
    out.reserve((n - 2) / 2);
    auto nibble = [](char c) -> int {
      if (c >= '0' && c <= '9')
        return c - '0';
      if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
      if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
      return -1;
    };
    for (size_t i = 2; i < n; i += 2) {
      auto hi = nibble(p[i]);
      auto lo = nibble(p[i + 1]);
      if (hi < 0 || lo < 0) {
        fail("column " + std::to_string(col) + " is not hex bytea");
        return {};
      }
      out.push_back(static_cast<uint8_t>(hi << 4 | lo));
    }
    return out;
  }
  // bytea_output = escape (a URI may override our session options).
  size_t len = 0;
  auto* raw = PQunescapeBytea(reinterpret_cast<const unsigned char*>(p), &len);
  if (!raw) {
    fail("column " + std::to_string(col) + " is not bytea");
    return {};
  }
  out.assign(raw, raw + len);
  PQfreemem(raw);
  return out;
}

std::vector<uuid> row::uuid_list(int col) const {
  auto s = text(col);
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') {
    fail("column " + std::to_string(col) + " is not an array");
    return {};
  }
  auto xs = detail::split_uuids(std::string_view{s}.substr(1, s.size() - 2), ',');
  if (!xs) {
    fail("column " + std::to_string(col) + " is not a UUID array");
    return {};
  }
  return std::move(*xs);
}

// -- connection -----------------------------------------------------------------------------------

connection::connection(std::string url) : url_(std::move(url)) {
  // nop
}

connection::~connection() {
  if (conn_)
    PQfinish(conn_);
}

caf::expected<std::unique_ptr<connection>> connection::open(std::string url) {
  std::unique_ptr<connection> c{new connection(std::move(url))};
  if (!c->connect())
    return make_error(errc::storage_unavailable, "cannot connect to PostgreSQL: "
                                                   + std::string{PQerrorMessage(c->conn_)});
  return c;
}

bool connection::connect() {
  if (conn_)
    PQfinish(conn_);
  prepared_.clear();
  prepared_runs_ = 0;
  next_replan_ = first_replan;
  // Defaults first: with expand_dbname the URI's own settings override earlier keywords.
  const char* keys[] = {"connect_timeout",     "application_name", "client_encoding",
                        "keepalives",          "keepalives_idle",  "keepalives_interval",
                        "keepalives_count",    "options",          "dbname",
                        nullptr};
  const char* vals[] = {"3",
                        "ves-sequencer",
                        "UTF8",
                        "1",
                        "10",
                        "5",
                        "3",
                        "-c statement_timeout=30000 -c lock_timeout=10000"
                        " -c idle_in_transaction_session_timeout=60000 -c bytea_output=hex"
                        " -c client_min_messages=warning",
                        url_.c_str(),
                        nullptr};
  conn_ = PQconnectdbParams(keys, vals, 1);
  ++round_trips_;
  broken_ = conn_ == nullptr || PQstatus(conn_) != CONNECTION_OK;
  return !broken_;
}

void connection::forget_prepared(const std::string& name) {
  for (auto i = prepared_.begin(); i != prepared_.end(); ++i)
    if (i->second == name) {
      prepared_.erase(i);
      return;
    }
}

caf::expected<void> connection::ensure() {
  if (!broken_ && conn_ && PQstatus(conn_) == CONNECTION_OK)
    return {};
  if (!connect())
    return make_error(errc::storage_unavailable, "cannot connect to PostgreSQL: "
                                                   + std::string{PQerrorMessage(conn_)});
  return {};
}

caf::error connection::error_of(const PGresult* r, std::string_view what) {
  std::string msg = r ? PQresultErrorMessage(r) : "";
  if (msg.empty())
    msg = conn_ ? PQerrorMessage(conn_) : "no connection";
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' '))
    msg.pop_back();
  msg = std::string{what} + ": " + msg;
  const char* st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string_view state = st ? st : "";
  // Every error the server sends carries a SQLSTATE; one without is libpq's own, which means
  // the connection failed (e.g. "server closed the connection unexpectedly" read before
  // PQstatus notices).
  auto lost = !conn_ || PQstatus(conn_) != CONNECTION_OK || state.empty();
  if (lost || state.substr(0, 2) == "08" || state.substr(0, 2) == "53" || state == "57P01"
      || state == "57P02" || state == "57P03") {
    broken_ = true;
    return make_error(errc::storage_unavailable, std::move(msg));
  }
  if (state == "23505" || state == "SQ409")
    return make_error(errc::storage_conflict, std::move(msg));
  if (state == "40001" || state == "40P01" || state == "55P03" || state == "57014")
    return make_error(errc::storage_unavailable, std::move(msg));
  return make_error(errc::storage_failure, std::move(msg));
}

void connection::rollback_if_open() {
  if (!conn_ || PQstatus(conn_) != CONNECTION_OK)
    return;
  if (PQtransactionStatus(conn_) == PQTRANS_IDLE)
    return;
  ++round_trips_;
  result r{PQexec(conn_, "ROLLBACK")};
  if (PQresultStatus(r.get()) != PGRES_COMMAND_OK)
    broken_ = true;
}

caf::expected<result> connection::exec(const std::string& sql, const params& args,
                                       std::string_view what) {
  if (auto ok = ensure(); !ok)
    return ok.error();
  auto ptrs = args.pointers();
  ++round_trips_;
  result r{PQexecParams(conn_, sql.c_str(), args.size(), nullptr, ptrs.data(), nullptr, nullptr,
                        0)};
  auto st = r.get() ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK)
    return r;
  auto err = error_of(r.get(), what);
  rollback_if_open();
  return err;
}

caf::expected<result> connection::exec(const std::string& sql, std::string_view what) {
  if (auto ok = ensure(); !ok)
    return ok.error();
  ++round_trips_;
  result r{PQexec(conn_, sql.c_str())};
  auto st = r.get() ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK || st == PGRES_EMPTY_QUERY)
    return r;
  return error_of(r.get(), what);
}

caf::expected<void> connection::copy_in(const std::string& sql,
                                        const std::vector<std::string_view>& inputs,
                                        std::string_view what) {
  if (auto ok = ensure(); !ok)
    return ok.error();
  round_trips_ += 1 + inputs.size();
  if (PQsendQuery(conn_, sql.c_str()) != 1) {
    auto err = error_of(nullptr, what);
    broken_ = true;
    return err;
  }
  caf::error first;
  size_t copies = 0;
  while (PGresult* raw = PQgetResult(conn_)) {
    result r{raw};
    auto st = PQresultStatus(raw);
    if (st == PGRES_COPY_IN) {
      // An input for every copy the query starts; a copy without one is cancelled.
      auto data = copies < inputs.size() ? inputs[copies] : std::string_view{};
      const char* cancel = copies < inputs.size() ? nullptr : "no input for this COPY";
      ++copies;
      // Blocking mode: PQputCopyData returns 1 once the piece is queued or sent.
      constexpr size_t piece = size_t{1} << 20;
      bool sent = true;
      for (size_t at = 0; at < data.size() && sent; at += piece) {
        auto n = static_cast<int>(std::min(piece, data.size() - at));
        sent = PQputCopyData(conn_, data.data() + at, n) == 1;
      }
      if (!sent || PQputCopyEnd(conn_, cancel) != 1) {
        auto err = error_of(nullptr, what);
        broken_ = true;
        return err;
      }
    } else if (st != PGRES_COMMAND_OK && !first) {
      first = error_of(raw, what);
    }
    if (PQstatus(conn_) != CONNECTION_OK)
      break;
  }
  if (!first && copies != inputs.size())
    first = make_error(errc::storage_failure, std::string{what} + ": the query started "
                                                + std::to_string(copies) + " COPY, not "
                                                + std::to_string(inputs.size()));
  if (first) {
    rollback_if_open();
    return first;
  }
  return {};
}

caf::expected<result> connection::exec_prepared(const statement& x, std::string_view what) {
  auto r = pipeline(std::vector<statement>{x}, what);
  if (!r)
    return r.error();
  if (r->empty())
    return error_of(nullptr, what);
  return std::move(r->front());
}

caf::expected<std::vector<result>> connection::pipeline(const std::vector<statement>& xs,
                                                        std::string_view what) {
  if (auto ok = ensure(); !ok)
    return ok.error();
  if (PQenterPipelineMode(conn_) != 1)
    return error_of(nullptr, what);
  ++round_trips_;
  // One entry per message sent: the index of its statement, `npos` for the Parse of a
  // statement prepared in this pipeline (its name is then in `created`), or `discard` for
  // DISCARD PLANS.
  constexpr size_t npos = static_cast<size_t>(-1);
  constexpr size_t discard = npos - 1;
  std::vector<size_t> sent;
  std::vector<std::string> created;
  sent.reserve(xs.size() + 4);
  bool send_ok = true;
  auto runs = static_cast<uint64_t>(
    std::count_if(xs.begin(), xs.end(), [](const statement& x) { return x.prepared; }));
  if (runs > 0 && prepared_runs_ + runs >= next_replan_) {
    if (!prepared_.empty()) {
      send_ok = PQsendQueryParams(conn_, "DISCARD PLANS", 0, nullptr, nullptr, nullptr, nullptr,
                                  0)
                == 1;
      sent.push_back(discard);
      ++replans_;
    }
    next_replan_ = next_replan_ > UINT64_MAX / 4 ? UINT64_MAX : next_replan_ * 4;
  }
  prepared_runs_ += runs;
  for (size_t i = 0; i < xs.size() && send_ok; ++i) {
    const auto& x = xs[i];
    auto ptrs = x.args.pointers();
    const std::string* name = nullptr;
    if (x.prepared) {
      auto it = prepared_.find(x.sql);
      if (it == prepared_.end() && prepared_.size() < max_prepared) {
        auto fresh = "ves_s" + std::to_string(++prepared_serial_);
        if (PQsendPrepare(conn_, fresh.c_str(), x.sql.c_str(), x.args.size(), nullptr) != 1) {
          send_ok = false;
          break;
        }
        sent.push_back(npos);
        created.push_back(fresh);
        it = prepared_.emplace(x.sql, std::move(fresh)).first;
      }
      if (it != prepared_.end())
        name = &it->second;
    }
    auto ok = name ? PQsendQueryPrepared(conn_, name->c_str(), x.args.size(), ptrs.data(),
                                         nullptr, nullptr, 0)
                   : PQsendQueryParams(conn_, x.sql.c_str(), x.args.size(), nullptr,
                                       ptrs.data(), nullptr, nullptr, 0);
    if (ok != 1)
      send_ok = false;
    else
      sent.push_back(i);
  }
  if (send_ok && PQpipelineSync(conn_) != 1)
    send_ok = false;
  if (!send_ok) {
    // The connection is in an unknown state: replace it on the next call.
    auto err = error_of(nullptr, what);
    broken_ = true;
    return err;
  }
  std::vector<result> out;
  out.reserve(xs.size());
  caf::error first;
  size_t parses = 0;
  for (auto which : sent) {
    result last;
    bool ok = false;
    while (PGresult* raw = PQgetResult(conn_)) {
      result r{raw};
      auto st = PQresultStatus(raw);
      if (st == PGRES_FATAL_ERROR) {
        if (!first)
          first = error_of(raw, what);
      } else if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        ok = true;
        last = std::move(r);
      }
    }
    if (which == npos) {
      // A Parse that failed or was skipped after an earlier error created nothing.
      if (!ok)
        forget_prepared(created[parses]);
      ++parses;
    } else if (which != discard) {
      out.push_back(std::move(last));
    }
    if (PQstatus(conn_) != CONNECTION_OK)
      break;
  }
  for (; parses < created.size(); ++parses)
    forget_prepared(created[parses]);
  bool synced = false;
  if (PQstatus(conn_) == CONNECTION_OK) {
    result r{PQgetResult(conn_)};
    synced = r.get() && PQresultStatus(r.get()) == PGRES_PIPELINE_SYNC;
  }
  if (!synced || PQexitPipelineMode(conn_) != 1) {
    if (!first)
      first = error_of(nullptr, what);
    broken_ = true;
    return first;
  }
  if (first) {
    rollback_if_open();
    return first;
  }
  return out;
}

} // namespace seq::storage::pg
