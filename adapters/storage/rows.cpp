// SPDX-License-Identifier: Apache-2.0
#include "adapters/storage/rows.hpp"

#include "messages/errc.hpp"

#include <chrono>
#include <limits>

namespace seq::storage::detail {

// -- row_view ---------------------------------------------------------------------------------

uuid row_view::id(int col) const {
  auto s = text(col);
  if (auto u = uuid::parse(s))
    return *u;
  fail("column " + std::to_string(col) + " is not a UUID: '" + s + "'");
  return {};
}

std::optional<uuid> row_view::opt_id(int col) const {
  if (is_null(col))
    return std::nullopt;
  return id(col);
}

std::optional<int64_t> row_view::opt_i64(int col) const {
  if (is_null(col))
    return std::nullopt;
  return i64(col);
}

// -- decoders ---------------------------------------------------------------------------------

namespace {

std::optional<uint64_t> opt_u64(const row_view& r, int col) {
  if (r.is_null(col))
    return std::nullopt;
  return static_cast<uint64_t>(r.i64(col));
}

} // namespace

msg::sequenced_ves_event decode_ves(const row_view& r) {
  msg::sequenced_ves_event x;
  auto& e = x.ev;
  e.event_id = r.id(0);
  e.command_id = r.opt_id(1);
  e.ves_version = static_cast<uint32_t>(r.i64(2));
  e.tenant_id = r.id(3);
  e.store_id = r.id(4);
  e.source_agent_id = r.id(5);
  e.agent_key_id = static_cast<uint32_t>(r.i64(6));
  e.entity_type = r.text(7);
  e.entity_id = r.text(8);
  e.event_type = r.text(9);
  e.created_at = r.text(10);
  x.sequenced_at = r.i64(11);
  e.payload_kind = static_cast<uint32_t>(r.i64(12));
  if (!r.is_null(13))
    e.payload = r.text(13);
  if (!r.is_null(14))
    e.payload_encrypted = r.text(14);
  e.payload_plain_hash = r.fixed<32>(15);
  e.payload_cipher_hash = r.fixed<32>(16);
  e.event_signing_hash = r.fixed<32>(17);
  e.agent_signature = r.fixed<64>(18);
  x.sequence_number = static_cast<uint64_t>(r.i64(19));
  e.base_version = opt_u64(r, 20);
  e.agent_signature_scheme = static_cast<int32_t>(r.i64(21));
  if (!r.is_null(22)) {
    auto& c = x.rcpt;
    c.event_id = r.id(22);
    c.sequencer_id = r.id(23);
    c.sequence_number = static_cast<uint64_t>(r.i64(24));
    c.sequenced_at = r.i64(25);
    c.receipt_hash = r.fixed<32>(26);
    if (!r.is_null(27))
      c.sequencer_signature = r.fixed<64>(27);
    c.sequencer_key_version = static_cast<int32_t>(r.i64(28));
  }
  return x;
}

msg::projectable_event decode_ves_projectable(const row_view& r) {
  msg::projectable_event x;
  x.space = static_cast<uint8_t>(msg::space::ves);
  x.sequence_number = static_cast<uint64_t>(r.i64(0));
  x.event_id = r.id(1);
  x.entity_type = r.text(2);
  x.entity_id = r.text(3);
  x.event_type = r.text(4);
  x.encrypted = r.i64(5) != 0;
  if (!x.encrypted && !r.is_null(6))
    x.payload = r.text(6);
  x.base_version = opt_u64(r, 7);
  return x;
}

ves_leaf_row decode_ves_leaf(const row_view& r) {
  ves_leaf_row x;
  x.sequence_number = static_cast<uint64_t>(r.i64(0));
  x.event_signing_hash = r.fixed<32>(1);
  x.agent_signature = r.fixed<64>(2);
  return x;
}

msg::sequenced_legacy_event decode_legacy(const row_view& r) {
  msg::sequenced_legacy_event x;
  auto& e = x.ev;
  e.event_id = r.id(0);
  e.command_id = r.opt_id(1);
  e.tenant_id = r.id(2);
  e.store_id = r.id(3);
  e.entity_type = r.text(4);
  e.entity_id = r.text(5);
  e.event_type = r.text(6);
  e.payload = r.text(7);
  e.payload_hash = r.fixed<32>(8);
  e.base_version = opt_u64(r, 9);
  e.created_at = r.i64(10);
  e.source_agent = r.id(11);
  if (!r.is_null(12))
    e.signature = r.blob(12);
  x.sequence_number = static_cast<uint64_t>(r.i64(13));
  x.sequenced_at = r.i64(14);
  return x;
}

msg::agent_key decode_agent_key(const row_view& r) {
  msg::agent_key k;
  k.tenant_id = r.id(0);
  k.agent_id = r.id(1);
  k.key_id = static_cast<uint32_t>(r.i64(2));
  k.public_key = r.fixed<32>(3);
  k.key_algorithm = static_cast<int32_t>(r.i64(4));
  k.status = r.text(5);
  k.valid_from = r.opt_i64(6);
  k.valid_to = r.opt_i64(7);
  k.revoked_at = r.opt_i64(8);
  k.created_at = r.i64(9);
  return k;
}

msg::api_key_record decode_api_key(const row_view& r) {
  msg::api_key_record k;
  k.key_hash = r.text(0);
  k.tenant_id = r.id(1);
  k.store_ids = r.uuid_list(2);
  k.can_read = r.boolean(3);
  k.can_write = r.boolean(4);
  k.can_admin = r.boolean(5);
  k.agent_id = r.opt_id(6);
  k.active = r.boolean(7);
  if (!r.is_null(8))
    k.rate_limit = static_cast<int32_t>(r.i64(8));
  k.created_at = r.i64(9);
  k.updated_at = r.i64(10);
  return k;
}

// -- helpers ----------------------------------------------------------------------------------

std::optional<std::vector<entity_cas>> merge_cas(const std::vector<entity_cas>& xs) {
  std::vector<entity_cas> out;
  out.reserve(xs.size());
  for (const auto& x : xs) {
    auto i = std::find_if(out.begin(), out.end(),
                          [&](const entity_cas& y) { return y.key == x.key; });
    if (i == out.end()) {
      out.push_back(x);
    } else {
      if (x.expected != i->next)
        return std::nullopt;
      i->next = x.next;
    }
  }
  return out;
}

caf::expected<void> validate_group(const write_group& g) {
  for (const auto& x : g.ves) {
    if (x.ev.tenant_id != g.stream.tenant_id || x.ev.store_id != g.stream.store_id)
      return make_error(errc::invalid_request,
                        "VES event " + x.ev.event_id.str() + " is not in stream " + g.stream.str());
    if (x.rcpt.event_id != x.ev.event_id)
      return make_error(errc::invalid_request,
                        "receipt of VES event " + x.ev.event_id.str() + " names another event");
    if (x.sequence_number == 0)
      return make_error(errc::invalid_request, "VES event without a sequence number");
  }
  for (const auto& x : g.legacy) {
    if (x.ev.tenant_id != g.stream.tenant_id || x.ev.store_id != g.stream.store_id)
      return make_error(errc::invalid_request, "legacy event " + x.ev.event_id.str()
                                                 + " is not in stream " + g.stream.str());
    if (x.sequence_number == 0)
      return make_error(errc::invalid_request, "legacy event without a sequence number");
  }
  return {};
}

std::vector<entity_key> distinct_keys(const std::vector<entity_cas>& xs) {
  std::vector<entity_key> out;
  for (const auto& x : xs)
    if (std::find(out.begin(), out.end(), x.key) == out.end())
      out.push_back(x.key);
  return out;
}

std::string join_uuids(const std::vector<uuid>& xs, char sep) {
  std::string out;
  for (const auto& x : xs) {
    if (!out.empty())
      out += sep;
    out += x.str();
  }
  return out;
}

std::optional<std::vector<uuid>> split_uuids(std::string_view s, char sep) {
  std::vector<uuid> out;
  while (!s.empty()) {
    auto pos = s.find(sep);
    auto item = s.substr(0, pos);
    auto u = uuid::parse(item);
    if (!u)
      return std::nullopt;
    out.push_back(*u);
    if (pos == std::string_view::npos)
      break;
    s.remove_prefix(pos + 1);
  }
  return out;
}

std::string pg_uuid_array(const std::vector<uuid>& xs) {
  return "{" + join_uuids(xs, ',') + "}";
}

std::optional<std::pair<int64_t, int64_t>> seq_range(uint64_t from, uint32_t limit) {
  constexpr auto max = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (limit == 0 || from > max)
    return std::nullopt;
  auto to = from + limit - 1; // no overflow: from <= 2^63 - 1, limit < 2^32
  if (to > max)
    to = max;
  return std::pair{static_cast<int64_t>(from), static_cast<int64_t>(to)};
}

int64_t now_micros() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

caf::error corrupt_row(const char* table, const row_view& r) {
  return make_error(errc::storage_failure,
                    std::string{"corrupt row in "} + table + ": " + r.error());
}

} // namespace seq::storage::detail
