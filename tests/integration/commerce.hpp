// SPDX-License-Identifier: Apache-2.0
#pragma once

/// End-to-end projections, part 1: a scripted commerce scenario (products, customers,
/// inventory, orders, returns; about 200 events, VES and legacy, with deliberate violations)
/// and an INDEPENDENT expectation of what the projector must make of it: the domain rules of
/// wire-contract §8.7 and the park-mode blocking rules (API.md) written again here, from the
/// specification, without the server's handlers. The tests compare the server's projections
/// and DLQ with this model.

#include "messages/ves/json.hpp"

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace seq::it::commerce {

namespace json = ves::json;

using key = std::pair<std::string, std::string>; ///< (entity_type, entity_id)

/// One scripted event.
struct step {
  std::string entity_type, entity_id, event_type;
  json::value payload;
  std::optional<uint64_t> base_version;
  bool legacy = false; ///< ingested through POST /api/v1/events/ingest
};

/// What the projector must hold for one entity.
struct expected_entity {
  json::value state;
  int64_t version = 0;        ///< events applied
  uint64_t last_sequence = 0; ///< of the last applied event
  std::string space;          ///< "ves" | "legacy"
};

/// What the DLQ must hold for one event.
struct expected_row {
  std::string reason;          ///< DLQ reason of the failure (handler_error for rows behind)
  bool blocked_behind = false; ///< parked only because an earlier event of its entity is
  bool retryable = false;      ///< retried automatically (until max_retries, then dead)
  key entity;
  uint64_t sequence = 0;
  std::string space;
};

inline json::value num(int64_t v) {
  return v < 0 ? json::value::from_i64(v) : json::value::from_u64(static_cast<uint64_t>(v));
}
inline json::value dbl(double v) {
  return json::value::from_double(v);
}
inline json::value object(json::object o) {
  return json::value{std::move(o)};
}

/// The independent model (see the file comment).
class model {
public:
  std::map<key, expected_entity> entities;
  std::map<std::string, expected_row> dlq; ///< by event id
  uint64_t skipped = 0;

  /// Applies one event with sequence number `seq` of its space.
  void apply(const step& s, uint64_t seq, const std::string& event_id) {
    key k{s.entity_type, s.entity_id};
    auto space = std::string{s.legacy ? "legacy" : "ves"};
    if (!known_type(s.entity_type)) {
      ++skipped;
      return;
    }
    if (blocked_.count(k) > 0) { // waits behind the entity's unresolved row
      dlq[event_id] = {"handler_error", true, false, k, seq, space};
      return;
    }
    auto i = entities.find(k);
    const expected_entity* cur = i == entities.end() ? nullptr : &i->second;
    result r;
    int64_t version = cur ? cur->version : 0;
    if (s.base_version && static_cast<int64_t>(*s.base_version) != version)
      r = fail("version_conflict");
    else
      r = handle(s, cur ? &cur->state : nullptr);
    if (r.kind == result::skipped) {
      ++skipped;
      return;
    }
    if (r.kind == result::failed) {
      bool retryable = r.reason != "invariant_violation" && r.reason != "invalid_state_transition";
      dlq[event_id] = {r.reason, false, retryable, k, seq, space};
      blocked_.insert(k);
      return;
    }
    auto& e = entities[k];
    e.state = std::move(r.state);
    e.version = version + 1;
    e.last_sequence = seq;
    e.space = space;
  }

  /// An operator removed the entity's blocking row and retried the first event waiting
  /// behind it: the rows behind are applied in order (`order`: their event ids and steps).
  void unblock(const key& k, const std::vector<std::pair<std::string, step>>& order) {
    blocked_.erase(k);
    for (auto& [id, s] : order) {
      auto row = dlq.at(id);
      dlq.erase(id);
      apply(s, row.sequence, id);
    }
  }

private:
  struct result {
    enum { applied, skipped, failed } kind = applied;
    json::value state;
    std::string reason;
  };

  static result ok(json::value state) {
    return {result::applied, std::move(state), {}};
  }
  static result skip() {
    return {result::skipped, {}, {}};
  }
  static result fail(std::string reason) {
    return {result::failed, {}, std::move(reason)};
  }

  static bool known_type(const std::string& t) {
    return t == "order" || t == "inventory" || t == "product" || t == "customer" || t == "return";
  }

  static const json::value* field(const json::value& p, std::string_view k) {
    auto* v = p.find(k);
    return v && !v->is_null() ? v : nullptr;
  }
  static std::string text(const json::value& p, std::string_view k, std::string fallback = {}) {
    auto* v = field(p, k);
    return v && v->is_string() ? v->as_string() : fallback;
  }
  static json::value text_or_null(const json::value& p, std::string_view k) {
    auto* v = field(p, k);
    return v && v->is_string() ? *v : json::value{};
  }
  static int64_t integer(const json::value& p, std::string_view k, int64_t fallback) {
    auto* v = field(p, k);
    if (!v || !v->is_number())
      return fallback;
    auto& n = v->as_number();
    return n.is_i64 ? n.i : n.is_u64 ? static_cast<int64_t>(n.u) : fallback;
  }
  static double real(const json::value& p, std::string_view k, double fallback) {
    auto* v = field(p, k);
    return v && v->is_number() ? v->as_number().d : fallback;
  }
  static json::value with(const json::value& state, std::string k, json::value v) {
    json::value out{json::object{state.as_object()}};
    out.set(std::move(k), std::move(v));
    return out;
  }

  result handle(const step& s, const json::value* cur) {
    const auto& t = s.entity_type;
    if (t == "order")
      return order(s, cur);
    if (t == "inventory")
      return inventory(s, cur);
    if (t == "product")
      return product(s, cur);
    if (t == "customer")
      return customer(s, cur);
    return return_(s, cur);
  }

  // order: created → confirmed → processing → shipped → delivered; cancelled from any
  // status but delivered.
  result order(const step& s, const json::value* cur) {
    const auto& p = s.payload;
    const auto& ev = s.event_type;
    if (ev == "order.created") {
      if (cur)
        return fail("invalid_state_transition");
      if (!field(p, "customer_id") || !p.find("customer_id")->is_string())
        return fail("schema_validation");
      auto* items = field(p, "line_items");
      auto* ship = field(p, "shipping_address");
      return ok(object({{"order_id", s.entity_id},
                        {"customer_id", text(p, "customer_id")},
                        {"status", "pending"},
                        {"total_amount", dbl(real(p, "total_amount", 0))},
                        {"currency", text(p, "currency", "USD")},
                        {"line_items", items ? *items : json::value{json::array{}}},
                        {"shipping_address", ship ? *ship : json::value{}}}));
    }
    static const std::map<std::string, std::pair<std::string, std::string>> moves = {
      {"order.confirmed", {"pending", "confirmed"}},
      {"order.processing", {"confirmed", "processing"}},
      {"order.shipped", {"processing", "shipped"}},
      {"order.delivered", {"shipped", "delivered"}},
    };
    bool cancel = ev == "order.cancelled";
    auto m = moves.find(ev);
    if (m == moves.end() && !cancel)
      return skip();
    if (!cur)
      return fail("handler_error");
    auto status = text(*cur, "status");
    if (cancel)
      return status == "delivered" ? fail("invalid_state_transition")
                                   : ok(with(*cur, "status", "cancelled"));
    if (status != m->second.first)
      return fail("invalid_state_transition");
    return ok(with(*cur, "status", m->second.second));
  }

  // inventory: on_hand >= 0 and reserved <= available, available = on_hand - reserved.
  result inventory(const step& s, const json::value* cur) {
    const auto& p = s.payload;
    const auto& ev = s.event_type;
    auto colon = s.entity_id.find(':');
    if (ev == "inventory.initialized") {
      if (cur)
        return fail("invalid_state_transition");
      auto q = integer(p, "quantity", 0);
      if (q < 0)
        return fail("invariant_violation");
      return ok(object({{"product_id", s.entity_id.substr(0, colon)},
                        {"location_id", s.entity_id.substr(colon + 1)},
                        {"quantity_on_hand", num(q)},
                        {"quantity_reserved", num(0)},
                        {"quantity_available", num(q)},
                        {"reorder_point", num(integer(p, "reorder_point", 10))}}));
    }
    bool adjusted = ev == "inventory.adjusted", reserved = ev == "inventory.reserved",
         released = ev == "inventory.released", fulfilled = ev == "inventory.fulfilled";
    if (!adjusted && !reserved && !released && !fulfilled)
      return skip();
    if (!cur)
      return fail("handler_error");
    auto on_hand = integer(*cur, "quantity_on_hand", 0);
    auto held = integer(*cur, "quantity_reserved", 0);
    if (adjusted) {
      on_hand += integer(p, "adjustment", 0);
      if (on_hand < 0)
        return fail("invariant_violation");
    } else {
      auto q = integer(p, "quantity", 0);
      if (q < 0)
        return fail("schema_validation");
      if (reserved) {
        if (q > on_hand - held)
          return fail("invariant_violation");
        held += q;
      } else {
        if (fulfilled) {
          on_hand -= q;
          if (on_hand < 0)
            return fail("invariant_violation");
        }
        held = std::max<int64_t>(0, held - q);
      }
    }
    auto next = with(*cur, "quantity_on_hand", num(on_hand));
    next = with(next, "quantity_reserved", num(held));
    return ok(with(next, "quantity_available", num(on_hand - held)));
  }

  result product(const step& s, const json::value* cur) {
    const auto& p = s.payload;
    const auto& ev = s.event_type;
    if (ev == "product.created") {
      if (cur)
        return fail("invalid_state_transition");
      auto* attrs = field(p, "attributes");
      return ok(object({{"product_id", s.entity_id},
                        {"sku", text(p, "sku")},
                        {"name", text(p, "name")},
                        {"description", text_or_null(p, "description")},
                        {"price", dbl(real(p, "price", 0))},
                        {"currency", text(p, "currency", "USD")},
                        {"active", true},
                        {"attributes", attrs ? *attrs : json::value{json::object{}}}}));
    }
    if (ev != "product.updated" && ev != "product.deactivated" && ev != "product.activated")
      return skip();
    if (!cur)
      return fail("handler_error");
    if (ev != "product.updated")
      return ok(with(*cur, "active", ev == "product.activated"));
    auto next = *cur;
    if (field(p, "name"))
      next = with(next, "name", text(p, "name"));
    if (p.find("description"))
      next = with(next, "description", text_or_null(p, "description"));
    if (field(p, "price"))
      next = with(next, "price", dbl(real(p, "price", 0)));
    if (p.find("attributes"))
      next = with(next, "attributes", *p.find("attributes"));
    return ok(next);
  }

  result customer(const step& s, const json::value* cur) {
    const auto& p = s.payload;
    const auto& ev = s.event_type;
    if (ev == "customer.created") {
      if (cur)
        return fail("invalid_state_transition");
      if (!field(p, "email") || !p.find("email")->is_string())
        return fail("schema_validation"); // the reference aborts here; this project parks it
      auto* meta = field(p, "metadata");
      return ok(object({{"customer_id", s.entity_id},
                        {"email", text(p, "email")},
                        {"name", text_or_null(p, "name")},
                        {"phone", text_or_null(p, "phone")},
                        {"addresses", json::array{}},
                        {"metadata", meta ? *meta : json::value{json::object{}}},
                        {"active", true}}));
    }
    if (ev != "customer.updated" && ev != "customer.address_added")
      return skip();
    if (!cur)
      return fail("handler_error");
    auto next = *cur;
    if (ev == "customer.updated") {
      if (field(p, "email"))
        next = with(next, "email", text(p, "email"));
      if (p.find("name"))
        next = with(next, "name", text_or_null(p, "name"));
      if (p.find("phone"))
        next = with(next, "phone", text_or_null(p, "phone"));
      if (p.find("metadata"))
        next = with(next, "metadata", *p.find("metadata"));
      return ok(next);
    }
    if (auto* a = p.find("address")) {
      auto list = cur->find("addresses")->as_array();
      list.push_back(*a);
      next = with(next, "addresses", json::value{std::move(list)});
    }
    return ok(next);
  }

  result return_(const step& s, const json::value* cur) {
    const auto& p = s.payload;
    const auto& ev = s.event_type;
    if (ev == "return.requested") {
      if (cur)
        return fail("invalid_state_transition");
      if (!field(p, "order_id") || !field(p, "customer_id"))
        return fail("schema_validation"); // the reference aborts here; this project parks it
      auto* items = field(p, "items");
      return ok(object({{"return_id", s.entity_id},
                        {"order_id", text(p, "order_id")},
                        {"customer_id", text(p, "customer_id")},
                        {"status", "requested"},
                        {"reason", text(p, "reason")},
                        {"items", items ? *items : json::value{json::array{}}},
                        {"refund_amount", json::value{}}}));
    }
    static const std::map<std::string, std::pair<std::string, std::string>> moves = {
      {"return.approved", {"requested", "approved"}},
      {"return.received", {"approved", "received"}},
      {"return.refunded", {"", "refunded"}},
      {"return.completed", {"", "completed"}},
    };
    auto m = moves.find(ev);
    if (m == moves.end())
      return skip();
    if (!cur)
      return fail("handler_error");
    if (!m->second.first.empty() && text(*cur, "status") != m->second.first)
      return fail("invalid_state_transition");
    auto next = with(*cur, "status", m->second.second);
    if (ev == "return.refunded")
      next = with(next, "refund_amount",
                  field(p, "refund_amount") ? dbl(real(p, "refund_amount", 0)) : json::value{});
    return ok(next);
  }

  std::set<key> blocked_;
};

// -- the script ---------------------------------------------------------------------------------

/// The scenario. Deliberate violations (and what the projector must do with them):
///   order-05  shipped before it was confirmed      → invalid_state_transition (dead); its
///             confirmed/processing/shipped/delivered wait behind it (blocked_behind)
///   order-08  cancelled after delivery             → invalid_state_transition (dead)
///   sku-05    adjusted below zero                  → invariant_violation (dead); its next
///             reservation waits behind it
///   sku-06    reserving more than is available     → invariant_violation (dead)
///   sku-07    adjusted before it exists            → handler_error (retried, then dead); its
///             initialisation waits behind it
///   cust-07   created without an email             → schema_validation (retried, then dead)
///   prod-09   updated with base_version 2 after an unknown event type (projected version 1)
///                                                  → version_conflict (retried, then dead)
///   ret-03    received without being approved      → invalid_state_transition (dead)
///   ret-04    requested without an order id        → schema_validation (retried, then dead)
/// plus events the projector skips: an unknown event type of a known entity, and an entity
/// type without a handler. The legacy API carries customers cust-09..cust-10 and prod-10.
inline std::vector<step> script() {
  std::vector<step> out;
  auto add = [&](std::string type, std::string id, std::string ev, json::value payload) {
    out.push_back({std::move(type), std::move(id), std::move(ev), std::move(payload), {}, false});
  };
  auto id2 = [](int i) { return (i < 10 ? "0" : "") + std::to_string(i); };
  auto sku = [&](int i) { return "sku-" + id2(i) + ":wh-1"; };

  // Catalogue.
  for (int i = 1; i <= 9; ++i)
    add("product", "prod-" + id2(i), "product.created",
        object({{"sku", "SKU-" + id2(i)},
                {"name", "Product " + std::to_string(i)},
                {"price", dbl(9.5 + i)},
                {"currency", "USD"},
                {"attributes", object({{"color", i % 2 ? "red" : "blue"}})}}));
  add("product", "prod-02", "product.updated",
      object({{"price", dbl(24.25)}, {"name", "Product 2 (v2)"}}));
  add("product", "prod-03", "product.deactivated", object({}));
  add("product", "prod-04", "product.deactivated", object({}));
  add("product", "prod-04", "product.activated", object({}));
  add("product", "prod-05", "product.updated", object({{"description", "now with a lid"}}));
  add("product", "prod-09", "product.reviewed", object({{"stars", num(4)}})); // skipped
  out.push_back({"product", "prod-09", "product.updated", object({{"price", dbl(1.0)}}), 2,
                 false}); // version_conflict: projected version is 1
  add("product", "prod-09", "product.updated", object({{"name", "blocked"}})); // behind it

  // Customers (cust-07 without an email).
  for (int i = 1; i <= 8; ++i) {
    json::object o{{"name", "Customer " + std::to_string(i)}};
    if (i != 7)
      o.emplace_back("email", "c" + std::to_string(i) + "@shop.example");
    if (i % 3 == 0)
      o.emplace_back("phone", "+1-555-010" + std::to_string(i));
    add("customer", "cust-" + id2(i), "customer.created", object(std::move(o)));
  }
  add("customer", "cust-02", "customer.updated", object({{"phone", "+1-555-0199"}}));
  add("customer", "cust-03", "customer.address_added",
      object({{"address", object({{"city", "Lisbon"}, {"zip", "1000"}})}}));
  add("customer", "cust-04", "customer.address_added",
      object({{"address", object({{"city", "Porto"}})}}));
  add("customer", "cust-04", "customer.address_added",
      object({{"address", object({{"city", "Faro"}})}}));
  add("customer", "cust-07", "customer.updated", object({{"name", "still no email"}}));

  // Stock.
  for (int i = 1; i <= 6; ++i)
    add("inventory", sku(i), "inventory.initialized",
        object({{"quantity", num(50 + 10 * i)}, {"reorder_point", num(5)}}));
  add("inventory", sku(7), "inventory.adjusted", object({{"adjustment", num(5)}})); // not found
  add("inventory", sku(7), "inventory.initialized", object({{"quantity", num(3)}})); // behind
  add("inventory", sku(5), "inventory.adjusted", object({{"adjustment", num(-500)}})); // < 0
  add("inventory", sku(6), "inventory.reserved", object({{"quantity", num(1000)}})); // > avail
  add("shipment", "shp-1", "shipment.created", object({{"carrier", "dhl"}})); // no handler

  // Orders: each reserves stock, most are shipped (fulfilled) and delivered.
  for (int i = 1; i <= 20; ++i) {
    auto oid = "order-" + id2(i);
    int s = 1 + (i % 6);
    int qty = 1 + i % 3;
    json::array lines{object({{"product_id", "prod-" + id2(s)},
                              {"quantity", num(qty)},
                              {"unit_price", dbl(9.5 + s)}})};
    add("order", oid, "order.created",
        object({{"customer_id", "cust-" + id2(1 + i % 6)},
                {"total_amount", dbl(qty * (9.5 + s))},
                {"currency", "USD"},
                {"line_items", json::value{std::move(lines)}},
                {"shipping_address", object({{"city", "Berlin"}, {"street", "Main " + id2(i)}})}}));
    add("inventory", sku(s), "inventory.reserved", object({{"quantity", num(qty)}}));
    if (i == 5) { // shipped before it was confirmed; everything after waits behind it
      add("order", oid, "order.shipped", object({}));
      add("order", oid, "order.confirmed", object({}));
      add("order", oid, "order.processing", object({}));
      add("order", oid, "order.shipped", object({}));
      add("order", oid, "order.delivered", object({}));
      continue;
    }
    if (i == 6 || i == 13) { // cancelled while pending: the reservation is released
      add("order", oid, "order.cancelled", object({{"reason", "customer request"}}));
      add("inventory", sku(s), "inventory.released", object({{"quantity", num(qty)}}));
      continue;
    }
    add("order", oid, "order.confirmed", object({}));
    if (i == 9)
      add("order", oid, "order.note_added", object({{"note", "gift wrap"}})); // skipped
    if (i == 17)
      continue; // stays confirmed
    add("order", oid, "order.processing", object({}));
    if (i == 7) { // cancelled while processing
      add("order", oid, "order.cancelled", object({}));
      add("inventory", sku(s), "inventory.released", object({{"quantity", num(qty)}}));
      continue;
    }
    if (i == 18)
      continue; // stays processing
    add("order", oid, "order.shipped", object({}));
    add("inventory", sku(s), "inventory.fulfilled", object({{"quantity", num(qty)}}));
    if (i == 19)
      continue; // stays shipped
    add("order", oid, "order.delivered", object({}));
    if (i == 8)
      add("order", oid, "order.cancelled", object({})); // after delivery: refused
  }
  add("inventory", sku(5), "inventory.reserved", object({{"quantity", num(1)}})); // behind
  add("inventory", sku(1), "inventory.adjusted", object({{"adjustment", num(25)}}));
  add("inventory", sku(2), "inventory.adjusted", object({{"adjustment", num(-7)}}));

  // Returns.
  auto items = [](int s) {
    return json::value{json::array{object(
      {{"product_id", "prod-" + std::string{"0"} + std::to_string(s)},
       {"quantity", num(1)},
       {"condition", "opened"}})}};
  };
  add("return", "ret-01", "return.requested",
      object({{"order_id", "order-01"}, {"customer_id", "cust-02"}, {"reason", "too small"},
              {"items", items(2)}}));
  add("return", "ret-01", "return.approved", object({}));
  add("return", "ret-01", "return.received", object({}));
  add("inventory", sku(2), "inventory.adjusted", object({{"adjustment", num(1)}}));
  add("return", "ret-01", "return.refunded", object({{"refund_amount", dbl(12.5)}}));
  add("return", "ret-01", "return.completed", object({}));
  add("return", "ret-02", "return.requested",
      object({{"order_id", "order-02"}, {"customer_id", "cust-03"}, {"items", items(3)}}));
  add("return", "ret-02", "return.approved", object({}));
  add("return", "ret-03", "return.requested",
      object({{"order_id", "order-03"}, {"customer_id", "cust-04"}, {"reason", "broken"},
              {"items", items(4)}}));
  add("return", "ret-03", "return.received", object({})); // not approved
  add("return", "ret-04", "return.requested",
      object({{"customer_id", "cust-05"}, {"reason", "no order id"}})); // invalid payload
  add("return", "ret-02", "return.refunded", object({})); // from any status, no amount

  // Legacy API: its own sequence space, its own entities.
  for (int i = 9; i <= 10; ++i)
    out.push_back({"customer", "cust-" + id2(i), "customer.created",
                   object({{"email", "legacy" + std::to_string(i) + "@shop.example"}}), {}, true});
  out.push_back({"customer", "cust-10", "customer.updated", object({{"name", "Legacy Ten"}}), {},
                 true});
  out.push_back({"product", "prod-10", "product.created",
                 object({{"sku", "SKU-10"}, {"name", "Legacy product"}, {"price", num(3)}}), {},
                 true});
  out.push_back({"product", "prod-10", "product.deactivated", object({}), {}, true});
  return out;
}

} // namespace seq::it::commerce
