// SPDX-License-Identifier: Apache-2.0
#include "runtime/identity.hpp"

#include "messages/ves/ves.hpp"

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace seq::runtime {

namespace fs = std::filesystem;

namespace {

std::optional<std::string> read_file(const fs::path& p) {
  std::ifstream in{p};
  if (!in)
    return std::nullopt;
  std::stringstream ss;
  ss << in.rdbuf();
  auto s = ss.str();
  while (!s.empty() && isspace(static_cast<unsigned char>(s.back())))
    s.pop_back();
  return s;
}

void write_file(const fs::path& p, const std::string& content, bool secret) {
  auto tmp = p;
  tmp += ".tmp";
  {
    std::ofstream out{tmp, std::ios::trunc};
    if (!out)
      throw std::runtime_error("cannot write " + tmp.string());
    if (secret)
      ::chmod(tmp.c_str(), 0600);
    out << content << '\n';
    if (!out.flush())
      throw std::runtime_error("cannot write " + tmp.string());
  }
  fs::rename(tmp, p);
}

} // namespace

identity load_identity(const std::string& data_dir, const std::optional<ves::seed32>& seed,
                       const std::optional<ves::uuid>& id) {
  identity out;
  fs::path dir{data_dir};
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec)
    throw std::runtime_error("cannot create data directory " + data_dir + ": " + ec.message());
  if (seed) {
    out.seed = *seed;
  } else {
    auto key_file = dir / "sequencer.key";
    if (auto text = read_file(key_file)) {
      auto s = ves::from_hex_fixed<32>(*text);
      if (!s)
        throw std::runtime_error(key_file.string() + ": expected 64 hex characters");
      out.seed = *s;
    } else {
      out.seed = ves::random_seed();
      write_file(key_file, ves::to_hex(out.seed), true);
      out.generated_key = true;
    }
  }
  out.public_key = ves::ed25519_public_key(out.seed);
  if (id) {
    out.id = *id;
  } else {
    auto id_file = dir / "sequencer.id";
    if (auto text = read_file(id_file)) {
      auto u = ves::uuid::parse(*text);
      if (!u)
        throw std::runtime_error(id_file.string() + ": expected a UUID");
      out.id = *u;
    } else {
      out.id = ves::uuid::random_v4();
      write_file(id_file, out.id.str(), false);
    }
  }
  return out;
}

} // namespace seq::runtime
