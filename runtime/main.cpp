// SPDX-License-Identifier: Apache-2.0
// ves-sequencerd: the server. The only CLI11 translation unit of the daemon.
#include "config/settings.hpp"
#include "runtime/node.hpp"

#include <CLI/CLI.hpp>

#include <csignal>
#include <iostream>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

int main(int argc, char** argv) {
  CLI::App app{"ves-sequencerd: the VES v1.0 event sequencer"};
  std::string config_path;
  app.add_option("-c,--config", config_path, "YAML configuration file (default: $VES_CONFIG)");
  CLI11_PARSE(app, argc, argv);

  // Block the shutdown signals before any thread starts, so every thread inherits the mask and
  // the main thread receives them with sigwait().
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  std::signal(SIGPIPE, SIG_IGN);

#if defined(__GLIBC__)
  // glibc's default trim threshold (128 KiB), fixed: setting it turns off the dynamic one, so
  // each thread arena gives the free memory at its top back to the OS as it is freed. With
  // the dynamic threshold, one large block freed (a page of events read back, say) raised it
  // to twice that block's size, and malloc_trim() never shrinks a thread arena's top: after
  // 10,000 idle streams had stopped, the HTTP loop threads' arenas kept ~70 MB free but
  // resident (bench/README.md, tuning log).
  mallopt(M_TRIM_THRESHOLD, 128 * 1024);
#endif

  auto env = seq::config::process_env();
  if (config_path.empty())
    if (auto i = env.find("VES_CONFIG"); i != env.end())
      config_path = i->second;
  seq::config::settings s;
  try {
    s = seq::config::load(config_path, env);
  } catch (const seq::config::config_error& e) {
    std::cerr << e.what() << std::endl;
    return 2;
  }
  return seq::runtime::run_node(s, signals);
}
