// SPDX-License-Identifier: Apache-2.0
// Concurrency: 32 client threads push single events into ONE stream at the same time. The
// stream must come out as exactly 1..N, no gap, no duplicate, and every receipt a client got
// must match the stored event.
#include "tests/integration/load.hpp"

#include <catch2/catch.hpp>

namespace seq::it {

TEST_CASE("32 concurrent clients on one stream yield exactly 1..N with matching receipts",
          "[integration][concurrency]") {
  auto& srv = shared_server();
  api_client admin{srv.port()};
  auto seq_info = fetch_sequencer(admin);
  auto a = agent_identity::random();
  register_key(admin, a);

  constexpr size_t threads = 32;
  constexpr size_t per_thread = 20;
  load_options o;
  o.streams = {a};
  o.threads = threads;
  o.requests_per_thread = per_thread;
  o.max_events_per_request = 1;
  o.max_duration = std::chrono::seconds{90};
  o.tag = "conc";
  load_generator g{srv.port(), o};
  auto t0 = std::chrono::steady_clock::now();
  g.start();
  g.join();
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  INFO("statuses: " << describe(status_histogram(g)) << " in " << secs << " s");
  REQUIRE(g.records().size() == threads * per_thread);
  REQUIRE(status_histogram(g) == std::map<int, size_t>{{200, threads * per_thread}});

  auto acks = collect_acks(g, seq_info);
  REQUIRE(acks[0].size() == threads * per_thread);
  // The acknowledged sequence numbers are a permutation of 1..N.
  std::set<uint64_t> seqs;
  for (auto& [id, x] : acks[0])
    seqs.insert(x.sequence_number);
  REQUIRE(seqs.size() == threads * per_thread);
  CHECK(*seqs.begin() == 1);
  CHECK(*seqs.rbegin() == threads * per_thread);

  auto pulled = pull_all(admin, a, book_of({a}), seq_info, 250);
  REQUIRE(pulled.size() == threads * per_thread);
  check_acks_stored(acks[0], pulled);
  CHECK(ves_head(admin, a) == threads * per_thread);
}

} // namespace seq::it
