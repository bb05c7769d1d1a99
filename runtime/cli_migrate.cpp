// SPDX-License-Identifier: Apache-2.0
// `ves migrate --status` (see cli.hpp).
#include "runtime/cli.hpp"

#include "adapters/http/json_writer.hpp"
#include "adapters/storage/migrate.hpp"
#include "messages/domain.hpp"

#include <cstdio>

namespace seq::runtime::cli {

namespace {

/// `0006_hot_updates`, as the file in migrations/ is called.
std::string file_name(const storage::migration_report::entry& e) {
  char version[24];
  std::snprintf(version, sizeof version, "%04lld", static_cast<long long>(e.version));
  return std::string{version} + "_" + e.name;
}

void print_json(const std::vector<storage::migration_report>& rs, size_t pending, output io) {
  http::json_writer w;
  w.begin_object().field("up_to_date", pending == 0).key("databases").begin_array();
  for (const auto& r : rs) {
    w.begin_object().field("database", r.database);
    if (!r.file.empty())
      w.field("file", r.file);
    if (r.missing)
      w.field("missing", true);
    w.field("applied", r.applied()).field("pending", r.pending());
    w.key("migrations").begin_array();
    for (const auto& e : r.entries) {
      w.begin_object().field("version", e.version).field("name", e.name);
      w.field("status", e.applied_at ? "applied" : "pending").key("applied_at");
      e.applied_at ? w.str(msg::rfc3339_z(*e.applied_at)) : w.null();
      w.field("in_build", e.in_build).end_object();
    }
    w.end_array().end_object();
  }
  w.end_array().end_object();
  io.out << w.str() << "\n";
}

void print_text(const std::vector<storage::migration_report>& rs, size_t pending, output io) {
  for (const auto& r : rs) {
    io.out << r.database;
    if (!r.file.empty())
      io.out << " (" << r.file << ")";
    io.out << ": " << r.applied() << " of " << r.applied() + r.pending()
           << " migrations applied";
    if (r.missing)
      io.out << " (the file does not exist; `ves migrate` or the server's start creates it)";
    io.out << "\n";
    for (const auto& e : r.entries) {
      auto name = file_name(e);
      io.out << "  " << name << std::string(name.size() < 28 ? 28 - name.size() : 1, ' ');
      if (e.applied_at)
        io.out << "applied " << msg::rfc3339_z(*e.applied_at);
      else
        io.out << "pending";
      if (!e.in_build)
        io.out << "  (not in this build: applied by another version of ves)";
      io.out << "\n";
    }
  }
  if (pending == 0)
    io.out << "up to date\n";
  else
    io.out << pending << (pending == 1 ? " migration pending; `ves migrate` applies it"
                                       : " migrations pending; `ves migrate` applies them")
           << " (so does the server at its start, by default)\n";
}

} // namespace

int migration_status(storage::event_store& db, bool json, output io) {
  auto rs = storage::migration_status(db);
  if (!rs)
    return storage_error(io, "read schema_migrations", rs.error());
  size_t pending = 0;
  for (const auto& r : *rs)
    pending += r.pending();
  if (json)
    print_json(*rs, pending, io);
  else
    print_text(*rs, pending, io);
  return pending == 0 ? 0 : 1;
}

} // namespace seq::runtime::cli
