// SPDX-License-Identifier: Apache-2.0
#include "bench/loadgen/verify.hpp"

#include "messages/ves/json.hpp"
#include "messages/ves/ves.hpp"

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_set>

namespace seq::bench {

namespace json = ves::json;

namespace {

constexpr size_t max_problems = 20;
constexpr uint64_t page_size = 1000;

std::optional<uint64_t> u64_field(const json::value& v, std::string_view key) {
  auto* x = v.find(key);
  if (!x || !x->is_number() || !x->as_number().is_u64)
    return std::nullopt;
  return x->as_number().u;
}

std::string str_field(const json::value& v, std::string_view key) {
  auto* x = v.find(key);
  return x && x->is_string() ? x->as_string() : std::string{};
}

const json::array* array_field(const json::value& v, std::string_view key) {
  auto* x = v.find(key);
  return x && x->is_array() ? &x->as_array() : nullptr;
}

/// Runs f(i) for i in [0, n) on `threads` threads.
template <class F>
void parallel_for(size_t n, size_t threads, F f) {
  threads = std::max<size_t>(1, std::min(threads, n));
  std::atomic<size_t> next{0};
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t)
    pool.emplace_back([&] {
      for (size_t i = next++; i < n; i = next++)
        f(i);
    });
  for (auto& t : pool)
    t.join();
}

class problem_list {
public:
  void add(std::string what) {
    std::lock_guard guard{mtx_};
    ++count_;
    if (items_.size() < max_problems)
      items_.push_back(std::move(what));
  }
  bool empty() const { return count_ == 0; }
  std::vector<std::string> take() {
    if (count_ > items_.size())
      items_.push_back("… " + std::to_string(count_ - items_.size()) + " more");
    return std::move(items_);
  }

private:
  std::mutex mtx_;
  size_t count_ = 0;
  std::vector<std::string> items_;
};

struct digest_part {
  uint64_t rejected = 0;
  uint64_t replayed = 0;
  uint64_t unparsable = 0;
  std::string first_rejection;
};

void note_rejections(const json::value& doc, digest_part& part,
                     std::unordered_set<std::string>* ids) {
  auto* rej = array_field(doc, "rejections");
  if (!rej)
    return;
  part.rejected += rej->size();
  for (const auto& r : *rej) {
    if (part.first_rejection.empty())
      part.first_rejection = str_field(r, "reason") + ": " + str_field(r, "message");
    if (ids)
      ids->insert(str_field(r, "event_id"));
  }
}

void digest_ves(const workload& w, size_t r, const json::value& doc, response_digest& d,
                digest_part& part) {
  const auto& req = w.requests[r];
  auto accepted = u64_field(doc, "eventsAccepted");
  auto* receipts = array_field(doc, "receipts");
  if (!accepted || !receipts) {
    ++part.unparsable;
    return;
  }
  d.accepted[r] = static_cast<uint32_t>(*accepted);
  note_rejections(doc, part, nullptr);
  if (receipts->size() > *accepted)
    part.replayed += receipts->size() - *accepted;
  size_t cursor = 0; // receipts come in request order
  for (const auto& rc : *receipts) {
    auto id = ves::uuid::parse(str_field(rc, "eventId"));
    auto seq = u64_field(rc, "sequenceNumber");
    if (!id || !seq) {
      ++part.unparsable;
      continue;
    }
    for (size_t k = 0; k < req.count; ++k) {
      auto i = (cursor + k) % req.count;
      auto idx = req.first_event + i;
      if (w.events[idx].event_id == *id) {
        auto& a = d.acks[idx];
        a.seq = *seq;
        a.receipt_hash = str_field(rc, "receiptHash");
        a.signature = str_field(rc, "sequencerSignature");
        cursor = i + 1;
        break;
      }
    }
  }
}

void digest_legacy(const workload& w, size_t r, const json::value& doc, response_digest& d,
                   digest_part& part) {
  const auto& req = w.requests[r];
  auto accepted = u64_field(doc, "events_accepted");
  if (!accepted) {
    ++part.unparsable;
    return;
  }
  d.accepted[r] = static_cast<uint32_t>(*accepted);
  std::unordered_set<std::string> rejected;
  note_rejections(doc, part, &rejected);
  if (*accepted == 0)
    return;
  auto start = u64_field(doc, "assigned_sequence_start");
  if (!start) {
    ++part.unparsable;
    return;
  }
  // Accepted events get consecutive numbers in request order.
  uint64_t next = *start;
  for (uint32_t k = 0; k < req.count; ++k) {
    auto idx = req.first_event + k;
    if (!rejected.empty() && rejected.count(w.events[idx].event_id.str()))
      continue;
    d.acks[idx].seq = next++;
  }
}

/// Everything the pull of one stream is compared with.
struct stream_expectation {
  std::vector<int64_t> by_seq;                 ///< seq → event index (−1: none acked)
  std::unordered_set<std::string> maybe;       ///< sent, no definite answer: may be stored
  uint64_t max_acked = 0;
};

stream_expectation expect_stream(const workload& w, const std::vector<request_result>& results,
                                 const response_digest& d, size_t s, problem_list& problems) {
  stream_expectation x;
  const auto streams = w.stores.size();
  for (size_t r = s; r < w.requests.size(); r += streams) {
    const auto& req = w.requests[r];
    const auto status = results[r].status;
    if (status == -1)
      continue; // never sent
    for (uint32_t k = 0; k < req.count; ++k) {
      auto idx = req.first_event + k;
      const auto& a = d.acks[idx];
      if (a.seq > 0) {
        if (x.by_seq.size() <= a.seq)
          x.by_seq.resize(a.seq + 1, -1);
        if (x.by_seq[a.seq] >= 0)
          problems.add("stream " + std::to_string(s) + ": sequence number "
                       + std::to_string(a.seq) + " acknowledged twice");
        x.by_seq[a.seq] = idx;
        x.max_acked = std::max(x.max_acked, a.seq);
      } else if (status != 200) {
        x.maybe.insert(w.events[idx].event_id.str());
      }
    }
  }
  return x;
}

std::string stream_query(const workload& w, size_t s) {
  return "?tenant_id=" + w.who.tenant.str() + "&store_id=" + w.stores[s].str();
}

/// GETs `path` and parses the JSON body; records a problem and returns nullopt otherwise.
std::optional<json::value> get_json(httplib::Client& cli, const std::string& path,
                                    const httplib::Headers& hdr, problem_list& problems) {
  auto res = cli.Get(path.c_str(), hdr);
  if (!res) {
    problems.add("GET " + path + ": " + httplib::to_string(res.error()));
    return std::nullopt;
  }
  if (res->status != 200) {
    problems.add("GET " + path + ": HTTP " + std::to_string(res->status) + " "
                 + res->body.substr(0, 300));
    return std::nullopt;
  }
  auto doc = json::try_parse(res->body);
  if (!doc)
    problems.add("GET " + path + ": body is not JSON");
  return doc;
}

/// Compares one pulled event with what the client knows; returns false on a mismatch.
bool check_pulled(const workload& w, const response_digest& d, const stream_expectation& x,
                  size_t s, uint64_t want_seq, const json::value& ev, bool legacy,
                  problem_list& problems, uint64_t& stored_unacked) {
  const auto& env = legacy && ev.find("envelope") ? *ev.find("envelope") : ev;
  auto seq = u64_field(env, "sequence_number");
  auto id = str_field(env, "event_id");
  auto where = "stream " + std::to_string(s) + " seq " + std::to_string(want_seq) + ": ";
  if (!seq || *seq != want_seq) {
    problems.add(where + "pulled sequence number "
                 + (seq ? std::to_string(*seq) : std::string{"(none)"}) + " (gap or disorder)");
    return false;
  }
  if (want_seq < x.by_seq.size() && x.by_seq[want_seq] >= 0) {
    auto idx = static_cast<size_t>(x.by_seq[want_seq]);
    if (id != w.events[idx].event_id.str()) {
      problems.add(where + "holds event " + id + ", acknowledged " + w.events[idx].event_id.str());
      return false;
    }
    if (!legacy) {
      const auto& a = d.acks[idx];
      if (str_field(ev, "receipt_hash") != a.receipt_hash
          || str_field(ev, "sequencer_signature") != a.signature) {
        problems.add(where + "stored receipt differs from the acknowledged one");
        return false;
      }
    }
    return true;
  }
  if (x.maybe.count(id)) {
    ++stored_unacked;
    return true;
  }
  problems.add(where + "holds event " + id + " that was never acknowledged nor left unanswered");
  return false;
}

void verify_stream(const workload& w, const std::vector<request_result>& results,
                   const response_digest& d, size_t s, httplib::Client& cli,
                   const httplib::Headers& hdr, problem_list& problems,
                   std::atomic<uint64_t>& pulled_total, std::atomic<uint64_t>& unacked_total) {
  const bool legacy = w.spec.legacy;
  auto x = expect_stream(w, results, d, s, problems);
  const auto q = stream_query(w, s);
  uint64_t head = 0;
  if (legacy) {
    auto h = get_json(cli, "/api/v1/head" + q, hdr, problems);
    if (!h)
      return;
    head = u64_field(*h, "head_sequence").value_or(0);
  }
  uint64_t from = 1;
  uint64_t pulled = 0;
  uint64_t unacked = 0;
  bool have_head = legacy;
  for (uint64_t guard = 0; guard < 1'000'000; ++guard) {
    auto path = std::string{legacy ? "/api/v1/events" : "/api/v1/ves/events"} + q + "&from="
                + std::to_string(from) + "&limit=" + std::to_string(page_size);
    auto doc = get_json(cli, path, hdr, problems);
    if (!doc)
      return;
    if (!legacy) {
      head = u64_field(*doc, "head_sequence").value_or(0);
      have_head = true;
    }
    auto* events = array_field(*doc, "events");
    if (!events) {
      problems.add("stream " + std::to_string(s) + ": page without events");
      return;
    }
    for (const auto& ev : *events) {
      if (!check_pulled(w, d, x, s, from, ev, legacy, problems, unacked))
        return;
      ++from;
      ++pulled;
    }
    if (events->empty() || (have_head && pulled >= head))
      break;
  }
  pulled_total += pulled;
  unacked_total += unacked;
  auto where = "stream " + std::to_string(s) + ": ";
  if (pulled != head)
    problems.add(where + "pulled " + std::to_string(pulled) + " events, head is "
                 + std::to_string(head));
  if (x.max_acked > head)
    problems.add(where + "acknowledged up to " + std::to_string(x.max_acked)
                 + " but head is " + std::to_string(head));
}

} // namespace

response_digest digest_responses(const workload& w, const std::vector<request_result>& results,
                                 size_t threads) {
  response_digest d;
  d.acks.resize(w.events.size());
  d.accepted.assign(w.requests.size(), 0);
  threads = std::max<size_t>(1, threads);
  std::vector<digest_part> parts(threads);
  std::vector<std::thread> pool;
  for (size_t t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      for (size_t r = t; r < results.size(); r += threads) {
        if (results[r].status != 200)
          continue;
        auto doc = json::try_parse(results[r].body);
        if (!doc) {
          ++parts[t].unparsable;
          continue;
        }
        if (w.spec.legacy)
          digest_legacy(w, r, *doc, d, parts[t]);
        else
          digest_ves(w, r, *doc, d, parts[t]);
      }
    });
  for (auto& t : pool)
    t.join();
  for (auto& p : parts) {
    d.rejected += p.rejected;
    d.replayed += p.replayed;
    d.unparsable += p.unparsable;
    if (d.first_rejection.empty())
      d.first_rejection = p.first_rejection;
  }
  return d;
}

verify_report verify_run(const workload& w, const std::vector<request_result>& results,
                         const response_digest& d, const sequencer_key& key,
                         const server_endpoint& srv, size_t threads) {
  verify_report rep;
  problem_list problems;
  if (d.unparsable > 0)
    problems.add(std::to_string(d.unparsable) + " responses or receipts could not be parsed");

  // 1. Receipts: hash recomputed from the client's own values, signature by the published key.
  std::atomic<uint64_t> checked{0};
  if (!w.spec.legacy) {
    parallel_for(w.events.size(), threads, [&](size_t i) {
      const auto& a = d.acks[i];
      if (a.seq == 0)
        return;
      const auto& e = w.events[i];
      const auto& store = w.stores[w.requests[i / w.spec.batch].stream];
      auto h = ves::receipt_hash(w.who.tenant, store, e.event_id, a.seq, e.signing_hash);
      auto sig = ves::from_hex_fixed<64>(a.signature, /*allow_0x=*/false);
      if (ves::to_hex(h) != a.receipt_hash)
        problems.add("event " + e.event_id.str() + ": receipt hash does not match");
      else if (!sig || !ves::ed25519_verify(key.public_key, h, *sig))
        problems.add("event " + e.event_id.str() + ": receipt signature does not verify");
      ++checked;
    });
  }
  rep.receipts_checked = checked;

  // 2. Streams: pulled page by page, gap-free 1..head, matching the acknowledgements.
  std::atomic<uint64_t> pulled{0};
  std::atomic<uint64_t> unacked{0};
  std::atomic<size_t> next{0};
  const httplib::Headers hdr{{"Authorization", "ApiKey " + srv.admin_key}};
  auto workers = std::max<size_t>(1, std::min(threads, w.stores.size()));
  std::vector<std::thread> pool;
  for (size_t t = 0; t < workers; ++t)
    pool.emplace_back([&] {
      httplib::Client cli{srv.host, srv.port};
      cli.set_keep_alive(true);
      cli.set_read_timeout(60, 0);
      for (size_t s = next++; s < w.stores.size(); s = next++)
        verify_stream(w, results, d, s, cli, hdr, problems, pulled, unacked);
    });
  for (auto& t : pool)
    t.join();
  rep.streams_checked = w.stores.size();
  rep.events_pulled = pulled;
  rep.stored_unacked = unacked;
  rep.ok = problems.empty();
  rep.problems = problems.take();
  return rep;
}

} // namespace seq::bench
