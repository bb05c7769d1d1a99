// SPDX-License-Identifier: Apache-2.0
// The commitment store (messages/commitment.hpp) on both backends (SEQ_TEST_BACKEND): VES and
// legacy commitments round-trip, the duplicate-start fence, last/covering look-ups, the
// anchored filter of the lists and marking a VES commitment anchored.

#include "messages/commitment.hpp"
#include "tests/adapters/storage/storage_fixture.hpp"

#include <algorithm>

using namespace seq;
using namespace seq::storage;
using namespace seq::storage::test;

namespace {

/// Whole seconds: PostgreSQL keeps µs, so any µs value round-trips; keep it simple anyway.
constexpr int64_t base_time = 1'700'000'000'000'000;

msg::ves_commitment make_ves_commitment(const stream_key& s, uint64_t start, uint64_t end,
                                        int64_t at) {
  msg::ves_commitment c;
  c.batch_id = uuid::random_v4();
  c.stream = s;
  c.leaf_count = static_cast<uint32_t>(end - start + 1);
  c.padded_leaf_count = 1;
  while (c.padded_leaf_count < c.leaf_count) {
    c.padded_leaf_count *= 2;
    ++c.tree_depth;
  }
  c.merkle_root = random_bytes<32>();
  c.prev_state_root = random_bytes<32>();
  c.new_state_root = random_bytes<32>();
  c.sequence_start = start;
  c.sequence_end = end;
  c.committed_at = at;
  return c;
}

msg::legacy_commitment make_legacy_commitment(const stream_key& s, uint64_t start, uint64_t end,
                                              int64_t at) {
  msg::legacy_commitment c;
  c.batch_id = uuid::random_v4();
  c.stream = s;
  c.prev_state_root = random_bytes<32>();
  c.new_state_root = random_bytes<32>();
  c.events_root = random_bytes<32>();
  c.event_count = static_cast<uint32_t>(end - start + 1);
  c.sequence_start = start;
  c.sequence_end = end;
  c.committed_at = at;
  return c;
}

template <class T>
bool contains_batch(const std::vector<T>& xs, const uuid& id) {
  return std::any_of(xs.begin(), xs.end(), [&](const T& x) { return x.batch_id == id; });
}

} // namespace

TEST_CASE("VES commitments round-trip and fence duplicate starts", "[commitments]") {
  store_fixture f;
  auto& cs = commitments_of(*f.store);
  auto none = cs.last_ves_commitment(f.stream);
  SEQ_REQUIRE_OK(none);
  CHECK_FALSE(none->has_value());
  SEQ_REQUIRE_ERRC(cs.get_ves_commitment(uuid::random_v4()), errc::not_found);

  auto a = make_ves_commitment(f.stream, 1, 3, base_time);
  auto b = make_ves_commitment(f.stream, 4, 8, base_time + 1'000'000);
  b.prev_state_root = a.new_state_root;
  SEQ_REQUIRE_OK(cs.insert_ves_commitment(a));
  SEQ_REQUIRE_OK(cs.insert_ves_commitment(b));

  auto got = cs.get_ves_commitment(a.batch_id);
  SEQ_REQUIRE_OK(got);
  CHECK(*got == a);
  CHECK(got->tree_depth == 2);
  CHECK(got->padded_leaf_count == 4);
  CHECK_FALSE(got->is_anchored());

  auto last = cs.last_ves_commitment(f.stream);
  SEQ_REQUIRE_OK(last);
  REQUIRE(last->has_value());
  CHECK(**last == b);

  auto cov = cs.covering_ves_commitment(f.stream, 5);
  SEQ_REQUIRE_OK(cov);
  REQUIRE(cov->has_value());
  CHECK((*cov)->batch_id == b.batch_id);
  cov = cs.covering_ves_commitment(f.stream, 3);
  SEQ_REQUIRE_OK(cov);
  REQUIRE(cov->has_value());
  CHECK((*cov)->batch_id == a.batch_id);
  cov = cs.covering_ves_commitment(f.stream, 9);
  SEQ_REQUIRE_OK(cov);
  CHECK_FALSE(cov->has_value());

  // Same start again (another batch id): the unique index fires.
  auto dup = make_ves_commitment(f.stream, 4, 6, base_time + 2'000'000);
  SEQ_REQUIRE_ERRC(cs.insert_ves_commitment(dup), errc::storage_conflict);
  // Same start in another stream is fine.
  auto other = make_ves_commitment(random_stream(), 4, 6, base_time);
  SEQ_REQUIRE_OK(cs.insert_ves_commitment(other));
}

TEST_CASE("VES commitment lists filter by stream and anchoring", "[commitments]") {
  store_fixture f;
  auto& cs = commitments_of(*f.store);
  auto a = make_ves_commitment(f.stream, 1, 2, base_time);
  auto b = make_ves_commitment(f.stream, 3, 3, base_time + 10);
  auto c = make_ves_commitment(f.stream, 4, 7, base_time + 20);
  for (auto* x : {&a, &b, &c})
    SEQ_REQUIRE_OK(cs.insert_ves_commitment(*x));

  msg::anchor_record rec;
  rec.chain_id = 84532;
  rec.chain_tx_hash = random_bytes<32>();
  rec.chain_block_number = 1234;
  SEQ_REQUIRE_OK(cs.mark_ves_anchored(b.batch_id, rec));
  SEQ_REQUIRE_ERRC(cs.mark_ves_anchored(uuid::random_v4(), rec), errc::not_found);

  auto got = cs.get_ves_commitment(b.batch_id);
  SEQ_REQUIRE_OK(got);
  CHECK(got->is_anchored());
  CHECK(got->chain_id == std::optional<uint32_t>{84532});
  CHECK(got->chain_tx_hash == std::optional<msg::hash32>{rec.chain_tx_hash});
  CHECK(got->chain_block_number == std::optional<uint64_t>{1234});

  msg::commitment_filter flt;
  flt.stream = f.stream;
  auto pending = cs.list_ves_commitments(flt);
  SEQ_REQUIRE_OK(pending);
  REQUIRE(pending->size() == 2);
  CHECK((*pending)[0].batch_id == a.batch_id);
  CHECK((*pending)[1].batch_id == c.batch_id);

  flt.anchored = msg::anchored_filter::anchored;
  auto anchored = cs.list_ves_commitments(flt);
  SEQ_REQUIRE_OK(anchored);
  REQUIRE(anchored->size() == 1);
  CHECK((*anchored)[0].batch_id == b.batch_id);

  flt.anchored = msg::anchored_filter::all;
  auto all = cs.list_ves_commitments(flt);
  SEQ_REQUIRE_OK(all);
  REQUIRE(all->size() == 3);
  CHECK((*all)[1].batch_id == b.batch_id);

  flt.limit = 2;
  all = cs.list_ves_commitments(flt);
  SEQ_REQUIRE_OK(all);
  CHECK(all->size() == 2);

  // Global pending list (the anchor service's): includes this stream's unanchored rows.
  msg::commitment_filter global;
  global.limit = 5000;
  auto g = cs.list_ves_commitments(global);
  SEQ_REQUIRE_OK(g);
  CHECK(contains_batch(*g, a.batch_id));
  CHECK(contains_batch(*g, c.batch_id));
  CHECK_FALSE(contains_batch(*g, b.batch_id));
}

TEST_CASE("legacy commitments round-trip, fence and list", "[commitments]") {
  store_fixture f;
  auto& cs = commitments_of(*f.store);
  SEQ_REQUIRE_ERRC(cs.get_legacy_commitment(uuid::random_v4()), errc::not_found);
  auto a = make_legacy_commitment(f.stream, 5, 9, base_time);
  auto b = make_legacy_commitment(f.stream, 10, 10, base_time + 5);
  b.prev_state_root = a.new_state_root;
  SEQ_REQUIRE_OK(cs.insert_legacy_commitment(a));
  SEQ_REQUIRE_OK(cs.insert_legacy_commitment(b));
  SEQ_REQUIRE_ERRC(cs.insert_legacy_commitment(make_legacy_commitment(f.stream, 5, 6, base_time)),
                   errc::storage_conflict);

  auto got = cs.get_legacy_commitment(a.batch_id);
  SEQ_REQUIRE_OK(got);
  CHECK(*got == a);

  auto last = cs.last_legacy_commitment(f.stream);
  SEQ_REQUIRE_OK(last);
  REQUIRE(last->has_value());
  CHECK(**last == b);

  auto cov = cs.covering_legacy_commitment(f.stream, 7);
  SEQ_REQUIRE_OK(cov);
  REQUIRE(cov->has_value());
  CHECK((*cov)->batch_id == a.batch_id);
  cov = cs.covering_legacy_commitment(f.stream, 4);
  SEQ_REQUIRE_OK(cov);
  CHECK_FALSE(cov->has_value());

  msg::commitment_filter flt;
  flt.stream = f.stream;
  auto xs = cs.list_legacy_commitments(flt);
  SEQ_REQUIRE_OK(xs);
  REQUIRE(xs->size() == 2);
  CHECK((*xs)[0] == a);
  CHECK((*xs)[1] == b);
  flt.anchored = msg::anchored_filter::anchored;
  xs = cs.list_legacy_commitments(flt);
  SEQ_REQUIRE_OK(xs);
  CHECK(xs->empty());

  // Anchoring sets the tx hash; the anchored list then holds exactly that commitment.
  auto tx = random_bytes<32>();
  SEQ_REQUIRE_OK(cs.mark_legacy_anchored(a.batch_id, tx));
  SEQ_REQUIRE_ERRC(cs.mark_legacy_anchored(uuid::random_v4(), tx), errc::not_found);
  got = cs.get_legacy_commitment(a.batch_id);
  SEQ_REQUIRE_OK(got);
  CHECK(got->chain_tx_hash == std::optional<msg::hash32>{tx});
  xs = cs.list_legacy_commitments(flt);
  SEQ_REQUIRE_OK(xs);
  REQUIRE(xs->size() == 1);
  CHECK((*xs)[0].batch_id == a.batch_id);
  flt.anchored = msg::anchored_filter::unanchored;
  xs = cs.list_legacy_commitments(flt);
  SEQ_REQUIRE_OK(xs);
  REQUIRE(xs->size() == 1);
  CHECK((*xs)[0].batch_id == b.batch_id);

  // VES and legacy commitments live in separate tables: the same start does not collide.
  SEQ_REQUIRE_OK(cs.insert_ves_commitment(make_ves_commitment(f.stream, 5, 9, base_time)));
}

TEST_CASE("anchored filter parsing", "[commitments]") {
  CHECK(msg::parse_anchored_filter("false") == msg::anchored_filter::unanchored);
  CHECK(msg::parse_anchored_filter("true") == msg::anchored_filter::anchored);
  CHECK(msg::parse_anchored_filter("all") == msg::anchored_filter::all);
  CHECK_FALSE(msg::parse_anchored_filter("yes").has_value());
}
