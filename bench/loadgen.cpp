// SPDX-License-Identifier: Apache-2.0
// ves_loadgen: the benchmark load generator (see bench/README.md).
//
// Registers a fresh agent signing key (VES) and mints the agent's API key with the admin key,
// pre-builds and pre-signs every request, then sends them over N keep-alive connections in
// closed loop (fixed concurrency) or open loop (fixed offered rate). After the clock stops it
// checks every receipt and pulls every stream (gap-free 1..N, receipts as acknowledged), and
// prints ONE JSON line with the results on stdout (progress goes to stderr).
//
//   ves_loadgen --port P --admin-key K [--mode closed|open] [--rate EV_PER_S] [--connections N]
//               [--batch B] [--streams S] [--duration SECS] [--max-events E | --requests R]
//               [--warmup W] [--legacy] [--no-verify] [--label NAME] [--ingest-key agent|admin]
//               [--rss-pid PID] [--idle-wait SECS] [--threads T]
//               [--server-pid PID] [--postgres-pid PID]
//
// With --server-pid / --postgres-pid (the postmaster; its children count too) it also reports
// where the CPU went while the clock ran: "cpu" holds the seconds of the server (in all, and
// by thread name in "server_threads_s"), PostgreSQL, the generator itself and the whole
// machine (busy and idle, all cores).

#include "bench/loadgen/cpu.hpp"
#include "bench/loadgen/runner.hpp"
#include "bench/loadgen/verify.hpp"
#include "bench/loadgen/workload.hpp"
#include "messages/ves/json.hpp"
#include "messages/ves/ves.hpp"

#include <httplib.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

using namespace seq::bench;
namespace json = seq::ves::json;

struct options {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string admin_key;
  bool open_loop = false;
  double rate = 1000;          ///< events/s (open loop)
  size_t connections = 8;
  size_t batch = 1;
  size_t streams = 1;
  double duration_s = 10;
  size_t max_events = 100000;  ///< closed loop: events pre-built for the measured phase
  size_t requests = 0;         ///< exact measured request count (overrides max_events)
  long warmup = -1;            ///< requests before the clock; −1 = one per stream (≤ 1000)
  bool legacy = false;
  bool verify = true;
  bool ingest_with_admin = false;
  std::string label;
  int rss_pid = 0;
  double idle_wait_s = 0;
  size_t threads = 0;          ///< generation and verification threads (0 = cores)
  int server_pid = 0;          ///< CPU accounting (0 = none)
  int postgres_pid = 0;        ///< the postmaster: its children are the backends
};

[[noreturn]] void usage(const std::string& why) {
  std::cerr << "ves_loadgen: " << why << "\n"
            << "usage: ves_loadgen --port P --admin-key K [--mode closed|open] [--rate EV_PER_S]\n"
               "  [--connections N] [--batch B] [--streams S] [--duration SECS]\n"
               "  [--max-events E | --requests R] [--warmup W] [--legacy] [--no-verify]\n"
               "  [--label NAME] [--ingest-key agent|admin] [--rss-pid PID] [--idle-wait SECS]\n"
               "  [--threads T] [--server-pid PID] [--postgres-pid PID] [--host 127.0.0.1]\n";
  std::exit(2);
}

options parse_options(int argc, char** argv) {
  options o;
  std::map<std::string, std::string> kv;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--legacy") {
      o.legacy = true;
    } else if (a == "--no-verify") {
      o.verify = false;
    } else if (a.rfind("--", 0) == 0 && i + 1 < argc) {
      kv[a.substr(2)] = argv[++i];
    } else {
      usage("unexpected argument " + a);
    }
  }
  auto num = [&](const std::string& k, auto& out) {
    auto i = kv.find(k);
    if (i == kv.end())
      return;
    std::istringstream in{i->second};
    if (!(in >> out) || !in.eof())
      usage("--" + k + ": not a number: " + i->second);
    kv.erase(i);
  };
  auto text = [&](const std::string& k, std::string& out) {
    if (auto i = kv.find(k); i != kv.end()) {
      out = i->second;
      kv.erase(i);
    }
  };
  int port = 0;
  num("port", port);
  o.port = static_cast<uint16_t>(port);
  text("host", o.host);
  text("admin-key", o.admin_key);
  std::string mode = "closed";
  text("mode", mode);
  o.open_loop = mode == "open";
  if (mode != "open" && mode != "closed")
    usage("--mode must be closed or open");
  num("rate", o.rate);
  num("connections", o.connections);
  num("batch", o.batch);
  num("streams", o.streams);
  num("duration", o.duration_s);
  num("max-events", o.max_events);
  num("requests", o.requests);
  num("warmup", o.warmup);
  text("label", o.label);
  std::string ik = "agent";
  text("ingest-key", ik);
  if (ik != "agent" && ik != "admin")
    usage("--ingest-key must be agent or admin");
  o.ingest_with_admin = ik == "admin";
  num("rss-pid", o.rss_pid);
  num("idle-wait", o.idle_wait_s);
  num("threads", o.threads);
  num("server-pid", o.server_pid);
  num("postgres-pid", o.postgres_pid);
  if (!kv.empty())
    usage("unknown option --" + kv.begin()->first);
  if (o.port == 0 || o.admin_key.empty())
    usage("--port and --admin-key are required");
  if (o.connections == 0 || o.batch == 0 || o.streams == 0 || o.duration_s <= 0)
    usage("connections, batch, streams and duration must be positive");
  if (o.open_loop && o.rate <= 0)
    usage("--rate must be positive in open loop");
  if (o.threads == 0)
    o.threads = std::max(2u, std::thread::hardware_concurrency());
  return o;
}

void log(const std::string& line) {
  std::cerr << "ves_loadgen: " << line << std::endl;
}

// -- setup over HTTP (cpp-httplib) ---------------------------------------------------------------

class admin_client {
public:
  admin_client(const options& o) : cli_(o.host, o.port), key_(o.admin_key) {
    cli_.set_keep_alive(true);
    cli_.set_read_timeout(60, 0);
  }

  json::value get(const std::string& path) { return check("GET " + path, cli_.Get(path, hdr())); }

  json::value post(const std::string& path, const std::string& body) {
    return check("POST " + path, cli_.Post(path, hdr(), body, "application/json"));
  }

  std::string get_text(const std::string& path) {
    auto r = cli_.Get(path, hdr());
    if (!r || r->status != 200)
      throw std::runtime_error("GET " + path + " failed");
    return r->body;
  }

private:
  httplib::Headers hdr() const { return {{"Authorization", "ApiKey " + key_}}; }

  json::value check(const std::string& what, const httplib::Result& r) {
    if (!r)
      throw std::runtime_error(what + ": " + httplib::to_string(r.error()));
    if (r->status != 200)
      throw std::runtime_error(what + ": HTTP " + std::to_string(r->status) + " " + r->body);
    auto doc = json::try_parse(r->body);
    if (!doc)
      throw std::runtime_error(what + ": body is not JSON");
    return *doc;
  }

  httplib::Client cli_;
  std::string key_;
};

std::string field(const json::value& v, std::string_view k) {
  auto* x = v.find(k);
  if (!x || !x->is_string())
    throw std::runtime_error("response lacks string field " + std::string{k});
  return x->as_string();
}

sequencer_key fetch_sequencer(admin_client& admin) {
  auto doc = admin.get("/api/v1/ves/sequencer");
  sequencer_key k;
  auto id = seq::ves::uuid::parse(field(doc, "sequencerId"));
  auto pk = seq::ves::from_hex_fixed<32>(field(doc, "publicKey"));
  if (!id || !pk)
    throw std::runtime_error("GET /api/v1/ves/sequencer: bad sequencerId or publicKey");
  k.id = *id;
  k.public_key = *pk;
  return k;
}

/// Registers the agent's signing key (VES) and mints its write API key.
void enroll(admin_client& admin, identity& who, const options& o) {
  if (!o.legacy)
    admin.post("/api/v1/agents/keys",
               R"({"tenantId":")" + who.tenant.str() + R"(","agentId":")" + who.agent.str()
                 + R"(","keyId":)" + std::to_string(who.key_id) + R"(,"publicKey":")"
                 + seq::ves::to_hex(who.public_key) + "\"}");
  if (o.ingest_with_admin) {
    who.api_key = o.admin_key;
    return;
  }
  auto doc = admin.post("/api/v1/agents/" + who.agent.str() + "/api-keys",
                        R"({"tenantId":")" + who.tenant.str() + "\"}");
  who.api_key = field(doc, "apiKey");
}

// -- memory of the server ------------------------------------------------------------------------

/// VmRSS of `pid` in kB (0 when unreadable).
uint64_t rss_kb(int pid) {
  if (pid <= 0)
    return 0;
  std::ifstream in{"/proc/" + std::to_string(pid) + "/status"};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("VmRSS:", 0) == 0)
      return std::stoull(line.substr(6));
  return 0;
}

/// The value of the gauge `name` in Prometheus text, or −1.
long long metric_value(const std::string& text, const std::string& name) {
  std::istringstream in{text};
  std::string line;
  while (std::getline(in, line))
    if (line.rfind(name + " ", 0) == 0)
      return std::stoll(line.substr(name.size() + 1));
  return -1;
}

struct idle_result {
  bool reached = false;
  double waited_s = 0;
  long long streams_active_live = -1;
  long long streams_active_after = -1;
  uint64_t rss_after_kb = 0;
};

/// Polls /metrics until ves_streams_active is 0 (bounded by `limit_s`), then reads the RSS
/// after the memory had a moment to be returned.
idle_result wait_idle(admin_client& admin, const options& o) {
  idle_result r;
  auto start = clock_type::now();
  auto limit = start + std::chrono::duration<double>(o.idle_wait_s);
  for (;;) {
    auto active = metric_value(admin.get_text("/metrics"), "ves_streams_active");
    r.streams_active_after = active;
    if (active == 0) {
      r.reached = true;
      break;
    }
    if (clock_type::now() > limit)
      break;
    std::this_thread::sleep_for(std::chrono::milliseconds{500});
  }
  r.waited_s = std::chrono::duration<double>(clock_type::now() - start).count();
  std::this_thread::sleep_for(std::chrono::seconds{2});
  r.rss_after_kb = rss_kb(o.rss_pid);
  return r;
}

// -- output ---------------------------------------------------------------------------------------

std::string num_text(double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.3f", v);
  return buf;
}

} // namespace

int main(int argc, char** argv) try {
  auto o = parse_options(argc, argv);
  check_payload_forms();
  admin_client admin{o};
  auto rss_before = rss_kb(o.rss_pid);
  sequencer_key seq_key;
  if (!o.legacy)
    seq_key = fetch_sequencer(admin);
  auto who = identity::random();
  enroll(admin, who, o);

  // Plan: warm-up requests, then the measured range.
  size_t warmup = o.warmup >= 0 ? static_cast<size_t>(o.warmup) : std::min<size_t>(o.streams, 1000);
  size_t measured = o.requests;
  if (measured == 0) {
    auto events = o.open_loop ? static_cast<size_t>(o.rate * o.duration_s) : o.max_events;
    measured = std::max<size_t>(1, (events + o.batch - 1) / o.batch);
  }
  workload_spec spec;
  spec.legacy = o.legacy;
  spec.streams = o.streams;
  spec.batch = o.batch;
  spec.requests = warmup + measured;
  spec.host = o.host;
  spec.port = o.port;
  spec.threads = o.threads;
  auto gen_start = clock_type::now();
  auto w = build_workload(spec, who);
  log("built and signed " + std::to_string(w.events.size()) + " events in "
      + std::to_string(w.requests.size()) + " requests in "
      + num_text(std::chrono::duration<double>(clock_type::now() - gen_start).count()) + " s");

  std::vector<request_result> results(w.requests.size());
  if (warmup > 0) {
    phase_options p;
    p.begin = 0;
    p.end = warmup;
    p.connections = std::min(o.connections, warmup);
    p.max_duration = std::chrono::seconds{120};
    run_phase(w, results, p);
  }
  phase_options p;
  p.begin = warmup;
  p.end = w.requests.size();
  p.connections = o.connections;
  p.open_loop = o.open_loop;
  p.requests_per_s = o.rate / static_cast<double>(o.batch);
  p.max_duration = std::chrono::milliseconds{static_cast<long long>(o.duration_s * 1000)};
  const bool cpu = o.server_pid > 0 || o.postgres_pid > 0;
  cpu_sample cpu0;
  if (cpu)
    cpu0 = sample_cpu(o.server_pid, o.postgres_pid);
  auto ph = run_phase(w, results, p);
  cpu_sample cpu1;
  if (cpu)
    cpu1 = sample_cpu(o.server_pid, o.postgres_pid);
  auto elapsed = std::chrono::duration<double>(ph.last_done - ph.t0).count();
  auto rss_live = rss_kb(o.rss_pid);
  long long streams_live = -1;
  if (o.idle_wait_s > 0)
    streams_live = metric_value(admin.get_text("/metrics"), "ves_streams_active");

  // The clock has stopped: count, then check.
  auto d = digest_responses(w, results, o.threads);
  uint64_t accepted = 0;
  uint64_t events_sent = 0;
  uint64_t ok_requests = 0;
  std::map<int, uint64_t> statuses;
  std::string error_sample;
  for (size_t r = warmup; r < results.size(); ++r) {
    if (results[r].status == -1)
      continue;
    events_sent += w.requests[r].count;
    accepted += d.accepted[r];
    ++statuses[results[r].status];
    if (results[r].status == 200)
      ++ok_requests;
    else if (error_sample.empty())
      error_sample = std::to_string(results[r].status) + " " + results[r].body.substr(0, 200);
  }
  uint64_t accepted_all = 0;
  for (auto a : d.accepted)
    accepted_all += a;
  verify_report vr;
  if (o.verify) {
    auto t = clock_type::now();
    vr = verify_run(w, results, d, seq_key, server_endpoint{o.host, o.port, o.admin_key},
                    std::max<size_t>(o.threads, 4));
    log("verified " + std::to_string(vr.streams_checked) + " streams, "
        + std::to_string(vr.events_pulled) + " events, " + std::to_string(vr.receipts_checked)
        + " receipts in "
        + num_text(std::chrono::duration<double>(clock_type::now() - t).count()) + " s: "
        + (vr.ok ? "ok" : "FAILED"));
    for (auto& pr : vr.problems)
      log("  " + pr);
  }
  idle_result idle;
  if (o.idle_wait_s > 0) {
    idle = wait_idle(admin, o);
    idle.streams_active_live = streams_live;
  }

  auto eps = elapsed > 0 ? static_cast<double>(accepted) / elapsed : 0.0;
  const auto& h = ph.latency_us;
  std::ostringstream out;
  out << "{\"label\":" << json::quote(o.label) << ",\"mode\":\""
      << (o.open_loop ? "open" : "closed") << "\",\"kind\":\"" << (o.legacy ? "legacy" : "ves")
      << "\",\"connections\":" << o.connections << ",\"batch\":" << o.batch
      << ",\"streams\":" << o.streams << ",\"offered_rate\":" << (o.open_loop ? o.rate : 0)
      << ",\"warmup_requests\":" << warmup << ",\"requests\":" << ph.sent
      << ",\"ok_requests\":" << ok_requests << ",\"events_sent\":" << events_sent
      << ",\"accepted\":" << accepted << ",\"rejected\":" << d.rejected
      << ",\"replayed\":" << d.replayed << ",\"elapsed_s\":" << num_text(elapsed)
      << ",\"events_per_s\":" << num_text(eps) << ",\"latency_us\":{\"p50\":"
      << h.percentile(50) << ",\"p90\":" << h.percentile(90) << ",\"p99\":" << h.percentile(99)
      << ",\"p999\":" << h.percentile(99.9) << ",\"max\":" << h.max()
      << ",\"mean\":" << num_text(h.mean()) << "},\"max_lateness_us\":" << ph.max_lateness_us
      << ",\"transport_errors\":" << ph.transport_errors << ",\"reconnects\":" << ph.reconnects
      << ",\"statuses\":{";
  bool first = true;
  for (auto& [s, n] : statuses) {
    out << (first ? "" : ",") << "\"" << s << "\":" << n;
    first = false;
  }
  out << "},\"error_sample\":" << json::quote(error_sample)
      << ",\"first_rejection\":" << json::quote(d.first_rejection)
      << ",\"accepted_including_warmup\":" << accepted_all << ",\"verify\":{\"done\":"
      << (o.verify ? "true" : "false") << ",\"ok\":" << (vr.ok ? "true" : "false")
      << ",\"streams\":" << vr.streams_checked << ",\"events_pulled\":" << vr.events_pulled
      << ",\"receipts_checked\":" << vr.receipts_checked
      << ",\"stored_unacked\":" << vr.stored_unacked << ",\"problems\":[";
  for (size_t i = 0; i < vr.problems.size(); ++i)
    out << (i ? "," : "") << json::quote(vr.problems[i]);
  out << "]}";
  if (cpu) {
    auto u = cpu_between(cpu0, cpu1);
    out << ",\"cpu\":{\"server_s\":" << num_text(u.server_s)
        << ",\"server_threads_s\":{";
    const char* sep = "";
    for (const auto& [name, secs] : u.server_threads_s) {
      out << sep << json::quote(name) << ":" << num_text(secs);
      sep = ",";
    }
    out << "},\"postgres_s\":" << num_text(u.postgres_s)
        << ",\"loadgen_s\":" << num_text(u.loadgen_s)
        << ",\"machine_busy_s\":" << num_text(u.machine_busy_s)
        << ",\"machine_idle_s\":" << num_text(u.machine_idle_s)
        << ",\"cores\":" << std::thread::hardware_concurrency() << "}";
  }
  if (o.rss_pid > 0) {
    out << ",\"rss_kb\":{\"before\":" << rss_before << ",\"live\":" << rss_live
        << ",\"after_idle\":" << idle.rss_after_kb << "},\"idle\":{\"waited_s\":"
        << num_text(idle.waited_s) << ",\"reached\":" << (idle.reached ? "true" : "false")
        << ",\"streams_active_live\":" << idle.streams_active_live
        << ",\"streams_active_after\":" << idle.streams_active_after << "}";
  }
  out << "}";
  std::cout << out.str() << std::endl;
  bool clean = accepted == events_sent && (!o.verify || vr.ok);
  return clean ? 0 : 1;
} catch (const std::exception& e) {
  std::cerr << "ves_loadgen: " << e.what() << std::endl;
  return 1;
}
