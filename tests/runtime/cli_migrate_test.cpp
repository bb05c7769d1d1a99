// SPDX-License-Identifier: Apache-2.0
// `ves migrate --status` (runtime/cli_migrate.cpp) on an in-memory SQLite store: the text and
// JSON forms and the exit code, for a fresh store, a migrated one, and one with a migration
// missing and one recorded by another build.
#include "adapters/storage/migrate.hpp"
#include "adapters/storage/sqlite/sqlite_event_store.hpp"
#include "messages/ves/json.hpp"
#include "runtime/cli.hpp"

#include <catch2/catch.hpp>

#include <sstream>

using namespace seq;

namespace {

struct captured {
  int code = -1;
  std::string out, err;
};

captured status(storage::event_store& db, bool json) {
  std::ostringstream out, err;
  captured c;
  c.code = runtime::cli::migration_status(db, json, {out, err});
  c.out = out.str();
  c.err = err.str();
  return c;
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

ves::json::value parse(const std::string& text) {
  auto v = ves::json::try_parse(text);
  REQUIRE(v);
  return *v;
}

const ves::json::value& at(const ves::json::value& v, std::string_view key) {
  const auto* m = v.find(key);
  INFO(key);
  REQUIRE(m != nullptr);
  return *m;
}

} // namespace

TEST_CASE("ves migrate --status lists each SQLite database's migrations", "[cli]") {
  auto db = storage::sqlite_event_store::open(":memory:");
  REQUIRE(db);
  const auto events = storage::sqlite_migrations().size();
  const auto projections = storage::sqlite_projections_migrations().size();

  SECTION("a fresh store: everything pending, nothing written") {
    auto c = status(**db, false);
    CHECK(c.code == 1);
    CHECK(has(c.out, "events (:memory:): 0 of " + std::to_string(events)));
    CHECK(has(c.out, "projections (:memory:): 0 of " + std::to_string(projections)));
    CHECK(has(c.out, "  0001_events                 pending\n"));
    CHECK(has(c.out, std::to_string(events + projections) + " migrations pending; `ves migrate`"));
    auto applied = (*db)->applied_migrations();
    REQUIRE(applied);
    CHECK(applied->empty());
  }

  SECTION("a migrated store is up to date") {
    REQUIRE((*db)->migrate());
    auto c = status(**db, false);
    CHECK(c.code == 0);
    CHECK_FALSE(has(c.out, "pending"));
    CHECK(has(c.out, "  0001_events                 applied 20"));
    CHECK(c.out.substr(c.out.size() - 11) == "up to date\n");

    auto j = status(**db, true);
    CHECK(j.code == 0);
    auto doc = parse(j.out);
    CHECK(at(doc, "up_to_date").as_bool());
    const auto& dbs = at(doc, "databases").as_array();
    REQUIRE(dbs.size() == 2);
    CHECK(at(dbs[0], "database").as_string() == "events");
    CHECK(at(dbs[0], "file").as_string() == ":memory:");
    CHECK(at(dbs[1], "database").as_string() == "projections");
    CHECK(at(dbs[0], "migrations").as_array().size() == events);
    const auto& first = at(dbs[0], "migrations").as_array()[0];
    CHECK(at(first, "name").as_string() == "events");
    CHECK(at(first, "status").as_string() == "applied");
    CHECK(at(first, "applied_at").as_string().back() == 'Z');
    CHECK(at(first, "in_build").as_bool());
  }

  SECTION("a missing migration is pending; another build's row is shown, never pending") {
    REQUIRE((*db)->migrate());
    REQUIRE((*db)->execute("DELETE FROM schema_migrations WHERE version = 2;"
                           " INSERT INTO schema_migrations (version, name, applied_at)"
                           " VALUES (9999, 'later', 0)"));
    auto c = status(**db, false);
    CHECK(c.code == 1);
    CHECK(has(c.out, "  0002_keys                   pending\n"));
    CHECK(has(c.out, "  9999_later                  applied 1970-01-01T00:00:00Z  (not in this "
                     "build: applied by another version of ves)\n"));
    CHECK(has(c.out, "1 migration pending; `ves migrate` applies it"));

    auto j = status(**db, true);
    auto doc = parse(j.out);
    CHECK_FALSE(at(doc, "up_to_date").as_bool());
    const auto& ev = at(doc, "databases").as_array()[0];
    CHECK(at(ev, "pending").as_number().u == 1);
    CHECK(at(ev, "applied").as_number().u == events - 1);
    const auto& last = at(ev, "migrations").as_array().back();
    CHECK(at(last, "version").as_number().u == 9999);
    CHECK_FALSE(at(last, "in_build").as_bool());
    const auto& keys = at(ev, "migrations").as_array()[1];
    CHECK(at(keys, "status").as_string() == "pending");
    CHECK(at(keys, "applied_at").is_null());
  }
}
