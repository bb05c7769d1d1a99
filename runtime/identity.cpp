// SPDX-License-Identifier: Apache-2.0
#include "runtime/identity.hpp"

#include "messages/ves/ves.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>

namespace seq::runtime {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const std::string& what, const fs::path& p, int err) {
  throw std::runtime_error(what + " " + p.string() + ": " + std::strerror(err));
}

/// The file's content without trailing white space; nullopt only when it does not exist. Any
/// other failure throws: a key that exists but cannot be read must never be replaced.
std::optional<std::string> read_file(const fs::path& p) {
  int fd = ::open(p.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return std::nullopt;
    fail("cannot read", p, errno);
  }
  std::string s;
  char buf[256];
  for (;;) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      fail("cannot read", p, err);
    }
    if (n == 0)
      break;
    s.append(buf, static_cast<size_t>(n));
  }
  ::close(fd);
  while (!s.empty() && isspace(static_cast<unsigned char>(s.back())))
    s.pop_back();
  return s;
}

void fsync_path(const fs::path& p, int flags) {
  int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    int err = errno;
    if (fd >= 0)
      ::close(fd);
    fail("cannot sync", p, err);
  }
  ::close(fd);
}

/// Writes a new file `p` durably (the content, then the directory entry), never replacing one
/// that exists: false when `p` appeared meanwhile (another process wrote it first).
bool create_file(const fs::path& p, const std::string& content, bool secret) {
  auto tmp = p;
  tmp += ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, secret ? 0600 : 0644);
  if (fd < 0)
    fail("cannot write", tmp, errno);
  auto line = content + "\n";
  bool ok = (!secret || ::fchmod(fd, 0600) == 0)
            && ::write(fd, line.data(), line.size()) == static_cast<ssize_t>(line.size())
            && ::fsync(fd) == 0;
  int err = errno;
  ::close(fd);
  if (!ok)
    fail("cannot write", tmp, err);
  // link() fails with EEXIST instead of replacing p, as rename() would.
  bool made = ::link(tmp.c_str(), p.c_str()) == 0;
  err = errno;
  ::unlink(tmp.c_str());
  if (!made && err != EEXIST)
    fail("cannot create", p, err);
  fsync_path(p.parent_path().empty() ? fs::path{"."} : p.parent_path(), O_RDONLY | O_DIRECTORY);
  return made;
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
    auto text = read_file(key_file);
    if (!text) {
      auto fresh = ves::random_seed();
      if (create_file(key_file, ves::to_hex(fresh), true)) {
        out.seed = fresh;
        out.generated_key = true;
      } else {
        text = read_file(key_file); // another process created it first: use that one
      }
    }
    if (text) {
      auto s = ves::from_hex_fixed<32>(*text);
      if (!s)
        throw std::runtime_error(key_file.string() + ": expected 64 hex characters");
      out.seed = *s;
    }
  }
  out.public_key = ves::ed25519_public_key(out.seed);
  if (id) {
    out.id = *id;
  } else {
    auto id_file = dir / "sequencer.id";
    auto text = read_file(id_file);
    if (!text) {
      auto fresh = ves::uuid::random_v4();
      if (create_file(id_file, fresh.str(), false))
        text = fresh.str();
      else
        text = read_file(id_file);
    }
    auto u = text ? ves::uuid::parse(*text) : std::nullopt;
    if (!u)
      throw std::runtime_error(id_file.string() + ": expected a UUID");
    out.id = *u;
  }
  return out;
}

} // namespace seq::runtime
