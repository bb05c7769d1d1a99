// SPDX-License-Identifier: Apache-2.0
// Connections: migrations, URLs, several connections on one database, the pool, and
// unavailable / dropped PostgreSQL servers (SEQ_TEST_BACKEND).

#include "tests/adapters/storage/storage_fixture.hpp"

#include "adapters/storage/postgres/pg_connection.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <map>
#include <thread>

using namespace seq;
using namespace seq::storage;
using namespace seq::storage::test;

namespace {

const std::vector<migration>& compiled_migrations() {
  return is_postgres() ? postgres_migrations() : sqlite_migrations();
}

/// One VES event at `seq` (no commands, no versions).
write_group single(const stream_key& s, uint64_t seq) {
  write_group g;
  g.stream = s;
  g.ves.push_back(make_ves(s, seq));
  return g;
}

} // namespace

TEST_CASE("migrations are recorded once and migrating again is a no-op", "[storage]") {
  store_fixture f;
  const auto& all = compiled_migrations();
  REQUIRE(all.size() >= 2);
  auto applied = applied_migrations(*f.store);
  SEQ_REQUIRE_OK(applied);
  REQUIRE(applied->size() == all.size());
  for (size_t i = 0; i < all.size(); ++i) {
    CHECK((*applied)[i].version == all[i].version);
    CHECK((*applied)[i].name == all[i].name);
    CHECK((*applied)[i].applied_at > 0);
  }
  SEQ_REQUIRE_OK(f.store->migrate());
  auto again = applied_migrations(*f.store);
  SEQ_REQUIRE_OK(again);
  CHECK(*again == *applied);
  // Another connection sees the same state and does nothing either.
  auto other = f.open();
  SEQ_REQUIRE_OK(other->migrate());
  auto third = applied_migrations(*other);
  SEQ_REQUIRE_OK(third);
  CHECK(*third == *applied);

  CHECK(check_migration_order(all));
  std::vector<migration> bad{{2, "b", "SELECT 1"}, {1, "a", "SELECT 1"}};
  CHECK(check_migration_order(bad).error() == errc::migration_failed);
}

TEST_CASE("merge_migrations lines up this build's migrations with a database's rows",
          "[storage]") {
  std::vector<migration> known{{1, "events", ""}, {2, "keys", ""}, {3, "x402", ""}};
  std::vector<applied_migration> applied{{1, "events", 100}, {3, "old_name", 300},
                                         {7, "future", 700}};
  migration_report r;
  r.entries = merge_migrations(known, applied);
  using entry = migration_report::entry;
  CHECK(r.entries == std::vector<entry>{{1, "events", 100, true},
                                        {2, "keys", std::nullopt, true},
                                        {3, "x402", 300, true},
                                        {7, "future", 700, false}});
  CHECK(r.pending() == 1);
  CHECK(merge_migrations(known, {}).size() == 3);
  r.entries = merge_migrations({}, applied);
  CHECK(r.pending() == 0); // rows this build does not know are never pending
  CHECK(r.entries.size() == 3);
}

TEST_CASE("migration_status reports every database of a migrated store", "[storage]") {
  store_fixture f;
  auto st = migration_status(*f.store);
  SEQ_REQUIRE_OK(st);
  std::vector<std::pair<std::string, const std::vector<migration>*>> want;
  if (is_postgres())
    want = {{"postgresql", &postgres_migrations()}};
  else
    want = {{"events", &sqlite_migrations()}, {"projections", &sqlite_projections_migrations()}};
  REQUIRE(st->size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    const auto& r = (*st)[i];
    INFO(r.database);
    CHECK(r.database == want[i].first);
    CHECK(r.pending() == 0);
    const auto& known = *want[i].second;
    REQUIRE(r.entries.size() == known.size());
    for (size_t j = 0; j < known.size(); ++j) {
      CHECK(r.entries[j].version == known[j].version);
      CHECK(r.entries[j].name == known[j].name);
      CHECK(r.entries[j].applied_at.value_or(0) > 0);
      CHECK(r.entries[j].in_build);
    }
  }
  if (!is_postgres()) {
    auto path = *sqlite_path(f.url);
    CHECK((*st)[0].file == path);
    CHECK((*st)[1].file == sqlite_event_store::projection_file(path));
  } else {
    CHECK((*st)[0].file.empty()); // the URL may carry a password: never reported
  }
}

TEST_CASE("migration_status of SQLite shows pending and foreign rows and changes nothing",
          "[storage]") {
  if (is_postgres())
    return; // one shared PostgreSQL database: its rows are not the test's to edit
  temp_dir dir;
  auto url = "sqlite://" + (dir.path / "status.db").string();
  auto s = open_store(url);
  SEQ_REQUIRE_OK(s);
  auto fresh = migration_status(**s);
  SEQ_REQUIRE_OK(fresh);
  REQUIRE(fresh->size() == 2);
  CHECK((*fresh)[0].pending() == sqlite_migrations().size());
  CHECK((*fresh)[1].pending() == sqlite_projections_migrations().size());
  auto again = applied_migrations(**s);
  SEQ_REQUIRE_OK(again);
  CHECK(again->empty()); // reading the status created no schema_migrations rows

  SEQ_REQUIRE_OK((*s)->migrate());
  auto* db = dynamic_cast<sqlite_event_store*>(s->get());
  REQUIRE(db != nullptr);
  auto last = sqlite_migrations().back().version;
  SEQ_REQUIRE_OK(db->execute("DELETE FROM schema_migrations WHERE version = "
                             + std::to_string(last)
                             + "; INSERT INTO schema_migrations (version, name, applied_at)"
                               " VALUES (9999, 'from_a_newer_build', 1)"));
  auto st = migration_status(**s);
  SEQ_REQUIRE_OK(st);
  const auto& events = (*st)[0].entries;
  CHECK((*st)[0].pending() == 1);
  CHECK((*st)[1].pending() == 0);
  REQUIRE(events.size() == sqlite_migrations().size() + 1);
  CHECK(events[events.size() - 2].version == last);
  CHECK_FALSE(events[events.size() - 2].applied_at);
  CHECK(events.back().version == 9999);
  CHECK(events.back().applied_at == 1);
  CHECK_FALSE(events.back().in_build);
}

TEST_CASE("migration_status of SQLite without its projection file creates none", "[storage]") {
  if (is_postgres())
    return;
  temp_dir dir;
  auto url = "sqlite://" + (dir.path / "lost.db").string();
  {
    auto s = open_store(url);
    SEQ_REQUIRE_OK(s);
    SEQ_REQUIRE_OK((*s)->migrate());
  }
  auto proj = *sqlite_projection_path(url);
  CHECK(proj == (dir.path / "lost.projections.db").string());
  for (auto suffix : {"", "-wal", "-shm"})
    std::filesystem::remove(proj + suffix);
  auto s = open_store(url, store_scope::events); // as `ves migrate --status` opens it then
  SEQ_REQUIRE_OK(s);
  auto st = migration_status(**s);
  SEQ_REQUIRE_OK(st);
  REQUIRE(st->size() == 2);
  CHECK_FALSE((*st)[0].missing);
  CHECK((*st)[0].pending() == 0);
  CHECK((*st)[1].missing);
  CHECK((*st)[1].file == proj);
  CHECK((*st)[1].pending() == sqlite_projections_migrations().size());
  CHECK_FALSE(std::filesystem::exists(proj));
}

TEST_CASE("PostgreSQL: tables updated in place leave room for HOT updates", "[storage]") {
  if (!is_postgres())
    return; // fillfactor is a PostgreSQL storage parameter
  store_fixture f; // migrated
  temp_dir dir;
  auto c = pg::connection::open(fresh_url(dir));
  SEQ_REQUIRE_OK(c);
  auto r = (*c)->exec("SELECT relname, array_to_string(reloptions, ',') FROM pg_class WHERE relname"
                      " IN ('entity_versions', 'projections', 'projections_rebuild',"
                      " 'projection_checkpoints') AND relkind = 'r' ORDER BY relname",
                      "reloptions");
  SEQ_REQUIRE_OK(r);
  std::map<std::string, std::string> opts;
  for (int i = 0; i < r->rows(); ++i)
    opts[PQgetvalue(r->get(), i, 0)] = PQgetvalue(r->get(), i, 1);
  CHECK(opts == std::map<std::string, std::string>{{"entity_versions", "fillfactor=50"},
                                                   {"projection_checkpoints", "fillfactor=50"},
                                                   {"projections", "fillfactor=70"},
                                                   {"projections_rebuild", "fillfactor=70"}});
}

TEST_CASE("a fresh SQLite file starts without migrations", "[storage]") {
  temp_dir dir;
  auto s = open_store("sqlite://" + (dir.path / "fresh.db").string());
  SEQ_REQUIRE_OK(s);
  auto before = applied_migrations(**s);
  SEQ_REQUIRE_OK(before);
  CHECK(before->empty());
  SEQ_REQUIRE_OK((*s)->migrate());
  auto after = applied_migrations(**s);
  SEQ_REQUIRE_OK(after);
  CHECK(after->size() == sqlite_migrations().size());
}

TEST_CASE("open_store understands the documented URL forms", "[storage]") {
  temp_dir dir;
  auto works = [](const std::string& url) {
    auto s = open_store(url);
    INFO(url << " -> " << describe(s));
    REQUIRE(s);
    CHECK((*s)->backend() == "sqlite");
    SEQ_REQUIRE_OK((*s)->migrate());
    auto st = random_stream();
    SEQ_REQUIRE_OK((*s)->commit_group(single(st, 1)));
    auto h = (*s)->load_heads(st);
    SEQ_REQUIRE_OK(h);
    CHECK(h->ves == 1);
  };
  SECTION("sqlite:///absolute/path creates missing parent directories") {
    auto path = dir.path / "a" / "b" / "abs.db";
    works("sqlite://" + path.string());
    CHECK(std::filesystem::exists(path));
  }
  SECTION("a plain path") {
    auto path = dir.path / "plain" / "events.db";
    works(path.string());
    CHECK(std::filesystem::exists(path));
  }
  SECTION("sqlite://relative/path is relative to the working directory") {
    std::filesystem::create_directories(dir.path);
    auto old = std::filesystem::current_path();
    std::filesystem::current_path(dir.path);
    works("sqlite://rel/dir/x.db?mode=rwc");
    std::filesystem::current_path(old);
    CHECK(std::filesystem::exists(dir.path / "rel" / "dir" / "x.db"));
  }
  SECTION("sqlite::memory:") {
    works("sqlite::memory:");
  }
  SECTION("unknown schemes are rejected") {
    SEQ_REQUIRE_ERRC(open_store("mysql://localhost/db"), errc::invalid_request);
    SEQ_REQUIRE_ERRC(open_store(""), errc::invalid_request);
    SEQ_REQUIRE_ERRC(open_store("postgress://typo/db"), errc::invalid_request);
    SEQ_REQUIRE_ERRC(open_store("host=localhost dbname=x"), errc::invalid_request);
  }
}

TEST_CASE("a writer and a reader connection on one database see each other's commits",
          "[storage]") {
  store_fixture f;
  auto reader = f.open();
  SEQ_REQUIRE_OK(reader->ping());
  constexpr uint64_t n = 100;
  std::atomic<bool> done{false};
  std::atomic<bool> went_back{false};
  std::atomic<uint64_t> reads{0};
  std::atomic<bool> reader_ended{false};
  std::string reader_error;
  std::thread t{[&] {
    uint64_t last = 0;
    while (!done.load()) {
      auto h = reader->load_heads(f.stream);
      if (!h) {
        reader_error = describe(h.error());
        break;
      }
      if (h->ves < last)
        went_back = true;
      last = h->ves;
      if (last > 0) {
        auto xs = reader->read_ves_events(f.stream, last, 1);
        if (!xs || xs->size() != 1) {
          reader_error = "head event " + std::to_string(last) + " not readable";
          break;
        }
      }
      ++reads;
    }
    reader_ended = true;
  }};
  // The writer starts once the reader has read (or failed): on a busy machine the writer's
  // commits could otherwise all end before the reader thread first runs.
  while (reads.load() == 0 && !reader_ended.load())
    std::this_thread::yield();
  std::string writer_error;
  for (uint64_t i = 1; i <= n && writer_error.empty(); ++i)
    if (auto ok = f.store->commit_group(single(f.stream, i)); !ok)
      writer_error = describe(ok.error());
  done = true;
  t.join();
  CHECK(writer_error.empty());
  CHECK(reader_error.empty());
  CHECK_FALSE(went_back.load());
  CHECK(reads.load() > 0);
  auto h = reader->load_heads(f.stream);
  SEQ_REQUIRE_OK(h);
  CHECK(h->ves == n);
  auto all = reader->read_ves_events(f.stream, 1, 1000);
  SEQ_REQUIRE_OK(all);
  CHECK(all->size() == n);
}

TEST_CASE("store_pool serves 8 threads with at most max_size connections", "[storage]") {
  store_fixture f;
  store_pool pool{f.url, 4};
  constexpr int threads = 8;
  std::atomic<int> leased{0};
  std::atomic<int> max_leased{0};
  std::vector<std::string> errors(threads);

  SECTION("each thread writes its own stream") {
    constexpr uint64_t per_thread = 20;
    std::vector<stream_key> streams(threads);
    for (auto& s : streams)
      s = random_stream();
    std::vector<std::thread> ts;
    for (int i = 0; i < threads; ++i)
      ts.emplace_back([&, i] {
        for (uint64_t n = 1; n <= per_thread && errors[i].empty(); ++n) {
          auto l = pool.acquire();
          if (!l) {
            errors[i] = describe(l.error());
            return;
          }
          auto now = ++leased;
          for (auto m = max_leased.load(); now > m && !max_leased.compare_exchange_weak(m, now);)
            ;
          if (auto ok = (*l)->commit_group(single(streams[i], n)); !ok)
            errors[i] = describe(ok.error());
          --leased;
        }
      });
    for (auto& t : ts)
      t.join();
    for (int i = 0; i < threads; ++i) {
      INFO("thread " << i);
      CHECK(errors[i].empty());
      auto h = f.store->load_heads(streams[i]);
      SEQ_REQUIRE_OK(h);
      CHECK(h->ves == per_thread);
    }
    CHECK(max_leased.load() <= 4);
    CHECK(max_leased.load() >= 1);
  }
  SECTION("threads racing on one stream are fenced: no gap, no duplicate") {
    // Every thread believes it may append: it reads the head and writes head + 1. Storage
    // rejects the losers with storage_conflict; they reload and retry.
    constexpr int per_thread = 10;
    std::atomic<int> conflicts{0};
    std::vector<std::thread> ts;
    for (int i = 0; i < threads; ++i)
      ts.emplace_back([&, i] {
        int written = 0;
        while (written < per_thread && errors[i].empty()) {
          auto l = pool.acquire();
          if (!l) {
            errors[i] = describe(l.error());
            return;
          }
          auto h = (*l)->load_heads(f.stream);
          if (!h) {
            errors[i] = describe(h.error());
            return;
          }
          auto g = single(f.stream, h->ves + 1);
          g.versions = {{{"order", "shared"}, static_cast<int64_t>(h->ves),
                         static_cast<int64_t>(h->ves + 1)}};
          auto ok = (*l)->commit_group(g);
          if (ok)
            ++written;
          else if (ok.error() == errc::storage_conflict)
            ++conflicts;
          else
            errors[i] = describe(ok.error());
        }
      });
    for (auto& t : ts)
      t.join();
    for (int i = 0; i < threads; ++i) {
      INFO("thread " << i);
      CHECK(errors[i].empty());
    }
    constexpr uint64_t total = threads * per_thread;
    auto h = f.store->load_heads(f.stream);
    SEQ_REQUIRE_OK(h);
    CHECK(h->ves == total);
    auto xs = f.store->read_ves_events(f.stream, 1, 1000);
    SEQ_REQUIRE_OK(xs);
    REQUIRE(xs->size() == total);
    for (uint64_t i = 0; i < total; ++i)
      CHECK((*xs)[i].sequence_number == i + 1);
    auto vs = f.store->load_entity_versions(f.stream);
    SEQ_REQUIRE_OK(vs);
    REQUIRE(vs->size() == 1);
    CHECK(vs->front().second == static_cast<int64_t>(total));
    WARN(f.store->backend() << ": " << conflicts.load() << " fenced conflicts for " << total
                            << " appends from " << threads << " racing threads");
  }
}

TEST_CASE("an unreachable PostgreSQL server answers storage_unavailable quickly", "[storage]") {
  auto url = "postgres://postgres@127.0.0.1:" + std::to_string(closed_port()) + "/postgres";
  auto t0 = std::chrono::steady_clock::now();
  auto s = open_store(url);
  auto elapsed = std::chrono::steady_clock::now() - t0;
  SEQ_REQUIRE_ERRC(s, errc::storage_unavailable);
  CHECK(elapsed < std::chrono::seconds{4});
  store_pool pool{url, 2};
  SEQ_REQUIRE_ERRC(pool.acquire(), errc::storage_unavailable);
  SEQ_REQUIRE_ERRC(pool.acquire(), errc::storage_unavailable); // the failed slot was released
}

TEST_CASE("a dropped PostgreSQL connection reconnects on the next call", "[storage][pg]") {
  if (!is_postgres()) {
    SUCCEED("PostgreSQL only");
    return;
  }
  store_fixture f;
  auto* victim = dynamic_cast<pg_event_store*>(f.store.get());
  REQUIRE(victim != nullptr);
  auto killer_ptr = f.open();
  auto* killer = dynamic_cast<pg_event_store*>(killer_ptr.get());
  REQUIRE(killer != nullptr);
  SEQ_REQUIRE_OK(f.store->commit_group(single(f.stream, 1)));

  auto kill_victim = [&] {
    auto pid = victim->backend_pid();
    REQUIRE(pid != 0);
    SEQ_REQUIRE_OK(
      killer->execute("SELECT pg_terminate_backend(" + std::to_string(pid) + ", 5000)"));
    return pid;
  };
  SECTION("a read") {
    auto pid = kill_victim();
    SEQ_REQUIRE_ERRC(f.store->load_heads(f.stream), errc::storage_unavailable);
    auto h = f.store->load_heads(f.stream);
    SEQ_REQUIRE_OK(h);
    CHECK(h->ves == 1);
    CHECK(victim->backend_pid() != pid);
  }
  SECTION("a group commit") {
    kill_victim();
    auto g = single(f.stream, 2);
    SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_unavailable);
    auto h = f.store->load_heads(f.stream);
    SEQ_REQUIRE_OK(h);
    CHECK(h->ves == 1); // nothing of the failed group
    SEQ_REQUIRE_OK(f.store->commit_group(g));
    auto found = f.store->find_ves_events({g.ves[0].ev.event_id});
    SEQ_REQUIRE_OK(found);
    REQUIRE(found->size() == 1);
    check_same(found->front(), g.ves[0]);
  }
  SECTION("a group commit that copies its rows in") {
    kill_victim();
    auto g = make_group(f.stream, 2, 4); // three VES events and their commands: binary COPY
    g.legacy.clear();
    g.legacy_commands.clear();
    SEQ_REQUIRE_ERRC(f.store->commit_group(g), errc::storage_unavailable);
    auto h = f.store->load_heads(f.stream);
    SEQ_REQUIRE_OK(h);
    CHECK(h->ves == 1); // nothing of the failed group
    SEQ_REQUIRE_OK(f.store->commit_group(g));
    auto ves = f.store->read_ves_events(f.stream, 2, 10);
    SEQ_REQUIRE_OK(ves);
    check_same(*ves, g.ves);
  }
  SECTION("migrate") {
    kill_victim();
    SEQ_REQUIRE_ERRC(f.store->migrate(), errc::storage_unavailable);
    SEQ_REQUIRE_OK(f.store->migrate());
  }
}

TEST_CASE("PostgreSQL: a connection re-plans its prepared statements as its tables grow",
          "[storage][pg]") {
  if (!is_postgres()) {
    SUCCEED("PostgreSQL only");
    return;
  }
  store_fixture f; // migrated: ves_events exists
  temp_dir dir;
  auto opened = pg::connection::open(fresh_url(dir));
  SEQ_REQUIRE_OK(opened);
  auto& c = **opened;
  // A session-private copy of ves_events with its indexes: autovacuum never analyzes a
  // temporary table, so the planner sees only its size, as with a fresh database under load.
  SEQ_REQUIRE_OK(c.exec(
    "CREATE TEMP TABLE ev (LIKE ves_events INCLUDING DEFAULTS INCLUDING INDEXES);"
    "CREATE FUNCTION pg_temp.fill(lo bigint, hi bigint) RETURNS void LANGUAGE sql AS $$"
    " INSERT INTO ev (event_id, tenant_id, store_id, source_agent_id, agent_key_id,"
    " entity_type, entity_id, event_type, created_at_str, payload, payload_plain_hash,"
    " payload_cipher_hash, event_signing_hash, agent_signature, sequence_number)"
    " SELECT gen_random_uuid(), '00000000-0000-4000-8000-000000000001',"
    " '00000000-0000-4000-8000-000000000002', '00000000-0000-4000-8000-000000000003', 1,"
    " 'inventory', 'sku-' || (g % 1000), 'inventory.adjusted', '2026-11-22T00:00:00Z',"
    " jsonb_build_object('sku', 'sku-' || (g % 1000), 'delta', g, 'note', repeat('n', 120)),"
    " sha256(g::text::bytea), sha256(g::text::bytea), sha256(g::text::bytea),"
    " sha256(g::text::bytea) || sha256(g::text::bytea), g FROM generate_series(lo, hi) g $$;"
    "SELECT pg_temp.fill(1, 300)",
    "temp table"));
  // The projector's range read (read_ves_projectable) on that table.
  pg::statement st;
  auto tenant = st.args.id(*uuid::parse("00000000-0000-4000-8000-000000000001")); // $1
  auto store = st.args.id(*uuid::parse("00000000-0000-4000-8000-000000000002"));  // $2
  auto from = st.args.int64(101);                                                  // $3
  auto to = st.args.int64(200);                                                    // $4
  st.sql = "SELECT sequence_number, event_id, entity_type, entity_id, event_type, payload_kind,"
           " CASE WHEN payload_kind = 0 THEN payload::text END, base_version FROM ev WHERE"
           " tenant_id = " + tenant + " AND store_id = " + store + " AND sequence_number BETWEEN "
           + from + " AND " + to + " ORDER BY sequence_number";
  st.prepared = true;
  auto run = [&] {
    auto r = c.exec_prepared(st, "range read");
    SEQ_REQUIRE_OK(r);
    CHECK(r->rows() == 100);
  };
  // The plan the prepared statement would run now. Prepared names are ves_s1, ves_s2, … in
  // the order a connection first sees their texts; this is the connection's only one.
  auto plan = [&] {
    REQUIRE(c.prepared_count() == 1);
    auto r = c.exec("EXPLAIN EXECUTE ves_s1('00000000-0000-4000-8000-000000000001',"
                    " '00000000-0000-4000-8000-000000000002', 101, 200)",
                    "explain");
    SEQ_REQUIRE_OK(r);
    std::string out;
    for (int i = 0; i < r->rows(); ++i)
      out += std::string{PQgetvalue(r->get(), i, 0)} + "\n";
    return out;
  };
  const std::string by_agent = "ev_tenant_id_source_agent_id_sequenced_at_idx";
  const std::string by_sequence = "ev_tenant_id_store_id_sequence_number_key";

  for (int i = 0; i < 10; ++i)
    run(); // five custom plans, then the generic one is cached
  SEQ_REQUIRE_OK(c.exec("SELECT pg_temp.fill(301, 20000)", "grow"));
  // With 300 rows the planner prefers the agent index; that plan is still cached for a table
  // of 20,000 rows, where it reads every row of the tenant to find 100.
  auto stale = plan();
  INFO(stale);
  CHECK(stale.find(by_agent) != std::string::npos);
  CHECK(c.replans() == 0);

  for (int i = 10; i < 63; ++i)
    run();
  CHECK(c.replans() == 0);
  run(); // the 64th execution drops the cached plans first
  CHECK(c.replans() == 1);
  auto fresh = plan();
  INFO(fresh);
  CHECK(fresh.find(by_sequence) != std::string::npos);
  CHECK(fresh.find(by_agent) == std::string::npos);

  // Then after 256, 1024, … executions.
  for (int i = 64; i < 255; ++i)
    run();
  CHECK(c.replans() == 1);
  run();
  CHECK(c.replans() == 2);
}
