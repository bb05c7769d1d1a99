// SPDX-License-Identifier: Apache-2.0
#include "adapters/chain/rpc_client.hpp"

#include "adapters/chain/abi.hpp"
#include "messages/domain.hpp"
#include "messages/errc.hpp"

#include <httplib.h>

namespace seq::chain {

namespace json = ves::json;

struct rpc_client::impl {
  std::unique_ptr<httplib::Client> http;
};

namespace {

struct parsed_url {
  std::string scheme_host_port;
  std::string path;
};

caf::expected<parsed_url> parse_url(const std::string& url) {
  auto bad = [&](const char* why) {
    return make_error(errc::invalid_request,
                      std::string{"chain RPC URL "} + why + ": " + msg::url_origin(url));
  };
  auto sep = url.find("://");
  if (sep == std::string::npos)
    return bad("needs a scheme (http:// or https://)");
  auto scheme = url.substr(0, sep);
  if (scheme != "http" && scheme != "https")
    return bad("must use http or https");
  auto rest = url.substr(sep + 3);
  auto slash = rest.find('/');
  auto authority = rest.substr(0, slash);
  std::string path = slash == std::string::npos ? "/" : rest.substr(slash);
  if (authority.empty() || authority.find('@') != std::string::npos)
    return bad("needs a host (and no user info)");
  auto colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    auto port = authority.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos
        || std::stoul(port) > 65535)
      return bad("has an invalid port");
  }
  return parsed_url{scheme + "://" + authority, path};
}

caf::error unavailable(std::string msg) {
  return make_error(errc::chain_unavailable, std::move(msg));
}

caf::error rejected(std::string msg) {
  return make_error(errc::chain_rejected, std::move(msg));
}

const json::value* member(const json::value& v, std::string_view key) {
  return v.is_object() ? v.find(key) : nullptr;
}

caf::expected<uint64_t> as_quantity(const json::value& v, std::string_view what) {
  if (v.is_string())
    if (auto q = parse_quantity(v.as_string()))
      return *q;
  return rejected(std::string{what} + ": expected a quantity, got " + v.dump());
}

caf::expected<u256> as_quantity256(const json::value& v, std::string_view what) {
  if (v.is_string())
    if (auto q = parse_quantity256(v.as_string()))
      return *q;
  return rejected(std::string{what} + ": expected a quantity, got " + v.dump());
}

caf::expected<hash32> as_hash(const json::value& v, std::string_view what) {
  if (v.is_string()) {
    auto b = parse_data(v.as_string());
    if (b && b->size() == 32) {
      hash32 h{};
      std::copy(b->begin(), b->end(), h.begin());
      return h;
    }
  }
  return rejected(std::string{what} + ": expected a 32-byte hash, got " + v.dump());
}

} // namespace

json::value to_json(const call_request& req) {
  json::object o;
  if (req.from)
    o.emplace_back("from", req.from->hex());
  if (req.to)
    o.emplace_back("to", req.to->hex());
  o.emplace_back("data", to_data(req.data));
  if (!req.value.is_zero())
    o.emplace_back("value", to_quantity(req.value));
  return json::value{std::move(o)};
}

rpc_client::rpc_client(rpc_options opts)
  : opts_(std::move(opts)), impl_(std::make_unique<impl>()) {}

rpc_client::rpc_client(rpc_client&&) noexcept = default;
rpc_client& rpc_client::operator=(rpc_client&&) noexcept = default;
rpc_client::~rpc_client() = default;

caf::expected<rpc_client> rpc_client::make(rpc_options opts) {
  auto u = parse_url(opts.url);
  if (!u)
    return std::move(u.error());
  rpc_client c(std::move(opts));
  c.path_ = u->path;
  c.impl_->http = std::make_unique<httplib::Client>(u->scheme_host_port);
  auto& h = *c.impl_->http;
  h.set_connection_timeout(c.opts_.connect_timeout);
  h.set_read_timeout(c.opts_.io_timeout);
  h.set_write_timeout(c.opts_.io_timeout);
  h.set_keep_alive(true);
  return c;
}

caf::expected<json::value> rpc_client::call(std::string_view method, json::array params) {
  last_error_.reset();
  auto id = next_id_++;
  json::object req;
  req.emplace_back("jsonrpc", "2.0");
  req.emplace_back("id", json::value::from_u64(id));
  req.emplace_back("method", std::string{method});
  req.emplace_back("params", json::value{std::move(params)});
  auto body = json::value{std::move(req)}.dump();
  // The origin only: a hosted node's API key often sits in the URL's path or query, and
  // these texts reach logs, /health/detailed and error answers.
  auto where = std::string{method} + " at " + msg::url_origin(opts_.url);
  auto res = impl_->http->Post(path_, body, "application/json");
  if (!res)
    return unavailable(where + ": " + httplib::to_string(res.error()));
  if (res->status >= 500 || res->status == 429)
    return unavailable(where + ": HTTP " + std::to_string(res->status));
  if (res->status != 200)
    return rejected(where + ": HTTP " + std::to_string(res->status));
  std::string perr;
  auto doc = json::try_parse(res->body, &perr);
  if (!doc || !doc->is_object())
    return unavailable(where + ": the answer is not JSON-RPC (" + perr + ")");
  if (auto* err = member(*doc, "error"); err && !err->is_null()) {
    rpc_error_info info;
    if (auto* c = member(*err, "code"); c && c->is_number()) {
      const auto& n = c->as_number();
      info.code = n.is_i64 ? n.i : static_cast<int64_t>(n.u);
    }
    if (auto* m = member(*err, "message"); m && m->is_string())
      info.message = m->as_string();
    if (auto* d = member(*err, "data")) {
      const json::value* hex = d->is_string() ? d : member(*d, "result");
      if (hex && hex->is_string())
        if (auto b = parse_data(hex->as_string()))
          info.revert_data = std::move(*b);
    }
    auto text = where + ": " + info.message + " (code " + std::to_string(info.code) + ")";
    if (!info.revert_data.empty())
      text += " [" + abi::describe_revert(info.revert_data) + "]";
    last_error_ = std::move(info);
    return rejected(std::move(text));
  }
  auto* result = member(*doc, "result");
  if (!result)
    return unavailable(where + ": the answer has neither result nor error");
  return *result;
}

caf::expected<uint64_t> rpc_client::chain_id() {
  auto r = call("eth_chainId", {});
  if (!r)
    return std::move(r.error());
  return as_quantity(*r, "eth_chainId");
}

caf::expected<uint64_t> rpc_client::block_number() {
  auto r = call("eth_blockNumber", {});
  if (!r)
    return std::move(r.error());
  return as_quantity(*r, "eth_blockNumber");
}

caf::expected<uint64_t> rpc_client::transaction_count(const address& a, std::string_view tag) {
  auto r = call("eth_getTransactionCount", {a.hex(), std::string{tag}});
  if (!r)
    return std::move(r.error());
  return as_quantity(*r, "eth_getTransactionCount");
}

caf::expected<u256> rpc_client::gas_price() {
  auto r = call("eth_gasPrice", {});
  if (!r)
    return std::move(r.error());
  return as_quantity256(*r, "eth_gasPrice");
}

caf::expected<u256> rpc_client::max_priority_fee_per_gas() {
  auto r = call("eth_maxPriorityFeePerGas", {});
  if (!r)
    return std::move(r.error());
  return as_quantity256(*r, "eth_maxPriorityFeePerGas");
}

caf::expected<std::optional<u256>> rpc_client::latest_base_fee() {
  auto r = call("eth_getBlockByNumber", {"latest", false});
  if (!r)
    return std::move(r.error());
  if (!r->is_object())
    return rejected("eth_getBlockByNumber(latest): no block");
  auto* fee = member(*r, "baseFeePerGas");
  if (!fee || fee->is_null())
    return std::optional<u256>{};
  auto v = as_quantity256(*fee, "baseFeePerGas");
  if (!v)
    return std::move(v.error());
  return std::optional<u256>{*v};
}

caf::expected<uint64_t> rpc_client::latest_timestamp() {
  auto r = call("eth_getBlockByNumber", {"latest", false});
  if (!r)
    return std::move(r.error());
  auto* ts = member(*r, "timestamp");
  if (!ts)
    return rejected("eth_getBlockByNumber(latest): no timestamp");
  return as_quantity(*ts, "timestamp");
}

caf::expected<uint64_t> rpc_client::estimate_gas(const call_request& req) {
  auto r = call("eth_estimateGas", {to_json(req)});
  if (!r)
    return std::move(r.error());
  return as_quantity(*r, "eth_estimateGas");
}

caf::expected<bytes> rpc_client::eth_call(const call_request& req, std::string_view block) {
  auto r = call("eth_call", {to_json(req), std::string{block}});
  if (!r)
    return std::move(r.error());
  if (r->is_string())
    if (auto b = parse_data(r->as_string()))
      return std::move(*b);
  return rejected("eth_call: expected hex data, got " + r->dump());
}

caf::expected<hash32> rpc_client::send_raw_transaction(const bytes& raw) {
  auto r = call("eth_sendRawTransaction", {to_data(raw)});
  if (!r)
    return std::move(r.error());
  return as_hash(*r, "eth_sendRawTransaction");
}

caf::expected<std::optional<tx_receipt>> rpc_client::transaction_receipt(const hash32& tx_hash) {
  auto r = call("eth_getTransactionReceipt", {to_data(tx_hash)});
  if (!r)
    return std::move(r.error());
  if (r->is_null())
    return std::optional<tx_receipt>{};
  if (!r->is_object())
    return rejected("eth_getTransactionReceipt: expected an object, got " + r->dump());
  // Some nodes return a receipt skeleton with a null block while the tx is pending.
  auto* bn = member(*r, "blockNumber");
  if (!bn || bn->is_null())
    return std::optional<tx_receipt>{};
  tx_receipt rc;
  auto h = as_hash(member(*r, "transactionHash") ? *member(*r, "transactionHash") : json::value{},
                   "transactionHash");
  auto bh =
    as_hash(member(*r, "blockHash") ? *member(*r, "blockHash") : json::value{}, "blockHash");
  auto n = as_quantity(*bn, "blockNumber");
  auto st = as_quantity(member(*r, "status") ? *member(*r, "status") : json::value{}, "status");
  auto gas = as_quantity(member(*r, "gasUsed") ? *member(*r, "gasUsed") : json::value{}, "gasUsed");
  if (!h)
    return std::move(h.error());
  if (!bh)
    return std::move(bh.error());
  if (!n)
    return std::move(n.error());
  if (!st)
    return std::move(st.error());
  if (!gas)
    return std::move(gas.error());
  rc.tx_hash = *h;
  rc.block_hash = *bh;
  rc.block_number = *n;
  rc.success = *st == 1;
  rc.gas_used = *gas;
  if (auto* ca = member(*r, "contractAddress"); ca && ca->is_string())
    rc.contract_address = address::parse(ca->as_string());
  return std::optional<tx_receipt>{rc};
}

caf::expected<u256> rpc_client::balance(const address& a, std::string_view tag) {
  auto r = call("eth_getBalance", {a.hex(), std::string{tag}});
  if (!r)
    return std::move(r.error());
  return as_quantity256(*r, "eth_getBalance");
}

caf::expected<std::vector<log_entry>> rpc_client::get_logs(const log_filter& f) {
  json::object o;
  if (f.address)
    o.emplace_back("address", f.address->hex());
  o.emplace_back("fromBlock", f.from_block);
  o.emplace_back("toBlock", f.to_block);
  json::array topics;
  for (const auto& t : f.topics)
    topics.push_back(t ? json::value{to_data(*t)} : json::value{});
  o.emplace_back("topics", json::value{std::move(topics)});
  auto r = call("eth_getLogs", {json::value{std::move(o)}});
  if (!r)
    return std::move(r.error());
  if (!r->is_array())
    return rejected("eth_getLogs: expected an array, got " + r->dump());
  std::vector<log_entry> out;
  for (const auto& v : r->as_array()) {
    auto* bn = member(v, "blockNumber");
    if (!bn || bn->is_null())
      continue; // pending
    log_entry e;
    auto field = [&](std::string_view k) -> const json::value& {
      static const json::value none;
      auto* p = member(v, k);
      return p ? *p : none;
    };
    auto n = as_quantity(*bn, "blockNumber");
    auto bh = as_hash(field("blockHash"), "blockHash");
    auto th = as_hash(field("transactionHash"), "transactionHash");
    auto li = as_quantity(field("logIndex"), "logIndex");
    if (!n)
      return std::move(n.error());
    if (!bh)
      return std::move(bh.error());
    if (!th)
      return std::move(th.error());
    if (!li)
      return std::move(li.error());
    const auto& addr = field("address");
    auto a = addr.is_string() ? address::parse(addr.as_string()) : std::nullopt;
    auto data = field("data").is_string() ? parse_data(field("data").as_string()) : std::nullopt;
    if (!a || !data)
      return rejected("eth_getLogs: malformed log entry " + v.dump());
    const auto& ts = field("topics");
    if (!ts.is_array())
      return rejected("eth_getLogs: log entry without topics " + v.dump());
    for (const auto& t : ts.as_array()) {
      auto h = as_hash(t, "topic");
      if (!h)
        return std::move(h.error());
      e.topics.push_back(*h);
    }
    e.address = *a;
    e.data = std::move(*data);
    e.block_number = *n;
    e.block_hash = *bh;
    e.tx_hash = *th;
    e.log_index = *li;
    const auto& removed = field("removed");
    e.removed = removed.is_bool() && removed.as_bool();
    out.push_back(std::move(e));
  }
  return out;
}

} // namespace seq::chain
