// SPDX-License-Identifier: Apache-2.0
// VES ingest end to end: key registration, receipts, replays, every per-event rejection
// reason, mixed-stream batches and ordered, paged pulls. All cases share one server and use
// random tenants/stores, so they can run against a PostgreSQL instance other suites also use.
#include "tests/integration/ves_agent.hpp"

#include <catch2/catch.hpp>

namespace seq::it {
namespace {

struct fixture {
  server_process& srv = shared_server();
  api_client admin{srv.port()};
  sequencer_info sequencer = fetch_sequencer(admin);
  agent_identity agent = agent_identity::random();
  key_book book;

  fixture() {
    register_key(admin, agent);
    add_key(book, agent);
  }
};

std::vector<signed_event> make_events(const agent_identity& a, size_t n, std::string_view tag) {
  std::vector<signed_event> out;
  for (size_t i = 0; i < n; ++i) {
    event_spec s;
    s.entity_id = std::string{tag} + "-" + std::to_string(i);
    s.payload = numbered_payload(i, tag);
    out.push_back(make_event(a, s));
  }
  return out;
}

} // namespace

TEST_CASE("agent signing keys register once and a duplicate is 409 ALREADY_EXISTS",
          "[integration][keys]") {
  auto& srv = shared_server();
  api_client admin{srv.port()};
  auto a = agent_identity::random();
  register_key(admin, a);

  auto again = admin.post("/api/v1/agents/keys", key_registration(a));
  check_error(again, 409, "ALREADY_EXISTS");

  // The same key id for another agent, and another key id for the same agent, are new keys.
  auto b = a.sibling();
  b.key_id = a.key_id;
  register_key(admin, b);
  auto a2 = a;
  a2.key_id = 2;
  a2.seed = ves::random_seed();
  a2.public_key = ves::ed25519_public_key(a2.seed);
  register_key(admin, a2);

  // A public key that is not 32 bytes is a client mistake.
  auto bad = key_registration(a);
  bad.set("keyId", num(3));
  bad.set("publicKey", "abcd");
  check_error(admin.post("/api/v1/agents/keys", bad), 400);

  // Without credentials, or with a non-admin credential, registration is refused.
  api_client anonymous{srv.port(), "", auth_style::none};
  check_error(anonymous.post("/api/v1/agents/keys", key_registration(a)), 401);
}

TEST_CASE("a signed batch gets receipts whose hashes and signatures verify",
          "[integration][ingest]") {
  fixture f;
  auto events = make_events(f.agent, 5, "batch");
  auto r = ingest(f.admin, f.agent, events);
  INFO(r.describe());
  REQUIRE(r.status == 200);
  auto& d = r.doc();
  CHECK(u64_of(d, "eventsAccepted") == 5);
  CHECK(u64_of(d, "eventsRejected") == 0);
  CHECK(u64_of(d, "sequenceStart") == 1);
  CHECK(u64_of(d, "sequenceEnd") == 5);
  CHECK(u64_of(d, "headSequence") == 5);
  CHECK(ves::uuid::parse(str_of(d, "batchId")).has_value());
  CHECK_FALSE(has_member(d, "rejections"));
  auto acks = check_receipts(r, events, f.sequencer);
  for (size_t i = 0; i < acks.size(); ++i)
    CHECK(acks[i].sequence_number == i + 1);

  // A second batch continues the stream.
  auto more = make_events(f.agent, 3, "second");
  auto r2 = ingest(f.admin, f.agent, more);
  auto acks2 = check_receipts(r2, more, f.sequencer);
  CHECK(acks2.front().sequence_number == 6);
  CHECK(acks2.back().sequence_number == 8);
  CHECK(u64_of(r2.doc(), "headSequence") == 8);
  CHECK(ves_head(f.admin, f.agent) == 8);

  // What is stored is what was acknowledged.
  auto pulled = pull_all(f.admin, f.agent, f.book, f.sequencer);
  REQUIRE(pulled.size() == 8);
  acks.insert(acks.end(), acks2.begin(), acks2.end());
  for (size_t i = 0; i < acks.size(); ++i) {
    CHECK(pulled[i].event_id == acks[i].event_id);
    CHECK(pulled[i].receipt_hash == acks[i].receipt_hash);
  }
  // The pulled envelope carries the fields as ingested (created_at verbatim, payload intact).
  auto& first = pulled.front().raw;
  CHECK(str_of(first, "created_at") == events.front().header.created_at);
  CHECK(member(first, "payload") == member(events.front().envelope, "payload"));
  CHECK(str_of(first, "agent_signature") == str_of(events.front().envelope, "agent_signature"));
}

TEST_CASE("an exact replay returns the stored receipts and accepts nothing",
          "[integration][ingest]") {
  fixture f;
  auto events = make_events(f.agent, 3, "replay");
  auto first = check_receipts(ingest(f.admin, f.agent, events), events, f.sequencer);

  auto r = ingest(f.admin, f.agent, events);
  auto again = check_receipts(r, events, f.sequencer);
  CHECK(u64_of(r.doc(), "eventsAccepted") == 0);
  CHECK(u64_of(r.doc(), "eventsRejected") == 0);
  CHECK_FALSE(has_member(r.doc(), "sequenceStart"));
  CHECK(u64_of(r.doc(), "headSequence") == 3);
  for (size_t i = 0; i < first.size(); ++i) {
    CHECK(again[i].sequence_number == first[i].sequence_number);
    CHECK(again[i].receipt_hash == first[i].receipt_hash);
  }

  // A replay mixed with a new event: the old ones get their receipts, the new one the next
  // sequence number.
  auto fresh = make_event(f.agent, spec("replay-new"));
  std::vector<signed_event> mixed{events[1], fresh};
  auto r2 = ingest(f.admin, f.agent, mixed);
  auto acks = check_receipts(r2, mixed, f.sequencer);
  CHECK(acks[0].sequence_number == first[1].sequence_number);
  CHECK(acks[1].sequence_number == 4);
  CHECK(u64_of(r2.doc(), "eventsAccepted") == 1);
  CHECK(pull_all(f.admin, f.agent, f.book, f.sequencer).size() == 4);
}

TEST_CASE("a tampered payload is rejected and never stored", "[integration][ingest]") {
  fixture f;
  auto good = make_event(f.agent, spec("t-good"));

  // Payload changed after signing, hash left as signed.
  auto tampered = make_event(f.agent, spec("t-1"));
  tampered.envelope.set("payload", parse_json(R"({"amount":999999,"currency":"USD"})"));

  // Payload changed and its hash recomputed: the signature no longer covers it.
  auto rehashed = make_event(f.agent, spec("t-2"));
  auto forged = parse_json(R"({"amount":1,"currency":"EUR"})");
  rehashed.envelope.set("payload", forged);
  rehashed.envelope.set("payload_plain_hash",
                        ves::to_0x_hex(ves::payload_plain_hash(forged.jcs())));

  auto r = ingest(f.admin, f.agent, {tampered, good, rehashed});
  INFO(r.describe());
  REQUIRE(r.status == 200);
  CHECK(u64_of(r.doc(), "eventsAccepted") == 1);
  CHECK(u64_of(r.doc(), "eventsRejected") == 2);
  check_rejected(r, tampered.id(), "invalid_payload_hash");
  check_rejected(r, rehashed.id(), "invalid_signature");
  auto& receipts = arr_of(r.doc(), "receipts");
  REQUIRE(receipts.size() == 1);
  auto a = check_receipt(receipts[0], good, f.sequencer);
  CHECK(a.sequence_number == 1);
  auto pulled = pull_all(f.admin, f.agent, f.book, f.sequencer);
  REQUIRE(pulled.size() == 1);
  CHECK(pulled[0].event_id == good.id());
}

TEST_CASE("an event with a signature scheme this server does not verify is rejected alone",
          "[integration][ingest]") {
  fixture f;
  auto good = make_event(f.agent, spec("s-good"));
  auto ml_dsa = make_event(f.agent, spec("s-2"));
  ml_dsa.envelope.set("agent_signature_scheme", num(2));
  auto hybrid = make_event(f.agent, spec("s-3"));
  hybrid.envelope.set("agent_signature_scheme", num(3));
  auto ed25519 = make_event(f.agent, spec("s-1"));
  ed25519.envelope.set("agent_signature_scheme", num(1));

  auto r = ingest(f.admin, f.agent, {ml_dsa, good, hybrid, ed25519});
  INFO(r.describe());
  REQUIRE(r.status == 200);
  CHECK(u64_of(r.doc(), "eventsAccepted") == 2);
  check_rejected(r, ml_dsa.id(), "invalid_signature");
  check_rejected(r, hybrid.id(), "invalid_signature");
  CHECK(arr_of(r.doc(), "receipts").size() == 2);

  // Beyond i32 the field itself is malformed, as for the reference's serde.
  auto huge = make_event(f.agent, spec("s-big"));
  huge.envelope.set("agent_signature_scheme", num(uint64_t{1} << 40));
  check_error(ingest(f.admin, f.agent, {huge}), 422, "INVALID_FIELD_VALUE");
}

TEST_CASE("an event signed by a key other than the registered one is rejected",
          "[integration][ingest]") {
  fixture f;
  auto other = ves::random_seed();
  auto e = make_event(f.agent, {}, &other);
  auto r = ingest(f.admin, f.agent, {e});
  check_rejected(r, e.id(), "invalid_signature");
  CHECK(u64_of(r.doc(), "eventsAccepted") == 0);
  CHECK_FALSE(has_member(r.doc(), "receipts"));
  CHECK(u64_of(r.doc(), "headSequence") == 0);

  // A signature that does not decode to 64 bytes is a malformed request, not a rejection.
  auto bad = make_event(f.agent);
  bad.envelope.set("agent_signature", "0x1234");
  auto r2 = ingest(f.admin, f.agent, {bad});
  check_error(r2, 422);
  CHECK(ves_head(f.admin, f.agent) == 0);
}

TEST_CASE("events for unknown, expired or future keys are rejected agent_key_invalid",
          "[integration][ingest]") {
  fixture f;
  auto unknown = f.agent;
  unknown.key_id = 77; // never registered
  auto e = make_event(unknown);
  auto r = ingest(f.admin, f.agent, {e});
  check_rejected(r, e.id(), "agent_key_invalid: Agent key not found");

  auto stranger = f.agent.sibling(); // agent never registered at all
  auto e2 = make_event(stranger);
  check_rejected(ingest(f.admin, stranger, {e2}), e2.id(),
                 "agent_key_invalid: Agent key not found");

  auto expired = f.agent;
  expired.key_id = 5;
  expired.seed = ves::random_seed();
  expired.public_key = ves::ed25519_public_key(expired.seed);
  auto reg = f.admin.post(
    "/api/v1/agents/keys",
    key_registration(expired, "2020-01-01T00:00:00Z", "2020-06-01T00:00:00Z"));
  REQUIRE(reg.status == 200);
  auto e3 = make_event(expired);
  check_rejected(ingest(f.admin, expired, {e3}), e3.id(),
                 "agent_key_invalid: Agent key has expired");

  auto future = f.agent;
  future.key_id = 6;
  future.seed = ves::random_seed();
  future.public_key = ves::ed25519_public_key(future.seed);
  reg = f.admin.post("/api/v1/agents/keys", key_registration(future, "2999-01-01T00:00:00Z"));
  REQUIRE(reg.status == 200);
  auto e4 = make_event(future);
  check_rejected(ingest(f.admin, future, {e4}), e4.id(),
                 "agent_key_invalid: Agent key is not yet valid");
  CHECK(ves_head(f.admin, f.agent) == 0);
}

TEST_CASE("a reused event id with other contents is rejected duplicate_event_id",
          "[integration][ingest]") {
  fixture f;
  auto id = ves::uuid::random_v4();
  auto e1 = make_event(f.agent, spec("dup").with_event_id(id));
  auto a1 = check_receipts(ingest(f.admin, f.agent, {e1}), {e1}, f.sequencer);

  auto other = spec("dup").with_event_id(id).with_payload(
    parse_json(R"({"amount":1,"currency":"JPY"})"));
  auto e2 = make_event(f.agent, other);
  auto r = ingest(f.admin, f.agent, {e2});
  check_rejected(r, e2.id(), "duplicate_event_id");
  CHECK(u64_of(r.doc(), "headSequence") == 1);

  // Same signed content, but a command id added (not covered by the signature): still a
  // different event.
  auto e3 = e1;
  e3.envelope.set("command_id", ves::uuid::random_v4().str());
  check_rejected(ingest(f.admin, f.agent, {e3}), e1.id(), "duplicate_event_id");

  // Twice in one batch: the second copy is rejected, the first accepted.
  auto e4 = make_event(f.agent, spec("twice"));
  auto r2 = ingest(f.admin, f.agent, {e4, e4});
  INFO(r2.describe());
  REQUIRE(r2.status == 200);
  CHECK(u64_of(r2.doc(), "eventsAccepted") == 1);
  CHECK(u64_of(r2.doc(), "eventsRejected") == 1);
  check_rejected(r2, e4.id(), "duplicate_event_id");

  auto pulled = pull_all(f.admin, f.agent, f.book, f.sequencer);
  REQUIRE(pulled.size() == 2);
  CHECK(pulled[0].receipt_hash == a1[0].receipt_hash);
  CHECK(member(pulled[0].raw, "payload") == member(e1.envelope, "payload"));
}

TEST_CASE("a repeated command id is rejected duplicate_command_id", "[integration][ingest]") {
  fixture f;
  auto cmd = ves::uuid::random_v4();
  auto e1 = make_event(f.agent, spec("cmd").with_command(cmd));
  check_receipts(ingest(f.admin, f.agent, {e1}), {e1}, f.sequencer);

  auto e2 = make_event(f.agent, spec("cmd").with_command(cmd));
  auto r = ingest(f.admin, f.agent, {e2});
  check_rejected(r, e2.id(), "duplicate_command_id");
  CHECK(u64_of(r.doc(), "eventsAccepted") == 0);

  // Within one batch.
  auto cmd2 = ves::uuid::random_v4();
  auto e3 = make_event(f.agent, spec("cmd-b").with_command(cmd2));
  auto e4 = make_event(f.agent, spec("cmd-b").with_command(cmd2));
  auto r2 = ingest(f.admin, f.agent, {e3, e4});
  INFO(r2.describe());
  REQUIRE(r2.status == 200);
  CHECK(u64_of(r2.doc(), "eventsAccepted") == 1);
  check_rejected(r2, e4.id(), "duplicate_command_id");
  auto& receipts = arr_of(r2.doc(), "receipts");
  REQUIRE(receipts.size() == 1);
  CHECK(check_receipt(receipts[0], e3, f.sequencer).sequence_number == 2);
  CHECK(pull_all(f.admin, f.agent, f.book, f.sequencer).size() == 2);
}

TEST_CASE("a stale base_version is rejected version_conflict", "[integration][ingest]") {
  fixture f;
  auto v0 = make_event(f.agent, spec("occ").with_base_version(0));
  check_receipts(ingest(f.admin, f.agent, {v0}), {v0}, f.sequencer);
  auto v1 = make_event(f.agent, spec("occ").with_base_version(1));
  check_receipts(ingest(f.admin, f.agent, {v1}), {v1}, f.sequencer);

  auto stale = make_event(f.agent, spec("occ").with_base_version(1));
  auto r = ingest(f.admin, f.agent, {stale});
  check_rejected(r, stale.id(), "version_conflict: expected 1, actual 2");

  // Within one batch, versions advance event by event: 2 then 3 pass, a second 3 fails.
  auto b2 = make_event(f.agent, spec("occ").with_base_version(2));
  auto b3 = make_event(f.agent, spec("occ").with_base_version(3));
  auto b3x = make_event(f.agent, spec("occ").with_base_version(3));
  auto r2 = ingest(f.admin, f.agent, {b2, b3, b3x});
  INFO(r2.describe());
  REQUIRE(r2.status == 200);
  CHECK(u64_of(r2.doc(), "eventsAccepted") == 2);
  check_rejected(r2, b3x.id(), "version_conflict: expected 3, actual 4");

  // Another entity starts at version 0; events without base_version are not checked.
  auto other = make_event(f.agent, spec("occ-other").with_base_version(0));
  auto free = make_event(f.agent, spec("occ"));
  check_receipts(ingest(f.admin, f.agent, {other, free}), {other, free}, f.sequencer);
  CHECK(pull_all(f.admin, f.agent, f.book, f.sequencer).size() == 6);
}

TEST_CASE("a batch that mixes streams is refused whole with 400", "[integration][ingest]") {
  fixture f;
  auto other_store = f.agent;
  other_store.store = ves::uuid::random_v4();
  add_key(f.book, other_store);
  auto e1 = make_event(f.agent, spec("mix"));
  auto e2 = make_event(other_store, spec("mix"));
  auto mixed = ingest(f.admin, f.agent, {e1, e2});
  check_error(mixed, 400, "INVALID_FIELD_VALUE");
  CHECK_THAT(error_message(mixed), Catch::Contains("same tenantId and storeId"));

  auto other_tenant = f.agent.sibling();
  other_tenant.tenant = ves::uuid::random_v4();
  other_tenant.agent = f.agent.agent;
  auto e3 = make_event(other_tenant, spec("mix"));
  check_error(ingest(f.admin, f.agent, {e1, e3}), 400);

  // source_agent_id must match agentId.
  auto stranger = f.agent.sibling();
  auto e4 = make_event(stranger);
  check_error(ingest(f.admin, f.agent, {e1, e4}), 400);

  CHECK(ves_head(f.admin, f.agent) == 0);
  CHECK(ves_head(f.admin, other_store) == 0);
}

TEST_CASE("pulls return the stream in order and page with next_from", "[integration][read]") {
  fixture f;
  std::vector<signed_event> all;
  for (int batch = 0; batch < 3; ++batch) {
    auto events = make_events(f.agent, 9, "page" + std::to_string(batch));
    check_receipts(ingest(f.admin, f.agent, events), events, f.sequencer);
    all.insert(all.end(), events.begin(), events.end());
  }
  REQUIRE(ves_head(f.admin, f.agent) == 27);

  // Pages of 10 following next_from: 1..10, 11..20, 21..27, then empty.
  uint64_t from = 1;
  std::vector<std::string> ids;
  std::vector<uint64_t> counts;
  for (int i = 0; i < 10; ++i) {
    auto r = f.admin.get("/api/v1/ves/events" + f.agent.query(from, 10));
    INFO(r.describe());
    REQUIRE(r.status == 200);
    auto& events = arr_of(r.doc(), "events");
    counts.push_back(events.size());
    CHECK(u64_of(r.doc(), "head_sequence") == 27);
    for (size_t k = 0; k < events.size(); ++k) {
      auto p = verify_pulled(events[k], f.book, f.sequencer);
      CHECK(p.sequence_number == from + k);
      ids.push_back(p.event_id);
    }
    auto next = u64_of(r.doc(), "next_from");
    CHECK(next == from + events.size());
    if (events.empty())
      break;
    from = next;
  }
  CHECK(counts == std::vector<uint64_t>{10, 10, 7, 0});
  REQUIRE(ids.size() == all.size());
  for (size_t i = 0; i < all.size(); ++i)
    CHECK(ids[i] == all[i].id());

  // A window in the middle, and from=0 is treated as 1.
  auto mid = f.admin.get("/api/v1/ves/events" + f.agent.query(13, 2));
  REQUIRE(mid.status == 200);
  auto& two = arr_of(mid.doc(), "events");
  REQUIRE(two.size() == 2);
  CHECK(u64_of(two[0], "sequence_number") == 13);
  CHECK(str_of(two[1], "event_id") == all[13].id());
  auto zero = f.admin.get("/api/v1/ves/events" + f.agent.query(0, 1));
  REQUIRE(zero.status == 200);
  CHECK(u64_of(arr_of(zero.doc(), "events").at(0), "sequence_number") == 1);

  // An unknown stream is empty, not an error.
  auto empty = agent_identity::random();
  auto r = f.admin.get("/api/v1/ves/events" + empty.query());
  REQUIRE(r.status == 200);
  CHECK(u64_of(r.doc(), "count") == 0);
  CHECK(u64_of(r.doc(), "head_sequence") == 0);
  CHECK(ves_head(f.admin, empty) == 0);
}

} // namespace seq::it
