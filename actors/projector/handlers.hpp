// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The domain projection handlers (order, inventory, product, customer, return): pure
/// functions from (current state, event) to the new state or a failure with its DLQ reason.
/// They follow the reference's handlers (wire-contract §8.7), with the deliberate
/// differences listed at the end. No I/O, no CAF actors.
///
/// Order of checks for one event:
///   1. an entity type without a handler → skipped;
///   2. `base_version` set and ≠ the current projected version (0 when the entity is
///      unknown) → version_conflict;
///   3. the entity's handler; an unknown event type of a known entity type → skipped.
/// Failures map to DLQ reasons as §8.7 says: invariant violations → invariant_violation,
/// invalid transitions (and creating an entity that exists) → invalid_state_transition,
/// invalid payloads → schema_validation, an event for an entity that does not exist →
/// handler_error (retryable: the creating event may still arrive by a retry).
///
/// States are JSON objects (no version and no timestamps: the projection row carries the
/// version, the last sequence and updated_at). Numbers: quantities as integers, amounts
/// as JSON floats (serde's f64 form, e.g. `0.0`, `99.5`). Field names follow the
/// reference's Rust structs:
///
///   order     {order_id, customer_id, status, total_amount, currency,
///              line_items: [{product_id, quantity, unit_price}], shipping_address|null}
///             status: pending | confirmed | processing | shipped | delivered | cancelled
///   inventory {product_id, location_id, quantity_on_hand, quantity_reserved,
///              quantity_available, reorder_point}     (entity id `product:location`, or the
///              whole id with location `default` unless it has exactly one `:`)
///   product   {product_id, sku, name, description|null, price, currency, active, attributes}
///   customer  {customer_id, email, name|null, phone|null, addresses: [], metadata, active}
///   return    {return_id, order_id, customer_id, status, reason,
///              items: [{product_id, quantity, condition|null}], refund_amount|null}
///             status: requested | approved | received | refunded | completed
///
/// Events (the reference's type names):
///   order.created (customer_id string required; total_amount number 0.0, currency "USD",
///     line_items [] and shipping_address null by default) → pending;
///     order.confirmed pending→confirmed, order.processing confirmed→processing,
///     order.shipped processing→shipped, order.delivered shipped→delivered; anything else
///     is an invalid transition; order.cancelled from any status but delivered.
///   inventory.initialized (quantity i64 0, reorder_point i64 10) on_hand = available =
///     quantity; inventory.adjusted (adjustment i64 0) on_hand += adjustment, must stay ≥ 0;
///     inventory.reserved (quantity ≥ 0) must be ≤ available, reserved += quantity;
///     inventory.released reserved = max(0, reserved − quantity); inventory.fulfilled
///     on_hand −= quantity (must stay ≥ 0), reserved = max(0, reserved − quantity).
///     available = on_hand − reserved after each; every operation is checked (overflow →
///     invariant_violation "… arithmetic within i64 range"), and every stored quantity
///     stays within ±2^53 (invariant_violation "… beyond 2^53 …"): states are stored in
///     RFC 8785 form, whose numbers are doubles.
///   product.created (sku "", name "", description null, price 0.0, currency "USD",
///     attributes {}, active true), product.updated (name if a string, description if
///     present (null unless a string), price if a number, attributes if present),
///     product.deactivated, product.activated.
///   customer.created (email string required; name, phone null unless strings, metadata {}),
///     customer.updated (email if a string; name/phone if present; metadata if present),
///     customer.address_added (`address` appended when present).
///   return.requested (order_id and customer_id strings required, reason "", items []);
///     return.approved only from requested; return.received only from approved;
///     return.refunded from any status (refund_amount = the payload's number or null);
///     return.completed from any status.
/// Lenient parts kept from the reference: a malformed `line_items`/`items` list becomes [];
/// a field of the wrong type falls back to its default.
///
/// Deliberate differences from the reference:
///   - a missing/non-string customer.email or return.order_id/customer_id is a
///     schema_validation failure (the reference aborts with a hard error);
///   - a negative quantity is a schema_validation failure for inventory.released and
///     inventory.fulfilled too (the reference's latest code; §8.7 names only reserved), and
///     inventory.initialized with a negative quantity is an invariant_violation
///     (on_hand ≥ 0 holds from the first event);
///   - inventory quantities are bounded by ±2^53 instead of the i64 range (see above).

#include "messages/projection.hpp"
#include "messages/ves/json.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace seq::actors::projection {

/// One event as the handlers see it.
struct apply_input {
  std::string entity_type, entity_id, event_type;
  const ves::json::value& payload;
  std::optional<uint64_t> base_version;
};

struct apply_result {
  /// skipped: unknown type of a known entity, or an entity type without a handler.
  enum class kind { applied, skipped } k = kind::applied;
  /// When applied: the new state (a JSON object).
  ves::json::value state;
  /// When failed: the DLQ reason, and a message for people.
  std::optional<msg::dlq_reason> failure;
  /// The failure's message, or why the event was skipped.
  std::string message;
  bool failed() const {
    return failure.has_value();
  }
  bool applied() const {
    return !failed() && k == kind::applied;
  }
  bool skipped() const {
    return !failed() && k == kind::skipped;
  }
};

/// True for the entity types that have a handler (order, inventory, product, customer,
/// return).
bool has_handler(std::string_view entity_type);

/// Applies one event. `current`: the entity's current state and version (nullopt when the
/// entity has no projection yet). See the file comment for the rules.
apply_result apply_event(const std::optional<std::pair<ves::json::value, int64_t>>& current,
                         const apply_input& in);

} // namespace seq::actors::projection
