// SPDX-License-Identifier: Apache-2.0
// The storage writer pool's dispatch (spawn_writer_pool) on the deterministic test coordinator,
// with real SQLite writers; each writer's connection is numbered by the fixture's store factory.
#define CAF_SUITE storage_writer
#include "tests/actors/ingest_fixture.hpp"

#include "actors/topology.hpp"

using namespace seq;

namespace {

struct fixture : seq::test::ingest_fixture {
  static constexpr size_t writers = 3;

  /// A stream whose home writer (hash modulo the pool size) is `home`, or is not `home`.
  static msg::stream_key stream_with_home(size_t home, bool same = true) {
    for (;;) {
      msg::stream_key s{msg::uuid::random_v4(), msg::uuid::random_v4()};
      if ((s.hash() % writers == home) == same)
        return s;
    }
  }

  /// The connections that ran the load_stream calls since the last call, in order.
  std::vector<std::pair<size_t, msg::stream_key>> take_loads() {
    std::lock_guard<std::mutex> guard{faults->mtx};
    return std::exchange(faults->loads, {});
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(storage_writer_tests, fixture)

CAF_TEST(stream_key hash is stable) {
  msg::stream_key s{*msg::uuid::parse("00000000-0000-0000-0000-000000000001"),
                    *msg::uuid::parse("00000000-0000-0000-0000-000000000002")};
  // FNV-1a over the 32 bytes (tenant, then store). Pools pick workers by it, so a change would
  // move streams between workers (and connections) from one release to the next.
  CAF_CHECK_EQUAL(s.hash(), 0xc84475a55c0951f6ull);
  CAF_CHECK_NOT_EQUAL(s.hash(), (msg::stream_key{s.store_id, s.tenant_id}.hash()));
}

CAF_TEST(a stream keeps its writer while it is free and spills over while it is busy) {
  auto pool = keep(actors::spawn_writer_pool(sys, writers, factory, &metrics, false));
  auto a = stream_with_home(0);
  auto b = stream_with_home(0);
  auto c = stream_with_home(0, false);
  // One call at a time: every call of `a` runs on the same connection.
  for (int i = 0; i < 3; ++i) {
    self->send(pool, msg::load_stream{a});
    sched.run();
  }
  auto first = take_loads();
  CAF_REQUIRE_EQUAL(first.size(), 3u);
  auto home = first[0].first;
  for (const auto& [conn, s] : first) {
    CAF_CHECK_EQUAL(conn, home);
    CAF_CHECK(s == a);
  }
  // `b` has the same home writer, which still holds `a`'s call: it goes to another writer.
  self->send(pool, msg::load_stream{a});
  self->send(pool, msg::load_stream{b});
  sched.run();
  auto busy = take_loads();
  CAF_REQUIRE_EQUAL(busy.size(), 2u);
  for (const auto& [conn, s] : busy) {
    if (s == a)
      CAF_CHECK_EQUAL(conn, home);
    else
      CAF_CHECK_NOT_EQUAL(conn, home);
  }
  // Both calls were answered and counted out: `b` is back on its home writer, and a stream
  // with another home writer never lands on it.
  self->send(pool, msg::load_stream{b});
  sched.run();
  self->send(pool, msg::load_stream{c});
  sched.run();
  auto after = take_loads();
  CAF_REQUIRE_EQUAL(after.size(), 2u);
  CAF_CHECK(after[0].second == b);
  CAF_CHECK_EQUAL(after[0].first, home);
  CAF_CHECK(after[1].second == c);
  CAF_CHECK_NOT_EQUAL(after[1].first, home);
}

CAF_TEST(group commits of one stream go to one writer) {
  cfg.storage_writers = writers;
  auto topo = actors::spawn_ingest_topology(sys, cfg, factory, &metrics);
  keep(topo.registry);
  keep(topo.verify_pool);
  keep(topo.writers);
  for (int i = 0; i < 4; ++i) {
    auto r = ingest(topo.registry, {make_event(i, "SKU-" + std::to_string(i))});
    sched.run();
    CAF_REQUIRE(r->done && !r->err);
    CAF_CHECK_EQUAL(r->numbers(), std::vector<uint64_t>{static_cast<uint64_t>(i) + 1});
  }
  // Each call found the stream's home writer free: the load and all four commits ran on one
  // connection.
  auto loads = take_loads();
  CAF_REQUIRE_EQUAL(loads.size(), 1u);
  std::lock_guard<std::mutex> guard{faults->mtx};
  CAF_CHECK_EQUAL(faults->committed_sizes, std::vector<size_t>(4, 1));
  CAF_CHECK_EQUAL(faults->commit_connections, std::vector<size_t>(4, loads[0].first));
}

CAF_TEST_FIXTURE_SCOPE_END()
