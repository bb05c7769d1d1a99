// SPDX-License-Identifier: Apache-2.0
// `ves`: the operator and agent command-line tool. This subcommands:
//   ves migrate                      apply migrations to the configured store
//   ves keys create|list|revoke      manage API keys directly in the store
// Storage comes from --database-url, else the same settings as the server (--config /
// $VES_CONFIG, $DATABASE_URL, default sqlite://data/ves.db).
#include "adapters/storage/event_store.hpp"
#include "config/settings.hpp"
#include "messages/errc.hpp"
#include "messages/ves/ves.hpp"

#include <CLI/CLI.hpp>

#include <iostream>

namespace {

using namespace seq;

struct globals {
  std::string config_path;
  std::string database_url;
};

std::string store_url(const globals& g) {
  if (!g.database_url.empty())
    return g.database_url;
  auto env = config::process_env();
  auto path = g.config_path;
  if (path.empty())
    if (auto i = env.find("VES_CONFIG"); i != env.end())
      path = i->second;
  return config::load(path, env).storage.url;
}

storage::store_ptr open(const globals& g) {
  auto url = store_url(g);
  auto s = storage::open_store(url);
  if (!s) {
    std::cerr << "ves: cannot open " << url << ": " << error_message(s.error()) << "\n";
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

const char* perms(const msg::api_key_record& k) {
  return k.can_admin ? "admin" : k.can_write ? "read_write" : "read";
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"ves: VES sequencer operator tool"};
  app.require_subcommand(1);
  globals g;
  app.add_option("-c,--config", g.config_path, "YAML configuration file (default: $VES_CONFIG)");
  app.add_option("--database-url", g.database_url,
                 "storage URL (overrides the configuration and $DATABASE_URL)");

  auto* migrate = app.add_subcommand("migrate", "apply pending migrations to the store");
  migrate->callback([&] {
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
  create->add_flag("--read-only", read_only, "read permission only");
  create->add_flag("--admin", admin, "admin permission (implies read and write)");
  create->add_option("--rate-limit", rate_limit, "requests per minute for this key");
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
    auto k = check(s->revoke_api_key(prefix, a, std::nullopt), "revoke key");
    std::cout << "revoked " << k.key_hash.substr(0, 16) << "\n";
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const config::config_error& e) {
    std::cerr << e.what() << "\n";
    return 2;
  }
  return 0;
}
