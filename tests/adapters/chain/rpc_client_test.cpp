// SPDX-License-Identifier: Apache-2.0
// adapters/chain/rpc_client and tx_sender against a scripted JSON-RPC node on a loopback port:
// error mapping (node errors, revert reasons, HTTP failures, refused connections), nonce
// caching and resynchronisation, fee selection (EIP-1559 and legacy), gas margin, receipt
// polling with a confirmation depth, reorgs and timeouts. The real chain is exercised by
// tests/integration/chain_test.cpp.

#include "adapters/chain/abi.hpp"
#include "adapters/chain/rpc_client.hpp"
#include "adapters/chain/tx_sender.hpp"
#include "messages/errc.hpp"
#include "tests/adapters/chain/chain_test_util.hpp"

#include <httplib.h>

#include <atomic>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

using namespace seq::chain;
using namespace std::chrono_literals;
namespace json = seq::ves::json;
using seq::errc;

namespace {

/// A JSON-RPC node whose answers the test scripts per method. A handler returns the member
/// to put next to "id": `"result": …` or `"error": {…}`.
class fake_node {
public:
  using handler = std::function<std::string(const json::array& params)>;

  fake_node() {
    svr_.Post("/rpc", [this](const httplib::Request& req, httplib::Response& res) {
      auto doc = json::try_parse(req.body);
      if (!doc) {
        res.status = 400;
        return;
      }
      auto method = doc->find("method")->as_string();
      auto id = doc->find("id")->dump();
      handler h;
      {
        std::lock_guard<std::mutex> guard{mtx_};
        calls_.push_back(method);
        if (auto it = handlers_.find(method); it != handlers_.end())
          h = it->second;
      }
      if (http_status_ != 200) {
        res.status = http_status_;
        res.set_content("unavailable", "text/plain");
        return;
      }
      if (!h) {
        res.set_content(R"({"jsonrpc":"2.0","id":)" + id
                          + R"(,"error":{"code":-32601,"message":"Method not found"}})",
                        "application/json");
        return;
      }
      res.set_content(R"({"jsonrpc":"2.0","id":)" + id + "," + h(doc->find("params")->as_array())
                        + "}",
                      "application/json");
    });
    port_ = svr_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { svr_.listen_after_bind(); });
    while (!svr_.is_running())
      std::this_thread::sleep_for(1ms);
  }

  ~fake_node() {
    svr_.stop();
    thread_.join();
  }

  std::string url() const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/rpc";
  }

  void on(const std::string& method, handler h) {
    std::lock_guard<std::mutex> guard{mtx_};
    handlers_[method] = std::move(h);
  }

  void result(const std::string& method, const std::string& json_value) {
    on(method, [json_value](const json::array&) { return R"("result":)" + json_value; });
  }

  size_t count(const std::string& method) {
    std::lock_guard<std::mutex> guard{mtx_};
    return static_cast<size_t>(std::count(calls_.begin(), calls_.end(), method));
  }

  std::atomic<int> http_status_{200};

private:
  httplib::Server svr_;
  std::thread thread_;
  int port_ = 0;
  std::mutex mtx_;
  std::map<std::string, handler> handlers_;
  std::vector<std::string> calls_;
};

std::string error_member(int code, const std::string& message, const std::string& data = "") {
  return R"("error":{"code":)" + std::to_string(code) + R"(,"message":)" + json::quote(message)
         + (data.empty() ? "" : R"(,"data":)" + data) + "}";
}

rpc_client client_for(const fake_node& node) {
  auto c = rpc_client::make({node.url(), 2000ms, 2000ms});
  REQUIRE(c);
  return std::move(*c);
}

private_key test_key() {
  // ganache's first deterministic account: a public test key.
  auto k =
    private_key::from_hex("4f3edf983ac636a65a842ce7c78d9aa706d3b113bce9c46f30d7d21715b23b1d");
  REQUIRE(k);
  return *k;
}

/// A node that accepts transactions: chain 1, base fee 1 gwei, tip 1 gwei, estimate 21000.
void script_healthy_chain(fake_node& node) {
  node.result("eth_chainId", R"("0x1")");
  node.result("eth_estimateGas", R"("0x5208")");
  node.result("eth_getBlockByNumber",
              R"({"number":"0x10","baseFeePerGas":"0x3b9aca00","timestamp":"0x64"})");
  node.result("eth_maxPriorityFeePerGas", R"("0x3b9aca00")");
  node.result("eth_gasPrice", R"("0x4a817c800")");
}

/// eth_sendRawTransaction: decodes the raw tx, records it, answers with its hash.
struct tx_log {
  std::mutex mtx;
  std::vector<decoded_tx> txs;
};

fake_node::handler accept_raw(std::shared_ptr<tx_log> log,
                              std::function<std::string(const decoded_tx&)> refuse = {}) {
  return [log, refuse](const json::array& params) -> std::string {
    auto raw = parse_data(params.at(0).as_string());
    auto tx = decode_signed(*raw);
    if (!tx)
      return error_member(-32000, "invalid raw transaction");
    if (refuse)
      if (auto why = refuse(*tx); !why.empty())
        return why;
    std::lock_guard<std::mutex> guard{log->mtx};
    log->txs.push_back(*tx);
    return R"("result":")" + to_data(tx->hash) + "\"";
  };
}

uint64_t nonce_of(const decoded_tx& t) {
  return std::visit([](const auto& x) { return x.nonce; }, t.tx);
}

} // namespace

TEST_CASE("rpc_client maps answers and failures to results and errc", "[chain][rpc]") {
  fake_node node;
  auto rpc = client_for(node);
  node.result("eth_chainId", R"("0x509db21")");
  node.result("eth_blockNumber", R"("0x2a")");
  CHECK(rpc.chain_id() == 84532001u);
  CHECK(rpc.block_number() == 42u);

  SECTION("a node error with revert data names the method and the reason") {
    // ganache puts the revert data under data.result; geth puts the hex string in data.
    auto revert = abi::encoder{function_selector("Error(string)")}
                    .add_bytes({'N', 'o', 't', ' ', 'a', 'n', 'c', 'h', 'o', 'r', 'e', 'd'})
                    .finish();
    node.on("eth_call", [&](const json::array&) {
      return error_member(-32000, "VM Exception while processing transaction: revert",
                          R"({"result":")" + to_data(revert) + R"(","reason":"Not anchored"})");
    });
    call_request req;
    req.to = address::parse("0x5fbdb2315678afecb367f032d93f642f64180aa3");
    auto r = rpc.eth_call(req);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::chain_rejected);
    auto msg = seq::error_message(r.error());
    CHECK(msg.find("eth_call") != std::string::npos);
    CHECK(msg.find("[Not anchored]") != std::string::npos);
    REQUIRE(rpc.last_rpc_error());
    CHECK(rpc.last_rpc_error()->code == -32000);
    CHECK(rpc.last_rpc_error()->revert_data == revert);

    node.on("eth_call", [&](const json::array&) {
      return error_member(3, "execution reverted", "\"" + to_data(revert) + "\"");
    });
    auto g = rpc.eth_call(req);
    REQUIRE_FALSE(g);
    CHECK(seq::error_message(g.error()).find("[Not anchored]") != std::string::npos);
    CHECK(rpc.chain_id());
    CHECK_FALSE(rpc.last_rpc_error()); // cleared by the next successful call
  }
  SECTION("HTTP 5xx and non-JSON-RPC bodies mean the chain is unavailable") {
    node.http_status_ = 503;
    auto r = rpc.block_number();
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::chain_unavailable);
    CHECK(seq::error_message(r.error()).find("HTTP 503") != std::string::npos);
    node.http_status_ = 200;
    node.on("eth_blockNumber", [](const json::array&) { return R"("result":"0x2a")"; });
    CHECK(rpc.block_number() == 42u);
    node.result("eth_gasPrice", R"(12)"); // not a quantity
    auto p = rpc.gas_price();
    REQUIRE_FALSE(p);
    CHECK(p.error() == errc::chain_rejected);
  }
  SECTION("a refused connection means the chain is unavailable") {
    // a port that was free a moment ago
    httplib::Server probe;
    auto port = probe.bind_to_any_port("127.0.0.1");
    probe.stop();
    // (the path holds a hosted node's API key: errors name the origin only)
    auto origin = "http://127.0.0.1:" + std::to_string(port);
    auto dead = rpc_client::make({origin + "/v2/SECRETKEY123?k=SECRET2", 500ms, 500ms});
    REQUIRE(dead);
    auto r = dead->chain_id();
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::chain_unavailable);
    auto msg = seq::error_message(r.error());
    CHECK(msg.find("eth_chainId at " + origin) != std::string::npos);
    CHECK(msg.find("SECRET") == std::string::npos);
  }
  SECTION("bad URLs are refused up front") {
    CHECK_FALSE(rpc_client::make({"127.0.0.1:8545"}));
    CHECK_FALSE(rpc_client::make({"ftp://127.0.0.1:8545"}));
    CHECK_FALSE(rpc_client::make({"http://127.0.0.1:99999"}));
    CHECK(rpc_client::make({"https://rpc.example.org/v1/key"}));
  }
}

TEST_CASE("tx_sender: EIP-1559 fees, gas margin and a cached nonce", "[chain][sender]") {
  fake_node node;
  script_healthy_chain(node);
  node.result("eth_getTransactionCount", R"("0x5")");
  auto log = std::make_shared<tx_log>();
  node.on("eth_sendRawTransaction", accept_raw(log));
  auto rpc = client_for(node);
  tx_sender sender(rpc, test_key(), {});

  tx_request req;
  req.to = address::parse("0x5fbdb2315678afecb367f032d93f642f64180aa3");
  req.data = {0x4f, 0x0b, 0x58, 0x01};
  auto a = sender.send(req);
  REQUIRE(a);
  auto b = sender.send(req);
  REQUIRE(b);
  CHECK(a->nonce == 5);
  CHECK(b->nonce == 6);
  CHECK(a->eip1559);
  CHECK(a->gas_limit == 26250); // 21000 + 25 %
  CHECK(node.count("eth_getTransactionCount") == 1);
  CHECK(sender.cached_nonce() == 7u);
  REQUIRE(log->txs.size() == 2);
  const auto& t = std::get<eip1559_tx>(log->txs[0].tx);
  CHECK(t.chain_id == 1);
  CHECK(t.max_priority_fee_per_gas.low_u64() == 1'000'000'000);
  CHECK(t.max_fee_per_gas.low_u64() == 3'000'000'000); // 2 · base fee + tip
  CHECK(t.data == req.data);
  CHECK(log->txs[0].sender == sender.from());
  CHECK(a->hash == log->txs[0].hash);
}

TEST_CASE("tx_sender resynchronises the nonce after a stale-nonce answer", "[chain][sender]") {
  fake_node node;
  script_healthy_chain(node);
  std::atomic<int> count_calls{0};
  node.on("eth_getTransactionCount", [&](const json::array&) {
    // the first answer is stale: another sender used nonces 5 and 6 meanwhile
    return ++count_calls == 1 ? R"("result":"0x5")" : R"("result":"0x7")";
  });
  auto log = std::make_shared<tx_log>();
  std::string message = GENERATE(as<std::string>{}, "nonce too low",
                                 "the tx doesn't have the correct nonce. account has nonce of: 7 "
                                 "tx has nonce of: 5",
                                 "replacement transaction underpriced");
  node.on("eth_sendRawTransaction", accept_raw(log, [message](const decoded_tx& t) {
            return nonce_of(t) < 7 ? error_member(-32000, message) : std::string{};
          }));
  auto rpc = client_for(node);
  tx_sender sender(rpc, test_key(), {});
  tx_request req;
  req.to = address::parse("0x5fbdb2315678afecb367f032d93f642f64180aa3");
  auto r = sender.send(req);
  REQUIRE(r);
  CHECK(r->nonce == 7);
  CHECK(sender.nonce_resyncs() == 1);
  CHECK(sender.cached_nonce() == 8u);
  REQUIRE(log->txs.size() == 1);
  CHECK(nonce_of(log->txs[0]) == 7);
}

TEST_CASE("tx_sender: other send failures drop the cached nonce", "[chain][sender]") {
  fake_node node;
  script_healthy_chain(node);
  node.result("eth_getTransactionCount", R"("0x3")");
  auto log = std::make_shared<tx_log>();
  std::atomic<bool> refuse{true};
  node.on("eth_sendRawTransaction", accept_raw(log, [&](const decoded_tx&) {
            return refuse ? error_member(-32000, "insufficient funds for gas * price + value")
                          : std::string{};
          }));
  auto rpc = client_for(node);
  tx_sender sender(rpc, test_key(), {});
  tx_request req;
  req.to = address::parse("0x5fbdb2315678afecb367f032d93f642f64180aa3");
  auto r = sender.send(req);
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::chain_rejected);
  CHECK(seq::error_message(r.error()).find("insufficient funds") != std::string::npos);
  CHECK_FALSE(sender.cached_nonce());
  CHECK(sender.nonce_resyncs() == 0);
  refuse = false;
  auto ok = sender.send(req);
  REQUIRE(ok);
  CHECK(ok->nonce == 3);
  CHECK(node.count("eth_getTransactionCount") == 2);

  SECTION("\"already known\" means the node has this very transaction: sent") {
    node.on("eth_sendRawTransaction",
            [](const json::array&) { return error_member(-32000, "already known"); });
    auto again = sender.send(req);
    REQUIRE(again);
    CHECK(again->nonce == 4);
  }
}

TEST_CASE("tx_sender: legacy EIP-155 transactions without a base fee", "[chain][sender]") {
  fake_node node;
  script_healthy_chain(node);
  node.result("eth_getBlockByNumber", R"({"number":"0x10","timestamp":"0x64"})"); // pre-London
  node.result("eth_getTransactionCount", R"("0x0")");
  auto log = std::make_shared<tx_log>();
  node.on("eth_sendRawTransaction", accept_raw(log));
  auto rpc = client_for(node);
  sender_options opts;
  opts.gas_margin_percent = 10;
  tx_sender sender(rpc, test_key(), opts);
  tx_request req; // contract creation
  req.data = {0x60, 0x80};
  auto r = sender.send(req);
  REQUIRE(r);
  CHECK_FALSE(r->eip1559);
  REQUIRE(log->txs.size() == 1);
  const auto& t = std::get<legacy_tx>(log->txs[0].tx);
  CHECK(t.chain_id == 1);
  CHECK(t.gas_price.low_u64() == 20'000'000'000);
  CHECK(t.gas_limit == 23100);
  CHECK_FALSE(t.to);
}

TEST_CASE("tx_sender: an old node without eth_maxPriorityFeePerGas gets the fallback tip",
          "[chain][sender]") {
  fake_node node;
  script_healthy_chain(node);
  node.on("eth_maxPriorityFeePerGas",
          [](const json::array&) { return error_member(-32601, "Method not found"); });
  node.result("eth_getTransactionCount", R"("0x0")");
  auto log = std::make_shared<tx_log>();
  node.on("eth_sendRawTransaction", accept_raw(log));
  auto rpc = client_for(node);
  sender_options opts;
  opts.fallback_priority_fee_wei = 2'000'000'000;
  tx_sender sender(rpc, test_key(), opts);
  tx_request req;
  req.to = address::parse("0x5fbdb2315678afecb367f032d93f642f64180aa3");
  REQUIRE(sender.send(req));
  const auto& t = std::get<eip1559_tx>(log->txs.at(0).tx);
  CHECK(t.max_priority_fee_per_gas.low_u64() == 2'000'000'000);
  CHECK(t.max_fee_per_gas.low_u64() == 4'000'000'000);
}

TEST_CASE("tx_sender never signs for another chain", "[chain][sender]") {
  fake_node node;
  script_healthy_chain(node); // chain 1
  auto rpc = client_for(node);
  sender_options opts;
  opts.chain_id = 84532001;
  tx_sender sender(rpc, test_key(), opts);
  auto r = sender.send(tx_request{});
  REQUIRE_FALSE(r);
  CHECK(r.error() == errc::chain_rejected);
  CHECK(seq::error_message(r.error()).find("84532001") != std::string::npos);
  CHECK(node.count("eth_sendRawTransaction") == 0);
}

TEST_CASE("receipt polling waits for the confirmation depth", "[chain][sender]") {
  fake_node node;
  script_healthy_chain(node);
  auto tx_hash = std::string(64, 'a');
  auto block_hash = std::make_shared<std::string>(std::string(64, 'b'));
  std::atomic<int> receipt_calls{0};
  node.on("eth_getTransactionReceipt", [&](const json::array&) -> std::string {
    if (++receipt_calls <= 2)
      return R"("result":null)"; // pending
    return R"("result":{"transactionHash":"0x)" + tx_hash + R"(","blockHash":"0x)" + *block_hash
           + R"(","blockNumber":"0x10","status":"0x1","gasUsed":"0x5208","contractAddress":null})";
  });
  std::atomic<uint64_t> head{0x10};
  node.on("eth_blockNumber",
          [&](const json::array&) { return R"("result":")" + to_quantity(head.load()) + "\""; });
  auto rpc = client_for(node);
  int sleeps = 0;
  sender_options opts;
  opts.confirmations = 3;
  opts.sleep = [&](std::chrono::milliseconds) {
    ++sleeps;
    if (receipt_calls >= 3)
      ++head; // a block per poll once mined
  };
  tx_sender sender(rpc, test_key(), opts);
  auto rc = sender.wait_for_receipt(seq::chain::test::h32(tx_hash));
  REQUIRE(rc);
  CHECK(rc->success);
  CHECK(rc->block_number == 0x10);
  CHECK(rc->gas_used == 21000);
  CHECK_FALSE(rc->contract_address);
  CHECK(head.load() == 0x12); // 0x10 + 3 − 1
  CHECK(sleeps == 4);         // 2 while pending, 2 while confirming

  SECTION("a receipt that moves to another block (reorg) restarts the wait") {
    receipt_calls = 10;
    head = 0x12;
    std::atomic<int> n{0};
    node.on("eth_getTransactionReceipt", [&](const json::array&) -> std::string {
      auto bh = ++n <= 1 ? std::string(64, 'b') : std::string(64, 'c');
      return R"("result":{"transactionHash":"0x)" + tx_hash + R"(","blockHash":"0x)" + bh
             + R"(","blockNumber":"0x10","status":"0x1","gasUsed":"0x5208"})";
    });
    auto again = sender.wait_for_receipt(seq::chain::test::h32(tx_hash));
    REQUIRE(again);
    CHECK(again->block_hash == seq::chain::test::h32(std::string(64, 'c')));
    CHECK(n.load() >= 3);
  }
  SECTION("no receipt within the timeout is errc::timeout") {
    node.result("eth_getTransactionReceipt", "null");
    sender_options quick;
    quick.receipt_timeout = 0ms;
    quick.sleep = [](std::chrono::milliseconds) {};
    tx_sender impatient(rpc, test_key(), quick);
    auto r = impatient.wait_for_receipt(seq::chain::test::h32(tx_hash));
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::timeout);
  }
  SECTION("a reverted transaction is errc::chain_rejected") {
    node.result("eth_getTransactionCount", R"("0x0")");
    auto log = std::make_shared<tx_log>();
    node.on("eth_sendRawTransaction", accept_raw(log));
    node.on("eth_getTransactionReceipt", [&](const json::array& p) {
      return R"("result":{"transactionHash":)" + p.at(0).dump() + R"(,"blockHash":"0x)"
             + std::string(64, 'b')
             + R"(","blockNumber":"0x12","status":"0x0","gasUsed":"0x5208"})";
    });
    sender_options one;
    one.sleep = [](std::chrono::milliseconds) {};
    tx_sender s1(rpc, test_key(), one);
    tx_request req;
    req.to = address::parse("0x5fbdb2315678afecb367f032d93f642f64180aa3");
    auto r = s1.send_and_wait(req);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::chain_rejected);
    CHECK(seq::error_message(r.error()).find("reverted") != std::string::npos);
  }
}

TEST_CASE("stale-nonce messages of the common nodes", "[chain][sender]") {
  CHECK(is_stale_nonce_message("nonce too low"));
  CHECK(is_stale_nonce_message("Nonce too low: next nonce 7, tx nonce 5"));
  CHECK(is_stale_nonce_message(
    "the tx doesn't have the correct nonce. account has nonce of: 7 tx has nonce of: 5"));
  CHECK(is_stale_nonce_message("replacement transaction underpriced"));
  CHECK_FALSE(is_stale_nonce_message("insufficient funds for gas * price + value"));
  CHECK_FALSE(is_stale_nonce_message("execution reverted"));
}
