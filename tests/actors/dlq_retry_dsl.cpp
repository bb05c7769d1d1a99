// SPDX-License-Identifier: Apache-2.0
// The DLQ retry actor on virtual time: the exact backoff schedule, non-retryable events,
// operator retries and lost retries — with real projectors (stream companions), real
// events (SQLite) and the in-memory projection_store TEST DOUBLE.
#define CAF_SUITE dlq_retry
#include "tests/actors/projection_fixture.hpp"

using namespace seq;
using namespace std::chrono_literals;
using test::domain_event;

namespace {

constexpr int64_t minute_us = 60'000'000;

struct fixture : test::projection_fixture {};

} // namespace

CAF_TEST_FIXTURE_SCOPE(dlq_retry_tests, fixture)

CAF_TEST(the backoff schedule is exact) {
  start_projection();
  spawn_registry();
  auto retry = spawn_retry(1ms);
  // schema_validation is retryable, and this event fails the same way every time.
  ingest_ves({{"customer", "C1", "customer.created", R"({"name":"no email"})"}});
  auto id = ves_id(1);
  auto e = entry(id);
  CAF_REQUIRE_EQUAL(e.status, msg::dlq_status::pending);
  CAF_CHECK_EQUAL(e.reason, msg::dlq_reason::schema_validation);
  CAF_CHECK_EQUAL(e.created_at, epoch);
  CAF_REQUIRE(e.next_retry_at);
  CAF_CHECK_EQUAL(*e.next_retry_at, epoch + minute_us);
  // Delay before retry k + 1 after the k-th failed retry: 2, 4, 8, 16, 32 min, then 1 h.
  const int64_t delays_min[] = {2, 4, 8, 16, 32, 60, 60, 60, 60};
  for (uint32_t k = 1; k <= 10; ++k) {
    CAF_MESSAGE("retry " << k);
    auto due = *entry(id).next_retry_at;
    advance_to(due - 1000); // 1 ms early: not yet
    CAF_CHECK_EQUAL(entry(id).retry_count, k - 1);
    CAF_CHECK_EQUAL(pmetrics.retries_attempted.load(), k - 1);
    advance_to(due); // exactly on time
    auto x = entry(id);
    CAF_REQUIRE_EQUAL(x.retry_count, k);
    CAF_CHECK_EQUAL(x.updated_at, due);
    if (k < 10) {
      CAF_CHECK_EQUAL(x.status, msg::dlq_status::pending);
      CAF_REQUIRE(x.next_retry_at);
      CAF_CHECK_EQUAL(*x.next_retry_at - due, delays_min[k - 1] * minute_us);
    } else {
      CAF_CHECK_EQUAL(x.status, msg::dlq_status::dead);
      CAF_CHECK(!x.next_retry_at);
    }
  }
  // First failure at 0, retries at 1, 3, 7, 15, 31, 63, 123, 183, 243, 303 minutes.
  CAF_CHECK_EQUAL(now(), epoch + 303 * minute_us);
  CAF_CHECK_EQUAL(pmetrics.retries_attempted.load(), 10u);
  CAF_CHECK_EQUAL(pmetrics.retries_failed.load(), 9u);
  CAF_CHECK_EQUAL(pmetrics.retries_dead.load(), 1u);
  CAF_CHECK_EQUAL(pmetrics.retries_succeeded.load(), 0u);
  // Dead: never retried again by the actor.
  advance_to(now() + 10 * 60 * minute_us);
  CAF_CHECK_EQUAL(entry(id).retry_count, 10u);
  CAF_CHECK_EQUAL(pmetrics.retries_attempted.load(), 10u);
  CAF_CHECK(!row("customer", "C1"));
  CAF_CHECK_EQUAL(pdb->checkpoint(stream).ves, 1u);
  CAF_CHECK(retry_state(retry).in_flight.empty());
  CAF_CHECK_EQUAL(pdb->audit_count("dlq_retry"), 10u);
}

CAF_TEST(a non-retryable event goes to dead at once) {
  start_projection();
  spawn_registry();
  auto retry = spawn_retry();
  ingest_ves({{"inventory", "SKU1:WH", "inventory.initialized", R"({"quantity":2})"},
              {"inventory", "SKU1:WH", "inventory.reserved", R"({"quantity":3})"},
              {"inventory", "SKU2:WH", "inventory.initialized", R"({"quantity":1})"},
              {"inventory", "SKU2:WH", "inventory.adjusted", R"({"adjustment":-2})"},
              {"order", "O1", "order.created", R"({"customer_id":"C1"})"},
              {"order", "O1", "order.shipped"}});
  struct expectation {
    uint64_t seq;
    msg::dlq_reason reason;
  };
  for (auto x : {expectation{2, msg::dlq_reason::invariant_violation},
                 expectation{4, msg::dlq_reason::invariant_violation},
                 expectation{6, msg::dlq_reason::invalid_state_transition}}) {
    auto e = entry(ves_id(x.seq));
    CAF_CHECK_EQUAL(e.reason, x.reason);
    CAF_CHECK_EQUAL(e.status, msg::dlq_status::dead);
    CAF_CHECK(!e.next_retry_at);
    CAF_CHECK_EQUAL(e.retry_count, 0u);
    CAF_CHECK_EQUAL(e.created_at, epoch);
  }
  CAF_CHECK_EQUAL(pmetrics.events_dead.load(), 3u);
  // The retry actor never touches them.
  for (int i = 0; i < 5; ++i)
    advance_to(now() + 60 * minute_us);
  CAF_CHECK_EQUAL(pmetrics.retries_attempted.load(), 0u);
  CAF_CHECK_EQUAL(entry(ves_id(2)).status, msg::dlq_status::dead);
  // The state is what the valid events made it.
  CAF_CHECK_EQUAL(field("order", "O1", "status"), "pending");
  auto inv = row("inventory", "SKU1:WH");
  CAF_REQUIRE(inv);
  CAF_CHECK_EQUAL(inv->state,
                  R"({"product_id":"SKU1","location_id":"WH","quantity_on_hand":2,)"
                  R"("quantity_reserved":0,"quantity_available":2,"reorder_point":10})");
  // An operator may still retry a dead row; it fails the same way and stays dead.
  auto r = ask<msg::dlq_entry>(retry, msg::retry_dlq{ves_id(6), "op"});
  sched.run();
  CAF_REQUIRE(r->done && r->value);
  CAF_CHECK_EQUAL(r->value->status, msg::dlq_status::dead);
  CAF_CHECK_EQUAL(r->value->retry_count, 1u);
  CAF_CHECK_EQUAL(entry(ves_id(6)).retry_count, 1u);
  CAF_CHECK_EQUAL(pmetrics.retries_dead.load(), 1u);
}

CAF_TEST(operator retries answer with the row or an error) {
  start_projection();
  spawn_registry();
  auto retry = spawn_retry();
  ingest_ves({{"product", "P1", "product.updated", R"({"name":"x"})"}}); // no product yet
  auto id = ves_id(1);
  auto unknown = ask<msg::dlq_entry>(retry, msg::retry_dlq{msg::uuid::random_v4(), "op"});
  sched.run();
  CAF_REQUIRE(unknown->done);
  CAF_CHECK_EQUAL(unknown->err, errc::not_found);
  // Still failing: pending again with the next retry per schedule, counted.
  advance_to(now() + 5 * minute_us / 2);
  CAF_CHECK_EQUAL(pmetrics.retries_attempted.load(), 1u); // the automatic one at 1 min
  auto before = entry(id);
  CAF_CHECK_EQUAL(before.retry_count, 1u);
  auto r1 = ask<msg::dlq_entry>(retry, msg::retry_dlq{id, "op"});
  sched.run();
  CAF_REQUIRE(r1->done && r1->value);
  CAF_CHECK_EQUAL(r1->value->status, msg::dlq_status::pending);
  CAF_CHECK_EQUAL(r1->value->retry_count, 2u);
  CAF_CHECK_EQUAL(*r1->value->next_retry_at, now() + 4 * minute_us);
  // Fixed up: the product exists now (an operator's repair); the retry succeeds.
  repair("product", "P1",
         R"({"product_id":"P1","sku":"","name":"","description":null,"price":0.0,)"
         R"("currency":"USD","active":true,"attributes":{}})",
         1);
  auto r2 = ask<msg::dlq_entry>(retry, msg::retry_dlq{id, "op"});
  sched.run();
  CAF_REQUIRE(r2->done && r2->value);
  CAF_CHECK_EQUAL(r2->value->status, msg::dlq_status::resolved);
  CAF_CHECK_EQUAL(field("product", "P1", "name"), "x");
  CAF_CHECK_EQUAL(version("product", "P1"), 2);
  CAF_CHECK_EQUAL(status().blocked_entities, 0u);
  // A resolved row cannot be retried.
  auto r3 = ask<msg::dlq_entry>(retry, msg::retry_dlq{id, "op"});
  sched.run();
  CAF_REQUIRE(r3->done);
  CAF_CHECK_EQUAL(r3->err, errc::invalid_request);
  CAF_CHECK_EQUAL(pmetrics.retries_succeeded.load(), 1u);
}

CAF_TEST(a retry lost with its projector puts the row back) {
  start_projection();
  spawn_registry();
  auto retry = spawn_retry(1s, true); // its storage calls bypass the projector's gate
  ingest_ves({{"return", "R1", "return.approved"}}); // no such return: handler_error
  auto id = ves_id(1);
  CAF_REQUIRE_EQUAL(entry(id).status, msg::dlq_status::pending);
  // Keep the projector busy with a batch, so the retry waits in its queue.
  iogate().open = false;
  ingest_ves({{"product", "P1", "product.created"}});
  CAF_CHECK(pstate().busy);
  auto r = ask<msg::dlq_entry>(retry, msg::retry_dlq{id, "op"});
  sched.run();
  CAF_CHECK(!r->done);
  CAF_CHECK_EQUAL(pstate().retries.size(), 1u);
  CAF_CHECK_EQUAL(entry(id).status, msg::dlq_status::retrying);
  caf::anon_send_exit(projector(), caf::exit_reason::kill);
  sched.run();
  CAF_REQUIRE(r->done);
  CAF_CHECK_EQUAL(r->err, errc::shutting_down);
  auto e = entry(id);
  CAF_CHECK_EQUAL(e.status, msg::dlq_status::pending);
  CAF_CHECK_EQUAL(e.retry_count, 0u);
  CAF_CHECK_EQUAL(*e.next_retry_at, now() + minute_us);
  CAF_CHECK_EQUAL(pmetrics.retries_not_run.load(), 1u);
  CAF_CHECK(retry_state(retry).in_flight.empty());
  // The respawned projector finishes the work once storage answers again.
  self->send(io_gate_a, caf::put_atom_v, true);
  sched.run();
  CAF_CHECK(row("product", "P1"));
  CAF_CHECK_EQUAL(status().checkpoints.ves, 2u);
  CAF_CHECK_EQUAL(status().blocked_entities, 1u);
}

CAF_TEST(a row left in retrying by a lost retry becomes due again) {
  start_projection();
  spawn_registry();
  auto retry = spawn_retry(1s);
  ingest_ves({{"customer", "C1", "customer.updated", R"({"name":"x"})"}}); // no customer
  auto id = ves_id(1);
  auto e = entry(id);
  e.status = msg::dlq_status::retrying; // as if a node died mid-retry
  e.updated_at = now();
  pdb->put_entry(e);
  advance_to(now() + 9 * minute_us);
  CAF_CHECK_EQUAL(entry(id).status, msg::dlq_status::retrying);
  CAF_CHECK_EQUAL(pmetrics.retries_attempted.load(), 0u);
  advance_to(now() + minute_us + 1'000'000); // past stale_after (10 min): back to pending
  advance_to(now() + 1'000'000);              // and retried on the next round
  CAF_CHECK_EQUAL(pmetrics.retries_attempted.load(), 1u);
  auto x = entry(id);
  CAF_CHECK_EQUAL(x.status, msg::dlq_status::pending);
  CAF_CHECK_EQUAL(x.retry_count, 1u);
}

CAF_TEST_FIXTURE_SCOPE_END()
