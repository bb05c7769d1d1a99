// SPDX-License-Identifier: Apache-2.0
// runtime/identity: the receipt-signing key and sequencer id kept in the data directory are
// generated once, reused afterwards, and never replaced when they exist but cannot be read.
#include "runtime/identity.hpp"

#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>

namespace fs = std::filesystem;
using seq::runtime::load_identity;

namespace {

struct scratch_dir {
  fs::path path;
  scratch_dir() {
    std::string tmpl = (fs::temp_directory_path() / "ves-identity-XXXXXX").string();
    REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

std::string message_of(const std::string& dir) {
  try {
    load_identity(dir, std::nullopt, std::nullopt);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return {};
}

} // namespace

TEST_CASE("the identity is generated once, kept with mode 0600, and reused", "[identity]") {
  scratch_dir d;
  auto first = load_identity(d.path.string(), std::nullopt, std::nullopt);
  CHECK(first.generated_key);
  struct stat st{};
  REQUIRE(::stat((d.path / "sequencer.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK_FALSE(fs::exists(d.path / "sequencer.key.tmp"));
  auto again = load_identity(d.path.string(), std::nullopt, std::nullopt);
  CHECK_FALSE(again.generated_key);
  CHECK(again.seed == first.seed);
  CHECK(again.public_key == first.public_key);
  CHECK(again.id == first.id);
}

TEST_CASE("a key that exists but cannot be read stops the start and is kept", "[identity]") {
  scratch_dir d;
  // A directory where the key should be: opening works, reading fails (EISDIR), as for any
  // key the process may not read. It must not be replaced by a fresh key.
  fs::create_directory(d.path / "sequencer.key");
  auto why = message_of(d.path.string());
  CHECK(why.find("cannot read") != std::string::npos);
  CHECK(why.find("sequencer.key") != std::string::npos);
  CHECK(fs::is_directory(d.path / "sequencer.key"));

  scratch_dir e;
  std::ofstream{e.path / "sequencer.key"} << "not a key\n";
  CHECK(message_of(e.path.string()).find("expected 64 hex characters") != std::string::npos);
  std::ifstream in{e.path / "sequencer.key"};
  std::string kept;
  std::getline(in, kept);
  CHECK(kept == "not a key");
}
