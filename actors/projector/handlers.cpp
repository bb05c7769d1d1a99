// SPDX-License-Identifier: Apache-2.0
#include "actors/projector/handlers.hpp"

#include <array>
#include <initializer_list>
#include <limits>
#include <optional>
#include <utility>

namespace seq::actors::projection {

namespace {

using ves::json::array;
using ves::json::object;
using ves::json::value;
using msg::dlq_reason;

// -- serde_json-like accessors ----------------------------------------------------------------

const value* get(const value& obj, std::string_view key) {
  return obj.find(key);
}

/// `Value::as_str`.
const std::string* as_str(const value* v) {
  return v && v->is_string() ? &v->as_string() : nullptr;
}

/// `Value::as_f64`: any number.
std::optional<double> as_f64(const value* v) {
  if (!v || !v->is_number())
    return std::nullopt;
  return v->as_number().d;
}

/// `Value::as_i64`: an integer literal within i64.
std::optional<int64_t> as_i64(const value* v) {
  if (!v || !v->is_number())
    return std::nullopt;
  const auto& n = v->as_number();
  if (n.is_i64)
    return n.i;
  if (n.is_u64 && n.u <= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()))
    return static_cast<int64_t>(n.u);
  return std::nullopt;
}

/// serde's u32 deserialisation: an integer literal within u32.
std::optional<uint32_t> as_u32(const value* v) {
  if (!v || !v->is_number())
    return std::nullopt;
  const auto& n = v->as_number();
  if (n.is_u64 && n.u <= std::numeric_limits<uint32_t>::max())
    return static_cast<uint32_t>(n.u);
  return std::nullopt;
}

value str_or_null(const value* v) {
  if (auto s = as_str(v))
    return value{*s};
  return value{};
}

// -- results ----------------------------------------------------------------------------------

apply_result applied(value state) {
  apply_result r;
  r.k = apply_result::kind::applied;
  r.state = std::move(state);
  return r;
}

apply_result skipped(std::string why) {
  apply_result r;
  r.k = apply_result::kind::skipped;
  r.message = std::move(why);
  return r;
}

apply_result failed(dlq_reason reason, std::string message) {
  apply_result r;
  r.failure = reason;
  r.message = std::move(message);
  return r;
}

apply_result not_found(std::string_view what, const std::string& id) {
  return failed(dlq_reason::handler_error, std::string{what} + " " + id + " not found");
}

apply_result already_exists(std::string_view what) {
  return failed(dlq_reason::invalid_state_transition, std::string{what} + " already exists");
}

apply_result overflow(std::string_view field) {
  return failed(dlq_reason::invariant_violation,
                "inventory " + std::string{field}
                  + " arithmetic within i64 range violated (adjustment overflowed)");
}

/// A copy of the current state object (its own top-level member list: json::value copies
/// share arrays and objects), or nullopt when the stored state is not an object.
std::optional<value> current_object(const value& state) {
  if (!state.is_object())
    return std::nullopt;
  return value{object{state.as_object()}};
}

std::string status_of(const value& state) {
  if (auto s = as_str(get(state, "status")))
    return *s;
  return "";
}

// -- list parsing (serde's Vec<T> from a value; any bad element → the whole list is []) ------

value parse_line_items(const value* v) {
  if (!v || !v->is_array())
    return value{array{}};
  array out;
  for (const auto& item : v->as_array()) {
    if (!item.is_object())
      return value{array{}};
    auto product_id = as_str(get(item, "product_id"));
    auto quantity = as_u32(get(item, "quantity"));
    auto unit_price = as_f64(get(item, "unit_price"));
    if (!product_id || !quantity || !unit_price)
      return value{array{}};
    out.push_back(value{object{{"product_id", value{*product_id}},
                               {"quantity", value::from_u64(*quantity)},
                               {"unit_price", value::from_double(*unit_price)}}});
  }
  return value{std::move(out)};
}

value parse_return_items(const value* v) {
  if (!v || !v->is_array())
    return value{array{}};
  array out;
  for (const auto& item : v->as_array()) {
    if (!item.is_object())
      return value{array{}};
    auto product_id = as_str(get(item, "product_id"));
    auto quantity = as_u32(get(item, "quantity"));
    if (!product_id || !quantity)
      return value{array{}};
    value condition;
    if (auto c = get(item, "condition"); c && !c->is_null()) {
      if (!c->is_string())
        return value{array{}};
      condition = *c;
    }
    out.push_back(value{object{{"product_id", value{*product_id}},
                               {"quantity", value::from_u64(*quantity)},
                               {"condition", std::move(condition)}}});
  }
  return value{std::move(out)};
}

using current_t = std::optional<std::pair<value, int64_t>>;

// -- order ------------------------------------------------------------------------------------

apply_result apply_order(const current_t& cur, const apply_input& in) {
  const auto& p = in.payload;
  if (in.event_type == "order.created") {
    if (cur)
      return already_exists("Order");
    auto customer_id = as_str(get(p, "customer_id"));
    if (!customer_id)
      return failed(dlq_reason::schema_validation,
                    "Invalid order.created payload: missing customer_id");
    auto currency = as_str(get(p, "currency"));
    value shipping;
    if (auto s = get(p, "shipping_address"))
      shipping = *s;
    return applied(value{object{
      {"order_id", value{in.entity_id}},
      {"customer_id", value{*customer_id}},
      {"status", value{"pending"}},
      {"total_amount", value::from_double(as_f64(get(p, "total_amount")).value_or(0.0))},
      {"currency", value{currency ? *currency : std::string{"USD"}}},
      {"line_items", parse_line_items(get(p, "line_items"))},
      {"shipping_address", std::move(shipping)},
    }});
  }
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 4> steps = {{
    {"order.confirmed", "confirmed"},
    {"order.processing", "processing"},
    {"order.shipped", "shipped"},
    {"order.delivered", "delivered"},
  }};
  // The only allowed transition into steps[i] comes from this status.
  static constexpr std::array<std::string_view, 4> from = {"pending", "confirmed", "processing",
                                                           "shipped"};
  for (size_t i = 0; i < steps.size(); ++i) {
    if (in.event_type != steps[i].first)
      continue;
    if (!cur)
      return not_found("Order", in.entity_id);
    auto state = current_object(cur->first);
    if (!state)
      return failed(dlq_reason::handler_error, "stored order state is not an object");
    auto status = status_of(*state);
    if (status != from[i])
      return failed(dlq_reason::invalid_state_transition,
                    "Invalid transition from " + (status.empty() ? "unknown" : status) + " to "
                      + std::string{steps[i].second});
    state->set("status", value{std::string{steps[i].second}});
    return applied(std::move(*state));
  }
  if (in.event_type == "order.cancelled") {
    if (!cur)
      return not_found("Order", in.entity_id);
    auto state = current_object(cur->first);
    if (!state)
      return failed(dlq_reason::handler_error, "stored order state is not an object");
    if (status_of(*state) == "delivered")
      return failed(dlq_reason::invalid_state_transition, "Cannot cancel delivered order");
    state->set("status", value{"cancelled"});
    return applied(std::move(*state));
  }
  return skipped("Unknown order event type: " + in.event_type);
}

// -- inventory --------------------------------------------------------------------------------

struct stock {
  int64_t on_hand = 0, reserved = 0, available = 0;
};

/// Projection states are stored in RFC 8785 form, whose numbers are IEEE doubles: an integer
/// beyond ±2^53 would be read back rounded, and the next event would apply to another value
/// than the one the last event left. Quantities stay within that range.
constexpr int64_t max_stored_quantity = int64_t{1} << 53;

std::optional<apply_result> beyond_storable(std::initializer_list<std::pair<const char*, int64_t>>
                                                fields) {
  for (auto [name, v] : fields)
    if (v > max_stored_quantity || v < -max_stored_quantity)
      return failed(dlq_reason::invariant_violation,
                    "inventory " + std::string{name} + " " + std::to_string(v)
                      + " is beyond 2^53, the largest integer a projection stores exactly");
  return std::nullopt;
}

apply_result apply_inventory(const current_t& cur, const apply_input& in) {
  const auto& p = in.payload;
  std::string product_id = in.entity_id;
  std::string location_id = "default";
  if (auto pos = in.entity_id.find(':');
      pos != std::string::npos && in.entity_id.find(':', pos + 1) == std::string::npos) {
    product_id = in.entity_id.substr(0, pos);
    location_id = in.entity_id.substr(pos + 1);
  }
  if (in.event_type == "inventory.initialized") {
    if (cur)
      return failed(dlq_reason::invalid_state_transition, "Inventory already initialized");
    auto quantity = as_i64(get(p, "quantity")).value_or(0);
    if (quantity < 0)
      return failed(dlq_reason::invariant_violation,
                    "quantity_on_hand >= 0 violated: initial quantity "
                      + std::to_string(quantity));
    auto reorder_point = as_i64(get(p, "reorder_point")).value_or(10);
    if (auto r = beyond_storable({{"quantity_on_hand", quantity},
                                  {"reorder_point", reorder_point}}))
      return std::move(*r);
    return applied(value{object{
      {"product_id", value{product_id}},
      {"location_id", value{location_id}},
      {"quantity_on_hand", value::from_i64(quantity)},
      {"quantity_reserved", value::from_i64(0)},
      {"quantity_available", value::from_i64(quantity)},
      {"reorder_point", value::from_i64(reorder_point)},
    }});
  }
  const bool adjusted = in.event_type == "inventory.adjusted";
  const bool reserved = in.event_type == "inventory.reserved";
  const bool released = in.event_type == "inventory.released";
  const bool fulfilled = in.event_type == "inventory.fulfilled";
  if (!adjusted && !reserved && !released && !fulfilled)
    return skipped("Unknown inventory event type: " + in.event_type);
  if (!cur)
    return failed(dlq_reason::handler_error,
                  "Inventory " + product_id + ":" + location_id + " not found");
  auto state = current_object(cur->first);
  if (!state)
    return failed(dlq_reason::handler_error, "stored inventory state is not an object");
  auto on_hand = as_i64(get(*state, "quantity_on_hand"));
  auto res = as_i64(get(*state, "quantity_reserved"));
  if (!on_hand || !res)
    return failed(dlq_reason::handler_error, "stored inventory state has no quantities");
  stock s{*on_hand, *res, 0};
  if (adjusted) {
    auto adjustment = as_i64(get(p, "adjustment")).value_or(0);
    if (__builtin_add_overflow(s.on_hand, adjustment, &s.on_hand))
      return overflow("quantity_on_hand");
    if (s.on_hand < 0)
      return failed(dlq_reason::invariant_violation,
                    "quantity_on_hand >= 0 violated: adjustment would result in negative "
                    "quantity "
                      + std::to_string(s.on_hand));
  } else {
    auto quantity = as_i64(get(p, "quantity")).value_or(0);
    if (quantity < 0)
      return failed(dlq_reason::schema_validation,
                    "inventory quantity must be non-negative, got " + std::to_string(quantity));
    if (reserved) {
      int64_t available = 0;
      if (__builtin_sub_overflow(s.on_hand, s.reserved, &available))
        return overflow("quantity_available");
      if (quantity > available)
        return failed(dlq_reason::invariant_violation,
                      "reserved <= available violated: cannot reserve "
                        + std::to_string(quantity) + ", only " + std::to_string(available)
                        + " available");
      if (__builtin_add_overflow(s.reserved, quantity, &s.reserved))
        return overflow("quantity_reserved");
    } else {
      if (fulfilled) {
        if (__builtin_sub_overflow(s.on_hand, quantity, &s.on_hand))
          return overflow("quantity_on_hand");
        if (s.on_hand < 0)
          return failed(dlq_reason::invariant_violation,
                        "quantity_on_hand >= 0 violated: fulfillment of "
                          + std::to_string(quantity) + " would result in negative quantity");
      }
      // reserved = max(0, reserved - quantity); both are ≥ 0 here, so no overflow.
      s.reserved = s.reserved > quantity ? s.reserved - quantity : 0;
    }
  }
  if (__builtin_sub_overflow(s.on_hand, s.reserved, &s.available))
    return overflow("quantity_available");
  if (auto r = beyond_storable({{"quantity_on_hand", s.on_hand},
                                {"quantity_reserved", s.reserved},
                                {"quantity_available", s.available}}))
    return std::move(*r);
  state->set("quantity_on_hand", value::from_i64(s.on_hand));
  state->set("quantity_reserved", value::from_i64(s.reserved));
  state->set("quantity_available", value::from_i64(s.available));
  return applied(std::move(*state));
}

// -- product ----------------------------------------------------------------------------------

apply_result apply_product(const current_t& cur, const apply_input& in) {
  const auto& p = in.payload;
  if (in.event_type == "product.created") {
    if (cur)
      return already_exists("Product");
    auto sku = as_str(get(p, "sku"));
    auto name = as_str(get(p, "name"));
    auto currency = as_str(get(p, "currency"));
    value attributes{object{}};
    if (auto a = get(p, "attributes"))
      attributes = *a;
    return applied(value{object{
      {"product_id", value{in.entity_id}},
      {"sku", value{sku ? *sku : std::string{}}},
      {"name", value{name ? *name : std::string{}}},
      {"description", str_or_null(get(p, "description"))},
      {"price", value::from_double(as_f64(get(p, "price")).value_or(0.0))},
      {"currency", value{currency ? *currency : std::string{"USD"}}},
      {"active", value{true}},
      {"attributes", std::move(attributes)},
    }});
  }
  const bool updated = in.event_type == "product.updated";
  const bool deactivated = in.event_type == "product.deactivated";
  const bool activated = in.event_type == "product.activated";
  if (!updated && !deactivated && !activated)
    return skipped("Unknown product event type: " + in.event_type);
  if (!cur)
    return not_found("Product", in.entity_id);
  auto state = current_object(cur->first);
  if (!state)
    return failed(dlq_reason::handler_error, "stored product state is not an object");
  if (updated) {
    if (auto name = as_str(get(p, "name")))
      state->set("name", value{*name});
    if (auto d = get(p, "description"))
      state->set("description", str_or_null(d));
    if (auto price = as_f64(get(p, "price")))
      state->set("price", value::from_double(*price));
    if (auto a = get(p, "attributes"))
      state->set("attributes", *a);
  } else {
    state->set("active", value{activated});
  }
  return applied(std::move(*state));
}

// -- customer ---------------------------------------------------------------------------------

apply_result apply_customer(const current_t& cur, const apply_input& in) {
  const auto& p = in.payload;
  if (in.event_type == "customer.created") {
    if (cur)
      return already_exists("Customer");
    auto email = as_str(get(p, "email"));
    if (!email)
      return failed(dlq_reason::schema_validation,
                    "Invalid customer.created payload: missing email");
    value metadata{object{}};
    if (auto m = get(p, "metadata"))
      metadata = *m;
    return applied(value{object{
      {"customer_id", value{in.entity_id}},
      {"email", value{*email}},
      {"name", str_or_null(get(p, "name"))},
      {"phone", str_or_null(get(p, "phone"))},
      {"addresses", value{array{}}},
      {"metadata", std::move(metadata)},
      {"active", value{true}},
    }});
  }
  const bool updated = in.event_type == "customer.updated";
  const bool address_added = in.event_type == "customer.address_added";
  if (!updated && !address_added)
    return skipped("Unknown customer event type: " + in.event_type);
  if (!cur)
    return not_found("Customer", in.entity_id);
  auto state = current_object(cur->first);
  if (!state)
    return failed(dlq_reason::handler_error, "stored customer state is not an object");
  if (updated) {
    if (auto email = as_str(get(p, "email")))
      state->set("email", value{*email});
    if (auto n = get(p, "name"))
      state->set("name", str_or_null(n));
    if (auto ph = get(p, "phone"))
      state->set("phone", str_or_null(ph));
    if (auto m = get(p, "metadata"))
      state->set("metadata", *m);
  } else if (auto a = get(p, "address")) {
    array addresses;
    if (auto cur_addr = get(*state, "addresses"); cur_addr && cur_addr->is_array())
      addresses = cur_addr->as_array();
    addresses.push_back(*a);
    state->set("addresses", value{std::move(addresses)});
  }
  return applied(std::move(*state));
}

// -- return -----------------------------------------------------------------------------------

apply_result apply_return(const current_t& cur, const apply_input& in) {
  const auto& p = in.payload;
  if (in.event_type == "return.requested") {
    if (cur)
      return already_exists("Return");
    auto order_id = as_str(get(p, "order_id"));
    if (!order_id)
      return failed(dlq_reason::schema_validation,
                    "Invalid return.requested payload: missing order_id");
    auto customer_id = as_str(get(p, "customer_id"));
    if (!customer_id)
      return failed(dlq_reason::schema_validation,
                    "Invalid return.requested payload: missing customer_id");
    auto reason = as_str(get(p, "reason"));
    return applied(value{object{
      {"return_id", value{in.entity_id}},
      {"order_id", value{*order_id}},
      {"customer_id", value{*customer_id}},
      {"status", value{"requested"}},
      {"reason", value{reason ? *reason : std::string{}}},
      {"items", parse_return_items(get(p, "items"))},
      {"refund_amount", value{}},
    }});
  }
  std::string_view next;
  std::string_view required; // empty: from any status
  if (in.event_type == "return.approved") {
    next = "approved";
    required = "requested";
  } else if (in.event_type == "return.received") {
    next = "received";
    required = "approved";
  } else if (in.event_type == "return.refunded") {
    next = "refunded";
  } else if (in.event_type == "return.completed") {
    next = "completed";
  } else {
    return skipped("Unknown return event type: " + in.event_type);
  }
  if (!cur)
    return not_found("Return", in.entity_id);
  auto state = current_object(cur->first);
  if (!state)
    return failed(dlq_reason::handler_error, "stored return state is not an object");
  if (!required.empty()) {
    auto status = status_of(*state);
    if (status != required)
      return failed(dlq_reason::invalid_state_transition,
                    "Invalid transition from " + (status.empty() ? "unknown" : status) + " to "
                      + std::string{next} + ": only " + std::string{required}
                      + " returns can be " + std::string{next});
  }
  state->set("status", value{std::string{next}});
  if (next == "refunded") {
    auto amount = as_f64(get(p, "refund_amount"));
    state->set("refund_amount", amount ? value::from_double(*amount) : value{});
  }
  return applied(std::move(*state));
}

} // namespace

bool has_handler(std::string_view entity_type) {
  return entity_type == "order" || entity_type == "inventory" || entity_type == "product"
         || entity_type == "customer" || entity_type == "return";
}

apply_result apply_event(const std::optional<std::pair<ves::json::value, int64_t>>& current,
                         const apply_input& in) {
  if (!has_handler(in.entity_type))
    return skipped("No projector for entity type " + in.entity_type);
  if (in.base_version) {
    auto actual = current ? current->second : 0;
    if (actual < 0 || *in.base_version != static_cast<uint64_t>(actual))
      return failed(dlq_reason::version_conflict,
                    "Version conflict: expected " + std::to_string(*in.base_version)
                      + ", actual " + std::to_string(actual));
  }
  if (in.entity_type == "order")
    return apply_order(current, in);
  if (in.entity_type == "inventory")
    return apply_inventory(current, in);
  if (in.entity_type == "product")
    return apply_product(current, in);
  if (in.entity_type == "customer")
    return apply_customer(current, in);
  return apply_return(current, in);
}

} // namespace seq::actors::projection
