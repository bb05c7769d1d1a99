// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Where the CPU went during a measured phase: the server process (in all and by thread name),
/// PostgreSQL (the postmaster and every process below it), the load generator itself, and the
/// whole machine (busy and idle time over all cores), read from /proc before and after the
/// phase. A target that asks for N events/s on C cores leaves C / N seconds of CPU per event;
/// these figures say who spent it.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace seq::bench {

/// The fields of one /proc/<pid>/stat line this module needs.
struct proc_stat {
  int pid = 0;
  int ppid = 0;
  uint64_t ticks = 0; ///< utime + stime, in clock ticks
  std::string name;   ///< the command name (a thread's name in /proc/<pid>/task/<tid>/stat)
};

/// Parses one /proc/<pid>/stat line. The command name is in parentheses and may itself hold
/// spaces and parentheses, so the fields are counted from the last ')'. Nullopt if malformed.
std::optional<proc_stat> parse_proc_stat(std::string_view line);

/// CPU ticks (user + system, all threads) used so far by `pid` and every live process below
/// it, by process id. Empty when `pid` ≤ 0 or is gone.
using tree_ticks = std::map<int, uint64_t>;
tree_ticks read_tree_ticks(int pid);

/// CPU seconds a process tree used between two readings: a process in both counts its
/// difference, one that started in between counts all of its ticks (as does a reused pid
/// whose count went down), one that ended in between is lost with its last slice. Summing
/// the trees instead would count an ending process as negative time.
double tree_cpu_delta_s(const tree_ticks& before, const tree_ticks& after);

/// CPU ticks used so far by each thread of `pid`, by thread id, with the thread's name
/// (/proc/<pid>/task/*/stat). Empty when `pid` ≤ 0 or is gone.
struct thread_ticks {
  std::string name;
  uint64_t ticks = 0;
};
using task_ticks = std::map<int, thread_ticks>;
task_ticks read_task_ticks(int pid);

/// CPU seconds the threads of a process used between two readings, summed by thread name (the
/// name of the later reading), by the rules of tree_cpu_delta_s.
std::map<std::string, double> threads_cpu_delta_s(const task_ticks& before,
                                                  const task_ticks& after);

/// CPU seconds used so far by this process (all its threads).
double self_cpu_seconds();

/// Busy and idle seconds summed over all cores since boot (/proc/stat; idle includes iowait).
struct machine_cpu {
  double busy_s = 0;
  double idle_s = 0;
};
machine_cpu read_machine_cpu();

/// One reading of everything above.
struct cpu_sample {
  tree_ticks server;
  task_ticks server_threads;
  tree_ticks postgres;
  double self_s = 0;
  machine_cpu machine;
};
cpu_sample sample_cpu(int server_pid, int postgres_pid);

/// What was used between two samples, in seconds.
struct cpu_usage {
  double server_s = 0;
  std::map<std::string, double> server_threads_s; ///< by thread name
  double postgres_s = 0;
  double loadgen_s = 0;
  double machine_busy_s = 0;
  double machine_idle_s = 0;
};
cpu_usage cpu_between(const cpu_sample& before, const cpu_sample& after);

} // namespace seq::bench
