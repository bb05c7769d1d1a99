// SPDX-License-Identifier: Apache-2.0
#include "actors/sequencer/stream_state.hpp"

#include "actors/sequencer/replay.hpp"
#include "messages/errc.hpp"
#include "messages/ves/ves.hpp"

#include <catch2/catch.hpp>

#include <limits>
#include <memory>
#include <string>
#include <vector>

using namespace seq;
using seq::actors::group_plan;
using seq::actors::queued_request;
using seq::actors::stream_state;

namespace {

msg::uuid id(uint8_t a, uint8_t b = 0) {
  msg::uuid u;
  u.b[0] = a;
  u.b[15] = b;
  return u;
}

const msg::stream_key stream{id(0xA1), id(0xB1)};
constexpr msg::timestamp_us t0 = 1'700'000'000'000'000;

actors::receipt_signer signer() {
  actors::receipt_signer s;
  s.seed.fill(7);
  s.sequencer_id = id(0x5E);
  s.key_version = 0;
  return s;
}

/// A VES candidate as the verify pool leaves it; `variant` changes the signed content.
struct ves_spec {
  ves_spec(msg::uuid event_id, std::string entity = "SKU-1", std::optional<msg::uuid> command = {},
           std::optional<uint64_t> base = {}, bool ok = true, uint8_t variant = 0)
    : event_id(event_id),
      entity(std::move(entity)),
      command(command),
      base(base),
      ok(ok),
      variant(variant) {
  }
  msg::uuid event_id;
  std::string entity;
  std::optional<msg::uuid> command;
  std::optional<uint64_t> base;
  bool ok;
  uint8_t variant;
  msg::stream_key key = stream;
};

std::shared_ptr<msg::verified_ves> ves_batch(const std::vector<ves_spec>& specs) {
  auto out = std::make_shared<msg::verified_ves>();
  for (const auto& s : specs) {
    msg::ves_candidate c;
    c.ev.event_id = s.event_id;
    c.ev.tenant_id = s.key.tenant_id;
    c.ev.store_id = s.key.store_id;
    c.ev.entity_type = "Item";
    c.ev.entity_id = s.entity;
    c.ev.event_type = "Adjusted";
    c.ev.command_id = s.command;
    c.ev.base_version = s.base;
    c.ev.payload = "{\"v\":" + std::to_string(s.variant) + "}";
    c.ev.event_signing_hash = ves::sha256(s.event_id.str() + "sig" + std::to_string(s.variant));
    out->candidates.push_back(c);
    msg::ves_verdict v;
    v.ok = s.ok;
    if (!s.ok)
      v.why = msg::rejection{s.event_id, "invalid_signature",
                             "Agent signature verification failed: VerificationFailed"};
    out->verdicts.push_back(v);
    out->fingerprints.push_back(actors::replay_fingerprint(c.ev, c.ev.payload, ""));
  }
  return out;
}

struct legacy_spec {
  legacy_spec(msg::uuid event_id, std::string entity = "SKU-1",
              std::optional<msg::uuid> command = {}, std::optional<uint64_t> base = {},
              bool hash_ok = true)
    : event_id(event_id),
      entity(std::move(entity)),
      command(command),
      base(base),
      hash_ok(hash_ok) {
  }
  msg::uuid event_id;
  std::string entity;
  std::optional<msg::uuid> command;
  std::optional<uint64_t> base;
  bool hash_ok;
};

std::shared_ptr<msg::verified_legacy> legacy_batch(const std::vector<legacy_spec>& specs) {
  auto out = std::make_shared<msg::verified_legacy>();
  for (const auto& s : specs) {
    msg::legacy_candidate c;
    c.ev.event_id = s.event_id;
    c.ev.tenant_id = stream.tenant_id;
    c.ev.store_id = stream.store_id;
    c.ev.entity_type = "Item";
    c.ev.entity_id = s.entity;
    c.ev.event_type = "Adjusted";
    c.ev.command_id = s.command;
    c.ev.base_version = s.base;
    c.ev.payload = "{}";
    out->candidates.push_back(c);
    if (s.hash_ok)
      out->rejections.emplace_back();
    else
      out->rejections.push_back(msg::rejection{s.event_id, "InvalidPayloadHash",
                                               "Payload hash does not match payload"});
  }
  return out;
}

queued_request ves_req(const std::vector<ves_spec>& specs) {
  return queued_request{ves_batch(specs), nullptr, nullptr};
}

queued_request legacy_req(const std::vector<legacy_spec>& specs) {
  return queued_request{nullptr, legacy_batch(specs), nullptr};
}

group_plan plan(const stream_state& s, std::vector<queued_request>& reqs,
                msg::timestamp_us now = t0) {
  std::vector<const queued_request*> ptrs;
  for (auto& r : reqs)
    ptrs.push_back(&r);
  return s.plan(ptrs, now);
}

stream_state fresh(msg::stream_heads heads = {}, size_t cache = 1000) {
  stream_state s{stream, signer(), cache};
  msg::stream_snapshot snap;
  snap.heads = heads;
  s.load(snap);
  return s;
}

const msg::ves_ingest_outcome& ves_out(const group_plan& p, size_t i) {
  REQUIRE(p.outcomes.at(i).ves);
  return *p.outcomes.at(i).ves;
}

const msg::legacy_ingest_outcome& legacy_out(const group_plan& p, size_t i) {
  REQUIRE(p.outcomes.at(i).legacy);
  return *p.outcomes.at(i).legacy;
}

} // namespace

TEST_CASE("accepted VES events get consecutive numbers and signed receipts",
          "[stream_state]") {
  auto s = fresh({0, 10, 0});
  std::vector<queued_request> reqs{ves_req({{id(1)}, {id(2), "SKU-2"}}), ves_req({{id(3)}})};
  auto p = plan(s, reqs);
  REQUIRE(p.group.ves.size() == 3);
  CHECK(p.group.ves[0].sequence_number == 11);
  CHECK(p.group.ves[1].sequence_number == 12);
  CHECK(p.group.ves[2].sequence_number == 13);
  CHECK(p.heads_after.ves == 13);
  CHECK(p.accepted == 3);
  const auto& a = ves_out(p, 0);
  CHECK(a.accepted == 2);
  CHECK(a.sequence_start == 11u);
  CHECK(a.sequence_end == 12u);
  CHECK(a.head == 12);
  const auto& b = ves_out(p, 1);
  CHECK(b.sequence_start == 13u);
  CHECK(b.head == 13);
  // The receipt is the §5 hash of the event, signed with the sequencer key.
  const auto& r = a.receipts.at(0);
  const auto& ev = p.group.ves[0].ev;
  CHECK(r.event_id == id(1));
  CHECK(r.sequence_number == 11);
  CHECK(r.sequenced_at == t0);
  CHECK(r.sequencer_id == signer().sequencer_id);
  CHECK(r.receipt_hash
        == ves::receipt_hash(stream.tenant_id, stream.store_id, id(1), 11, ev.event_signing_hash));
  REQUIRE(r.sequencer_signature);
  CHECK(ves::ed25519_verify(ves::ed25519_public_key(signer().seed), r.receipt_hash,
                            *r.sequencer_signature));
  CHECK(p.group.ves[0].rcpt.receipt_hash == r.receipt_hash);
  // Entity versions: one compare-and-set per entity, from the stored version.
  REQUIRE(p.group.versions.size() == 2);
  CHECK(p.group.versions[0].key == msg::entity_key{"Item", "SKU-1"});
  CHECK(p.group.versions[0].expected == 0);
  CHECK(p.group.versions[0].next == 2);
  CHECK(p.group.versions[1].next == 1);
}

TEST_CASE("planning does not change the state; commit does", "[stream_state]") {
  auto s = fresh();
  std::vector<queued_request> reqs{ves_req({{id(1)}})};
  auto p1 = plan(s, reqs);
  auto p2 = plan(s, reqs);
  CHECK(p1.group.ves[0].sequence_number == 1);
  CHECK(p2.group.ves[0].sequence_number == 1);
  CHECK(s.heads().ves == 0);
  CHECK_FALSE(s.knows_ves_event(id(1)));
  s.commit(p1);
  CHECK(s.heads().ves == 1);
  CHECK(s.version({"Item", "SKU-1"}) == 1);
  CHECK(s.knows_ves_event(id(1)));
  std::vector<queued_request> next{ves_req({{id(2)}})};
  auto p3 = plan(s, next);
  CHECK(p3.group.ves[0].sequence_number == 2);
  CHECK(p3.group.versions[0].expected == 1);
  CHECK(p3.group.versions[0].next == 2);
}

TEST_CASE("a group planned on top of one still being written continues from it",
          "[stream_state]") {
  auto s = fresh({5, 3, 0}); // legacy head 5, VES head 3
  // The group in flight: VES 4 and 5 (SKU-1 at version 1, command 0xC1 reserved) and legacy
  // 6 (SKU-2 at version 1).
  std::vector<queued_request> first{
    ves_req({{id(1), "SKU-1", id(0xC1)}, {id(2), "SKU-3"}}),
    legacy_req({{id(3), "SKU-2"}})};
  auto p1 = plan(s, first);
  REQUIRE(p1.heads_after.ves == 5);
  // The next group, planned before p1 is written.
  std::vector<queued_request> second{
    ves_req({{id(1), "SKU-1", id(0xC1)},          // exact replay of an event of p1
             {id(4), "SKU-1", {}, uint64_t{1}},   // base version as p1 leaves it
             {id(5), "SKU-1", id(0xC1)}}),        // command reserved by p1
    legacy_req({{id(3), "SKU-2"}, {id(6), "SKU-2", {}, uint64_t{1}}})};
  auto b = s.start_group(&p1);
  for (const auto& r : second)
    b.add(r, t0 + 1);
  auto p2 = b.finish();
  CHECK(s.heads().ves == 3); // neither plan changed the state
  const auto& v = ves_out(p2, 0);
  REQUIRE(v.receipts.size() == 2);
  CHECK(v.receipts[0].sequence_number == 4);
  CHECK(v.receipts[0].receipt_hash == p1.group.ves[0].rcpt.receipt_hash);
  CHECK(v.receipts[1].sequence_number == 6);
  REQUIRE(v.rejections.size() == 1);
  CHECK(v.rejections[0].reason == "duplicate_command_id");
  const auto& l = legacy_out(p2, 1);
  REQUIRE(l.rejections.size() == 1);
  CHECK(l.rejections[0].reason == "DuplicateEventId");
  CHECK(l.sequence_start == uint64_t{7});
  CHECK(p2.heads_after.ves == 6);
  CHECK(p2.heads_after.legacy == 7);
  // The compare-and-set of each entity starts where p1 leaves it.
  REQUIRE(p2.group.versions.size() == 2);
  for (const auto& cas : p2.group.versions) {
    CHECK(cas.expected == 1);
    CHECK(cas.next == 2);
  }
  // The same plan as after p1 committed.
  s.commit(p1);
  auto p3 = plan(s, second, t0 + 1);
  CHECK(p3.heads_after.ves == p2.heads_after.ves);
  CHECK(p3.heads_after.legacy == p2.heads_after.legacy);
  REQUIRE(p3.group.ves.size() == p2.group.ves.size());
  for (size_t i = 0; i < p3.group.ves.size(); ++i)
    CHECK(p3.group.ves[i].rcpt.receipt_hash == p2.group.ves[i].rcpt.receipt_hash);
  REQUIRE(p3.group.versions.size() == p2.group.versions.size());
  for (size_t i = 0; i < p3.group.versions.size(); ++i) {
    CHECK(p3.group.versions[i].expected == p2.group.versions[i].expected);
    CHECK(p3.group.versions[i].next == p2.group.versions[i].next);
  }
  s.commit(p2);
  CHECK(s.heads().ves == 6);
  CHECK(s.version({"Item", "SKU-1"}) == 2);
  CHECK(s.version({"Item", "SKU-3"}) == 1);
}

TEST_CASE("a builder without an earlier group plans like plan()", "[stream_state]") {
  auto s = fresh({0, 2, 0});
  std::vector<queued_request> reqs{ves_req({{id(1)}, {id(2), "SKU-2"}}),
                                   ves_req({{id(3), "SKU-1", {}, uint64_t{1}}})};
  auto b = s.start_group();
  for (const auto& r : reqs)
    b.add(r, t0);
  auto p = b.finish();
  auto q = plan(s, reqs);
  REQUIRE(p.group.ves.size() == 3);
  REQUIRE(q.group.ves.size() == 3);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(p.group.ves[i].sequence_number == 3 + i);
    CHECK(p.group.ves[i].rcpt.receipt_hash == q.group.ves[i].rcpt.receipt_hash);
    CHECK(p.group.ves[i].rcpt.sequencer_signature == q.group.ves[i].rcpt.sequencer_signature);
  }
  CHECK(ves_out(p, 1).receipts.at(0).sequence_number == 5);
  REQUIRE(p.group.versions.size() == 2);
  CHECK(p.group.versions[0].expected == 0);
  CHECK(p.group.versions[0].next == 2);
}

TEST_CASE("duplicate event ids inside one request are rejected", "[stream_state]") {
  auto s = fresh();
  std::vector<queued_request> reqs{ves_req({{id(1)}, {id(1), "SKU-1", {}, {}, true, 1}})};
  auto p = plan(s, reqs);
  const auto& o = ves_out(p, 0);
  CHECK(o.accepted == 1);
  REQUIRE(o.rejections.size() == 1);
  CHECK(o.rejections[0].reason == "duplicate_event_id");
  CHECK(o.rejections[0].message == "Event " + id(1).str() + " duplicated in batch");
}

TEST_CASE("exact replays get the stored receipt, other duplicates are rejected",
          "[stream_state]") {
  auto s = fresh();
  std::vector<queued_request> first{ves_req({{id(1)}})};
  auto p1 = plan(s, first);
  s.commit(p1);
  const auto stored = p1.group.ves[0].rcpt;

  SECTION("same content: the stored receipt, not counted, nothing written") {
    std::vector<queued_request> again{ves_req({{id(1)}})};
    auto p = plan(s, again, t0 + 5);
    CHECK(p.group.empty());
    const auto& o = ves_out(p, 0);
    CHECK(o.accepted == 0);
    CHECK(o.rejections.empty());
    REQUIRE(o.receipts.size() == 1);
    CHECK(o.receipts[0].receipt_hash == stored.receipt_hash);
    CHECK(o.receipts[0].sequenced_at == t0);
    CHECK_FALSE(o.sequence_start);
    CHECK(o.head == 1);
    CHECK(p.replayed == 1);
  }
  SECTION("replay is checked before the verdict (e.g. the key was revoked since)") {
    std::vector<queued_request> again{ves_req({{id(1), "SKU-1", {}, {}, false}})};
    auto p = plan(s, again);
    CHECK(ves_out(p, 0).receipts.size() == 1);
    CHECK(ves_out(p, 0).rejections.empty());
  }
  SECTION("different content") {
    std::vector<queued_request> again{ves_req({{id(1), "SKU-1", {}, {}, true, 9}})};
    auto p = plan(s, again);
    const auto& o = ves_out(p, 0);
    REQUIRE(o.rejections.size() == 1);
    CHECK(o.rejections[0].reason == "duplicate_event_id");
    CHECK(o.rejections[0].message == "Event ID already exists with different contents");
  }
  SECTION("a replay inside the same group gets the receipt of the earlier request") {
    std::vector<queued_request> reqs{ves_req({{id(2)}}), ves_req({{id(2)}})};
    auto p = plan(s, reqs);
    CHECK(p.group.ves.size() == 1);
    REQUIRE(ves_out(p, 1).receipts.size() == 1);
    CHECK(ves_out(p, 1).receipts[0].sequence_number == 2);
    CHECK(ves_out(p, 1).accepted == 0);
  }
}

TEST_CASE("stored events found by the verify pool decide replays of rejected events",
          "[stream_state]") {
  auto s = fresh({0, 4, 0});
  auto batch = ves_batch({{id(7), "SKU-1", {}, {}, false}});
  msg::sequenced_ves_event stored;
  stored.ev = batch->candidates[0].ev;
  stored.ev.payload = "{ \"v\" : 0 }"; // another layout of the same JSON
  stored.sequence_number = 3;
  stored.rcpt.event_id = id(7);
  stored.rcpt.sequence_number = 3;
  batch->stored.push_back(stored);
  std::vector<queued_request> reqs{queued_request{batch, nullptr, nullptr}};
  auto p = plan(s, reqs);
  REQUIRE(ves_out(p, 0).receipts.size() == 1);
  CHECK(ves_out(p, 0).receipts[0].sequence_number == 3);
  CHECK(p.group.empty());
}

TEST_CASE("verdict failures are passed through as rejections", "[stream_state]") {
  auto s = fresh();
  std::vector<queued_request> reqs{ves_req({{id(1), "SKU-1", {}, {}, false}, {id(2)}})};
  auto p = plan(s, reqs);
  const auto& o = ves_out(p, 0);
  REQUIRE(o.rejections.size() == 1);
  CHECK(o.rejections[0].reason == "invalid_signature");
  CHECK(o.rejections[0].event_id == id(1));
  CHECK(o.accepted == 1);
  CHECK(p.group.ves[0].sequence_number == 1); // numbers go to accepted events only
  CHECK(p.rejected == 1);
}

TEST_CASE("command ids are deduplicated", "[stream_state]") {
  auto s = fresh();
  auto cmd = id(0xC0);
  std::vector<queued_request> reqs{ves_req({{id(1), "SKU-1", cmd}, {id(2), "SKU-1", cmd}})};
  auto p = plan(s, reqs);
  REQUIRE(ves_out(p, 0).rejections.size() == 1);
  CHECK(ves_out(p, 0).rejections[0].reason == "duplicate_command_id");
  CHECK(ves_out(p, 0).rejections[0].message == "Command " + cmd.str() + " duplicated in batch");
  REQUIRE(p.group.ves_commands.size() == 1);
  CHECK(p.group.ves_commands[0] == cmd);
  s.commit(p);
  CHECK(s.knows_ves_command(cmd));

  SECTION("a new event with a processed command is rejected") {
    std::vector<queued_request> next{ves_req({{id(3), "SKU-1", cmd}})};
    auto q = plan(s, next);
    REQUIRE(ves_out(q, 0).rejections.size() == 1);
    CHECK(ves_out(q, 0).rejections[0].message == "Command " + cmd.str() + " already processed");
  }
  SECTION("an exact replay of the event that holds the command gets its receipt") {
    std::vector<queued_request> next{ves_req({{id(1), "SKU-1", cmd}})};
    auto q = plan(s, next);
    CHECK(ves_out(q, 0).rejections.empty());
    CHECK(ves_out(q, 0).receipts.size() == 1);
  }
}

TEST_CASE("base_version must equal the current entity version", "[stream_state]") {
  auto s = fresh();
  std::vector<queued_request> reqs{
    ves_req({{id(1), "SKU-1", {}, 0}, {id(2), "SKU-1", {}, 0}, {id(3), "SKU-1", {}, 1}})};
  auto p = plan(s, reqs);
  const auto& o = ves_out(p, 0);
  CHECK(o.accepted == 2);
  REQUIRE(o.rejections.size() == 1);
  CHECK(o.rejections[0].event_id == id(2));
  CHECK(o.rejections[0].reason == "version_conflict: expected 0, actual 1");
  CHECK(o.rejections[0].message == "Version conflict: expected 0, actual 1");
  CHECK(p.group.versions[0].next == 2);
}

TEST_CASE("a conflict report is applied and the same requests are planned again",
          "[stream_state]") {
  auto s = fresh({0, 2, 0});
  auto cmd = id(0xC1);
  std::vector<queued_request> reqs{
    ves_req({{id(1)}, {id(2), "SKU-2", cmd}, {id(3), "SKU-3", {}, 0}, {id(4)}})};
  auto p1 = plan(s, reqs);
  REQUIRE(p1.group.ves.size() == 4);
  CHECK(p1.group.ves[0].sequence_number == 3);

  // Another writer got there first: event 1 is stored (same content, receipt #3), event
  // 4 is stored in another stream, command C1 is taken, SKU-3 is at version 5, head is 6.
  storage::conflict_report r;
  msg::sequenced_ves_event e1 = p1.group.ves[0];
  r.existing_ves.push_back(e1);
  msg::sequenced_ves_event e4 = p1.group.ves[3];
  e4.ev.store_id = id(0xEE);
  r.existing_ves.push_back(e4);
  r.existing_ves_commands.push_back(cmd);
  r.versions.push_back({msg::entity_key{"Item", "SKU-3"}, 5});
  r.heads = msg::stream_heads{0, 6, 0};
  s.apply_conflict(p1.group, r);
  CHECK(s.heads().ves == 6);
  CHECK(s.version({"Item", "SKU-3"}) == 5);

  auto p2 = plan(s, reqs);
  const auto& o = ves_out(p2, 0);
  CHECK(o.accepted == 0);
  REQUIRE(o.receipts.size() == 1);
  CHECK(o.receipts[0].sequence_number == 3);
  REQUIRE(o.rejections.size() == 3);
  CHECK(o.rejections[0].reason == "duplicate_command_id");
  CHECK(o.rejections[1].reason == "version_conflict: expected 0, actual 5");
  CHECK(o.rejections[2].message == "Event ID already exists");
  CHECK(p2.group.empty());
  CHECK(o.head == 6);

  // A later event continues after the head the report gave: no number is skipped.
  std::vector<queued_request> next{ves_req({{id(9)}})};
  auto p3 = plan(s, next);
  CHECK(p3.group.ves[0].sequence_number == 7);
  // The sticky report survives until a commit, and then lives on in the caches.
  s.commit(p3);
  CHECK(s.knows_ves_event(id(1)));
  CHECK(s.knows_ves_command(cmd));
}

namespace {

/// A state that knows the heads, SKU-1 at version 1 and the reserved command `cmd` (legacy
/// or VES), but no event ids: a restart, or ids evicted from the caches.
stream_state knowing_no_ids(msg::stream_heads heads, msg::uuid cmd, bool legacy) {
  auto s = fresh();
  storage::conflict_report taught;
  taught.heads = heads;
  taught.versions.push_back({msg::entity_key{"Item", "SKU-1"}, 1});
  (legacy ? taught.existing_legacy_commands : taught.existing_ves_commands).push_back(cmd);
  s.apply_conflict(storage::write_group{}, taught);
  return s;
}

} // namespace

TEST_CASE("a rejection only a new event can earn waits for storage to know the id",
          "[stream_state]") {
  // Events 1 (base_version 0) and 2 (command C2) were stored as #1 and #2.
  auto cmd = id(0xC2);
  std::vector<queued_request> first{ves_req({{id(1), "SKU-1", {}, 0}, {id(2), "SKU-2", cmd}})};
  auto earlier = fresh();
  auto p0 = plan(earlier, first);
  REQUIRE(p0.group.ves.size() == 2);
  auto s = knowing_no_ids({0, 2, 0}, cmd, false);

  // Retries of both events, and a new event with a stale version.
  std::vector<queued_request> retry{
    ves_req({{id(1), "SKU-1", {}, 0}, {id(2), "SKU-2", cmd}, {id(4), "SKU-1", {}, 0}})};
  auto p1 = plan(s, retry);
  CHECK(ves_out(p1, 0).rejections.size() == 3);
  REQUIRE(p1.suspect_ves.size() == 3);
  CHECK(p1.suspect_ves[0].ev.event_id == id(1));
  CHECK(p1.suspect_ves[1].ev.event_id == id(2));
  CHECK(p1.suspect_ves[2].ev.event_id == id(4));
  CHECK(p1.group.empty());
  auto asked = stream_state::group_with_suspects(p1);
  REQUIRE(asked.ves.size() == 3);

  // Storage has 1 and 2: they are exact replays; 4 is new and keeps its rejection.
  storage::conflict_report found;
  found.existing_ves = p0.group.ves;
  found.heads = {0, 2, 0};
  s.apply_conflict(asked, found);
  auto p2 = plan(s, retry);
  CHECK(p2.suspect_ves.empty());
  const auto& o = ves_out(p2, 0);
  CHECK(o.accepted == 0);
  REQUIRE(o.receipts.size() == 2);
  CHECK(o.receipts[0].sequence_number == 1);
  CHECK(o.receipts[0].receipt_hash == p0.group.ves[0].rcpt.receipt_hash);
  CHECK(o.receipts[1].sequence_number == 2);
  REQUIRE(o.rejections.size() == 1);
  CHECK(o.rejections[0].event_id == id(4));
  CHECK(o.rejections[0].reason == "version_conflict: expected 0, actual 1");
  CHECK(o.head == 2);

  SECTION("after a commit the ids are unchecked again") {
    s.commit(p2);
    auto p3 = plan(s, retry);
    CHECK(ves_out(p3, 0).receipts.size() == 2); // 1 and 2 now live in the cache
    REQUIRE(p3.suspect_ves.size() == 1);
    CHECK(p3.suspect_ves[0].ev.event_id == id(4));
  }
}

TEST_CASE("a legacy rejection of a stored id becomes a duplicate after storage was asked",
          "[stream_state]") {
  auto cmd = id(0xC3);
  auto s = knowing_no_ids({2, 0, 0}, cmd, true);
  std::vector<queued_request> retry{legacy_req({{id(1), "SKU-1", {}, 0},
                                                {id(2), "SKU-2", cmd},
                                                {id(3), "SKU-3", {}, {}, false},
                                                {id(4), "SKU-1", {}, 0}})};
  auto p1 = plan(s, retry);
  REQUIRE(p1.suspect_legacy.size() == 4);
  storage::conflict_report found;
  found.existing_legacy_ids = {id(1), id(2), id(3)};
  found.heads = {2, 0, 0};
  s.apply_conflict(stream_state::group_with_suspects(p1), found);
  auto p2 = plan(s, retry);
  CHECK(p2.suspect_legacy.empty());
  const auto& o = legacy_out(p2, 0);
  REQUIRE(o.rejections.size() == 4);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(o.rejections[i].reason == "DuplicateEventId");
    CHECK(o.rejections[i].message == "Event " + id(static_cast<uint8_t>(i + 1)).str()
                                       + " already exists");
  }
  CHECK(o.rejections[3].reason == "VersionConflict");
}

TEST_CASE("a request that would pass i64::MAX fails with sequence_exhausted",
          "[stream_state]") {
  const uint64_t max = std::numeric_limits<int64_t>::max();
  auto s = fresh({0, max - 1, 0});
  std::vector<queued_request> reqs{ves_req({{id(1)}, {id(2)}}), ves_req({{id(3)}})};
  auto p = plan(s, reqs);
  REQUIRE(p.outcomes.size() == 2);
  CHECK(p.outcomes[0].error == errc::sequence_exhausted);
  CHECK_FALSE(p.outcomes[0].ves);
  REQUIRE(p.group.ves.size() == 1);
  CHECK(p.group.ves[0].sequence_number == max);
  CHECK(ves_out(p, 1).head == max);
}

TEST_CASE("legacy events follow the legacy rules in their own space", "[stream_state]") {
  auto s = fresh({5, 100, 0});
  auto cmd = id(0xC2);
  std::vector<queued_request> reqs{legacy_req({{id(1)},
                                               {id(1)},
                                               {id(2), "SKU-1", {}, {}, false},
                                               {id(3), "SKU-1", cmd},
                                               {id(4), "SKU-1", cmd},
                                               {id(5), "SKU-1", {}, 0},
                                               {id(6), "SKU-1", {}, 2}})};
  auto p = plan(s, reqs);
  const auto& o = legacy_out(p, 0);
  REQUIRE(o.rejections.size() == 4);
  CHECK(o.rejections[0].reason == "DuplicateEventId");
  CHECK(o.rejections[0].message == "Event " + id(1).str() + " duplicated in batch");
  CHECK(o.rejections[1].reason == "InvalidPayloadHash");
  CHECK(o.rejections[2].reason == "DuplicateCommandId");
  CHECK(o.rejections[2].message == "Command " + cmd.str() + " duplicated in batch");
  CHECK(o.rejections[3].reason == "VersionConflict");
  CHECK(o.rejections[3].message == "Version conflict: expected 0, actual 2");
  CHECK(o.accepted == 3);
  CHECK(o.sequence_start == 6u);
  CHECK(o.sequence_end == 8u);
  CHECK(o.head == 8);
  CHECK(p.heads_after.ves == 100);
  REQUIRE(p.group.legacy.size() == 3);
  CHECK(p.group.legacy[2].ev.event_id == id(6));
  CHECK(p.group.legacy_commands == std::vector<msg::uuid>{cmd});
  s.commit(p);
  std::vector<queued_request> again{legacy_req({{id(1)}})};
  auto q = plan(s, again);
  REQUIRE(legacy_out(q, 0).rejections.size() == 1);
  CHECK(legacy_out(q, 0).rejections[0].message == "Event " + id(1).str() + " already exists");
}

TEST_CASE("entity versions are shared by legacy and VES events", "[stream_state]") {
  auto s = fresh();
  std::vector<queued_request> reqs{legacy_req({{id(1)}}), ves_req({{id(2), "SKU-1", {}, 1}})};
  auto p = plan(s, reqs);
  CHECK(legacy_out(p, 0).accepted == 1);
  CHECK(ves_out(p, 1).accepted == 1);
  REQUIRE(p.group.versions.size() == 1);
  CHECK(p.group.versions[0].next == 2);
  CHECK(p.group.legacy[0].sequence_number == 1);
  CHECK(p.group.ves[0].sequence_number == 1);
}

TEST_CASE("events of another stream are refused", "[stream_state]") {
  auto s = fresh();
  ves_spec other{id(1)};
  other.key = msg::stream_key{id(0xA1), id(0xB2)};
  std::vector<queued_request> reqs{ves_req({other})};
  auto p = plan(s, reqs);
  REQUIRE(ves_out(p, 0).rejections.size() == 1);
  CHECK(ves_out(p, 0).rejections[0].reason == "schema_validation: store_id");
  CHECK(p.group.empty());
}

TEST_CASE("the id caches are bounded LRU caches", "[stream_state][lru]") {
  actors::lru_cache<int, int> c{2};
  c.put(1, 10);
  c.put(2, 20);
  REQUIRE(c.find(1) != nullptr); // 1 is now the most recent
  c.put(3, 30);                  // evicts 2
  CHECK(c.contains(1));
  CHECK_FALSE(c.contains(2));
  CHECK(*c.peek(3) == 30);
  CHECK(c.size() == 2);
  c.put(1, 11);
  CHECK(*c.peek(1) == 11);
  c.erase(1);
  CHECK(c.size() == 1);
  c.clear();
  CHECK(c.size() == 0);
  CHECK_FALSE(c.contains(3));
  c.put(4, 40); // usable again after clear
  CHECK(*c.peek(4) == 40);
}

TEST_CASE("an id cache that was never written answers like an empty one", "[stream_state][lru]") {
  actors::lru_cache<int, int> c{3};
  CHECK(c.size() == 0);
  CHECK(c.capacity() == 3);
  CHECK(c.find(1) == nullptr);
  CHECK(c.peek(1) == nullptr);
  CHECK_FALSE(c.contains(1));
  c.erase(1);
  c.clear();
  CHECK(c.size() == 0);
  c.put(1, 10);
  CHECK(c.size() == 1);
  CHECK(*c.find(1) == 10);
}
