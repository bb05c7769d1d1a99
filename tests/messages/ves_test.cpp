// SPDX-License-Identifier: Apache-2.0
// Hand-written edge cases of messages/ves/ves beyond the golden vectors: x402 names, Merkle
// trees of every small size, proof rejection, keys and signatures.

#include "messages/ves/ves.hpp"

#include <catch2/catch.hpp>

namespace ves = seq::ves;

namespace {

std::vector<ves::hash32> make_leaves(size_t n) {
  std::vector<ves::hash32> out;
  for (size_t i = 0; i < n; ++i) {
    std::string s = "leaf-" + std::to_string(i);
    out.push_back(ves::sha256(s));
  }
  return out;
}

} // namespace

TEST_CASE("x402 networks and asset names", "[ves][x402]") {
  CHECK(ves::x402_chain_id("set_chain") == 84532001);
  CHECK(ves::x402_chain_id("set_chain_testnet") == 84532002);
  CHECK(ves::x402_chain_id("arc") == 5042001);
  CHECK(ves::x402_chain_id("arc_testnet") == 5042002);
  CHECK(ves::x402_chain_id("base") == 8453);
  CHECK(ves::x402_chain_id("base_sepolia") == 84532);
  CHECK(ves::x402_chain_id("ethereum") == 1);
  CHECK(ves::x402_chain_id("ethereum_sepolia") == 11155111);
  CHECK(ves::x402_chain_id("arbitrum") == 42161);
  CHECK(ves::x402_chain_id("optimism") == 10);
  CHECK(ves::x402_chain_id("Base") == 0);
  CHECK(ves::x402_chain_id("polygon") == 0);
  CHECK(ves::x402_chain_id("") == 0);
  for (auto a : {"usdc", "usdt", "ssusd", "wssusd", "dai", "eth"})
    CHECK(ves::x402_asset_string(a) == a);
  CHECK(ves::x402_asset_string("ss_usd") == "ssusd");
  CHECK(ves::x402_asset_string("wss_usd") == "wssusd");
  CHECK(ves::x402_asset_string("USDC").empty());
  CHECK(ves::x402_asset_string("btc").empty());
  CHECK(ves::x402_asset_string("").empty());
}

TEST_CASE("VES Merkle trees of every size up to 33", "[ves][merkle]") {
  CHECK(ves::build_merkle_tree({}).root() == ves::hash32{});
  CHECK(ves::build_merkle_tree({}).padded_leaf_count() == 0);
  CHECK(ves::build_merkle_tree({}).depth() == 0);
  for (size_t n = 1; n <= 33; ++n) {
    auto leaves = make_leaves(n);
    auto t = ves::build_merkle_tree(leaves);
    size_t padded = 1;
    uint32_t depth = 0;
    while (padded < n) {
      padded *= 2;
      ++depth;
    }
    INFO("n = " << n);
    CHECK(t.padded_leaf_count() == padded);
    CHECK(t.depth() == depth);
    if (n == 1)
      CHECK(t.root() == leaves[0]);
    for (size_t i = 0; i < n; ++i) {
      auto p = ves::make_proof(t, i);
      CHECK(p.path.size() == depth);
      CHECK(ves::verify_proof(leaves[i], t.root(), p.path, i));
      CHECK_FALSE(ves::verify_proof(leaves[i], t.root(), p.path, i + padded));
      if (n > 1) {
        CHECK_FALSE(ves::verify_proof(leaves[i], t.root(), p.path, (i + 1) % n));
        CHECK_FALSE(ves::verify_proof(leaves[(i + 1) % n], t.root(), p.path, i));
      }
    }
  }
  SECTION("proofs for indexes outside the tree are empty") {
    auto t = ves::build_merkle_tree(make_leaves(3));
    CHECK(ves::make_proof(t, 4).path.empty());
    CHECK(ves::make_proof(ves::build_merkle_tree({}), 0).path.empty());
  }
  SECTION("padding leaves are the PAD_LEAF constant") {
    auto t = ves::build_merkle_tree(make_leaves(5));
    for (size_t i = 5; i < 8; ++i)
      CHECK(t.levels[0][i] == ves::pad_leaf());
  }
}

TEST_CASE("legacy rs_merkle trees of every size up to 33", "[ves][merkle][legacy]") {
  CHECK(ves::legacy_merkle_root({}) == ves::hash32{});
  CHECK_FALSE(ves::legacy_verify_proof(ves::hash32{}, ves::hash32{}, {}, 0, 0));
  size_t index_bit_failures = 0;
  for (size_t n = 1; n <= 33; ++n) {
    auto leaves = make_leaves(n);
    auto root = ves::legacy_merkle_root(leaves);
    INFO("n = " << n);
    if (n == 1)
      CHECK(root == leaves[0]);
    for (size_t i = 0; i < n; ++i) {
      auto path = ves::legacy_merkle_proof(leaves, i);
      CHECK(ves::legacy_verify_proof(leaves[i], root, path, i, n));
      CHECK_FALSE(ves::legacy_verify_proof(leaves[i], root, path, n, n));
      auto longer = path;
      longer.push_back(root);
      CHECK_FALSE(ves::legacy_verify_proof(leaves[i], root, longer, i, n));
      if (!ves::legacy_verify_proof_by_index_bits(leaves[i], root, path, i))
        ++index_bit_failures;
    }
    CHECK(ves::legacy_merkle_proof(leaves, n).empty());
  }
  // The reference's index-bit verification fails exactly for leaves that were promoted past
  // a level (e.g. n=3 index 2, n=5 index 4); powers of two never hit it.
  CHECK(index_bit_failures > 0);
  for (size_t n : {1, 2, 4, 8, 16, 32}) {
    auto leaves = make_leaves(n);
    auto root = ves::legacy_merkle_root(leaves);
    for (size_t i = 0; i < n; ++i)
      CHECK(ves::legacy_verify_proof_by_index_bits(leaves[i], root,
                                                   ves::legacy_merkle_proof(leaves, i), i));
  }
}

TEST_CASE("Ed25519 keys and signatures", "[ves][ed25519]") {
  auto seed = ves::random_seed();
  auto other = ves::random_seed();
  CHECK(seed != other);
  auto pk = ves::ed25519_public_key(seed);
  auto msg = ves::sha256(std::string_view{"message"});
  auto sig = ves::ed25519_sign(seed, msg);
  CHECK(sig == ves::ed25519_sign(seed, msg)); // deterministic
  CHECK(ves::ed25519_verify(pk, msg, sig));
  CHECK_FALSE(ves::ed25519_verify(ves::ed25519_public_key(other), msg, sig));
  auto bad = sig;
  bad[63] ^= 0x10;
  CHECK_FALSE(ves::ed25519_verify(pk, msg, bad));
  CHECK(ves::pop_challenge(pk) != ves::pop_challenge(ves::ed25519_public_key(other)));
}

TEST_CASE("ed25519_signer signs like ed25519_sign from the seed", "[ves][ed25519]") {
  auto seed = ves::random_seed();
  ves::ed25519_signer signer{seed};
  CHECK(signer.public_key() == ves::ed25519_public_key(seed));
  for (int i = 0; i < 32; ++i) {
    auto msg = ves::sha256("receipt-" + std::to_string(i));
    auto sig = signer.sign(msg);
    CHECK(sig == ves::ed25519_sign(seed, msg)); // Ed25519 is deterministic
    CHECK(ves::ed25519_verify(signer.public_key(), msg, sig));
  }
  // A copy signs the same; a signer of another seed does not.
  auto msg = ves::sha256(std::string_view{"message"});
  ves::ed25519_signer copy = signer;
  CHECK(copy.sign(msg) == signer.sign(msg));
  ves::ed25519_signer other{ves::random_seed()};
  CHECK(other.sign(msg) != signer.sign(msg));
  CHECK_FALSE(ves::ed25519_verify(signer.public_key(), msg, other.sign(msg)));
  // The key pair of RFC 8032 §7.1 test 1 (its message is empty, ours are 32-byte hashes).
  auto rfc = ves::from_hex_fixed<32>(
    "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
  REQUIRE(rfc);
  CHECK(ves::to_hex(ves::ed25519_signer{*rfc}.public_key())
        == "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a");
}

TEST_CASE("API key hashing and generation", "[ves]") {
  CHECK(ves::api_key_hash("")
        == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  auto tenant = *ves::uuid::parse("64527dd3-a654-4410-9327-e58a1492ce77");
  auto key = ves::generate_api_key(tenant);
  CHECK(key.rfind("ss_64527dd3", 0) == 0);
  CHECK(key.size() == 43);
  CHECK(ves::api_key_hash(key).size() == 64);
}
