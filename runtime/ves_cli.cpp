// SPDX-License-Identifier: Apache-2.0
// `ves`: the operator and agent command-line tool. Subcommands:
//   ves migrate [--status [--json]]  apply migrations to the configured store, or list them
//   ves keys create|list|revoke      manage API keys directly in the store
//   ves dlq list|show|retry|purge|audit    the dead-letter queue (runtime/cli_dlq.cpp)
//   ves projections status|rebuild   projection state; replay a stream (runtime/cli_rebuild.cpp)
//   ves verify batch|proof|receipt, ves export batch   the independent verifier (cli_verify.cpp)
//   ves verify payment-receipt FILE|-   an x402 payment receipt (cli_verify_x402.cpp)
// Storage comes from --database-url, else the same settings as the server (--config /
// $VES_CONFIG, $DATABASE_URL, default sqlite://data/ves.db).
#include "adapters/storage/event_store.hpp"
#include "config/settings.hpp"
#include "messages/domain.hpp"
#include "messages/errc.hpp"
#include "messages/ves/ves.hpp"
#include "runtime/cli.hpp"
#include "runtime/cli_verify.hpp"
#include "runtime/cli_verify_x402.hpp"

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <limits>

namespace {

using namespace seq;

struct globals {
  std::string config_path;
  std::string database_url;
};

config::settings settings_of(const globals& g) {
  auto env = config::process_env();
  auto path = g.config_path;
  if (path.empty())
    if (auto i = env.find("VES_CONFIG"); i != env.end())
      path = i->second;
  return config::load(path, env);
}

std::string store_url(const globals& g) {
  if (!g.database_url.empty())
    return g.database_url;
  return settings_of(g).storage.url;
}

storage::store_ptr open(const globals& g, storage::store_scope scope = storage::store_scope::all) {
  auto url = store_url(g);
  auto s = storage::open_store(url, scope);
  if (!s) {
    std::cerr << "ves: cannot open " << msg::redact_url(url) << ": " << error_message(s.error())
              << "\n";
    std::exit(3);
  }
  return std::move(*s);
}

template <class T>
T check(caf::expected<T> x, const char* what) {
  if (!x) {
    std::cerr << "ves: " << what << ": " << to_string(static_cast<errc>(x.error().code())) << ": "
              << error_message(x.error()) << "\n";
    std::exit(3);
  }
  return std::move(*x);
}

void check(caf::expected<void> x, const char* what) {
  if (!x) {
    std::cerr << "ves: " << what << ": " << error_message(x.error()) << "\n";
    std::exit(3);
  }
}

ves::uuid parse_uuid(const std::string& s, const char* what) {
  auto u = ves::uuid::parse(s);
  if (!u) {
    std::cerr << "ves: " << what << ": not a UUID: " << s << "\n";
    std::exit(2);
  }
  return *u;
}

std::optional<msg::dlq_status> parse_status(const std::string& s) {
  if (s.empty())
    return std::nullopt;
  auto x = msg::parse_dlq_status(s);
  if (!x) {
    std::cerr << "ves: --status: expected pending, retrying, resolved or dead, got " << s << "\n";
    std::exit(2);
  }
  return x;
}

std::optional<msg::dlq_reason> parse_reason(const std::string& s) {
  if (s.empty())
    return std::nullopt;
  auto x = msg::parse_dlq_reason(s);
  if (!x) {
    std::cerr << "ves: --reason: expected version_conflict, invariant_violation, "
                 "invalid_state_transition, schema_validation or handler_error, got "
              << s << "\n";
    std::exit(2);
  }
  return x;
}

runtime::cli::output console() {
  return {std::cout, std::cerr, ::isatty(2) == 1};
}

const char* perms(const msg::api_key_record& k) {
  return k.can_admin ? "admin" : k.can_write ? "read_write" : "read";
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"ves: VES sequencer operator tool"};
  app.require_subcommand(1);
  // --config and --database-url work after the subcommand too (`ves migrate --database-url U`):
  // the subcommands, which inherit this, hand options they do not know to their parent.
  app.fallthrough();
  globals g;
  app.add_option("-c,--config", g.config_path, "YAML configuration file (default: $VES_CONFIG)");
  app.add_option("--database-url", g.database_url,
                 "storage URL (overrides the configuration and $DATABASE_URL)");

  int code = 0;
  bool migrate_status = false, migrate_json = false;
  auto* migrate = app.add_subcommand("migrate", "apply pending migrations to the store");
  auto* status_flag = migrate->add_flag(
    "--status", migrate_status,
    "list each database's migrations, applied or pending, and change nothing (exit code 1 "
    "when some are pending)");
  migrate->add_flag("--json", migrate_json, "with --status: print JSON")->needs(status_flag);
  migrate->callback([&] {
    if (migrate_status) {
      // Opening a SQLite URL creates its files: a status check must not. Without the event
      // file there is nothing to read; without the projection file the event file is read
      // alone, and the projection file is reported missing.
      auto url = store_url(g);
      auto file = storage::sqlite_path(url);
      auto scope = storage::store_scope::all;
      if (file && *file != ":memory:") {
        if (!std::filesystem::exists(*file)) {
          std::cerr << "ves: no SQLite database at " << *file
                    << " (`ves migrate` or the server's first start creates it)\n";
          code = 1;
          return;
        }
        if (!std::filesystem::exists(*storage::sqlite_projection_path(url)))
          scope = storage::store_scope::events;
      }
      code = runtime::cli::migration_status(*open(g, scope), migrate_json, console());
      return;
    }
    auto s = open(g);
    check(s->migrate(), "migrate");
    std::cout << "migrations applied (" << s->backend() << ")\n";
  });

  auto* keys = app.add_subcommand("keys", "manage API keys in the store");
  keys->require_subcommand(1);

  std::string tenant, agent;
  std::vector<std::string> stores;
  bool read_only = false, admin = false;
  int rate_limit = 0;
  auto* create = keys->add_subcommand("create", "mint an API key and print it once");
  create->add_option("--tenant", tenant, "tenant UUID (nil UUID for a bootstrap-style admin)")
    ->required();
  create->add_option("--store", stores, "store UUID the key is limited to (repeatable)");
  create->add_option("--agent", agent, "bind the key to this agent UUID");
  auto* read_only_flag = create->add_flag("--read-only", read_only, "read permission only");
  create->add_flag("--admin", admin, "admin permission (implies read and write)")
    ->excludes(read_only_flag);
  create->add_option("--rate-limit", rate_limit,
                     "requests per rate-limit window (auth.rate_limit_window_s, 60 s) for this key")
    ->check(CLI::Range(1, std::numeric_limits<int32_t>::max()));
  create->callback([&] {
    auto s = open(g);
    check(s->migrate(), "migrate");
    msg::api_key_record k;
    k.tenant_id = parse_uuid(tenant, "--tenant");
    for (auto& st : stores)
      k.store_ids.push_back(parse_uuid(st, "--store"));
    if (!agent.empty())
      k.agent_id = parse_uuid(agent, "--agent");
    k.can_read = true;
    k.can_admin = admin;
    k.can_write = admin || !read_only;
    if (rate_limit > 0)
      k.rate_limit = rate_limit;
    k.created_at = k.updated_at = msg::now_us();
    auto plain = ves::generate_api_key(k.tenant_id);
    k.key_hash = ves::api_key_hash(plain);
    check(s->upsert_api_key(k), "create key");
    std::cout << plain << "\n";
    std::cerr << "key " << k.key_hash.substr(0, 16) << " (" << perms(k)
              << ") created; the key is shown once\n";
  });

  auto* list = keys->add_subcommand("list", "list API keys (hash prefixes, never the keys)");
  list->add_option("--tenant", tenant, "only this tenant");
  list->add_option("--agent", agent, "only this agent");
  list->callback([&] {
    auto s = open(g);
    std::optional<ves::uuid> t, a;
    if (!tenant.empty())
      t = parse_uuid(tenant, "--tenant");
    if (!agent.empty())
      a = parse_uuid(agent, "--agent");
    auto ks = check(s->list_api_keys(a, t), "list keys");
    std::cout << "key_hash_prefix   tenant                                agent                        "
                 "         permissions active stores\n";
    for (auto& k : ks) {
      std::cout << k.key_hash.substr(0, 16) << "  " << k.tenant_id.str() << "  "
                << (k.agent_id ? k.agent_id->str() : std::string(36, '-')) << "  " << perms(k)
                << (k.active ? "  yes" : "  no") << "  ";
      if (k.store_ids.empty())
        std::cout << "*";
      for (size_t i = 0; i < k.store_ids.size(); ++i)
        std::cout << (i ? "," : "") << k.store_ids[i].str();
      std::cout << "\n";
    }
  });

  std::string prefix;
  auto* revoke = keys->add_subcommand("revoke", "deactivate the key whose hash starts with PREFIX");
  revoke->add_option("prefix", prefix, "key hash prefix (as shown by `ves keys list`)")->required();
  revoke->add_option("--agent", agent, "only among this agent's keys");
  revoke->callback([&] {
    auto s = open(g);
    std::optional<ves::uuid> a;
    if (!agent.empty())
      a = parse_uuid(agent, "--agent");
    std::transform(prefix.begin(), prefix.end(), prefix.begin(), ::tolower); // hashes are lowercase
    // The store revokes an active key first, and answers an already revoked one again (the
    // HTTP route's idempotent DELETE); the operator is told which it was.
    bool matched = false, active = false;
    for (const auto& k : check(s->list_api_keys(a, std::nullopt), "list keys"))
      if (k.key_hash.rfind(prefix, 0) == 0) {
        matched = true;
        active = active || k.active;
      }
    if (!matched) {
      std::cerr << "ves: no API key whose hash starts with " << prefix
                << (a ? " among the agent's keys" : "") << "\n";
      code = 1;
      return;
    }
    if (!active) {
      std::cout << "already revoked: no active key whose hash starts with " << prefix << "\n";
      return;
    }
    auto k = check(s->revoke_api_key(prefix, a, std::nullopt), "revoke key");
    std::cout << "revoked " << k.key_hash.substr(0, 16) << "\n";
  });

  // -- dead-letter queue and projections ---------------------------------------------------

  std::string store, status, reason, id;
  uint32_t limit = 100;
  bool json = false, force = false;
  int wait_s = 0;
  uint32_t batch = 500;
  auto stream_of = [&](bool required) -> std::optional<msg::stream_key> {
    if (tenant.empty() && store.empty() && !required)
      return std::nullopt;
    if (tenant.empty() || store.empty()) {
      std::cerr << "ves: --tenant and --store go together\n";
      std::exit(2);
    }
    return msg::stream_key{parse_uuid(tenant, "--tenant"), parse_uuid(store, "--store")};
  };

  auto* dlq = app.add_subcommand("dlq", "the dead-letter queue of the projections");
  dlq->require_subcommand(1);
  auto* dlq_list = dlq->add_subcommand("list", "list dead-letter entries");
  dlq_list->add_option("--tenant", tenant, "tenant UUID (with --store)");
  dlq_list->add_option("--store", store, "store UUID (with --tenant); default: every stream");
  dlq_list->add_option("--status", status, "pending | retrying | resolved | dead");
  dlq_list->add_option("--reason", reason, "version_conflict | invariant_violation | "
                                           "invalid_state_transition | schema_validation | "
                                           "handler_error");
  dlq_list->add_option("--limit", limit, "at most this many entries (default 100)")
    ->check(CLI::Range(1u, 1000000u));
  dlq_list->add_flag("--json", json, "print JSON (the shape of GET /api/v1/dlq)");
  dlq_list->callback([&] {
    auto s = open(g);
    runtime::cli::dlq_list_options o;
    o.stream = stream_of(false);
    o.status = parse_status(status);
    o.reason = parse_reason(reason);
    o.limit = limit;
    o.json = json;
    code = runtime::cli::dlq_list(storage::projections_of(*s), o, console());
  });

  auto* dlq_show = dlq->add_subcommand("show", "print one dead-letter entry as JSON");
  dlq_show->add_option("id", id, "entry id (the event id)")->required();
  dlq_show->callback([&] {
    auto s = open(g);
    code = runtime::cli::dlq_show(storage::projections_of(*s), parse_uuid(id, "id"), console());
  });

  auto* dlq_retry = dlq->add_subcommand(
    "retry", "make an entry due now: the running server's DLQ retry actor retries it");
  dlq_retry->add_option("id", id, "entry id (the event id)")->required();
  dlq_retry->add_option("--wait", wait_s, "wait up to this many seconds for the outcome");
  dlq_retry->callback([&] {
    auto s = open(g);
    code = runtime::cli::dlq_retry(storage::projections_of(*s), parse_uuid(id, "id"),
                                   std::chrono::seconds{wait_s}, console());
  });

  auto* dlq_purge = dlq->add_subcommand("purge", "delete dead and resolved entries of a stream");
  dlq_purge->add_option("--tenant", tenant, "tenant UUID")->required();
  dlq_purge->add_option("--store", store, "store UUID")->required();
  dlq_purge->add_option("--status", status, "only entries with this status");
  dlq_purge->add_option("--reason", reason, "only entries with this reason");
  dlq_purge->add_flag("--force", force, "also pending and retrying entries");
  dlq_purge->callback([&] {
    auto s = open(g);
    runtime::cli::dlq_purge_options o;
    o.stream = *stream_of(true);
    o.status = parse_status(status);
    o.reason = parse_reason(reason);
    o.force = force;
    code = runtime::cli::dlq_purge(storage::projections_of(*s), o, console());
  });

  auto* dlq_audit = dlq->add_subcommand("audit", "print the audit log, newest first");
  dlq_audit->add_option("--tenant", tenant, "only this tenant");
  dlq_audit->add_option("--limit", limit, "at most this many rows (default 100)")
    ->check(CLI::Range(1u, 1000000u));
  dlq_audit->add_flag("--json", json, "print JSON");
  dlq_audit->callback([&] {
    auto s = open(g);
    std::optional<ves::uuid> t;
    if (!tenant.empty())
      t = parse_uuid(tenant, "--tenant");
    code = runtime::cli::dlq_audit(storage::projections_of(*s), t, limit, json, console());
  });

  auto* proj = app.add_subcommand("projections", "domain projections of a stream");
  proj->require_subcommand(1);
  auto* proj_status = proj->add_subcommand("status", "head, checkpoint, lag and DLQ counts");
  proj_status->add_option("--tenant", tenant, "tenant UUID")->required();
  proj_status->add_option("--store", store, "store UUID")->required();
  proj_status->add_flag("--json", json, "print JSON");
  proj_status->callback([&] {
    auto s = open(g);
    code = runtime::cli::projection_status(*s, *stream_of(true), json, console());
  });

  auto* rebuild = proj->add_subcommand(
    "rebuild", "replay a stream from sequence 1 into fresh projection tables and swap them in");
  rebuild->add_option("--tenant", tenant, "tenant UUID")->required();
  rebuild->add_option("--store", store, "store UUID")->required();
  rebuild->add_option("--batch", batch, "events per step (default 500)");
  rebuild->callback([&] {
    auto s = open(g);
    runtime::cli::rebuild_options o;
    o.stream = *stream_of(true);
    o.batch_size = std::max<uint32_t>(batch, 1);
    auto cfg = settings_of(g);
    o.retry.initial_delay
      = std::chrono::duration_cast<std::chrono::microseconds>(cfg.dlq.retry_initial_delay);
    o.retry.max_delay
      = std::chrono::duration_cast<std::chrono::microseconds>(cfg.dlq.retry_max_delay);
    o.retry.min_delay = std::min(o.retry.min_delay, o.retry.initial_delay);
    o.retry.jitter = cfg.dlq.retry_jitter;
    o.retry.max_retries = cfg.dlq.max_retries;
    code = runtime::cli::rebuild(*s, o, console());
  });

  // -- independent verifier (runtime/cli_verify.hpp; exit 0 valid, 1 invalid, 2 usage/I/O) --

  runtime::cli::server_source server{"", config::process_env()["VES_API_KEY"]};
  std::vector<std::string> key_files;
  bool keys_from_store = false;
  std::string batch_id, batch_file, seq_key, rpc, contract, abi = "stateset_anchor";
  auto server_opts = [&](CLI::App* c) {
    c->add_option("--url", server.url, "sequencer base URL, e.g. http://127.0.0.1:8080");
    c->add_option("--api-key", server.api_key, "API key with read permission ($VES_API_KEY)");
  };
  auto key_opts = [&](CLI::App* c) {
    c->add_option("--keys", key_files, "agent key file (JSON; repeatable)");
    c->add_flag("--keys-from-store", keys_from_store, "read missing agent keys from the store");
  };
  auto store_keys = [&] {
    return keys_from_store ? runtime::cli::store_key_lookup(store_url(g))
                           : runtime::cli::key_lookup{};
  };
  auto* verify = app.add_subcommand("verify", "independent verifier (trusts nothing computed)");
  verify->require_subcommand(1);
  auto* vbatch = verify->add_subcommand("batch", "recompute a VES commitment from its events");
  server_opts(vbatch);
  vbatch->add_option("--batch-id", batch_id, "commitment batch id");
  vbatch->add_option("--file", batch_file, "exported batch (`ves export batch`; - = stdin)");
  key_opts(vbatch);
  vbatch->add_option("--sequencer-key", seq_key, "receipt public key (hex; default: published)");
  auto* rpc_opt
    = vbatch->add_option("--rpc", rpc, "EVM JSON-RPC URL: also compare the on-chain record");
  auto* contract_opt
    = vbatch->add_option("--contract", contract, "anchor contract address (with --rpc)");
  rpc_opt->needs(contract_opt);
  contract_opt->needs(rpc_opt);
  vbatch->add_option("--abi", abi, "stateset_anchor (default) or set_registry (with --rpc)")
    ->needs(rpc_opt);
  vbatch->callback([&] {
    runtime::cli::verify_batch_options o{server, batch_file, batch_id, key_files, store_keys(),
                                         seq_key, std::nullopt};
    if (!rpc.empty()) {
      o.chain = runtime::cli::chain_source{rpc, contract, {}};
      if (!msg::from_string(abi, o.chain->abi))
        throw CLI::ValidationError("--abi", "expected stateset_anchor or set_registry");
    }
    code = runtime::cli::verify_batch(o, console());
  });
  runtime::cli::verify_proof_options vp;
  std::vector<std::string> path;
  uint64_t index = 0;
  auto* vproof = verify->add_subcommand("proof", "check a VES inclusion proof");
  vproof->add_option("--file", vp.file, "proof JSON (GET /api/v1/ves/proofs/{seq}; - = stdin)");
  vproof->add_option("--leaf", vp.leaf, "leaf hash (hex)");
  auto* index_opt = vproof->add_option("--index", index, "leaf index");
  auto* path_opt = vproof->add_option("--path", path, "sibling hashes bottom-up (hex, repeatable)")
                     ->delimiter(',');
  vproof->add_option("--root", vp.root, "merkle root (hex)");
  vproof->add_option("--event", vp.event_file, "event JSON: recompute the leaf from it");
  vproof->callback([&] {
    if (index_opt->count() > 0)
      vp.index = index;
    if (path_opt->count() > 0)
      vp.path = path;
    code = runtime::cli::verify_proof(vp, console());
  });
  runtime::cli::verify_receipt_options vr;
  auto* vreceipt = verify->add_subcommand("receipt", "check a sequencer receipt");
  vreceipt->add_option("--receipt", vr.receipt_file, "receipt JSON (- = stdin)")->required();
  vreceipt->add_option("--event", vr.event_file, "the event (recomputes the receipt hash)");
  vreceipt->add_option("--sequencer-key", seq_key, "sequencer public key (hex)");
  server_opts(vreceipt);
  vreceipt->callback([&] {
    vr.sequencer_key = seq_key;
    vr.server = server;
    code = runtime::cli::verify_receipt(vr, console());
  });
  runtime::cli::verify_payment_receipt_options vpr; // x402 (runtime/cli_verify_x402.hpp)
  auto* vpay = verify->add_subcommand("payment-receipt", "check an x402 payment receipt offline");
  vpay->add_option("file", vpr.file, "receipt JSON (GET …/x402/payments/{id}/receipt; - = stdin)")
    ->required();
  vpay->add_option("--payer-key", vpr.payer_key, "payer Ed25519 public key (hex)");
  vpay->callback([&] { code = runtime::cli::verify_payment_receipt(vpr, console()); });
  auto* exp = app.add_subcommand("export", "export data for offline verification");
  exp->require_subcommand(1);
  auto* ebatch = exp->add_subcommand("batch", "a commitment, its events and keys as one JSON");
  server_opts(ebatch);
  ebatch->add_option("--batch-id", batch_id, "commitment batch id")->required();
  key_opts(ebatch);
  ebatch->callback([&] {
    code = runtime::cli::export_batch({server, batch_id, key_files, store_keys()}, console());
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version exit 0; every usage error exits 2 (CLI11's own codes vary).
    return app.exit(e) == 0 ? 0 : 2;
  } catch (const config::config_error& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  return code;
}
