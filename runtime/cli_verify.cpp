// SPDX-License-Identifier: Apache-2.0
// `ves verify batch|proof|receipt`, `ves export batch` (see cli_verify.hpp): reads files, the
// server's HTTP API and the anchor contract, and prints the pure verifier's findings.
#include "runtime/cli_verify.hpp"

#include "adapters/chain/anchor_contract.hpp"
#include "adapters/chain/rpc_client.hpp"
#include "messages/errc.hpp"

#include <httplib.h>

#include <algorithm>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <set>
#include <sstream>

namespace seq::runtime::cli {

namespace json = ves::json;
using verify::report;

namespace {

caf::error io_error(std::string msg) {
  return make_error(errc::invalid_request, std::move(msg));
}

// -- files --------------------------------------------------------------------------------------

caf::expected<std::string> read_text(const std::string& path) {
  if (path == "-")
    return std::string{std::istreambuf_iterator<char>(std::cin), {}};
  std::ifstream in{path, std::ios::binary};
  if (!in)
    return io_error("cannot read " + path);
  return std::string{std::istreambuf_iterator<char>(in), {}};
}

caf::expected<json::value> read_json(const std::string& path) {
  auto text = read_text(path);
  if (!text)
    return std::move(text.error());
  auto parsed = json::parse(*text);
  if (auto* e = std::get_if<json::parse_error>(&parsed))
    return io_error(path + ": not valid JSON at byte " + std::to_string(e->offset) + ": "
                    + e->message);
  return std::move(std::get<json::value>(parsed));
}

// -- HTTP -----------------------------------------------------------------------------------------

/// GETs JSON from the server under test.
class http_reader {
public:
  static caf::expected<http_reader> make(const server_source& s) {
    auto sep = s.url.find("://");
    if (sep == std::string::npos)
      return io_error("--url needs a scheme (http:// or https://): " + s.url);
    auto scheme = s.url.substr(0, sep);
    if (scheme != "http" && scheme != "https")
      return io_error("--url must use http or https: " + s.url);
    auto rest = s.url.substr(sep + 3);
    auto slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    if (authority.empty())
      return io_error("--url needs a host: " + s.url);
    http_reader r;
    r.prefix_ = slash == std::string::npos ? "" : rest.substr(slash);
    while (!r.prefix_.empty() && r.prefix_.back() == '/')
      r.prefix_.pop_back();
    r.url_ = s.url;
    r.key_ = s.api_key;
    r.cli_ = std::make_unique<httplib::Client>(scheme + "://" + authority);
    r.cli_->set_connection_timeout(5, 0);
    r.cli_->set_read_timeout(60, 0);
    r.cli_->set_keep_alive(true);
    return r;
  }

  caf::expected<json::value> get(const std::string& path) {
    httplib::Headers h;
    if (!key_.empty())
      h.emplace("Authorization", "ApiKey " + key_);
    auto res = cli_->Get((prefix_ + path).c_str(), h);
    if (!res)
      return io_error("cannot reach " + url_ + ": " + httplib::to_string(res.error()));
    auto doc = json::try_parse(res->body);
    if (res->status != 200) {
      std::string msg;
      if (doc && doc->is_object())
        if (auto* e = doc->find("error"); e && e->is_object())
          if (auto* m = e->find("message"); m && m->is_string())
            msg = m->as_string();
      if (msg.empty())
        msg = res->body.substr(0, 200);
      return make_error(res->status == 404 ? errc::not_found : errc::invalid_request,
                        "GET " + prefix_ + path + ": HTTP " + std::to_string(res->status) + ": "
                          + msg);
    }
    if (!doc)
      return io_error("GET " + prefix_ + path + ": the answer is not JSON");
    return std::move(*doc);
  }

private:
  http_reader() = default;
  std::string url_, prefix_, key_;
  std::unique_ptr<httplib::Client> cli_;
};

std::string stream_query(const verify::uuid& tenant, const verify::uuid& store) {
  return "tenant_id=" + tenant.str() + "&store_id=" + store.str();
}

/// The stream's commitment before `c`: from the list (anchored and not), or when the list is
/// capped, through the proof route of sequence_start - 1. Null when there is none.
caf::expected<json::value> fetch_previous(http_reader& http, const verify::commitment_record& c) {
  constexpr uint32_t list_limit = 5000;
  auto list = http.get("/api/v1/ves/commitments?" + stream_query(c.tenant_id, c.store_id)
                       + "&anchored=all&limit=" + std::to_string(list_limit));
  if (!list)
    return std::move(list.error());
  auto* arr = list->find("commitments");
  if (arr == nullptr || !arr->is_array())
    return io_error("GET /api/v1/ves/commitments: no \"commitments\" array");
  std::vector<verify::commitment_record> stream;
  std::vector<const json::value*> raw;
  for (auto& x : arr->as_array()) {
    report scratch; // other batches' problems are not this batch's findings
    if (auto rec = verify::decode_commitment(x, "commitment", scratch)) {
      stream.push_back(*rec);
      raw.push_back(&x);
    }
  }
  auto prev = verify::previous_of(stream, c);
  bool capped = arr->as_array().size() >= list_limit;
  if ((!prev || prev->sequence_end + 1 != c.sequence_start) && capped && c.sequence_start > 1) {
    auto proof = http.get("/api/v1/ves/proofs/" + std::to_string(c.sequence_start - 1) + "?"
                          + stream_query(c.tenant_id, c.store_id));
    if (proof) {
      auto* id = proof->find("batch_id");
      if (id != nullptr && id->is_string())
        return http.get("/api/v1/ves/commitments/" + id->as_string());
    }
  }
  if (!prev)
    return json::value{};
  for (size_t i = 0; i < stream.size(); ++i)
    if (stream[i].batch_id == prev->batch_id) {
      // The list shape lacks the chain fields but has everything the chain check reads.
      return *raw[i];
    }
  return json::value{};
}

// -- keys -----------------------------------------------------------------------------------------

/// Loads the --keys files (a malformed file is a usage error).
caf::expected<verify::key_book> load_key_files(const std::vector<std::string>& files) {
  verify::key_book book;
  for (auto& f : files) {
    auto doc = read_json(f);
    if (!doc)
      return std::move(doc.error());
    report r;
    verify::decode_key_document(*doc, f, book, r);
    if (!r.ok())
      return io_error(r.findings.front());
  }
  return book;
}

/// Adds the store's keys for the events' (tenant, agent, key) the book lacks.
caf::expected<size_t> add_store_keys(const key_lookup& lookup,
                                     const std::vector<verify::event_record>& events,
                                     verify::key_book& book) {
  size_t added = 0;
  std::set<std::tuple<verify::uuid, verify::uuid, uint32_t>> tried;
  for (auto& e : events) {
    auto& h = e.header;
    if (book.find(h.tenant_id, h.source_agent_id, h.agent_key_id) != nullptr
        || !tried.emplace(h.tenant_id, h.source_agent_id, h.agent_key_id).second)
      continue;
    auto k = lookup(h.tenant_id, h.source_agent_id, h.agent_key_id);
    if (!k)
      return io_error("reading agent keys from the store: " + error_message(k.error()));
    if (*k) {
      book.add(**k);
      ++added;
    }
  }
  return added;
}

std::vector<verify::event_record> decode_events(const json::array& events, report& r) {
  std::vector<verify::event_record> out;
  for (size_t i = 0; i < events.size(); ++i)
    if (auto e = verify::decode_event(events[i], "events[" + std::to_string(i) + "]", r))
      out.push_back(std::move(*e));
  return out;
}

caf::expected<verify::pubkey32> parse_key_option(const std::string& text, const char* what) {
  auto pk = verify::parse_public_key(text);
  if (!pk)
    return io_error(std::string{what} + ": expected 32 bytes of hex, got \"" + text + "\"");
  return *pk;
}

/// The published sequencer key of a /api/v1/ves/sequencer document.
std::optional<verify::pubkey32> sequencer_key_of(const json::value& doc) {
  if (!doc.is_object())
    return std::nullopt;
  auto* pk = doc.find("publicKey");
  if (pk == nullptr || !pk->is_string())
    return std::nullopt;
  return verify::parse_public_key(pk->as_string());
}

// -- output ---------------------------------------------------------------------------------------

int usage(output io, const std::string& msg) {
  io.err << "ves: " << msg << "\n";
  return verify_io_error;
}

int io_failure(output io, const caf::error& e) {
  io.err << "ves: " << error_message(e) << "\n";
  return verify_io_error;
}

/// Prints findings, notes and the summary; returns the exit code.
int finish(const report& r, const std::string& ok_line, const std::string& subject, output io) {
  for (auto& n : r.notes)
    io.err << "note: " << n << "\n";
  for (auto& f : r.findings)
    io.out << f << "\n";
  if (r.ok()) {
    io.out << "OK: " << ok_line << "\n";
    return verify_valid;
  }
  io.out << "FAILED: " << subject << ": " << r.findings.size()
         << (r.findings.size() == 1 ? " problem" : " problems") << " found\n";
  return verify_invalid;
}

void merge(report& into, const report& from) {
  into.findings.insert(into.findings.end(), from.findings.begin(), from.findings.end());
  into.notes.insert(into.notes.end(), from.notes.begin(), from.notes.end());
}

} // namespace

key_lookup store_key_lookup(std::string url) {
  auto store = std::make_shared<storage::store_ptr>();
  return [url = std::move(url),
          store](const verify::uuid& tenant, const verify::uuid& agent,
                 uint32_t key_id) -> caf::expected<std::optional<verify::agent_key_entry>> {
    if (!*store) {
      auto s = storage::open_store(url);
      if (!s)
        return make_error(errc::storage_unavailable,
                          "cannot open " + msg::redact_url(url) + ": "
                            + error_message(s.error()));
      *store = std::move(*s);
    }
    auto k = (*store)->get_agent_key(tenant, agent, key_id);
    if (!k) {
      if (k.error() == errc::not_found)
        return std::optional<verify::agent_key_entry>{};
      return std::move(k.error());
    }
    return verify::agent_key_entry{k->tenant_id, k->agent_id, k->key_id, k->public_key};
  };
}

// -- on chain -------------------------------------------------------------------------------------

caf::expected<msg::onchain_commitment> read_onchain(const chain_source& c,
                                                    const verify::uuid& batch_id) {
  auto contract = chain::address::parse(c.contract);
  if (!contract)
    return io_error("--contract must be 0x + 40 hex digits (EIP-55 if mixed case), got \""
                    + c.contract + "\"");
  auto rpc = chain::rpc_client::make(
    {c.rpc_url, std::chrono::milliseconds{5000}, std::chrono::milliseconds{30000}});
  if (!rpc)
    return std::move(rpc.error());
  bool registry = c.abi == msg::anchor_abi::set_registry;
  chain::call_request req;
  req.to = *contract;
  req.data = registry ? chain::set_registry::commitments(batch_id)
                      : chain::stateset_anchor::commitments(batch_id);
  auto ret = rpc->eth_call(req);
  if (!ret)
    return std::move(ret.error());
  return registry ? chain::set_registry::decode_commitments(*ret)
                  : chain::stateset_anchor::decode_commitments(*ret);
}

caf::expected<report> check_onchain(const chain_source& c, const verify::chain_expectation& e) {
  auto oc = read_onchain(c, e.batch_id);
  if (!oc)
    return std::move(oc.error());
  return verify::compare_onchain(*oc, e, c.abi);
}

// -- batch material -------------------------------------------------------------------------------

caf::expected<batch_material> fetch_batch(const server_source& s, const verify::uuid& batch_id) {
  auto http = http_reader::make(s);
  if (!http)
    return std::move(http.error());
  batch_material m;
  auto c = http->get("/api/v1/ves/commitments/" + batch_id.str());
  if (!c) {
    if (c.error() == errc::not_found)
      return make_error(errc::not_found, "batch " + batch_id.str() + " not found on " + s.url + " ("
                                           + error_message(c.error()) + ")");
    return std::move(c.error());
  }
  m.commitment = std::move(*c);
  report r;
  auto rec = verify::decode_commitment(m.commitment, "commitment", r);
  if (!rec) // the verifier reports the commitment's problems; nothing more to fetch
    return m;
  auto prev = fetch_previous(*http, *rec);
  if (!prev)
    return std::move(prev.error());
  m.previous = std::move(*prev);
  constexpr uint64_t page = 1000;
  for (auto from = rec->sequence_start; from <= rec->sequence_end;) {
    auto n = std::min<uint64_t>(page, rec->sequence_end - from + 1);
    auto res = http->get("/api/v1/ves/events?" + stream_query(rec->tenant_id, rec->store_id)
                         + "&from=" + std::to_string(from) + "&limit=" + std::to_string(n));
    if (!res)
      return std::move(res.error());
    auto* evs = res->find("events");
    if (evs == nullptr || !evs->is_array())
      return io_error("GET /api/v1/ves/events: no \"events\" array");
    if (evs->as_array().empty())
      break; // the verifier reports the missing events
    for (auto& e : evs->as_array())
      m.events.push_back(e);
    from += evs->as_array().size();
  }
  auto seqr = http->get("/api/v1/ves/sequencer");
  if (seqr)
    m.sequencer = std::move(*seqr);
  else if (seqr.error() != errc::not_found)
    return std::move(seqr.error());
  return m;
}

json::value to_export_document(const batch_material& m) {
  return json::value{json::object{{"format", batch_export_format},
                                  {"commitment", m.commitment},
                                  {"previous_commitment", m.previous},
                                  {"events", m.events},
                                  {"agent_keys", m.agent_keys},
                                  {"sequencer", m.sequencer}}};
}

caf::expected<batch_material> from_export_document(const json::value& doc) {
  if (!doc.is_object())
    return io_error("the export document must be a JSON object");
  if (auto* f = doc.find("format"); f && !(f->is_string() && f->as_string() == batch_export_format))
    return io_error(std::string{"unknown export format "} + f->dump() + " (expected \""
                    + batch_export_format + "\")");
  batch_material m;
  auto* c = doc.find("commitment");
  if (c == nullptr || c->is_null())
    return io_error("the export document has no \"commitment\"");
  m.commitment = *c;
  if (auto* p = doc.find("previous_commitment"))
    m.previous = *p;
  auto* evs = doc.find("events");
  if (evs == nullptr || !evs->is_array())
    return io_error("the export document has no \"events\" array");
  m.events = evs->as_array();
  if (auto* k = doc.find("agent_keys"); k && !k->is_null()) {
    if (!k->is_array())
      return io_error("the export document's \"agent_keys\" must be an array");
    m.agent_keys = k->as_array();
  }
  if (auto* s = doc.find("sequencer"))
    m.sequencer = *s;
  return m;
}

// -- commands -------------------------------------------------------------------------------------

int verify_batch(const verify_batch_options& o, output io) {
  if (o.server.url.empty() == o.file.empty())
    return usage(io, "verify batch: give either --url (with --batch-id) or --file");
  std::optional<verify::uuid> wanted;
  if (!o.batch_id.empty()) {
    wanted = verify::uuid::parse(o.batch_id);
    if (!wanted)
      return usage(io, "--batch-id: not a UUID: " + o.batch_id);
  } else if (!o.server.url.empty()) {
    return usage(io, "verify batch: --url needs --batch-id");
  }
  std::optional<verify::pubkey32> pinned;
  if (!o.sequencer_key.empty()) {
    auto pk = parse_key_option(o.sequencer_key, "--sequencer-key");
    if (!pk)
      return io_failure(io, pk.error());
    pinned = *pk;
  }
  if (o.chain && o.chain->contract.empty())
    return usage(io, "--rpc needs --contract 0xADDRESS");
  auto files = load_key_files(o.key_files);
  if (!files)
    return io_failure(io, files.error());

  // The material, from the server or the file.
  caf::expected<batch_material> m{batch_material{}};
  const char* origin = "the server";
  if (!o.server.url.empty()) {
    m = fetch_batch(o.server, *wanted);
  } else {
    origin = "the export file";
    auto doc = read_json(o.file);
    m = doc ? from_export_document(*doc) : caf::expected<batch_material>{doc.error()};
  }
  if (!m)
    return io_failure(io, m.error());

  // Decode; what cannot be decoded is a finding.
  report r;
  auto commitment = verify::decode_commitment(m->commitment, "commitment", r);
  if (!commitment)
    return finish(r, "", "batch", io);
  auto subject = "batch " + commitment->batch_id.str();
  if (wanted && *wanted != commitment->batch_id)
    return usage(io, (o.file.empty() ? o.server.url : o.file) + " holds batch "
                       + commitment->batch_id.str() + ", not " + wanted->str());
  verify::batch_input in;
  in.commitment = *commitment;
  if (!m->previous.is_null()) {
    in.previous = verify::decode_commitment(m->previous, "previous commitment", r);
    if (!in.previous)
      return finish(r, "", subject, io);
  }
  in.events = decode_events(m->events, r);
  verify::decode_key_document(json::value{m->agent_keys}, origin, in.keys, r);
  for (auto& k : files->entries()) {
    auto* had = in.keys.find(k.tenant_id, k.agent_id, k.key_id);
    if (had != nullptr && *had != k.public_key)
      r.note("the --keys files override " + std::string{origin} + "'s key for agent "
             + k.agent_id.str() + " key " + std::to_string(k.key_id));
    in.keys.add(k);
  }
  if (o.keys_from_store) {
    auto added = add_store_keys(o.keys_from_store, in.events, in.keys);
    if (!added)
      return io_failure(io, added.error());
  }
  in.sequencer_key = pinned;
  if (!pinned) {
    in.sequencer_key = sequencer_key_of(m->sequencer);
    if (in.sequencer_key)
      r.note(std::string{"sequencer key "} + ves::to_hex(*in.sequencer_key) + " taken from "
             + origin + "; pin it with --sequencer-key");
  }

  auto res = verify::verify_batch(in);
  merge(r, res.rep);
  std::string chain_text;
  if (o.chain) {
    auto oc = check_onchain(*o.chain, verify::expectation_of(in.commitment, res));
    if (!oc) {
      io.err << "ves: reading the on-chain record of " << subject << " ("
             << msg::url_origin(o.chain->rpc_url) << "): " << error_message(oc.error()) << "\n";
      return verify_io_error;
    }
    merge(r, *oc);
    chain_text = ", on-chain record matches (" + msg::to_string(o.chain->abi) + " at "
                 + o.chain->contract + ")";
  }
  auto& c = in.commitment;
  std::ostringstream ok;
  ok << subject << " (tenant " << c.tenant_id.str() << ", store " << c.store_id.str()
     << ", sequence " << c.sequence_start << ".." << c.sequence_end << "): " << res.leaf_count
     << " events, " << res.signatures_checked << " agent signatures, " << res.receipts_checked
     << " signed receipts, merkle root " << ves::to_hex(res.merkle_root) << ", new state root "
     << ves::to_hex(res.new_state_root) << " "
     << (in.previous ? "chained to " + in.previous->batch_id.str() : std::string{"(first)"})
     << chain_text;
  return finish(r, ok.str(), subject, io);
}

int export_batch(const export_batch_options& o, output io) {
  if (o.server.url.empty())
    return usage(io, "export batch: --url is required");
  auto id = verify::uuid::parse(o.batch_id);
  if (!id)
    return usage(io, "--batch-id: not a UUID: " + o.batch_id);
  auto book = load_key_files(o.key_files);
  if (!book)
    return io_failure(io, book.error());
  auto m = fetch_batch(o.server, *id);
  if (!m)
    return io_failure(io, m.error());
  report scratch;
  auto events = decode_events(m->events, scratch);
  if (o.keys_from_store) {
    auto added = add_store_keys(o.keys_from_store, events, *book);
    if (!added)
      return io_failure(io, added.error());
  }
  size_t missing = 0;
  std::set<std::tuple<verify::uuid, verify::uuid, uint32_t>> seen;
  for (auto& e : events) {
    auto& h = e.header;
    if (seen.emplace(h.tenant_id, h.source_agent_id, h.agent_key_id).second
        && book->find(h.tenant_id, h.source_agent_id, h.agent_key_id) == nullptr)
      ++missing;
  }
  for (auto& k : book->entries())
    m->agent_keys.push_back(verify::key_to_json(k));
  if (missing > 0)
    io.err << "note: " << missing
           << " agent key(s) of the batch are not in the export (give --keys or "
              "--keys-from-store, or pass --keys to `ves verify batch`)\n";
  io.out << to_export_document(*m).dump() << "\n";
  io.err << "exported batch " << id->str() << ": " << m->events.size() << " events, "
         << m->agent_keys.size() << " agent keys\n";
  return verify_valid;
}

int verify_proof(const verify_proof_options& o, output io) {
  report r;
  json::value doc;
  if (!o.file.empty()) {
    auto d = read_json(o.file);
    if (!d)
      return io_failure(io, d.error());
    doc = std::move(*d);
    if (!doc.is_object())
      return usage(io, o.file + ": expected a JSON object (the proof route's answer)");
  }
  auto member = [&](const char* key) { return doc.is_object() ? doc.find(key) : nullptr; };
  verify::proof_input p;
  // Hashes: a command-line value that is not hex is a usage error; in the file, a finding.
  auto hash_field = [&](const std::string& flag_value, const char* flag, const char* key,
                        verify::hash32& out) -> std::optional<int> {
    if (!flag_value.empty()) {
      auto h = verify::parse_hash(flag_value);
      if (!h)
        return usage(io,
                     std::string{flag} + ": expected 32 bytes of hex, got \"" + flag_value + "\"");
      out = *h;
      return std::nullopt;
    }
    auto* m = member(key);
    if (m == nullptr)
      return usage(io, std::string{"verify proof: "} + flag + " is required (or --file with \""
                         + key + "\")");
    auto h = m->is_string() ? verify::parse_hash(m->as_string()) : std::nullopt;
    if (!h)
      r.fail(std::string{key} + ": expected 32 bytes of hex, got " + m->dump());
    else
      out = *h;
    return std::nullopt;
  };
  if (auto rc = hash_field(o.leaf, "--leaf", "leaf_hash", p.leaf))
    return *rc;
  if (auto rc = hash_field(o.root, "--root", "merkle_root", p.root))
    return *rc;
  if (o.index) {
    p.leaf_index = *o.index;
  } else if (auto* m = member("leaf_index"); m && m->is_number() && m->as_number().is_u64) {
    p.leaf_index = m->as_number().u;
  } else if (m != nullptr) {
    r.fail("leaf_index: expected a non-negative integer, got " + m->dump());
  } else {
    return usage(io, "verify proof: --index is required (or --file with \"leaf_index\")");
  }
  if (o.path) {
    for (auto& text : *o.path) {
      auto h = verify::parse_hash(text);
      if (!h)
        return usage(io, "--path: expected 32 bytes of hex, got \"" + text + "\"");
      p.path.push_back(*h);
    }
  } else if (auto* m = member("proof_path"); m && m->is_array()) {
    for (size_t i = 0; i < m->as_array().size(); ++i) {
      auto& x = m->as_array()[i];
      auto h = x.is_string() ? verify::parse_hash(x.as_string()) : std::nullopt;
      if (!h)
        r.fail("proof_path[" + std::to_string(i) + "]: expected 32 bytes of hex, got " + x.dump());
      else
        p.path.push_back(*h);
    }
  } else if (m != nullptr) {
    r.fail("proof_path: expected an array of hex strings");
  } else if (o.file.empty()) {
    // No --path: a single-leaf tree (empty path).
  } else {
    return usage(io, o.file + ": no \"proof_path\"");
  }
  if (!o.path)
    if (auto* m = member("directions"); m && m->is_array()) {
      std::vector<bool> ds;
      for (auto& x : m->as_array())
        if (x.is_bool())
          ds.push_back(x.as_bool());
        else
          r.fail("directions: expected booleans, got " + x.dump());
      p.directions = std::move(ds);
    }
  if (!o.event_file.empty()) {
    auto ev = read_json(o.event_file);
    if (!ev)
      return io_failure(io, ev.error());
    if (auto e = verify::decode_event(*ev, o.event_file, r)) {
      if (!e->sequence_number) {
        r.fail(e->label() + ": no sequence_number (the leaf needs it)");
      } else {
        auto out = verify::check_event(*e, verify::event_checks{}, r);
        if (*out.leaf != p.leaf)
          r.fail("leaf mismatch: " + e->label() + " has leaf " + ves::to_hex(*out.leaf)
                 + ", the proof's leaf is " + ves::to_hex(p.leaf));
      }
    }
  }
  if (r.ok())
    merge(r, verify::verify_proof(p));
  auto subject =
    "proof of leaf " + ves::to_hex(p.leaf) + " at index " + std::to_string(p.leaf_index);
  return finish(r, subject + " leads to root " + ves::to_hex(p.root), subject, io);
}

int verify_receipt(const verify_receipt_options& o, output io) {
  if (o.receipt_file.empty())
    return usage(io, "verify receipt: --receipt FILE is required");
  std::optional<verify::pubkey32> key;
  if (!o.sequencer_key.empty()) {
    auto pk = parse_key_option(o.sequencer_key, "--sequencer-key");
    if (!pk)
      return io_failure(io, pk.error());
    key = *pk;
  } else if (!o.server.url.empty()) {
    auto http = http_reader::make(o.server);
    if (!http)
      return io_failure(io, http.error());
    auto doc = http->get("/api/v1/ves/sequencer");
    if (!doc)
      return io_failure(io, doc.error());
    key = sequencer_key_of(*doc);
    if (!key)
      return usage(io, "GET /api/v1/ves/sequencer: no 32-byte \"publicKey\"");
    io.err << "note: sequencer key " << ves::to_hex(*key) << " taken from " << o.server.url
           << "; pin it with --sequencer-key\n";
  } else {
    return usage(io, "verify receipt: --sequencer-key HEX (or --url) is required");
  }
  auto doc = read_json(o.receipt_file);
  if (!doc)
    return io_failure(io, doc.error());
  report r;
  auto rc = verify::decode_receipt(*doc, "receipt", r);
  if (!rc)
    return finish(r, "", "receipt", io);
  std::optional<verify::event_record> event;
  if (!o.event_file.empty()) {
    auto ev = read_json(o.event_file);
    if (!ev)
      return io_failure(io, ev.error());
    const json::value* one = &*ev;
    // An ingest request body: pick the receipt's event.
    if (auto* evs = ev->is_object() ? ev->find("events") : nullptr; evs && evs->is_array()) {
      one = nullptr;
      for (auto& x : evs->as_array())
        if (auto* id = x.is_object() ? x.find("event_id") : nullptr;
            id && id->is_string() && verify::uuid::parse(id->as_string()) == rc->event_id)
          one = &x;
      if (one == nullptr)
        return usage(io, o.event_file + ": no event " + rc->event_id.str());
    }
    event = verify::decode_event(*one, "event", r);
    if (!event)
      return finish(r, "", "receipt", io);
  } else if (doc->is_object() && doc->find("receipt_hash") && doc->find("tenant_id")) {
    // A GET /api/v1/ves/events object: the event is the receipt's own.
    event = verify::decode_event(*doc, "receipt", r);
    if (!event)
      return finish(r, "", "receipt", io);
  }
  merge(r, verify::verify_receipt(*rc, event, *key));
  auto subject = "receipt for event " + rc->event_id.str() + " (seq "
                 + std::to_string(rc->sequence_number) + ")";
  if (!event) // only the hash is signed: the event id and sequence number are merely stated
    return finish(r,
                  "receipt hash " + ves::to_hex(rc->receipt_hash)
                    + ": sequencer signature verifies with key " + ves::to_hex(*key)
                    + "; the event id and sequence number it states are not checked without "
                      "the event",
                  subject, io);
  return finish(r,
                subject + ": receipt hash " + ves::to_hex(rc->receipt_hash)
                  + " recomputed from the event, sequencer signature verifies with key "
                  + ves::to_hex(*key),
                subject, io);
}

} // namespace seq::runtime::cli
