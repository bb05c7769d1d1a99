// SPDX-License-Identifier: Apache-2.0
// The chain layer against a REAL local EVM chain: ganache (tests/support/chain_harness.sh, a
// free loopback port, chain id 84532001) and the project's contracts compiled with solc-js
// (deploy/contracts/compile.mjs), both from the root package-lock.json. Everything goes
// through the project's own adapter: EIP-1559 contract creation signed with a ganache test
// key, anchoring VES commitments computed with messages/ves from the golden vectors, the
// StateSetAnchor chaining rule, SetRegistry strict mode and authorisation, on-chain VES
// inclusion proofs, nonce resynchronisation, confirmation depth, legacy EIP-155 sends, and
// the circuit-breaker actor opening while the chain is stopped and closing after it returns.
//
// Environment (set by tests/CMakeLists.txt): SEQ_CHAIN_HARNESS, SEQ_CONTRACTS_COMPILE.

#include "actors/circuit_breaker/circuit_breaker.hpp"
#include "adapters/chain/abi.hpp"
#include "adapters/chain/anchor_contract.hpp"
#include "adapters/chain/gateway.hpp"
#include "adapters/chain/rpc_client.hpp"
#include "adapters/chain/tx_sender.hpp"
#include "messages/chain.hpp"
#include "messages/errc.hpp"
#include "messages/type_ids.hpp"
#include "messages/ves/json.hpp"
#include "messages/ves/ves.hpp"
#include "tests/integration/chain_support.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "caf/actor_system.hpp"
#include "caf/actor_system_config.hpp"
#include "caf/scoped_actor.hpp"

using namespace seq;
using namespace seq::chain;
using namespace std::chrono_literals;
using namespace seq::chain::support; // ganache accounts, chain_env(), deploy(), REQUIRE_OK …
namespace json = seq::ves::json;

namespace {

std::unique_ptr<rpc_chain_gateway> gateway(const address& contract, const char* hex,
                                           msg::anchor_abi abi, uint32_t confirmations = 1) {
  chain_settings s;
  s.rpc_url = chain_env().url();
  s.contract_address = contract.hex();
  s.private_key_hex = hex;
  s.chain_id = chain_id;
  s.abi = abi;
  s.confirmations = confirmations;
  s.io_timeout = 10s;
  s.receipt_poll_interval = 20ms;
  s.receipt_timeout = 30s;
  auto g = rpc_chain_gateway::make(s);
  if (!g)
    FAIL("gateway: " << text(g.error()));
  return std::move(*g);
}

// -- VES commitments of the golden vectors, recomputed with messages/ves --------------------

struct vector_batch {
  msg::chain_commitment c;
  ves::merkle_tree tree;
  std::vector<hash32> leaves;
};

/// The three chained commitments of vectors.commitment_chain over vectors.stream, recomputed:
/// leaves from the stored event fields, trees, roots and state roots (checked against the
/// vectors), with fresh batch ids unless `first_batch_id` names the first one.
std::vector<vector_batch> vector_commitments(std::optional<ves::uuid> first_batch_id = {}) {
  auto root = read_json(SEQ_VECTORS_FILE);
  const auto& stream = at(root, "stream");
  auto tenant = uuid_of(at(stream, "tenant_id").as_string());
  auto store = uuid_of(at(stream, "store_id").as_string());
  std::vector<hash32> leaves;
  for (const auto& ev : at(stream, "events").as_array()) {
    auto sig = ves::from_hex_fixed<64>(at(ev, "agent_signature").as_string());
    REQUIRE(sig);
    auto leaf = ves::leaf_hash(tenant, store, at(ev, "sequence_number").as_number().u,
                               h32(at(ev, "event_signing_hash").as_string()), *sig);
    REQUIRE(ves::to_hex(leaf) == at(ev, "leaf_hash").as_string());
    leaves.push_back(leaf);
  }
  auto sid = ves::stream_id(tenant, store);
  std::vector<vector_batch> out;
  hash32 prev{};
  for (const auto& cv : at(at(root, "commitment_chain"), "commitments").as_array()) {
    vector_batch b;
    auto start = at(cv, "sequence_start").as_number().u;
    auto end = at(cv, "sequence_end").as_number().u;
    b.leaves.assign(leaves.begin() + static_cast<std::ptrdiff_t>(start - 1),
                    leaves.begin() + static_cast<std::ptrdiff_t>(end));
    b.tree = ves::build_merkle_tree(b.leaves);
    REQUIRE(ves::to_hex(b.tree.root()) == at(cv, "merkle_root").as_string());
    auto count = static_cast<uint32_t>(b.leaves.size());
    auto next = ves::state_root(sid, prev, b.tree.root(), start, end, count);
    REQUIRE(ves::to_hex(next) == at(cv, "new_state_root").as_string());
    b.c.batch_id = out.empty() && first_batch_id ? *first_batch_id : ves::uuid::random_v4();
    b.c.tenant_id = tenant;
    b.c.store_id = store;
    b.c.events_root = b.tree.root();
    b.c.prev_state_root = prev;
    b.c.new_state_root = next;
    b.c.sequence_start = start;
    b.c.sequence_end = end;
    b.c.event_count = count;
    prev = next;
    out.push_back(std::move(b));
  }
  REQUIRE(out.size() == 3);
  return out;
}

/// A single-leaf batch of a fresh stream (root = leaf, empty proof).
vector_batch single_leaf_batch() {
  vector_batch b;
  b.leaves = {ves::sha256(std::string{"one event"})};
  b.tree = ves::build_merkle_tree(b.leaves);
  REQUIRE(b.tree.root() == b.leaves[0]);
  b.c.batch_id = ves::uuid::random_v4();
  b.c.tenant_id = ves::uuid::random_v4();
  b.c.store_id = ves::uuid::random_v4();
  b.c.events_root = b.tree.root();
  b.c.new_state_root =
    ves::state_root(ves::stream_id(b.c.tenant_id, b.c.store_id), {}, b.tree.root(), 7, 7, 1);
  b.c.sequence_start = 7;
  b.c.sequence_end = 7;
  b.c.event_count = 1;
  return b;
}

} // namespace

// -- deployment ------------------------------------------------------------------------------

TEST_CASE("the contracts compile and deploy through the project's chain adapter",
          "[chain][integration]") {
  account owner{owner_key};
  CHECK(owner.sender.from().checksummed() == "0x90F8bf6A479f320ead074411a4B0e7944Ea8c9C1");
  CHECK(REQUIRE_OK(owner.client.chain_id()) == chain_id);

  // every selector the golden vectors list for StateSetAnchor is in our contract's ABI,
  // except the STARK functions the reference contract does not implement either
  auto ids = at(chain_env().artifact("VesAnchor"), "methodIdentifiers");
  auto root = read_json(SEQ_VECTORS_FILE);
  for (const auto& [sig, sel] : at(at(root, "anchor"), "selectors").as_object()) {
    if (sig.find("Stark") != std::string::npos)
      continue;
    INFO(sig);
    auto* got = ids.find(sig);
    REQUIRE(got);
    CHECK(got->as_string() == sel.as_string());
  }

  auto anchor = deploy(owner, "VesAnchor", abi::encoder{}.add_bool(false).finish());
  auto reg =
    deploy(owner, "VesSetRegistry", abi::encoder{}.add_address(key(sequencer_key).addr()).finish());
  CHECK(anchor != reg);

  // the deployment was an EIP-1559 (type 2) contract creation
  auto txs = REQUIRE_OK(owner.client.call("eth_getBlockByNumber", {"latest", true}));
  const auto& tx = at(*txs, "transactions").as_array().at(0);
  CHECK(at(tx, "type").as_string() == "0x2");
  CHECK(at(tx, "to").is_null());

  auto c = rpc();
  auto own = abi::decoder(view(c, anchor, abi::encoder{function_selector("owner()")}.finish()));
  CHECK(own.addr(0) == owner.sender.from());
  auto strict =
    abi::decoder(view(c, reg, abi::encoder{function_selector("strictModeEnabled()")}.finish()));
  CHECK(strict.boolean(0) == true);
}

// -- StateSetAnchor ABI ------------------------------------------------------------------------

TEST_CASE("VES commitments are anchored, checked and chained (StateSetAnchor ABI)",
          "[chain][integration][anchor]") {
  account owner{owner_key};
  auto contract = deploy(owner, "VesAnchor", abi::encoder{}.add_bool(false).finish());
  auto vec_example = read_json(SEQ_VECTORS_FILE);
  const auto& ex = at(at(vec_example, "anchor"), "example");
  auto batches = vector_commitments(uuid_of(at(ex, "batch_id").as_string()));
  auto gw = gateway(contract, sequencer_key, msg::anchor_abi::stateset_anchor);

  SECTION("only the owner and the sequencers it authorises may anchor") {
    auto denied = gw->anchor(batches[0].c);
    REQUIRE_FALSE(denied);
    CHECK(denied.error() == errc::chain_rejected);
    CHECK(error_message(denied.error()).find("Not authorized") != std::string::npos);
  }

  transact(owner, contract,
           abi::encoder{function_selector("setSequencerAuthorization(address,bool)")}
             .add_address(gw->sender_address())
             .add_bool(true)
             .finish());

  auto head = REQUIRE_OK(gw->probe());
  CHECK(head->chain_id == chain_id);

  std::vector<msg::chain_tx> txs;
  for (const auto& b : batches) {
    CHECK(REQUIRE_OK(gw->is_anchored(b.c.batch_id)) == false);
    txs.push_back(*REQUIRE_OK(gw->anchor(b.c)));
    CHECK(txs.back().chain_id == chain_id);
    CHECK(txs.back().block_number > head->block_number);
    CHECK(REQUIRE_OK(gw->is_anchored(b.c.batch_id)) == true);
  }

  // the first anchor is the golden vector's example: its calldata went on chain byte for byte
  auto c = rpc();
  auto tx0 = REQUIRE_OK(c.call("eth_getTransactionByHash", {to_data(txs[0].tx_hash)}));
  CHECK(at(*tx0, "input").as_string() == "0x" + at(ex, "calldata_hex").as_string());
  CHECK(at(*tx0, "type").as_string() == "0x2");

  // the getters return what was anchored
  for (const auto& b : batches) {
    auto got = REQUIRE_OK(gw->commitment(b.c.batch_id));
    CHECK(got->found);
    CHECK(got->tenant_id == uuid_to_bytes32(b.c.tenant_id));
    CHECK(got->store_id == uuid_to_bytes32(b.c.store_id));
    CHECK(got->events_root == b.c.events_root);
    CHECK(got->state_root == b.c.new_state_root);
    CHECK(got->sequence_start == b.c.sequence_start);
    CHECK(got->sequence_end == b.c.sequence_end);
    CHECK(got->event_count == b.c.event_count);
    CHECK(got->anchored_by == gw->sender_address().b);
    CHECK(got->anchored_at > 0);
    auto raw = view(c, contract, stateset_anchor::get_commitment(b.c.batch_id));
    auto same = REQUIRE_OK(stateset_anchor::decode_get_commitment(raw));
    CHECK(*same == *got);
    auto ok_root = abi::decoder(
      view(c, contract, stateset_anchor::verify_events_root(b.c.batch_id, b.c.events_root)));
    CHECK(ok_root.boolean(0) == true);
  }
  auto sh = REQUIRE_OK(gw->stream_head({batches[0].c.tenant_id, batches[0].c.store_id}));
  CHECK(sh->sequence_end == 10);
  CHECK_FALSE(sh->has_state_root);

  // an unknown batch: not anchored, getter says not found, getCommitment reverts
  auto unknown = ves::uuid::random_v4();
  CHECK(REQUIRE_OK(gw->is_anchored(unknown)) == false);
  CHECK(REQUIRE_OK(gw->commitment(unknown))->found == false);
  // the anchor transactions are found again in the contract's log (restart recovery)
  for (size_t i = 0; i < txs.size(); ++i)
    CHECK(*REQUIRE_OK(gw->find_anchor_tx(batches[i].c.batch_id)) == txs[i]);
  auto no_log = gw->find_anchor_tx(unknown);
  REQUIRE_FALSE(no_log);
  CHECK(no_log.error() == errc::not_found);
  call_request req;
  req.to = contract;
  req.data = stateset_anchor::get_commitment(unknown);
  auto reverted = c.eth_call(req);
  REQUIRE_FALSE(reverted);
  CHECK(error_message(reverted.error()).find("Not anchored") != std::string::npos);

  // nothing is anchored twice
  auto again = gw->anchor(batches[1].c);
  REQUIRE_FALSE(again);
  CHECK(again.error() == errc::chain_rejected);
  CHECK(error_message(again.error()).find("Already anchored") != std::string::npos);

  // the chaining rule: the next anchor of the stream must start at 11
  auto gap = batches[2].c;
  gap.batch_id = ves::uuid::random_v4();
  gap.sequence_start = 12;
  gap.sequence_end = 14;
  auto refused = gw->anchor(gap);
  REQUIRE_FALSE(refused);
  CHECK(refused.error() == errc::chain_rejected);
  CHECK(error_message(refused.error()).find("SequenceGap(expected 11, provided 12)")
        != std::string::npos);
  gap.sequence_start = 11;
  REQUIRE_OK(gw->anchor(gap));

  // the first anchor of another stream may start anywhere
  auto other = single_leaf_batch();
  other.c.sequence_start = other.c.sequence_end = 500;
  REQUIRE_OK(gw->anchor(other.c));
  auto count =
    abi::decoder(view(c, contract, abi::encoder{function_selector("getAnchoredCount()")}.finish()));
  CHECK(count.uint64(0) == 5u);
}

// -- SetRegistry ABI ---------------------------------------------------------------------------

TEST_CASE("SetRegistry: strict state-root chaining, sequencer authorisation and on-chain VES "
          "inclusion proofs",
          "[chain][integration][registry]") {
  account owner{owner_key};
  auto seq_addr = key(sequencer_key).addr();
  auto contract = deploy(owner, "VesSetRegistry", abi::encoder{}.add_address(seq_addr).finish());
  auto batches = vector_commitments();
  auto gw = gateway(contract, sequencer_key, msg::anchor_abi::set_registry);
  auto stranger = gateway(contract, other_key, msg::anchor_abi::set_registry);
  msg::stream_key stream{batches[0].c.tenant_id, batches[0].c.store_id};

  SECTION("an address that is not an authorised sequencer is refused") {
    auto r = stranger->anchor(batches[0].c);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::chain_rejected);
    CHECK(error_message(r.error()).find("NotAuthorizedSequencer()") != std::string::npos);
  }

  // strict mode: a fresh stream's first commitment must chain from the zero root
  auto forked = batches[0].c;
  forked.prev_state_root = batches[1].c.new_state_root;
  auto r0 = gw->anchor(forked);
  REQUIRE_FALSE(r0);
  CHECK(error_message(r0.error()).find("StateRootMismatch(expected 0x" + std::string(64, '0'))
        != std::string::npos);

  REQUIRE_OK(gw->anchor(batches[0].c));
  CHECK(REQUIRE_OK(gw->stream_head(stream))->state_root == batches[0].c.new_state_root);

  // a wrong prevStateRoot (a fork) is refused …
  auto wrong = batches[1].c;
  wrong.prev_state_root = ves::sha256(std::string{"not the latest root"});
  auto r1 = gw->anchor(wrong);
  REQUIRE_FALSE(r1);
  CHECK(r1.error() == errc::chain_rejected);
  CHECK(error_message(r1.error())
          .find("StateRootMismatch(expected " + to_data(batches[0].c.new_state_root))
        != std::string::npos);
  // … and so is a gap
  auto gap = batches[1].c;
  gap.sequence_start = 5;
  auto r2 = gw->anchor(gap);
  REQUIRE_FALSE(r2);
  CHECK(error_message(r2.error()).find("SequenceGap(expected 4, provided 5)") != std::string::npos);

  REQUIRE_OK(gw->anchor(batches[1].c));
  REQUIRE_OK(gw->anchor(batches[2].c));
  auto h = REQUIRE_OK(gw->stream_head(stream));
  CHECK(h->has_state_root);
  CHECK(h->state_root == batches[2].c.new_state_root);
  CHECK(h->sequence_end == 10);

  auto stored = REQUIRE_OK(gw->commitment(batches[1].c.batch_id));
  CHECK(stored->found);
  CHECK(stored->prev_state_root == batches[0].c.new_state_root);
  CHECK(stored->state_root == batches[1].c.new_state_root);
  CHECK(stored->events_root == batches[1].c.events_root);
  CHECK(stored->event_count == 5);
  CHECK(stored->anchored_by == seq_addr.b);
  CHECK(REQUIRE_OK(gw->is_anchored(batches[2].c.batch_id)) == true);
  CHECK(REQUIRE_OK(gw->is_anchored(ves::uuid::random_v4())) == false);
  auto dup = gw->anchor(batches[2].c);
  REQUIRE_FALSE(dup);
  CHECK(error_message(dup.error()).find("BatchAlreadyCommitted()") != std::string::npos);
  auto found = REQUIRE_OK(gw->find_anchor_tx(batches[2].c.batch_id)); // BatchCommitted log
  CHECK(found->chain_id == chain_id);
  CHECK(found->block_number > 0);
  CHECK_FALSE(gw->find_anchor_tx(ves::uuid::random_v4()));

  // every event of every batch: the proof messages/ves makes verifies on chain
  size_t verified = 0;
  for (const auto& b : batches) {
    for (size_t i = 0; i < b.leaves.size(); ++i) {
      auto p = ves::make_proof(b.tree, i);
      REQUIRE(ves::verify_proof(b.leaves[i], b.tree.root(), p.path, i));
      CHECK(REQUIRE_OK(gw->verify_inclusion(b.c.batch_id, b.leaves[i], p.path, i)) == true);
      ++verified;
    }
  }
  CHECK(verified == 10);

  // … and tampered proofs do not
  const auto& b = batches[1]; // 5 leaves padded to 8: depth 3
  auto p = ves::make_proof(b.tree, 2);
  auto leaf = b.leaves[2];
  auto check = [&](const hash32& l, const std::vector<hash32>& path, uint64_t idx) {
    return *REQUIRE_OK(gw->verify_inclusion(b.c.batch_id, l, path, idx));
  };
  CHECK(check(leaf, p.path, 2));
  auto bad_leaf = leaf;
  bad_leaf[0] ^= 0x01;
  CHECK_FALSE(check(bad_leaf, p.path, 2));
  auto bad_path = p.path;
  bad_path[1][31] ^= 0x80;
  CHECK_FALSE(check(leaf, bad_path, 2));
  CHECK_FALSE(check(leaf, p.path, 3));     // wrong index (direction bits)
  CHECK_FALSE(check(leaf, p.path, 2 + 8)); // same low bits, beyond the tree
  auto longer = p.path;
  longer.push_back(p.path[0]);
  CHECK_FALSE(check(leaf, longer, 2)); // not the tree's depth
  // a padding leaf verifies against the root but is not an event
  auto pad = ves::make_proof(b.tree, 5);
  REQUIRE(ves::verify_proof(ves::pad_leaf(), b.tree.root(), pad.path, 5));
  CHECK_FALSE(check(ves::pad_leaf(), pad.path, 5));
  // an inner node with a shorter path is not a leaf
  auto inner = b.tree.levels[1][1]; // node(leaf 2, leaf 3)
  std::vector<hash32> upper(p.path.begin() + 1, p.path.end());
  REQUIRE(ves::verify_proof(inner, b.tree.root(), upper, 1));
  CHECK_FALSE(check(inner, upper, 1));
  // an unknown batch verifies nothing
  CHECK_FALSE(*REQUIRE_OK(gw->verify_inclusion(ves::uuid::random_v4(), leaf, p.path, 2)));

  // a single-leaf batch: root = leaf, empty proof
  auto one = single_leaf_batch();
  REQUIRE_OK(gw->anchor(one.c));
  CHECK(REQUIRE_OK(gw->verify_inclusion(one.c.batch_id, one.leaves[0], {}, 0)) == true);
  CHECK(REQUIRE_OK(gw->verify_inclusion(one.c.batch_id, one.leaves[0], {one.leaves[0]}, 0))
        == false);

  // the StateSetAnchor gateway has no on-chain proofs: a clear error, not a wrong answer
  auto ssa = gateway(contract, sequencer_key, msg::anchor_abi::stateset_anchor);
  auto unsupported = ssa->verify_inclusion(b.c.batch_id, leaf, p.path, 2);
  REQUIRE_FALSE(unsupported);
  CHECK(unsupported.error() == errc::invalid_request);
}

// -- transactions on a real node ---------------------------------------------------------------

TEST_CASE("nonces resynchronise, confirmations are awaited, legacy EIP-155 works on a real node",
          "[chain][integration][sender]") {
  auto target = key(other_key).addr();
  tx_request pay;
  pay.to = target;
  pay.value = u256::from_u64(1'000'000'000'000'000); // 0.001 ether

  SECTION("a second sender with the same key makes the cached nonce stale") {
    account a{owner_key};
    account b{owner_key};
    REQUIRE_OK(b.sender.send_and_wait(pay)); // b caches its next nonce
    auto cached = b.sender.cached_nonce();
    REQUIRE(cached);
    auto ra = REQUIRE_OK(a.sender.send(pay)); // a uses that nonce
    CHECK(ra->nonce == *cached);
    auto rb = REQUIRE_OK(b.sender.send(pay)); // b's cache is stale: resync and retry once
    CHECK(rb->nonce == *cached + 1);
    CHECK(b.sender.nonce_resyncs() == 1);
    REQUIRE_OK(b.sender.wait_for_receipt(rb->hash));
  }
  SECTION("a receipt counts only after the confirmation depth") {
    sender_options o;
    o.confirmations = 3;
    rpc_client miner = rpc();
    int mined = 0;
    o.sleep = [&](std::chrono::milliseconds) {
      REQUIRE(miner.call("evm_mine", {})); // ganache mines on demand
      ++mined;
    };
    account a{owner_key, o};
    auto sent = REQUIRE_OK(a.sender.send(pay));
    auto rc = REQUIRE_OK(a.sender.wait_for_receipt(sent->hash));
    CHECK(rc->success);
    auto head = REQUIRE_OK(a.client.block_number());
    CHECK(*head >= rc->block_number + 2);
    CHECK(mined >= 2);
  }
  SECTION("legacy EIP-155 transactions when asked for") {
    sender_options o;
    o.prefer_eip1559 = false;
    account a{owner_key, o};
    auto before = REQUIRE_OK(a.client.balance(target));
    auto rc = REQUIRE_OK(a.sender.send_and_wait(pay));
    auto tx = REQUIRE_OK(a.client.call("eth_getTransactionByHash", {to_data(rc->tx_hash)}));
    CHECK(at(*tx, "type").as_string() == "0x0");
    auto v = parse_quantity(at(*tx, "v").as_string());
    REQUIRE(v);
    CHECK((*v == chain_id * 2 + 35 || *v == chain_id * 2 + 36));
    auto after = REQUIRE_OK(a.client.balance(target));
    CHECK(after->dec() != before->dec());
  }
  SECTION("a call that would revert is refused before anything is sent") {
    account a{owner_key};
    auto contract = deploy(a, "VesAnchor", abi::encoder{}.add_bool(false).finish());
    auto nonce = a.sender.cached_nonce();
    tx_request bad;
    bad.to = contract;
    msg::chain_commitment c;
    c.batch_id = ves::uuid::random_v4();
    c.sequence_start = 5;
    c.sequence_end = 4; // invalid range
    c.event_count = 1;
    bad.data = stateset_anchor::anchor(c);
    auto r = a.sender.send(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error() == errc::chain_rejected);
    CHECK(error_message(r.error()).find("Invalid sequence range") != std::string::npos);
    CHECK(REQUIRE_OK(a.client.transaction_count(a.sender.from()))
          == nonce.value_or(0)); // nothing was sent
  }
}

// -- the circuit breaker over a chain that goes away ---------------------------------------------

TEST_CASE("the circuit breaker opens while the chain is down and anchoring resumes after it "
          "returns",
          "[chain][integration][breaker]") {
  account owner{owner_key};
  auto contract = deploy(owner, "VesAnchor", abi::encoder{}.add_bool(false).finish());
  transact(owner, contract,
           abi::encoder{function_selector("setSequencerAuthorization(address,bool)")}
             .add_address(key(sequencer_key).addr())
             .add_bool(true)
             .finish());
  auto batches = vector_commitments();

  caf::actor_system_config cfg;
  cfg.add_message_types<caf::id_block::seq>();
  caf::actor_system sys{cfg};
  actors::circuit_breaker_config bc;
  bc.breaker.name = "anchor";
  bc.breaker.failure_threshold = 3;
  bc.breaker.success_threshold = 2;
  bc.breaker.failure_window = 60s;
  bc.breaker.open_timeout = 1s;
  bc.breaker.max_backoff = 4s;
  bc.breaker.jitter = 0.1;
  bc.breaker.slow_call_threshold = 20s;
  bc.call_timeout = 60s;
  bc.detached_io = true; // blocking JSON-RPC on the worker's own thread
  chain_settings s;
  s.rpc_url = chain_env().url();
  s.contract_address = contract.hex();
  s.private_key_hex = sequencer_key;
  s.chain_id = chain_id;
  s.abi = msg::anchor_abi::stateset_anchor;
  s.connect_timeout = 1s;
  s.io_timeout = 5s;
  s.receipt_poll_interval = 20ms;
  auto breaker = actors::spawn_circuit_breaker(sys, bc, make_gateway_factory(s));
  caf::scoped_actor self{sys};

  struct tx_tag {
    using type = msg::chain_tx;
  };
  struct head_tag {
    using type = msg::chain_head;
  };
  struct anchored_tag {
    using type = msg::anchored_state;
  };
  // Sends one request and returns the reply or the error.
  auto ask = [&](auto request, auto tag) {
    using reply = typename decltype(tag)::type;
    caf::expected<reply> out = make_error(errc::internal, "no reply");
    self->request(breaker, 90s, std::move(request))
      .receive([&](reply& r) { out = std::move(r); }, [&](caf::error& e) { out = std::move(e); });
    return out;
  };
  auto status_of = [&]() -> msg::breaker_status {
    msg::breaker_status st;
    self->request(breaker, 10s, caf::get_atom_v)
      .receive([&](msg::breaker_status& x) { st = std::move(x); },
               [&](caf::error& e) { FAIL("breaker status: " << text(e)); });
    return st;
  };

  auto first = ask(msg::anchor_commitment{batches[0].c}, tx_tag{});
  REQUIRE(first);
  CHECK(status_of().state == msg::breaker_state::closed);

  chain_env().stop();
  for (int i = 0; i < 3; ++i) {
    auto down = ask(msg::probe_chain{}, head_tag{});
    REQUIRE_FALSE(down);
    CHECK(down.error() == errc::chain_unavailable);
  }
  auto st = status_of();
  CHECK(st.state == msg::breaker_state::open);
  CHECK(st.opened == 1);
  auto t0 = std::chrono::steady_clock::now();
  auto fast = ask(msg::anchor_commitment{batches[1].c}, tx_tag{});
  REQUIRE_FALSE(fast);
  CHECK(fast.error() == errc::circuit_open);
  CHECK(std::chrono::steady_clock::now() - t0 < 500ms); // failed fast, no chain I/O
  CHECK(status_of().rejected == 1);

  chain_env().restart();
  // wait out the backoff (1 s + up to 10 %), then the probes close the breaker
  std::this_thread::sleep_for(std::chrono::milliseconds{status_of().retry_in_ms + 50});
  auto p1 = ask(msg::probe_chain{}, head_tag{});
  REQUIRE(p1);
  CHECK(p1->chain_id == chain_id);
  CHECK(status_of().state == msg::breaker_state::half_open);
  auto anchored_before = ask(msg::check_anchored{batches[0].c.batch_id}, anchored_tag{});
  REQUIRE(anchored_before);
  CHECK(anchored_before->anchored); // the chain kept its state across the restart
  CHECK(status_of().state == msg::breaker_state::closed);

  // anchoring resumes where it stopped, and nothing is anchored twice
  REQUIRE(ask(msg::anchor_commitment{batches[1].c}, tx_tag{}));
  REQUIRE(ask(msg::anchor_commitment{batches[2].c}, tx_tag{}));
  auto twice = ask(msg::anchor_commitment{batches[0].c}, tx_tag{});
  REQUIRE_FALSE(twice);
  CHECK(twice.error() == errc::chain_rejected);
  auto c = rpc();
  auto count =
    abi::decoder(view(c, contract, abi::encoder{function_selector("getAnchoredCount()")}.finish()));
  CHECK(count.uint64(0) == 3u);
  auto final_status = status_of();
  CHECK(final_status.failures == 3);
  CHECK(final_status.state == msg::breaker_state::closed);
  caf::anon_send_exit(breaker, caf::exit_reason::user_shutdown);
}
