// SPDX-License-Identifier: Apache-2.0
#pragma once

/// End-to-end test harness, part 1: the ves-sequencerd process. Spawns the built server
/// (env SEQ_SERVER_BIN) with a minimal environment on PORT=0, reads the one
/// `ves-sequencerd listening on http://127.0.0.1:<port>` line from its stdout pipe, and
/// stops it with SIGTERM (graceful) or SIGKILL (crash), optionally restarting it on the same
/// database. Also: the backend under test (env SEQ_TEST_BACKEND), temporary directories, and
/// running helper scripts (pg_harness.sh). Header-only because tests/CMakeLists.txt compiles
/// only tests/integration/*_test.cpp.

#include <catch2/catch.hpp>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <fcntl.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace seq::it {

// -- environment ------------------------------------------------------------------------------

/// Test-only key material. Never use these outside tests.
inline constexpr const char* test_admin_key = "test-bootstrap-admin-key-0123456789abcdef-TEST-ONLY";
inline constexpr const char* test_sequencer_seed_hex =
  "1111111111111111111111111111111111111111111111111111111111111111"; // TEST ONLY
inline constexpr const char* test_sequencer_id = "5e9c0000-0000-4000-8000-00000000e2e0";

inline std::string env_or(const char* name, std::string fallback = {}) {
  auto* v = std::getenv(name);
  return v && *v ? std::string{v} : fallback;
}

/// "sqlite" (default) or "postgres", from SEQ_TEST_BACKEND.
inline std::string backend() {
  return env_or("SEQ_TEST_BACKEND", "sqlite");
}

inline bool is_postgres() {
  return backend() == "postgres";
}

/// Ignores SIGPIPE once per process: a client writing to a socket of a killed server must
/// see an error, not die.
inline void ignore_sigpipe() {
  static const bool done = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void) done;
}

// -- temporary directory ----------------------------------------------------------------------

/// A fresh directory under $TMPDIR (or /tmp), removed with its contents on destruction
/// unless SEQ_TEST_KEEP_TMP is set.
class temp_dir {
public:
  explicit temp_dir(const char* tag = "ves-it") {
    auto base = env_or("TMPDIR", "/tmp");
    std::string tmpl = base + "/" + tag + ".XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (!::mkdtemp(buf.data()))
      throw std::runtime_error("mkdtemp failed for " + tmpl + ": " + std::strerror(errno));
    path_ = buf.data();
  }
  temp_dir(const temp_dir&) = delete;
  temp_dir& operator=(const temp_dir&) = delete;
  ~temp_dir() {
    if (env_or("SEQ_TEST_KEEP_TMP").empty()) {
      std::error_code ec;
      std::filesystem::remove_all(path_, ec);
    }
  }
  const std::string& path() const { return path_; }

private:
  std::string path_;
};

// -- running a helper command -----------------------------------------------------------------

struct command_result {
  int exit_code = -1;
  std::string out; ///< stdout
};

/// Runs argv[0] with `argv`, capturing stdout (stderr is inherited), bounded by `timeout`.
inline command_result run_command(const std::vector<std::string>& argv,
                                  std::chrono::seconds timeout = std::chrono::seconds{60}) {
  ignore_sigpipe();
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe2 failed");
  std::vector<char*> args;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error("fork failed");
  if (pid == 0) {
    ::dup2(fds[1], 1);
    ::close_range(3, ~0U, 0); // no client sockets leak into daemons the script starts
    ::signal(SIGPIPE, SIG_DFL);
    ::execv(args[0], args.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  command_result r;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    pollfd p{fds[0], POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
      continue;
    auto n = ::read(fds[0], buf, sizeof(buf));
    if (n <= 0)
      break;
    r.out.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return r;
}

/// The last non-empty line of `text`, trimmed.
inline std::string last_line(const std::string& text) {
  std::istringstream in{text};
  std::string line, last;
  while (std::getline(in, line)) {
    while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back())))
      line.pop_back();
    if (!line.empty())
      last = line;
  }
  return last;
}

// -- the server process -----------------------------------------------------------------------

/// How to start a server. `database_url` empty: SQLite file in `work_dir`, or for the
/// postgres backend the shared SEQ_TEST_PG_URL (FAILs loudly when it is missing).
struct server_config {
  std::string work_dir;                     ///< data dir, SQLite file, stderr log
  std::string database_url;
  std::map<std::string, std::string> env;   ///< extra variables (override the defaults)
};

/// The database URL for the backend under test.
inline std::string default_database_url(const std::string& work_dir) {
  if (is_postgres()) {
    auto url = env_or("SEQ_TEST_PG_URL");
    if (url.empty())
      FAIL("SEQ_TEST_BACKEND=postgres but SEQ_TEST_PG_URL is not set: start a throw-away "
           "PostgreSQL with tests/support/pg_harness.sh (deploy/test.sh does) and export its URL");
    return url;
  }
  return "sqlite://" + work_dir + "/ves.db";
}

class server_process {
public:
  explicit server_process(server_config cfg) : cfg_(std::move(cfg)) {
    if (cfg_.database_url.empty())
      cfg_.database_url = default_database_url(cfg_.work_dir);
    start();
  }
  server_process(const server_process&) = delete;
  server_process& operator=(const server_process&) = delete;
  ~server_process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGTERM);
      if (!wait_exit(std::chrono::seconds{40}))
        kill9();
    }
  }

  uint16_t port() const { return port_; }

  /// Whether the process is still running (reaps it when it has exited).
  bool alive() {
    if (pid_ <= 0)
      return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      last_status_ = status;
      pid_ = -1;
      return false;
    }
    return true;
  }

  /// How the process ended, e.g. "exit code 1" or "signal 9".
  std::string exit_description() const {
    if (WIFSIGNALED(last_status_))
      return "killed by signal " + std::to_string(WTERMSIG(last_status_));
    return "exit code " + std::to_string(WEXITSTATUS(last_status_));
  }
  pid_t pid() const { return pid_; }
  bool running() const { return pid_ > 0; }
  const server_config& config() const { return cfg_; }
  std::string log_path() const { return cfg_.work_dir + "/server.stderr.log"; }

  /// Starts the process and waits (≤ 60 s) for its listening line.
  void start() {
    ignore_sigpipe();
    REQUIRE(pid_ <= 0);
    auto bin = env_or("SEQ_SERVER_BIN");
    if (bin.empty())
      FAIL("SEQ_SERVER_BIN is not set (ctest sets it to the built ves-sequencerd)");
    std::map<std::string, std::string> env;
    for (auto pass : {"PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "TZ", "ASAN_OPTIONS",
                      "UBSAN_OPTIONS", "LSAN_OPTIONS"})
      if (auto* v = std::getenv(pass))
        env[pass] = v;
    env["PORT"] = "0";
    env["HOST"] = "127.0.0.1";
    env["DATABASE_URL"] = cfg_.database_url;
    env["BOOTSTRAP_ADMIN_API_KEY"] = test_admin_key;
    env["VES_DATA_DIR"] = cfg_.work_dir + "/data";
    env["VES_SEQUENCER_SIGNING_KEY"] = test_sequencer_seed_hex;
    env["VES_SEQUENCER_ID"] = test_sequencer_id;
    env["LOG_LEVEL"] = env_or("SEQ_TEST_SERVER_LOG_LEVEL", "warn"); // debug a run with "info"
    env["VES_HTTP_THREADS"] = "96";
    for (auto& [k, v] : cfg_.env)
      env[k] = v;
    std::vector<std::string> env_strings;
    for (auto& [k, v] : env)
      env_strings.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env_strings)
      envp.push_back(s.data());
    envp.push_back(nullptr);
    std::string arg0 = bin;
    char* argv[] = {arg0.data(), nullptr};

    std::filesystem::create_directories(cfg_.work_dir + "/data");
    int log_fd = ::open(log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    REQUIRE(log_fd >= 0);
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      // Only async-signal-safe calls between fork and exec.
      ::dup2(fds[1], 1);
      ::dup2(log_fd, 2);
      ::close_range(3, ~0U, 0);
      ::signal(SIGPIPE, SIG_DFL);
      sigset_t none;
      sigemptyset(&none);
      ::sigprocmask(SIG_SETMASK, &none, nullptr);
      ::execve(argv[0], argv, envp.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    ::close(log_fd);
    pid_ = pid;
    auto line = read_listening_line(fds[0], std::chrono::seconds{60});
    ::close(fds[0]);
    if (!line) {
      ::kill(pid_, SIGKILL);
      wait_exit(std::chrono::seconds{10});
      FAIL("ves-sequencerd (" << bin << ") did not print its listening line; exit status "
                              << exit_code(last_status_) << "; stderr tail:\n"
                              << log_tail());
    }
    static constexpr std::string_view prefix = "ves-sequencerd listening on http://127.0.0.1:";
    if (line->rfind(prefix, 0) != 0)
      FAIL("unexpected first stdout line from ves-sequencerd: " << *line);
    port_ = static_cast<uint16_t>(std::stoi(line->substr(prefix.size())));
    REQUIRE(port_ > 0);
  }

  /// SIGKILL, then reaps the process.
  void kill9() {
    if (pid_ <= 0)
      return;
    ::kill(pid_, SIGKILL);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    last_status_ = status;
    pid_ = -1;
  }

  /// Sends `sig` without waiting.
  void signal(int sig) {
    if (pid_ > 0)
      ::kill(pid_, sig);
  }

  /// SIGTERM and wait. Returns the exit code (128+signal when killed by a signal), or nullopt
  /// when the process did not exit within `timeout` (it is then killed with SIGKILL).
  std::optional<int> terminate(std::chrono::seconds timeout = std::chrono::seconds{40}) {
    if (pid_ <= 0)
      return std::nullopt;
    ::kill(pid_, SIGTERM);
    return wait(timeout);
  }

  /// Waits for the process to exit by itself; as terminate() otherwise.
  std::optional<int> wait(std::chrono::seconds timeout) {
    if (pid_ <= 0)
      return std::nullopt;
    if (!wait_exit(timeout)) {
      kill9();
      return std::nullopt;
    }
    return exit_code(last_status_);
  }

  /// Starts the process again on the same database and data directory (new port).
  void restart() {
    if (pid_ > 0)
      terminate();
    start();
  }

  /// The last `max` bytes of the server's stderr log.
  std::string log_tail(size_t max = 4000) const {
    std::ifstream in{log_path()};
    std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    return all.size() > max ? all.substr(all.size() - max) : all;
  }

private:
  static int exit_code(int status) {
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  bool wait_exit(std::chrono::milliseconds timeout) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (pid_ > 0) {
      int status = 0;
      auto r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_ || r < 0) {
        last_status_ = status;
        pid_ = -1;
        return true;
      }
      if (std::chrono::steady_clock::now() > deadline)
        return false;
      std::this_thread::sleep_for(std::chrono::milliseconds{10});
    }
    return true;
  }

  static std::optional<std::string> read_listening_line(int fd, std::chrono::seconds timeout) {
    std::string acc;
    auto deadline = std::chrono::steady_clock::now() + timeout;
    char buf[512];
    while (acc.find('\n') == std::string::npos) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0)
        return std::nullopt;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0)
        continue;
      auto n = ::read(fd, buf, sizeof(buf));
      if (n <= 0)
        return std::nullopt;
      acc.append(buf, static_cast<size_t>(n));
    }
    return acc.substr(0, acc.find('\n'));
  }

  server_config cfg_;
  pid_t pid_ = -1;
  uint16_t port_ = 0;
  int last_status_ = 0;
};

/// FAILs when a long-lived server has died since an earlier test case (says how it ended).
inline server_process& ensure_alive(server_process& srv) {
  if (!srv.alive())
    FAIL("a shared ves-sequencerd died after an earlier test case (" << srv.exit_description()
                                                                      << "); stderr tail:\n"
                                                                      << srv.log_tail());
  return srv;
}

/// One server shared by the test cases that need no special configuration (they all use
/// random tenants and stores). Started on first use, stopped with SIGTERM at exit.
inline server_process& shared_server() {
  static temp_dir dir{"ves-it-shared"};
  static server_process srv{server_config{dir.path(), {}, {}}};
  return ensure_alive(srv);
}

} // namespace seq::it
