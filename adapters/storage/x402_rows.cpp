// SPDX-License-Identifier: Apache-2.0
#include "adapters/storage/x402_rows.hpp"

#include "messages/ves/json.hpp"

namespace seq::storage::detail {

namespace {

std::optional<uint64_t> opt_u64(const row_view& r, int col) {
  if (r.is_null(col))
    return std::nullopt;
  return static_cast<uint64_t>(r.i64(col));
}

std::optional<std::string> opt_text(const row_view& r, int col) {
  if (r.is_null(col))
    return std::nullopt;
  return r.text(col);
}

template <size_t N>
std::optional<std::array<uint8_t, N>> opt_fixed(const row_view& r, int col) {
  if (r.is_null(col))
    return std::nullopt;
  return r.fixed<N>(col);
}

std::optional<msg::hash32> opt_tx_hash(const row_view& r, int col) {
  if (r.is_null(col))
    return std::nullopt;
  auto s = r.text(col);
  auto h = ves::from_hex_fixed<32>(s, true);
  if (!h)
    r.fail("column " + std::to_string(col) + " is not a transaction hash: '" + s + "'");
  return h.value_or(msg::hash32{});
}

} // namespace

msg::x402_intent decode_x402_intent(const row_view& r) {
  msg::x402_intent x;
  x.intent_id = r.id(0);
  x.x402_version = static_cast<uint32_t>(r.i64(1));
  if (!msg::from_string(r.text(2), x.status))
    r.fail("unknown x402 intent status '" + r.text(2) + "'");
  x.tenant_id = r.id(3);
  x.store_id = r.id(4);
  x.source_agent_id = r.id(5);
  if (!r.is_null(6))
    x.agent_key_id = static_cast<uint32_t>(r.i64(6));
  x.payer_address = r.text(7);
  x.payee_address = r.text(8);
  x.amount = static_cast<uint64_t>(r.i64(9));
  x.asset = r.text(10);
  x.network = r.text(11);
  x.chain_id = static_cast<uint64_t>(r.i64(12));
  x.token_address = opt_text(r, 13);
  x.created_at_unix = static_cast<uint64_t>(r.i64(14));
  x.valid_until = static_cast<uint64_t>(r.i64(15));
  x.nonce = static_cast<uint64_t>(r.i64(16));
  x.idempotency_key = opt_text(r, 17);
  x.resource_uri = opt_text(r, 18);
  x.description = opt_text(r, 19);
  x.order_id = r.opt_id(20);
  x.merchant_id = opt_text(r, 21);
  x.signing_hash = r.fixed<32>(22);
  x.payer_signature = r.fixed<64>(23);
  x.payer_public_key = opt_fixed<32>(r, 24);
  x.sequence_number = opt_u64(r, 25).value_or(0);
  x.sequenced_at = r.opt_i64(26);
  x.batch_id = r.opt_id(27);
  x.tx_hash = opt_tx_hash(r, 28);
  x.block_number = opt_u64(r, 29);
  x.settled_at = r.opt_i64(30);
  if (!r.is_null(31))
    x.metadata = compact_json(r.text(31));
  x.created_at = r.i64(32);
  x.updated_at = r.i64(33);
  return x;
}

msg::x402_batch decode_x402_batch(const row_view& r) {
  msg::x402_batch b;
  b.batch_id = r.id(0);
  if (!msg::from_string(r.text(1), b.status))
    r.fail("unknown x402 batch status '" + r.text(1) + "'");
  b.stream.tenant_id = r.id(2);
  b.stream.store_id = r.id(3);
  b.network = r.text(4);
  b.payment_count = static_cast<uint32_t>(r.i64(5));
  auto totals = decode_x402_totals(r.text(6));
  if (!totals)
    r.fail("x402_payment_batches.total_amounts is not a list of asset totals");
  else
    b.total_amounts = std::move(*totals);
  b.merkle_root = opt_fixed<32>(r, 7);
  b.prev_state_root = opt_fixed<32>(r, 8);
  b.new_state_root = opt_fixed<32>(r, 9);
  b.sequence_start = static_cast<uint64_t>(r.i64(10));
  b.sequence_end = static_cast<uint64_t>(r.i64(11));
  b.tx_hash = opt_tx_hash(r, 12);
  b.block_number = opt_u64(r, 13);
  b.gas_used = opt_u64(r, 14);
  b.created_at = r.i64(15);
  b.committed_at = r.opt_i64(16);
  b.submitted_at = r.opt_i64(17);
  b.settled_at = r.opt_i64(18);
  return b;
}

std::string encode_x402_totals(const std::vector<msg::x402_asset_total>& xs) {
  std::string out = "[";
  for (size_t i = 0; i < xs.size(); ++i) {
    if (i > 0)
      out += ',';
    out += "{\"asset\":" + ves::json::quote(xs[i].asset) + ",\"total_amount\":"
           + (xs[i].total_amount.empty() ? std::string{"0"} : xs[i].total_amount)
           + ",\"payment_count\":" + std::to_string(xs[i].payment_count) + "}";
  }
  out += ']';
  return out;
}

std::optional<std::vector<msg::x402_asset_total>> decode_x402_totals(const std::string& json) {
  auto v = ves::json::try_parse(json);
  if (!v || !v->is_array())
    return std::nullopt;
  std::vector<msg::x402_asset_total> out;
  for (const auto& e : v->as_array()) {
    auto* asset = e.find("asset");
    auto* total = e.find("total_amount");
    auto* count = e.find("payment_count");
    if (!asset || !asset->is_string() || !total || !total->is_number() || !count
        || !count->is_number() || !count->as_number().is_u64)
      return std::nullopt;
    const auto& lex = total->as_number().lexeme;
    if (lex.empty() || lex.find_first_not_of("0123456789") != std::string::npos)
      return std::nullopt;
    out.push_back(msg::x402_asset_total{asset->as_string(), lex,
                                        static_cast<uint32_t>(count->as_number().u)});
  }
  return out;
}

std::string encode_tx_hash(const msg::hash32& h) {
  return ves::to_0x_hex(h);
}

std::string compact_json(const std::string& text) {
  auto v = ves::json::try_parse(text);
  return v ? v->dump() : std::string{};
}

} // namespace seq::storage::detail
