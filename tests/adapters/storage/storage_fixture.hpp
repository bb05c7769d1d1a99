// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Shared fixture of the storage suite. The backend comes from SEQ_TEST_BACKEND (sqlite, the
/// default, or postgres); for postgres the server comes from SEQ_TEST_PG_URL, and a missing URL
/// fails every test (never a silent skip). Each test uses fresh random tenant/store ids, and
/// for SQLite a fresh database file in a fresh temporary directory.

#include "adapters/storage/event_store.hpp"
#include "adapters/storage/migrate.hpp"
#include "adapters/storage/postgres/pg_event_store.hpp"
#include "adapters/storage/sqlite/sqlite_event_store.hpp"
#include "messages/errc.hpp"

#include <catch2/catch.hpp>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

namespace seq::storage::test {

using msg::sequenced_legacy_event;
using msg::sequenced_ves_event;

/// "storage_conflict: <message>" for test output.
inline std::string describe(const caf::error& e) {
  if (!e)
    return "no error";
  if (e.category() != caf::atom("seq"))
    return "non-seq error " + std::to_string(e.code());
  return to_string(static_cast<errc>(e.code())) + ": " + error_message(e);
}

template <class T>
std::string describe(const caf::expected<T>& x) {
  return x ? std::string{"ok"} : describe(x.error());
}

/// Requires success, printing the error otherwise.
#define SEQ_REQUIRE_OK(expr)                                                                    \
  do {                                                                                          \
    auto&& seq_ok_ = (expr);                                                                    \
    INFO(#expr << " -> " << ::seq::storage::test::describe(seq_ok_));                           \
    REQUIRE(static_cast<bool>(seq_ok_));                                                        \
  } while (false)

/// Requires failure with the given seq::errc.
#define SEQ_REQUIRE_ERRC(expr, code)                                                            \
  do {                                                                                          \
    auto&& seq_err_ = (expr);                                                                   \
    INFO(#expr << " -> " << ::seq::storage::test::describe(seq_err_));                          \
    REQUIRE_FALSE(static_cast<bool>(seq_err_));                                                 \
    REQUIRE(seq_err_.error() == (code));                                                        \
  } while (false)

inline std::string backend_name() {
  const char* b = std::getenv("SEQ_TEST_BACKEND");
  return b && *b ? std::string{b} : std::string{"sqlite"};
}

inline bool is_postgres() {
  return backend_name() == "postgres";
}

/// A fresh temporary directory, removed by the destructor.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    path = std::filesystem::temp_directory_path() / ("seq-storage-" + uuid::random_v4().str());
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

/// The URL of a fresh database for this backend (FAILs for postgres without SEQ_TEST_PG_URL).
inline std::string fresh_url(const temp_dir& dir) {
  auto b = backend_name();
  if (b == "sqlite")
    return "sqlite://" + (dir.path / "nested" / "test.db").string();
  if (b == "postgres") {
    const char* url = std::getenv("SEQ_TEST_PG_URL");
    if (!url || !*url)
      FAIL("SEQ_TEST_BACKEND=postgres but SEQ_TEST_PG_URL is not set: start a server with "
           "tests/support/pg_harness.sh start <dir> and export its URL");
    return url;
  }
  FAIL("SEQ_TEST_BACKEND must be sqlite or postgres, not '" << b << "'");
  return {};
}

inline std::mt19937_64& rng() {
  static std::mt19937_64 r{std::random_device{}()};
  return r;
}

template <size_t N>
std::array<uint8_t, N> random_bytes() {
  std::array<uint8_t, N> out{};
  for (auto& b : out)
    b = static_cast<uint8_t>(rng()());
  return out;
}

/// A plausible µs timestamp in 2020–2030.
inline int64_t random_time() {
  return 1'577'836'800'000'000 + static_cast<int64_t>(rng()() % 315'360'000'000'000);
}

inline stream_key random_stream() {
  return stream_key{uuid::random_v4(), uuid::random_v4()};
}

/// The RFC 8785 payload every VES kind-0 test event carries: its member order differs from
/// JSONB's (shorter keys first), and it holds an escape, non-ASCII text and 1e+21.
inline const std::string& jcs_payload() {
  static const std::string s
    = R"({"aa":{"nested":[1,2.5,-3,true,null]},"amount":1e+21,"b":"h\u001fé\n\"x\"","z":0.1})";
  return s;
}

/// A VES kind-1 payload_encrypted object in JCS form.
inline const std::string& jcs_encrypted() {
  static const std::string s
    = R"({"aad":"AAECAw","ciphertext":"q83vEjRW","nonce":"AAAAAAAAAAAAAAAA",)"
      R"("recipients":[{"ct":"c2VjcmV0","enc":"ZW5j","kid":1}],"tag":"dGFn",)"
      R"("ves_enc_version":1})";
  return s;
}

inline sequenced_ves_event make_ves(const stream_key& s, uint64_t seq,
                                    std::string entity_id = "order-1", bool encrypted = false) {
  sequenced_ves_event x;
  auto& e = x.ev;
  e.ves_version = 1;
  e.event_id = uuid::random_v4();
  e.tenant_id = s.tenant_id;
  e.store_id = s.store_id;
  e.source_agent_id = uuid::random_v4();
  e.agent_key_id = 7;
  e.entity_type = "order";
  e.entity_id = std::move(entity_id);
  e.event_type = "order.created";
  e.created_at = "2024-01-15T10:30:00.123456Z";
  e.payload_kind = encrypted ? 1 : 0;
  if (encrypted)
    e.payload_encrypted = jcs_encrypted();
  else
    e.payload = jcs_payload();
  e.payload_plain_hash = random_bytes<32>();
  e.payload_cipher_hash = random_bytes<32>();
  e.event_signing_hash = random_bytes<32>();
  e.agent_signature = random_bytes<64>();
  e.command_id = uuid::random_v4();
  e.base_version = seq - 1;
  e.agent_signature_scheme = 1;
  x.sequence_number = seq;
  x.sequenced_at = random_time();
  auto& r = x.rcpt;
  r.sequencer_id = uuid::random_v4();
  r.event_id = e.event_id;
  r.sequence_number = seq;
  r.sequenced_at = x.sequenced_at;
  r.receipt_hash = random_bytes<32>();
  r.sequencer_signature = random_bytes<64>();
  r.sequencer_key_version = 3;
  return x;
}

inline sequenced_legacy_event make_legacy(const stream_key& s, uint64_t seq,
                                          std::string entity_id = "sku-1") {
  sequenced_legacy_event x;
  auto& e = x.ev;
  e.event_id = uuid::random_v4();
  e.command_id = uuid::random_v4();
  e.tenant_id = s.tenant_id;
  e.store_id = s.store_id;
  e.entity_type = "inventory";
  e.entity_id = std::move(entity_id);
  e.event_type = "inventory.adjusted";
  // Document order, not sorted: stored verbatim.
  e.payload = R"({"sku":"A-1","delta":-2,"tags":["x","é"],"note":null})";
  e.payload_hash = random_bytes<32>();
  e.base_version = seq - 1;
  e.created_at = random_time();
  e.source_agent = uuid::random_v4();
  auto sig = random_bytes<64>();
  e.signature = std::vector<uint8_t>(sig.begin(), sig.end());
  x.sequence_number = seq;
  x.sequenced_at = random_time();
  return x;
}

/// Field-by-field comparison with readable failures.
inline void check_same(const sequenced_ves_event& a, const sequenced_ves_event& b) {
  INFO("VES event " << a.ev.event_id.str());
  CHECK(a.ev.ves_version == b.ev.ves_version);
  CHECK(a.ev.event_id == b.ev.event_id);
  CHECK(a.ev.tenant_id == b.ev.tenant_id);
  CHECK(a.ev.store_id == b.ev.store_id);
  CHECK(a.ev.source_agent_id == b.ev.source_agent_id);
  CHECK(a.ev.agent_key_id == b.ev.agent_key_id);
  CHECK(a.ev.entity_type == b.ev.entity_type);
  CHECK(a.ev.entity_id == b.ev.entity_id);
  CHECK(a.ev.event_type == b.ev.event_type);
  CHECK(a.ev.created_at == b.ev.created_at);
  CHECK(a.ev.payload_kind == b.ev.payload_kind);
  CHECK(a.ev.payload == b.ev.payload);
  CHECK(a.ev.payload_encrypted == b.ev.payload_encrypted);
  CHECK(a.ev.payload_plain_hash == b.ev.payload_plain_hash);
  CHECK(a.ev.payload_cipher_hash == b.ev.payload_cipher_hash);
  CHECK(a.ev.event_signing_hash == b.ev.event_signing_hash);
  CHECK(a.ev.agent_signature == b.ev.agent_signature);
  CHECK(a.ev.command_id == b.ev.command_id);
  CHECK(a.ev.base_version == b.ev.base_version);
  CHECK(a.ev.agent_signature_scheme == b.ev.agent_signature_scheme);
  CHECK(a.sequence_number == b.sequence_number);
  CHECK(a.sequenced_at == b.sequenced_at);
  CHECK(a.rcpt.sequencer_id == b.rcpt.sequencer_id);
  CHECK(a.rcpt.event_id == b.rcpt.event_id);
  CHECK(a.rcpt.sequence_number == b.rcpt.sequence_number);
  CHECK(a.rcpt.sequenced_at == b.rcpt.sequenced_at);
  CHECK(a.rcpt.receipt_hash == b.rcpt.receipt_hash);
  CHECK(a.rcpt.sequencer_signature == b.rcpt.sequencer_signature);
  CHECK(a.rcpt.sequencer_key_version == b.rcpt.sequencer_key_version);
}

inline void check_same(const sequenced_legacy_event& a, const sequenced_legacy_event& b) {
  INFO("legacy event " << a.ev.event_id.str());
  CHECK(a.ev.event_id == b.ev.event_id);
  CHECK(a.ev.command_id == b.ev.command_id);
  CHECK(a.ev.tenant_id == b.ev.tenant_id);
  CHECK(a.ev.store_id == b.ev.store_id);
  CHECK(a.ev.entity_type == b.ev.entity_type);
  CHECK(a.ev.entity_id == b.ev.entity_id);
  CHECK(a.ev.event_type == b.ev.event_type);
  CHECK(a.ev.payload == b.ev.payload);
  CHECK(a.ev.payload_hash == b.ev.payload_hash);
  CHECK(a.ev.base_version == b.ev.base_version);
  CHECK(a.ev.created_at == b.ev.created_at);
  CHECK(a.ev.source_agent == b.ev.source_agent);
  CHECK(a.ev.signature == b.ev.signature);
  CHECK(a.sequence_number == b.sequence_number);
  CHECK(a.sequenced_at == b.sequenced_at);
}

template <class T>
void check_same(const std::vector<T>& a, const std::vector<T>& b) {
  REQUIRE(a.size() == b.size());
  for (size_t i = 0; i < a.size(); ++i)
    check_same(a[i], b[i]);
}

/// A migrated store on a fresh database (SQLite) or the shared server (PostgreSQL), and a
/// fresh random stream.
struct store_fixture {
  temp_dir dir;
  std::string url;
  store_ptr store;
  stream_key stream = random_stream();

  store_fixture() {
    url = fresh_url(dir);
    store = open();
    SEQ_REQUIRE_OK(store->migrate());
  }

  store_ptr open() const {
    auto s = open_store(url);
    INFO("open_store(" << url << ") -> " << describe(s));
    REQUIRE(s);
    return std::move(*s);
  }

  /// Backend-specific raw SQL (test setup only).
  void exec_sql(const std::string& sqlite_sql, const std::string& pg_sql) const;
};

/// A group with one VES and one legacy event per sequence number in [from, to], command
/// reservations for each, and no entity versions.
inline write_group make_group(const stream_key& s, uint64_t from, uint64_t to) {
  write_group g;
  g.stream = s;
  for (auto i = from; i <= to; ++i) {
    g.ves.push_back(make_ves(s, i, "order-" + std::to_string(i)));
    g.ves_commands.push_back(*g.ves.back().ev.command_id);
    g.legacy.push_back(make_legacy(s, i, "sku-" + std::to_string(i)));
    g.legacy_commands.push_back(*g.legacy.back().ev.command_id);
  }
  return g;
}

inline void store_fixture::exec_sql(const std::string& sqlite_sql,
                                    const std::string& pg_sql) const {
  if (auto* s = dynamic_cast<sqlite_event_store*>(store.get())) {
    SEQ_REQUIRE_OK(s->execute(sqlite_sql));
    return;
  }
  if (auto* s = dynamic_cast<pg_event_store*>(store.get())) {
    SEQ_REQUIRE_OK(s->execute(pg_sql));
    return;
  }
  FAIL("unknown backend " << store->backend());
}

/// A TCP port on 127.0.0.1 that nothing listens on (bound to port 0, then closed).
inline uint16_t closed_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
  socklen_t len = sizeof(addr);
  REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  ::close(fd);
  return ntohs(addr.sin_port);
}

} // namespace seq::storage::test
