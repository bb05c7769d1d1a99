// SPDX-License-Identifier: Apache-2.0
#include "bench/loadgen/cpu.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace seq::bench {

namespace {

double ticks_per_s() {
  static const double hz = [] {
    auto v = sysconf(_SC_CLK_TCK);
    return v > 0 ? static_cast<double>(v) : 100.0;
  }();
  return hz;
}

template <class T>
bool to_number(std::string_view s, T& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc{} && p == s.data() + s.size();
}

std::optional<proc_stat> read_proc_stat(const std::string& pid) {
  std::ifstream in{"/proc/" + pid + "/stat"};
  std::string line;
  if (!std::getline(in, line))
    return std::nullopt;
  return parse_proc_stat(line);
}

/// Ticks used since an earlier reading (null: the id was not there): the difference, or all of
/// `after` when the id is new or was reused (its count went down).
uint64_t ticks_since(const uint64_t* before, uint64_t after) {
  return before != nullptr && *before <= after ? after - *before : after;
}

} // namespace

std::optional<proc_stat> parse_proc_stat(std::string_view line) {
  auto open = line.find(" (");
  auto close = line.rfind(')');
  if (open == std::string_view::npos || close == std::string_view::npos || close < open)
    return std::nullopt;
  proc_stat out;
  if (!to_number(line.substr(0, open), out.pid))
    return std::nullopt;
  out.name = std::string{line.substr(open + 2, close - open - 2)};
  // After ") ": state(3) ppid(4) pgrp(5) session(6) tty_nr(7) tpgid(8) flags(9) minflt(10)
  // cminflt(11) majflt(12) cmajflt(13) utime(14) stime(15) …
  std::vector<std::string_view> fields;
  auto rest = line.substr(close + 1);
  size_t i = 0;
  while (fields.size() < 13) {
    while (i < rest.size() && rest[i] == ' ')
      ++i;
    if (i >= rest.size())
      return std::nullopt;
    auto end = rest.find(' ', i);
    if (end == std::string_view::npos)
      end = rest.size();
    fields.push_back(rest.substr(i, end - i));
    i = end;
  }
  uint64_t utime = 0;
  uint64_t stime = 0;
  if (!to_number(fields[1], out.ppid) || !to_number(fields[11], utime)
      || !to_number(fields[12], stime))
    return std::nullopt;
  out.ticks = utime + stime;
  return out;
}

tree_ticks read_tree_ticks(int pid) {
  tree_ticks out;
  if (pid <= 0)
    return out;
  std::map<int, proc_stat> all;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      int p = 0;
      if (!to_number(std::string_view{e->d_name}, p))
        continue;
      if (auto st = read_proc_stat(e->d_name))
        all.emplace(st->pid, *st);
    }
    closedir(d);
  }
  if (all.find(pid) == all.end())
    return out;
  std::multimap<int, int> children;
  for (const auto& [p, st] : all)
    children.emplace(st.ppid, p);
  std::vector<int> todo{pid};
  while (!todo.empty()) {
    auto p = todo.back();
    todo.pop_back();
    out[p] = all[p].ticks;
    auto [lo, hi] = children.equal_range(p);
    for (auto c = lo; c != hi; ++c)
      todo.push_back(c->second);
  }
  return out;
}

double tree_cpu_delta_s(const tree_ticks& before, const tree_ticks& after) {
  uint64_t ticks = 0;
  for (const auto& [pid, t] : after) {
    auto b = before.find(pid);
    ticks += ticks_since(b != before.end() ? &b->second : nullptr, t);
  }
  return static_cast<double>(ticks) / ticks_per_s();
}

task_ticks read_task_ticks(int pid) {
  task_ticks out;
  if (pid <= 0)
    return out;
  auto dir = "/proc/" + std::to_string(pid) + "/task";
  if (DIR* d = opendir(dir.c_str())) {
    while (dirent* e = readdir(d)) {
      int tid = 0;
      if (!to_number(std::string_view{e->d_name}, tid))
        continue;
      if (auto st = read_proc_stat(std::to_string(pid) + "/task/" + e->d_name))
        out.emplace(tid, thread_ticks{std::move(st->name), st->ticks});
    }
    closedir(d);
  }
  return out;
}

std::map<std::string, double> threads_cpu_delta_s(const task_ticks& before,
                                                  const task_ticks& after) {
  std::map<std::string, double> out;
  for (const auto& [tid, t] : after) {
    auto b = before.find(tid);
    auto ticks = ticks_since(b != before.end() ? &b->second.ticks : nullptr, t.ticks);
    out[t.name] += static_cast<double>(ticks) / ticks_per_s();
  }
  return out;
}

double self_cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  auto secs = [](const timeval& t) {
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) / 1e6;
  };
  return secs(ru.ru_utime) + secs(ru.ru_stime);
}

machine_cpu read_machine_cpu() {
  std::ifstream in{"/proc/stat"};
  std::string line;
  machine_cpu out;
  if (!std::getline(in, line) || line.rfind("cpu ", 0) != 0)
    return out;
  // cpu user nice system idle iowait irq softirq steal …
  std::istringstream fields{line.substr(4)};
  uint64_t v[8] = {};
  for (auto& x : v)
    fields >> x;
  auto idle = v[3] + v[4];
  auto busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  out.busy_s = static_cast<double>(busy) / ticks_per_s();
  out.idle_s = static_cast<double>(idle) / ticks_per_s();
  return out;
}

cpu_sample sample_cpu(int server_pid, int postgres_pid) {
  cpu_sample s;
  s.server = read_tree_ticks(server_pid);
  s.server_threads = read_task_ticks(server_pid);
  s.postgres = read_tree_ticks(postgres_pid);
  s.self_s = self_cpu_seconds();
  s.machine = read_machine_cpu();
  return s;
}

cpu_usage cpu_between(const cpu_sample& before, const cpu_sample& after) {
  cpu_usage u;
  u.server_s = tree_cpu_delta_s(before.server, after.server);
  u.server_threads_s = threads_cpu_delta_s(before.server_threads, after.server_threads);
  u.postgres_s = tree_cpu_delta_s(before.postgres, after.postgres);
  u.loadgen_s = after.self_s - before.self_s;
  u.machine_busy_s = after.machine.busy_s - before.machine.busy_s;
  u.machine_idle_s = after.machine.idle_s - before.machine.idle_s;
  return u;
}

} // namespace seq::bench
