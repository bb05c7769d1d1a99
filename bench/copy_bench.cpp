// SPDX-License-Identifier: Apache-2.0
// copy_bench: the storage half of the physical bound. Writes the rows one ingested event
// costs — VES: ves_events + ves_sequencer_receipts + entity_versions; legacy: events +
// entity_versions — with lock-free binary COPY (no counter row, no FOR UPDATE, no per-row
// statement) from N clients (threads, one connection each, own stream each), in transactions
// of `--chunk` events, for `--seconds`. Same columns, types and sizes as the server writes
// (adapters/storage/postgres/pg_event_store.cpp), same payload as the load generator.
//
//   copy_bench --database-url URL [--kind ves|legacy] [--clients 2] [--seconds 5] [--chunk 1000]
//   → one JSON line: {"kind":…,"clients":…,"events":…,"events_per_s":…,"rows_per_s":…}
//
// The database must carry the project's schema (`ves migrate --database-url URL`).

#include "adapters/storage/postgres/pg_copy.hpp"
#include "bench/loadgen/payload.hpp"
#include "messages/ves/bytes.hpp"

#include <libpq-fe.h>
#include <sodium.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using clock_type = std::chrono::steady_clock;
using seq::ves::uuid;

using seq::storage::pg::copy_buffer;

int64_t now_unix_us() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
           std::chrono::system_clock::now().time_since_epoch())
    .count();
}

// -- one client --------------------------------------------------------------------------------

struct config {
  std::string url;
  bool legacy = false;
  size_t clients = 2;
  double seconds = 5;
  size_t chunk = 1000;
};

struct pg_deleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using conn_ptr = std::unique_ptr<PGconn, pg_deleter>;

void exec_ok(PGconn* c, const char* sql) {
  PGresult* r = PQexec(c, sql);
  auto st = PQresultStatus(r);
  std::string err = PQresultErrorMessage(r);
  PQclear(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
    throw std::runtime_error(std::string{sql} + ": " + err);
}

void copy_in(PGconn* c, const std::string& sql, const copy_buffer& b) {
  PGresult* r = PQexec(c, sql.c_str());
  auto st = PQresultStatus(r);
  std::string err = PQresultErrorMessage(r);
  PQclear(r);
  if (st != PGRES_COPY_IN)
    throw std::runtime_error(sql + ": " + err);
  const auto& d = b.data();
  if (PQputCopyData(c, d.data(), static_cast<int>(d.size())) != 1 || PQputCopyEnd(c, nullptr) != 1)
    throw std::runtime_error(sql + ": " + PQerrorMessage(c));
  while ((r = PQgetResult(c)) != nullptr) {
    st = PQresultStatus(r);
    err = PQresultErrorMessage(r);
    PQclear(r);
    if (st != PGRES_COMMAND_OK)
      throw std::runtime_error(sql + ": " + err);
  }
}

const std::string ves_copy
  = "COPY ves_events (event_id, command_id, ves_version, tenant_id, store_id, source_agent_id,"
    " agent_key_id, entity_type, entity_id, event_type, created_at, created_at_str,"
    " sequenced_at, payload_kind, payload, payload_encrypted, payload_plain_hash,"
    " payload_cipher_hash, event_signing_hash, agent_signature, sequence_number, base_version,"
    " agent_signature_scheme) FROM STDIN (FORMAT binary)";
const std::string receipt_copy
  = "COPY ves_sequencer_receipts (event_id, sequencer_id, sequence_number, sequenced_at,"
    " receipt_hash, sequencer_signature, sequencer_key_version) FROM STDIN (FORMAT binary)";
const std::string legacy_copy
  = "COPY events (event_id, command_id, sequence_number, tenant_id, store_id, entity_type,"
    " entity_id, event_type, payload, payload_encrypted, payload_hash, base_version,"
    " source_agent, signature, created_at, sequenced_at) FROM STDIN (FORMAT binary)";
const std::string version_copy
  = "COPY entity_versions (tenant_id, store_id, entity_type, entity_id, version, updated_at)"
    " FROM STDIN (FORMAT binary)";

struct client_stats {
  uint64_t events = 0;
  std::string error;
};

/// Writes chunks until the deadline; returns the events committed.
void run_client(const config& cfg, const uuid& tenant, size_t index,
                clock_type::time_point deadline, client_stats& out) try {
  conn_ptr c{PQconnectdb(cfg.url.c_str())};
  if (PQstatus(c.get()) != CONNECTION_OK)
    throw std::runtime_error(std::string{"connect: "} + PQerrorMessage(c.get()));
  const auto store = uuid::random_v4();
  const auto agent = uuid::random_v4();
  const auto sequencer = uuid::random_v4();
  const std::string created_at_str = "2025-03-04T05:06:07.250Z";
  const int64_t created_at = 1741064767250000;
  const std::array<uint8_t, 32> zeros{};
  uint64_t seq = 0;
  while (clock_type::now() < deadline) {
    copy_buffer ev, rc, ver;
    const auto now = now_unix_us();
    for (size_t k = 0; k < cfg.chunk; ++k) {
      ++seq;
      const auto id = uuid::random_v4();
      std::array<uint8_t, 256> rnd;
      randombytes_buf(rnd.data(), rnd.size());
      const auto payload = seq::bench::event_payload(seq);
      const auto entity = "sku-" + std::to_string(index) + "-" + std::to_string(seq);
      if (cfg.legacy) {
        ev.row(16);
        ev.id(id);
        ev.null();
        ev.int8(static_cast<int64_t>(seq));
        ev.id(tenant);
        ev.id(store);
        ev.text("inventory");
        ev.text(entity);
        ev.text("inventory.adjusted");
        ev.text(payload);
        ev.null();
        ev.raw(rnd.data(), 32);
        ev.null();
        ev.id(agent);
        ev.null();
        ev.timestamptz(created_at);
        ev.timestamptz(now);
      } else {
        ev.row(23);
        ev.id(id);
        ev.null();
        ev.int4(1);
        ev.id(tenant);
        ev.id(store);
        ev.id(agent);
        ev.int4(1);
        ev.text("inventory");
        ev.text(entity);
        ev.text("inventory.adjusted");
        ev.timestamptz(created_at);
        ev.text(created_at_str);
        ev.timestamptz(now);
        ev.int4(0);
        ev.jsonb(payload);
        ev.null();
        ev.raw(rnd.data(), 32);           // payload_plain_hash
        ev.raw(zeros.data(), zeros.size()); // payload_cipher_hash: 32 zero bytes for kind 0
        ev.raw(rnd.data() + 32, 32);      // event_signing_hash
        ev.raw(rnd.data() + 64, 64);      // agent_signature
        ev.int8(static_cast<int64_t>(seq));
        ev.null();
        ev.int2(0);
        rc.row(7);
        rc.id(id);
        rc.id(sequencer);
        rc.int8(static_cast<int64_t>(seq));
        rc.timestamptz(now);
        rc.raw(rnd.data() + 128, 32);     // receipt_hash
        rc.raw(rnd.data() + 160, 64);     // sequencer_signature
        rc.int4(0);
      }
      ver.row(6);
      ver.id(tenant);
      ver.id(store);
      ver.text("inventory");
      ver.text(entity);
      ver.int8(1);
      ver.timestamptz(now);
    }
    ev.finish();
    rc.finish();
    ver.finish();
    exec_ok(c.get(), "BEGIN");
    copy_in(c.get(), cfg.legacy ? legacy_copy : ves_copy, ev);
    if (!cfg.legacy)
      copy_in(c.get(), receipt_copy, rc);
    copy_in(c.get(), version_copy, ver);
    exec_ok(c.get(), "COMMIT");
    out.events += cfg.chunk;
  }
} catch (const std::exception& e) {
  out.error = e.what();
}

/// Rows stored for `tenant` in the event table (a check that COPY wrote what it counted).
uint64_t stored_events(const config& cfg, const uuid& tenant) {
  conn_ptr c{PQconnectdb(cfg.url.c_str())};
  auto sql = std::string{"SELECT count(*) FROM "} + (cfg.legacy ? "events" : "ves_events")
             + " WHERE tenant_id = '" + tenant.str() + "'";
  PGresult* r = PQexec(c.get(), sql.c_str());
  uint64_t n = 0;
  if (PQresultStatus(r) == PGRES_TUPLES_OK)
    n = std::strtoull(PQgetvalue(r, 0, 0), nullptr, 10);
  PQclear(r);
  return n;
}

} // namespace

int main(int argc, char** argv) {
  config cfg;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    std::string v = argv[i + 1];
    if (k == "--database-url")
      cfg.url = v;
    else if (k == "--kind")
      cfg.legacy = v == "legacy";
    else if (k == "--clients")
      cfg.clients = std::strtoul(v.c_str(), nullptr, 10);
    else if (k == "--seconds")
      cfg.seconds = std::atof(v.c_str());
    else if (k == "--chunk")
      cfg.chunk = std::strtoul(v.c_str(), nullptr, 10);
    else {
      std::fprintf(stderr, "copy_bench: unknown option %s\n", k.c_str());
      return 2;
    }
  }
  if (cfg.url.empty() || cfg.clients == 0 || cfg.chunk == 0 || cfg.seconds <= 0
      || sodium_init() < 0) {
    std::fprintf(stderr, "usage: copy_bench --database-url URL [--kind ves|legacy] [--clients N]"
                         " [--seconds S] [--chunk C]\n");
    return 2;
  }
  const auto tenant = uuid::random_v4();
  std::vector<client_stats> stats(cfg.clients);
  std::vector<std::thread> pool;
  auto start = clock_type::now();
  auto deadline = start + std::chrono::duration_cast<clock_type::duration>(
                            std::chrono::duration<double>(cfg.seconds));
  for (size_t i = 0; i < cfg.clients; ++i)
    pool.emplace_back([&, i] { run_client(cfg, tenant, i, deadline, stats[i]); });
  for (auto& t : pool)
    t.join();
  auto elapsed = std::chrono::duration<double>(clock_type::now() - start).count();
  uint64_t events = 0;
  for (auto& s : stats) {
    if (!s.error.empty()) {
      std::fprintf(stderr, "copy_bench: %s\n", s.error.c_str());
      return 1;
    }
    events += s.events;
  }
  auto stored = stored_events(cfg, tenant);
  if (stored != events) {
    std::fprintf(stderr, "copy_bench: counted %llu events but %llu are stored\n",
                 static_cast<unsigned long long>(events), static_cast<unsigned long long>(stored));
    return 1;
  }
  const int rows_per_event = cfg.legacy ? 2 : 3;
  std::printf("{\"kind\":\"%s\",\"clients\":%zu,\"chunk\":%zu,\"events\":%llu,\"elapsed_s\":%.3f,"
              "\"events_per_s\":%.0f,\"rows_per_event\":%d,\"rows_per_s\":%.0f}\n",
              cfg.legacy ? "legacy" : "ves", cfg.clients, cfg.chunk,
              static_cast<unsigned long long>(events), elapsed, events / elapsed, rows_per_event,
              events * rows_per_event / elapsed);
  return 0;
}
