// SPDX-License-Identifier: Apache-2.0
// The domain projection handlers: every rule, transition and invariant of §8.7.
#include "actors/projector/handlers.hpp"

#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <utility>

using seq::actors::projection::apply_event;
using seq::actors::projection::apply_input;
using seq::actors::projection::apply_result;
using seq::actors::projection::has_handler;
using seq::msg::dlq_reason;
using seq::ves::json::value;

namespace {

value J(const std::string& text) {
  std::string err;
  auto v = seq::ves::json::try_parse(text, &err);
  REQUIRE(v);
  return *v;
}

using state_t = std::optional<std::pair<value, int64_t>>;

/// One entity: applies events and keeps its state and version like the projector does.
struct entity {
  std::string type, id;
  state_t cur;

  apply_result apply(const std::string& event_type, const std::string& payload = "{}",
                     std::optional<uint64_t> base = std::nullopt) {
    auto p = J(payload);
    auto r = apply_event(cur, apply_input{type, id, event_type, p, base});
    if (r.applied())
      cur = std::make_pair(r.state, (cur ? cur->second : 0) + 1);
    return r;
  }

  std::string dump() const {
    REQUIRE(cur);
    return cur->first.dump();
  }

  const value& field(const std::string& name) const {
    REQUIRE(cur);
    auto v = cur->first.find(name);
    REQUIRE(v);
    return *v;
  }

  int64_t num(const std::string& name) const {
    const auto& n = field(name).as_number();
    return n.is_i64 ? n.i : static_cast<int64_t>(n.u);
  }

  std::string str(const std::string& name) const {
    return field(name).as_string();
  }
};

entity with_state(std::string type, std::string id, const std::string& state,
                  int64_t version = 1) {
  return entity{std::move(type), std::move(id), std::make_pair(J(state), version)};
}

void require_failure(const apply_result& r, dlq_reason reason) {
  INFO(r.message);
  REQUIRE(r.failed());
  CHECK(*r.failure == reason);
  CHECK_FALSE(r.message.empty());
}

std::string order_state(const std::string& status) {
  return R"({"order_id":"O1","customer_id":"C1","status":")" + status
         + R"(","total_amount":0.0,"currency":"USD","line_items":[],"shipping_address":null})";
}

} // namespace

// -- dispatch and base_version -----------------------------------------------------------------

TEST_CASE("entity types without a handler are skipped", "[handlers]") {
  CHECK(has_handler("order"));
  CHECK(has_handler("inventory"));
  CHECK(has_handler("product"));
  CHECK(has_handler("customer"));
  CHECK(has_handler("return"));
  CHECK_FALSE(has_handler("Order"));
  CHECK_FALSE(has_handler("Item"));
  entity e{"Item", "I1", {}};
  auto r = e.apply("Created", "{}", 7); // even with a wrong base_version
  CHECK(r.skipped());
  CHECK_FALSE(r.failed());
  CHECK_FALSE(e.cur);
}

TEST_CASE("base_version must equal the projected version, 0 for a new entity", "[handlers]") {
  entity o{"order", "O1", {}};
  SECTION("a matching base_version applies") {
    CHECK(o.apply("order.created", R"({"customer_id":"C1"})", 0).applied());
    CHECK(o.apply("order.confirmed", "{}", 1).applied());
    CHECK(o.cur->second == 2);
  }
  SECTION("a new entity has version 0") {
    require_failure(o.apply("order.created", R"({"customer_id":"C1"})", 1),
                    dlq_reason::version_conflict);
    CHECK_FALSE(o.cur);
  }
  SECTION("a stale base_version is a version conflict and changes nothing") {
    REQUIRE(o.apply("order.created", R"({"customer_id":"C1"})").applied());
    auto before = o.dump();
    auto r = o.apply("order.confirmed", "{}", 0);
    require_failure(r, dlq_reason::version_conflict);
    CHECK(r.message == "Version conflict: expected 0, actual 1");
    CHECK(o.dump() == before);
  }
  SECTION("the version check comes before the event type") {
    REQUIRE(o.apply("order.created", R"({"customer_id":"C1"})").applied());
    require_failure(o.apply("order.submitted", "{}", 5), dlq_reason::version_conflict);
    CHECK(o.apply("order.submitted", "{}", 1).skipped());
  }
}

// -- order -------------------------------------------------------------------------------------

TEST_CASE("order.created fills the reference's defaults", "[handlers][order]") {
  entity o{"order", "O1", {}};
  auto r = o.apply("order.created", R"({"customer_id":"C1"})");
  REQUIRE(r.applied());
  CHECK(o.dump() == order_state("pending"));
  CHECK(o.cur->second == 1);
}

TEST_CASE("order.created keeps amounts, currency, line items and address", "[handlers][order]") {
  entity o{"order", "O1", {}};
  auto r = o.apply("order.created",
                   R"({"customer_id":"C1","total_amount":99.5,"currency":"EUR",)"
                   R"("line_items":[{"product_id":"P1","quantity":2,"unit_price":10,"x":1},)"
                   R"({"product_id":"P2","quantity":1,"unit_price":79.5}],)"
                   R"("shipping_address":{"city":"Berlin"}})");
  REQUIRE(r.applied());
  CHECK(o.dump()
        == R"({"order_id":"O1","customer_id":"C1","status":"pending","total_amount":99.5,)"
           R"("currency":"EUR","line_items":[{"product_id":"P1","quantity":2,"unit_price":10.0},)"
           R"({"product_id":"P2","quantity":1,"unit_price":79.5}],)"
           R"("shipping_address":{"city":"Berlin"}})");
}

TEST_CASE("order.created with a malformed field falls back to its default", "[handlers][order]") {
  for (auto items : {R"([{"product_id":"P1","quantity":-1,"unit_price":1}])",
                     R"([{"product_id":"P1","quantity":1.5,"unit_price":1}])",
                     R"([{"product_id":"P1","quantity":1}])",
                     R"([{"product_id":7,"quantity":1,"unit_price":1}])",
                     R"([{"product_id":"P1","quantity":4294967296,"unit_price":1}])",
                     R"([1])", R"("none")", "null"}) {
    entity o{"order", "O1", {}};
    INFO(items);
    REQUIRE(o.apply("order.created", std::string{R"({"customer_id":"C1","line_items":)"} + items
                                       + R"(,"total_amount":"12","currency":5})")
              .applied());
    CHECK(o.dump() == order_state("pending"));
  }
}

TEST_CASE("order.created needs a customer_id string", "[handlers][order]") {
  for (auto payload : {"{}", R"({"customer_id":42})", R"({"customer_id":null})"}) {
    entity o{"order", "O1", {}};
    auto r = o.apply("order.created", payload);
    require_failure(r, dlq_reason::schema_validation);
    CHECK(r.message == "Invalid order.created payload: missing customer_id");
    CHECK_FALSE(o.cur);
  }
}

TEST_CASE("order.created for an existing order is an invalid transition", "[handlers][order]") {
  auto o = with_state("order", "O1", order_state("pending"));
  require_failure(o.apply("order.created", R"({"customer_id":"C2"})"),
                  dlq_reason::invalid_state_transition);
  CHECK(o.str("customer_id") == "C1");
}

TEST_CASE("an order goes created → confirmed → processing → shipped → delivered",
          "[handlers][order]") {
  entity o{"order", "O1", {}};
  REQUIRE(o.apply("order.created", R"({"customer_id":"C1"})").applied());
  for (auto [ev, status] : {std::pair{"order.confirmed", "confirmed"},
                            std::pair{"order.processing", "processing"},
                            std::pair{"order.shipped", "shipped"},
                            std::pair{"order.delivered", "delivered"}}) {
    REQUIRE(o.apply(ev).applied());
    CHECK(o.str("status") == status);
  }
  CHECK(o.cur->second == 5);
  CHECK(o.dump() == order_state("delivered"));
}

TEST_CASE("every other order transition is invalid", "[handlers][order]") {
  const std::pair<const char*, const char*> allowed[] = {{"pending", "order.confirmed"},
                                                         {"confirmed", "order.processing"},
                                                         {"processing", "order.shipped"},
                                                         {"shipped", "order.delivered"}};
  for (auto from : {"pending", "confirmed", "processing", "shipped", "delivered", "cancelled",
                    "refunded"})
    for (auto ev : {"order.confirmed", "order.processing", "order.shipped", "order.delivered"}) {
      bool ok = false;
      for (auto [f, e] : allowed)
        ok = ok || (std::string{f} == from && std::string{e} == ev);
      auto o = with_state("order", "O1", order_state(from));
      auto r = o.apply(ev);
      INFO(from << " + " << ev);
      if (ok) {
        CHECK(r.applied());
      } else {
        require_failure(r, dlq_reason::invalid_state_transition);
        CHECK(o.str("status") == from);
        CHECK(o.cur->second == 1);
      }
    }
}

TEST_CASE("a shipment before confirmation names both statuses", "[handlers][order]") {
  auto o = with_state("order", "O1", order_state("pending"));
  auto r = o.apply("order.shipped");
  require_failure(r, dlq_reason::invalid_state_transition);
  CHECK(r.message == "Invalid transition from pending to shipped");
}

TEST_CASE("an order can be cancelled from any status but delivered", "[handlers][order]") {
  for (auto from : {"pending", "confirmed", "processing", "shipped", "cancelled", "refunded"}) {
    auto o = with_state("order", "O1", order_state(from));
    INFO(from);
    REQUIRE(o.apply("order.cancelled").applied());
    CHECK(o.str("status") == "cancelled");
    CHECK(o.cur->second == 2);
  }
  auto o = with_state("order", "O1", order_state("delivered"));
  auto r = o.apply("order.cancelled");
  require_failure(r, dlq_reason::invalid_state_transition);
  CHECK(r.message == "Cannot cancel delivered order");
}

TEST_CASE("events for an unknown order are handler errors", "[handlers][order]") {
  for (auto ev : {"order.confirmed", "order.processing", "order.shipped", "order.delivered",
                  "order.cancelled"}) {
    entity o{"order", "O9", {}};
    auto r = o.apply(ev);
    require_failure(r, dlq_reason::handler_error);
    CHECK(r.message == "Order O9 not found");
  }
}

TEST_CASE("unknown order event types are skipped", "[handlers][order]") {
  auto o = with_state("order", "O1", order_state("pending"));
  for (auto ev : {"order.submitted", "order.refunded", "order.whatever"}) {
    auto r = o.apply(ev);
    CHECK(r.skipped());
    CHECK(r.message == std::string{"Unknown order event type: "} + ev);
  }
  CHECK(o.cur->second == 1);
}

// -- inventory ---------------------------------------------------------------------------------

TEST_CASE("inventory.initialized splits product:location and fills defaults",
          "[handlers][inventory]") {
  SECTION("product and location") {
    entity i{"inventory", "P1:WH", {}};
    REQUIRE(i.apply("inventory.initialized", R"({"quantity":5,"reorder_point":2})").applied());
    CHECK(i.dump()
          == R"({"product_id":"P1","location_id":"WH","quantity_on_hand":5,)"
             R"("quantity_reserved":0,"quantity_available":5,"reorder_point":2})");
  }
  SECTION("a plain id gets location default") {
    entity i{"inventory", "P1", {}};
    REQUIRE(i.apply("inventory.initialized").applied());
    CHECK(i.dump()
          == R"({"product_id":"P1","location_id":"default","quantity_on_hand":0,)"
             R"("quantity_reserved":0,"quantity_available":0,"reorder_point":10})");
  }
  SECTION("more than one colon keeps the whole id") {
    entity i{"inventory", "a:b:c", {}};
    REQUIRE(i.apply("inventory.initialized", R"({"quantity":1.5})").applied());
    CHECK(i.str("product_id") == "a:b:c");
    CHECK(i.str("location_id") == "default");
    CHECK(i.num("quantity_on_hand") == 0); // not an i64: default
  }
  SECTION("twice is an invalid transition") {
    entity i{"inventory", "P1", {}};
    REQUIRE(i.apply("inventory.initialized", R"({"quantity":5})").applied());
    require_failure(i.apply("inventory.initialized", R"({"quantity":9})"),
                    dlq_reason::invalid_state_transition);
    CHECK(i.num("quantity_on_hand") == 5);
  }
  SECTION("a negative quantity violates on_hand >= 0") {
    entity i{"inventory", "P1", {}};
    require_failure(i.apply("inventory.initialized", R"({"quantity":-1})"),
                    dlq_reason::invariant_violation);
    CHECK_FALSE(i.cur);
  }
}

TEST_CASE("inventory adjustments keep on_hand >= 0", "[handlers][inventory]") {
  entity i{"inventory", "P1", {}};
  REQUIRE(i.apply("inventory.initialized", R"({"quantity":10})").applied());
  REQUIRE(i.apply("inventory.reserved", R"({"quantity":4})").applied());
  REQUIRE(i.apply("inventory.adjusted", R"({"adjustment":5})").applied());
  CHECK(i.num("quantity_on_hand") == 15);
  CHECK(i.num("quantity_available") == 11);
  REQUIRE(i.apply("inventory.adjusted", R"({"adjustment":-15})").applied());
  CHECK(i.num("quantity_on_hand") == 0);
  CHECK(i.num("quantity_available") == -4); // the reference allows reserved > on_hand here
  auto r = i.apply("inventory.adjusted", R"({"adjustment":-1})");
  require_failure(r, dlq_reason::invariant_violation);
  CHECK(r.message.find("quantity_on_hand >= 0") != std::string::npos);
  CHECK(i.num("quantity_on_hand") == 0);
  REQUIRE(i.apply("inventory.adjusted", "{}").applied()); // adjustment defaults to 0
  CHECK(i.num("quantity_on_hand") == 0);
  CHECK(i.cur->second == 5);
}

TEST_CASE("reservations never exceed what is available", "[handlers][inventory]") {
  entity i{"inventory", "P1", {}};
  REQUIRE(i.apply("inventory.initialized", R"({"quantity":10})").applied());
  REQUIRE(i.apply("inventory.reserved", R"({"quantity":6})").applied());
  CHECK(i.num("quantity_reserved") == 6);
  CHECK(i.num("quantity_available") == 4);
  auto r = i.apply("inventory.reserved", R"({"quantity":5})");
  require_failure(r, dlq_reason::invariant_violation);
  CHECK(r.message == "reserved <= available violated: cannot reserve 5, only 4 available");
  REQUIRE(i.apply("inventory.reserved", R"({"quantity":4})").applied()); // exactly available
  CHECK(i.num("quantity_available") == 0);
  REQUIRE(i.apply("inventory.reserved", "{}").applied()); // quantity defaults to 0
  auto neg = i.apply("inventory.reserved", R"({"quantity":-1})");
  require_failure(neg, dlq_reason::schema_validation);
  CHECK(neg.message == "inventory quantity must be non-negative, got -1");
  CHECK(i.num("quantity_reserved") == 10);
}

TEST_CASE("releases floor reserved at zero", "[handlers][inventory]") {
  entity i{"inventory", "P1", {}};
  REQUIRE(i.apply("inventory.initialized", R"({"quantity":10})").applied());
  REQUIRE(i.apply("inventory.reserved", R"({"quantity":6})").applied());
  REQUIRE(i.apply("inventory.released", R"({"quantity":2})").applied());
  CHECK(i.num("quantity_reserved") == 4);
  CHECK(i.num("quantity_available") == 6);
  REQUIRE(i.apply("inventory.released", R"({"quantity":100})").applied());
  CHECK(i.num("quantity_reserved") == 0);
  CHECK(i.num("quantity_available") == 10);
  require_failure(i.apply("inventory.released", R"({"quantity":-3})"),
                  dlq_reason::schema_validation);
  CHECK(i.num("quantity_reserved") == 0);
}

TEST_CASE("fulfilment reduces on_hand and reserved and keeps on_hand >= 0",
          "[handlers][inventory]") {
  entity i{"inventory", "P1", {}};
  REQUIRE(i.apply("inventory.initialized", R"({"quantity":10})").applied());
  REQUIRE(i.apply("inventory.reserved", R"({"quantity":3})").applied());
  REQUIRE(i.apply("inventory.fulfilled", R"({"quantity":5})").applied());
  CHECK(i.num("quantity_on_hand") == 5);
  CHECK(i.num("quantity_reserved") == 0);
  CHECK(i.num("quantity_available") == 5);
  auto r = i.apply("inventory.fulfilled", R"({"quantity":6})");
  require_failure(r, dlq_reason::invariant_violation);
  CHECK(i.num("quantity_on_hand") == 5);
  require_failure(i.apply("inventory.fulfilled", R"({"quantity":-1})"),
                  dlq_reason::schema_validation);
  REQUIRE(i.apply("inventory.fulfilled", R"({"quantity":5})").applied());
  CHECK(i.num("quantity_on_hand") == 0);
}

TEST_CASE("inventory arithmetic is checked", "[handlers][inventory]") {
  constexpr auto max = std::numeric_limits<int64_t>::max();
  SECTION("on_hand + adjustment overflows") {
    auto i = with_state("inventory", "P1",
                        R"({"product_id":"P1","location_id":"default","quantity_on_hand":)"
                          + std::to_string(max)
                          + R"(,"quantity_reserved":0,"quantity_available":0,"reorder_point":10})");
    auto r = i.apply("inventory.adjusted", R"({"adjustment":1})");
    require_failure(r, dlq_reason::invariant_violation);
    CHECK(r.message.find("quantity_on_hand arithmetic within i64 range") != std::string::npos);
    CHECK(i.num("quantity_on_hand") == max);
  }
  SECTION("quantities stay within 2^53, where a stored state keeps them exactly") {
    constexpr int64_t limit = int64_t{1} << 53;
    entity i{"inventory", "P1", {}};
    auto too_big = i.apply("inventory.initialized",
                           R"({"quantity":)" + std::to_string(limit + 1) + "}");
    require_failure(too_big, dlq_reason::invariant_violation);
    CHECK(too_big.message.find("quantity_on_hand 9007199254740993 is beyond 2^53")
          != std::string::npos);
    require_failure(i.apply("inventory.initialized",
                            R"({"quantity":1,"reorder_point":)" + std::to_string(-limit - 1) + "}"),
                    dlq_reason::invariant_violation);
    REQUIRE(i.apply("inventory.initialized", R"({"quantity":)" + std::to_string(limit) + "}")
              .applied());
    auto more = i.apply("inventory.adjusted", R"({"adjustment":1})");
    require_failure(more, dlq_reason::invariant_violation);
    CHECK(more.message.find("beyond 2^53") != std::string::npos);
    CHECK(i.num("quantity_on_hand") == limit);
    REQUIRE(i.apply("inventory.adjusted", R"({"adjustment":-1})").applied());
    CHECK(i.num("quantity_on_hand") == limit - 1);
  }
  SECTION("a huge negative adjustment is an invariant violation, not a wrap") {
    entity i{"inventory", "P1", {}};
    REQUIRE(i.apply("inventory.initialized", R"({"quantity":1})").applied());
    require_failure(i.apply("inventory.adjusted", R"({"adjustment":-9223372036854775808})"),
                    dlq_reason::invariant_violation);
  }
  SECTION("available = on_hand - reserved overflows on a corrupt state") {
    auto i = with_state("inventory", "P1",
                        R"({"product_id":"P1","location_id":"default","quantity_on_hand":-2,)"
                        R"("quantity_reserved":9223372036854775807,"quantity_available":0,)"
                        R"("reorder_point":10})");
    auto r = i.apply("inventory.reserved", R"({"quantity":0})");
    require_failure(r, dlq_reason::invariant_violation);
    CHECK(r.message.find("quantity_available arithmetic within i64 range") != std::string::npos);
  }
  SECTION("an adjustment beyond i64 is not a number the handler accepts") {
    entity i{"inventory", "P1", {}};
    REQUIRE(i.apply("inventory.initialized", R"({"quantity":3})").applied());
    REQUIRE(i.apply("inventory.adjusted", R"({"adjustment":9223372036854775808})").applied());
    CHECK(i.num("quantity_on_hand") == 3); // as_i64 fails → default 0
  }
}

TEST_CASE("inventory events need an initialized inventory", "[handlers][inventory]") {
  for (auto ev : {"inventory.adjusted", "inventory.reserved", "inventory.released",
                  "inventory.fulfilled"}) {
    entity i{"inventory", "P1:WH", {}};
    auto r = i.apply(ev, R"({"quantity":1,"adjustment":1})");
    require_failure(r, dlq_reason::handler_error);
    CHECK(r.message == "Inventory P1:WH not found");
  }
  entity i{"inventory", "P1", {}};
  CHECK(i.apply("inventory.reservation_confirmed").skipped());
}

// -- product -----------------------------------------------------------------------------------

TEST_CASE("product lifecycle", "[handlers][product]") {
  entity p{"product", "P1", {}};
  REQUIRE(p.apply("product.created").applied());
  CHECK(p.dump()
        == R"({"product_id":"P1","sku":"","name":"","description":null,"price":0.0,)"
           R"("currency":"USD","active":true,"attributes":{}})");
  require_failure(p.apply("product.created"), dlq_reason::invalid_state_transition);

  entity q{"product", "P2", {}};
  REQUIRE(q.apply("product.created",
                  R"({"sku":"SKU-2","name":"Mug","description":"Blue","price":12,)"
                  R"("currency":"EUR","attributes":{"color":"blue"}})")
            .applied());
  CHECK(q.dump()
        == R"({"product_id":"P2","sku":"SKU-2","name":"Mug","description":"Blue","price":12.0,)"
           R"("currency":"EUR","active":true,"attributes":{"color":"blue"}})");
  REQUIRE(q.apply("product.updated", R"({"name":"Cup","price":9.99})").applied());
  CHECK(q.str("name") == "Cup");
  CHECK(q.field("price").as_number().lexeme == "9.99");
  CHECK(q.str("description") == "Blue");
  REQUIRE(q.apply("product.updated", R"({"description":null,"attributes":[1],"name":3})")
            .applied());
  CHECK(q.field("description").is_null());
  CHECK(q.field("attributes").dump() == "[1]");
  CHECK(q.str("name") == "Cup");
  REQUIRE(q.apply("product.deactivated").applied());
  CHECK_FALSE(q.field("active").as_bool());
  REQUIRE(q.apply("product.activated").applied());
  CHECK(q.field("active").as_bool());
  CHECK(q.cur->second == 5);
  CHECK(q.apply("product.archived").skipped());
}

TEST_CASE("product events need an existing product", "[handlers][product]") {
  for (auto ev : {"product.updated", "product.deactivated", "product.activated"}) {
    entity p{"product", "P9", {}};
    auto r = p.apply(ev);
    require_failure(r, dlq_reason::handler_error);
    CHECK(r.message == "Product P9 not found");
  }
}

// -- customer ----------------------------------------------------------------------------------

TEST_CASE("customer.created without an email is parked as schema_validation",
          "[handlers][customer]") {
  for (auto payload : {"{}", R"({"email":null})", R"({"email":1})"}) {
    entity c{"customer", "C1", {}};
    auto r = c.apply("customer.created", payload);
    require_failure(r, dlq_reason::schema_validation);
    CHECK(r.message == "Invalid customer.created payload: missing email");
  }
}

TEST_CASE("customer lifecycle", "[handlers][customer]") {
  entity c{"customer", "C1", {}};
  REQUIRE(c.apply("customer.created", R"({"email":"a@x.io","phone":7})").applied());
  CHECK(c.dump()
        == R"({"customer_id":"C1","email":"a@x.io","name":null,"phone":null,"addresses":[],)"
           R"("metadata":{},"active":true})");
  require_failure(c.apply("customer.created", R"({"email":"b@x.io"})"),
                  dlq_reason::invalid_state_transition);
  REQUIRE(c.apply("customer.updated",
                  R"({"email":"b@x.io","name":"Ann","phone":"123","metadata":{"vip":true}})")
            .applied());
  CHECK(c.str("email") == "b@x.io");
  CHECK(c.str("name") == "Ann");
  CHECK(c.str("phone") == "123");
  CHECK(c.field("metadata").dump() == R"({"vip":true})");
  REQUIRE(c.apply("customer.updated", R"({"email":5,"name":null})").applied());
  CHECK(c.str("email") == "b@x.io");
  CHECK(c.field("name").is_null());
  CHECK(c.str("phone") == "123");
  REQUIRE(c.apply("customer.address_added", R"({"address":{"city":"Oslo"}})").applied());
  REQUIRE(c.apply("customer.address_added", R"({"address":"Main St 1"})").applied());
  REQUIRE(c.apply("customer.address_added", "{}").applied()); // nothing to add
  CHECK(c.field("addresses").dump() == R"([{"city":"Oslo"},"Main St 1"])");
  CHECK(c.cur->second == 6);
  CHECK(c.apply("customer.deleted").skipped());
}

TEST_CASE("customer events need an existing customer", "[handlers][customer]") {
  for (auto ev : {"customer.updated", "customer.address_added"}) {
    entity c{"customer", "C9", {}};
    auto r = c.apply(ev);
    require_failure(r, dlq_reason::handler_error);
    CHECK(r.message == "Customer C9 not found");
  }
}

// -- return ------------------------------------------------------------------------------------

TEST_CASE("return.requested without order_id or customer_id is parked as schema_validation",
          "[handlers][return]") {
  entity r1{"return", "R1", {}};
  auto a = r1.apply("return.requested", R"({"customer_id":"C1"})");
  require_failure(a, dlq_reason::schema_validation);
  CHECK(a.message == "Invalid return.requested payload: missing order_id");
  auto b = r1.apply("return.requested", R"({"order_id":"O1","customer_id":3})");
  require_failure(b, dlq_reason::schema_validation);
  CHECK(b.message == "Invalid return.requested payload: missing customer_id");
  CHECK_FALSE(r1.cur);
}

TEST_CASE("return lifecycle", "[handlers][return]") {
  entity r{"return", "R1", {}};
  REQUIRE(r.apply("return.requested",
                  R"({"order_id":"O1","customer_id":"C1","reason":"broken",)"
                  R"("items":[{"product_id":"P1","quantity":1,"condition":"damaged"},)"
                  R"({"product_id":"P2","quantity":2}]})")
            .applied());
  CHECK(r.dump()
        == R"({"return_id":"R1","order_id":"O1","customer_id":"C1","status":"requested",)"
           R"("reason":"broken","items":[{"product_id":"P1","quantity":1,"condition":"damaged"},)"
           R"({"product_id":"P2","quantity":2,"condition":null}],"refund_amount":null})");
  require_failure(r.apply("return.requested", R"({"order_id":"O1","customer_id":"C1"})"),
                  dlq_reason::invalid_state_transition);
  require_failure(r.apply("return.received"), dlq_reason::invalid_state_transition);
  REQUIRE(r.apply("return.approved").applied());
  CHECK(r.str("status") == "approved");
  require_failure(r.apply("return.approved"), dlq_reason::invalid_state_transition);
  REQUIRE(r.apply("return.received").applied());
  CHECK(r.str("status") == "received");
  REQUIRE(r.apply("return.refunded", R"({"refund_amount":25})").applied());
  CHECK(r.str("status") == "refunded");
  CHECK(r.field("refund_amount").as_number().lexeme == "25.0");
  REQUIRE(r.apply("return.completed").applied());
  CHECK(r.str("status") == "completed");
  CHECK(r.cur->second == 5);
  CHECK(r.apply("return.rejected").skipped());
}

TEST_CASE("return items with a bad element become an empty list", "[handlers][return]") {
  entity r{"return", "R1", {}};
  REQUIRE(r.apply("return.requested",
                  R"({"order_id":"O1","customer_id":"C1",)"
                  R"("items":[{"product_id":"P1","quantity":1,"condition":4}]})")
            .applied());
  CHECK(r.field("items").dump() == "[]");
  CHECK(r.str("reason").empty());
}

TEST_CASE("refunds and completion are allowed from any return status", "[handlers][return]") {
  auto state = [](const char* status) {
    return std::string{R"({"return_id":"R1","order_id":"O1","customer_id":"C1","status":")"}
           + status + R"(","reason":"","items":[],"refund_amount":12.5})";
  };
  for (auto from : {"requested", "approved", "received", "refunded", "completed"}) {
    INFO(from);
    auto a = with_state("return", "R1", state(from));
    REQUIRE(a.apply("return.refunded").applied());
    CHECK(a.str("status") == "refunded");
    CHECK(a.field("refund_amount").is_null()); // no amount in the payload
    auto b = with_state("return", "R1", state(from));
    REQUIRE(b.apply("return.completed").applied());
    CHECK(b.str("status") == "completed");
    CHECK(b.field("refund_amount").as_number().d == 12.5);
  }
  for (auto from : {"approved", "received", "refunded", "completed"}) {
    auto a = with_state("return", "R1", state(from));
    require_failure(a.apply("return.approved"), dlq_reason::invalid_state_transition);
  }
  for (auto from : {"requested", "received", "refunded", "completed"}) {
    auto a = with_state("return", "R1", state(from));
    require_failure(a.apply("return.received"), dlq_reason::invalid_state_transition);
  }
}

TEST_CASE("return events need an existing return", "[handlers][return]") {
  for (auto ev : {"return.approved", "return.received", "return.refunded", "return.completed"}) {
    entity r{"return", "R9", {}};
    auto res = r.apply(ev);
    require_failure(res, dlq_reason::handler_error);
    CHECK(res.message == "Return R9 not found");
  }
}

TEST_CASE("a stored state that is not an object is a handler error", "[handlers]") {
  auto o = with_state("order", "O1", "[1,2]");
  require_failure(o.apply("order.confirmed"), dlq_reason::handler_error);
  auto i = with_state("inventory", "P1", R"({"quantity_on_hand":"x"})");
  require_failure(i.apply("inventory.adjusted", R"({"adjustment":1})"),
                  dlq_reason::handler_error);
}
