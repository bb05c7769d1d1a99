// SPDX-License-Identifier: Apache-2.0
#include "adapters/storage/event_store.hpp"

#include "adapters/storage/migrate.hpp"
#include "adapters/storage/postgres/pg_event_store.hpp"
#include "adapters/storage/sqlite/sqlite_event_store.hpp"
#include "adapters/storage/sqlite/wal_checkpointer.hpp"
#include "messages/errc.hpp"

namespace seq::storage {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

} // namespace

std::optional<std::string> sqlite_path(std::string_view url) {
  if (url == "sqlite::memory:" || url == ":memory:" || url == "sqlite://:memory:")
    return std::string{":memory:"};
  if (starts_with(url, "sqlite:")) {
    url.remove_prefix(7);
    if (starts_with(url, "//"))
      url.remove_prefix(2); // sqlite:///abs → /abs, sqlite://rel → rel
    // sqlx-style options (`?mode=rwc`) carry nothing we use.
    if (auto q = url.find('?'); q != std::string_view::npos)
      url = url.substr(0, q);
    return std::string{url};
  }
  // A plain file path must say what it is, so that a libpq key=value string or a mistyped
  // scheme is not silently taken for a file name.
  for (std::string_view ext : {".db", ".sqlite", ".sqlite3"})
    if (url.size() > ext.size() && url.substr(url.size() - ext.size()) == ext
        && url.find("://") == std::string_view::npos)
      return std::string{url};
  return std::nullopt;
}

std::optional<std::string> sqlite_projection_path(std::string_view url) {
  auto path = sqlite_path(url);
  if (!path)
    return std::nullopt;
  return sqlite_event_store::projection_file(*path);
}

caf::expected<store_ptr> open_store(const std::string& url, store_scope scope) {
  if (starts_with(url, "postgres://") || starts_with(url, "postgresql://")) {
    auto s = pg_event_store::open(url);
    if (!s)
      return s.error();
    return store_ptr{std::move(*s)};
  }
  // The error does not repeat the URL: it may carry a password (callers print it redacted).
  auto path = sqlite_path(url);
  if (!path || path->empty())
    return make_error(errc::invalid_request,
                      "unsupported database URL (want sqlite:..., a path ending in .db, "
                      ".sqlite or .sqlite3, or postgres://...)");
  auto s = sqlite_event_store::open(*path, scope);
  if (!s)
    return s.error();
  return store_ptr{std::move(*s)};
}

caf::expected<std::unique_ptr<sqlite::wal_checkpointer>>
start_wal_checkpointer(const std::string& url) {
  auto path = sqlite_path(url);
  if (!path || path->empty() || *path == ":memory:")
    return std::unique_ptr<sqlite::wal_checkpointer>{};
  return sqlite::wal_checkpointer::start(*path, {});
}

caf::expected<projection_store_ptr> open_projection_store(const std::string& url) {
  auto s = open_store(url, store_scope::projections);
  if (!s)
    return s.error();
  // Both backends implement both interfaces on one object: hand over the same connection.
  auto* p = &projections_of(**s);
  static_cast<void>(s->release());
  return projection_store_ptr{p};
}

projection_store& projections_of(event_store& s) {
  if (auto* x = dynamic_cast<sqlite_event_store*>(&s))
    return *x;
  if (auto* x = dynamic_cast<pg_event_store*>(&s))
    return *x;
  // Only the two backends above exist; a test double must implement both interfaces too.
  return dynamic_cast<projection_store&>(s);
}

caf::expected<std::vector<audit_record>> list_audit(projection_store& s,
                                                    const std::optional<uuid>& tenant,
                                                    uint32_t limit) {
  if (auto* x = dynamic_cast<sqlite_event_store*>(&s))
    return x->read_audit(tenant, limit);
  if (auto* x = dynamic_cast<pg_event_store*>(&s))
    return x->read_audit(tenant, limit);
  return make_error(errc::invalid_request, "list_audit: unknown storage backend");
}

caf::expected<std::vector<projection_lag>> projection_lags(projection_store& s) {
  if (auto* x = dynamic_cast<sqlite_event_store*>(&s))
    return x->read_projection_lags();
  if (auto* x = dynamic_cast<pg_event_store*>(&s))
    return x->read_projection_lags();
  return make_error(errc::invalid_request, "projection_lags: unknown storage backend");
}

caf::expected<std::vector<stream_key>> streams_behind(projection_store& s) {
  if (auto* x = dynamic_cast<sqlite_event_store*>(&s))
    return x->read_streams_behind();
  if (auto* x = dynamic_cast<pg_event_store*>(&s))
    return x->read_streams_behind();
  return make_error(errc::invalid_request, "streams_behind: unknown storage backend");
}

caf::expected<std::vector<applied_migration>> applied_migrations(event_store& store) {
  if (auto* s = dynamic_cast<sqlite_event_store*>(&store))
    return s->applied_migrations();
  if (auto* s = dynamic_cast<pg_event_store*>(&store))
    return s->applied_migrations();
  return make_error(errc::invalid_request, "unknown storage backend " + store.backend());
}

size_t migration_report::applied() const {
  size_t n = 0;
  for (const auto& e : entries)
    n += e.in_build && e.applied_at ? 1 : 0;
  return n;
}

size_t migration_report::pending() const {
  size_t n = 0;
  for (const auto& e : entries)
    n += e.in_build ? 1 : 0;
  return n - applied();
}

std::vector<migration_report::entry>
merge_migrations(const std::vector<migration>& known,
                 const std::vector<applied_migration>& applied) {
  std::vector<migration_report::entry> out;
  out.reserve(known.size() + applied.size());
  size_t i = 0, j = 0;
  while (i < known.size() || j < applied.size()) {
    if (j == applied.size() || (i < known.size() && known[i].version < applied[j].version)) {
      out.push_back({known[i].version, std::string{known[i].name}, std::nullopt});
      ++i;
    } else if (i == known.size() || applied[j].version < known[i].version) {
      out.push_back({applied[j].version, applied[j].name, applied[j].applied_at, false});
      ++j;
    } else { // the same version: applied, named as this build names it
      out.push_back({known[i].version, std::string{known[i].name}, applied[j].applied_at});
      ++i;
      ++j;
    }
  }
  return out;
}

caf::expected<std::vector<migration_report>> migration_status(event_store& store) {
  std::vector<migration_report> out;
  if (auto* s = dynamic_cast<sqlite_event_store*>(&store)) {
    for (bool projection_file : {false, true}) {
      const auto& known = projection_file ? sqlite_projections_migrations() : sqlite_migrations();
      auto file = projection_file ? sqlite_event_store::projection_file(s->path()) : s->path();
      // A connection without the projection file (opened so, because the file does not exist
      // and reading must not create it): every migration of that file is pending.
      if (projection_file && s->scope() == store_scope::events) {
        out.push_back({"projections", file, merge_migrations(known, {}), true});
        continue;
      }
      auto applied = s->applied_migrations(projection_file);
      if (!applied)
        return applied.error();
      out.push_back({projection_file ? "projections" : "events", file,
                     merge_migrations(known, *applied)});
    }
    return out;
  }
  if (auto* s = dynamic_cast<pg_event_store*>(&store)) {
    auto applied = s->applied_migrations();
    if (!applied)
      return applied.error();
    out.push_back({"postgresql", "", merge_migrations(postgres_migrations(), *applied)});
    return out;
  }
  return make_error(errc::invalid_request, "unknown storage backend " + store.backend());
}

caf::expected<void> check_migration_order(const std::vector<migration>& xs) {
  for (size_t i = 1; i < xs.size(); ++i)
    if (xs[i].version <= xs[i - 1].version)
      return make_error(errc::migration_failed,
                        "migration versions are not strictly ascending at "
                          + std::to_string(xs[i].version) + "_" + std::string{xs[i].name});
  return {};
}

// -- store_pool -----------------------------------------------------------------------------------

store_pool::store_pool(std::string url, size_t max_size)
  : url_(std::move(url)), max_size_(max_size == 0 ? 1 : max_size) {
  // nop
}

store_pool::~store_pool() {
  // Leases must not outlive the pool; idle connections close here.
}

store_pool::lease::~lease() {
  if (pool_ && s_)
    pool_->release(std::move(s_));
}

caf::expected<store_pool::lease> store_pool::acquire() {
  std::unique_lock<std::mutex> guard{mtx_};
  cv_.wait(guard, [this] { return !idle_.empty() || open_ < max_size_; });
  if (!idle_.empty()) {
    auto s = std::move(idle_.back());
    idle_.pop_back();
    return lease{this, std::move(s)};
  }
  ++open_; // reserve the slot, then connect without holding the lock
  guard.unlock();
  auto s = open_store(url_);
  if (!s) {
    {
      std::lock_guard<std::mutex> relock{mtx_};
      --open_;
    }
    cv_.notify_one();
    auto err = s.error();
    if (err == errc::invalid_request)
      return err;
    return make_error(errc::storage_unavailable, error_message(err));
  }
  return lease{this, std::move(*s)};
}

void store_pool::release(store_ptr s) {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    idle_.push_back(std::move(s));
  }
  cv_.notify_one();
}

} // namespace seq::storage
