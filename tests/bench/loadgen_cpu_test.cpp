// SPDX-License-Identifier: Apache-2.0
// The load generator's CPU accounting (bench/loadgen/cpu.hpp): /proc parsing, a process and
// its children, a process's threads by name, this process, the machine.

#include "bench/loadgen/cpu.hpp"

#include <catch2/catch.hpp>

#include <pthread.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <thread>

using namespace seq::bench;

namespace {

double cpu_clock(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
}

/// Burns `seconds` of CPU time on the calling thread (CPU time, not wall time: the amount
/// does not depend on how busy the machine is).
void burn(double seconds, clockid_t id = CLOCK_THREAD_CPUTIME_ID) {
  auto until = cpu_clock(id) + seconds;
  volatile uint64_t x = 0;
  while (cpu_clock(id) < until)
    for (int i = 0; i < 10000; ++i)
      x = x + static_cast<uint64_t>(i);
}

} // namespace

TEST_CASE("parse_proc_stat counts fields from the last parenthesis", "[loadgen]") {
  // A command name with spaces and parentheses; utime 1234, stime 66.
  auto st = parse_proc_stat("4242 (caf) (a b)) S 17 4242 4242 0 -1 4194560 100 0 0 0 1234 66 "
                            "0 0 20 0 9 0 1000 1000000 500");
  REQUIRE(st);
  CHECK(st->pid == 4242);
  CHECK(st->ppid == 17);
  CHECK(st->ticks == 1300);
  CHECK(st->name == "caf) (a b)");

  auto plain = parse_proc_stat("1 (systemd) S 0 1 1 0 -1 4194560 5 6 7 8 9 10 11 12");
  REQUIRE(plain);
  CHECK(plain->ppid == 0);
  CHECK(plain->ticks == 19);
  CHECK(plain->name == "systemd");

  CHECK_FALSE(parse_proc_stat(""));
  CHECK_FALSE(parse_proc_stat("12 systemd S 0 1"));           // no parentheses
  CHECK_FALSE(parse_proc_stat("12 (short) S 0 1 1 0 -1 4"));  // too few fields
  CHECK_FALSE(parse_proc_stat("x (bad pid) S 0 1 1 0 -1 4194560 5 6 7 8 9 10 11 12"));
  CHECK_FALSE(parse_proc_stat("12 (bad ticks) S 0 1 1 0 -1 4194560 5 6 7 8 9 x 11 12"));
}

TEST_CASE("read_tree_ticks reads a process and its live children", "[loadgen]") {
  CHECK(read_tree_ticks(0).empty());
  CHECK(read_tree_ticks(-5).empty());
  CHECK(read_tree_ticks(999999999).empty()); // above pid_max: never a process
  const auto before = read_tree_ticks(getpid());
  REQUIRE(before.count(getpid()) == 1);

  int done[2];
  int release[2];
  REQUIRE(pipe(done) == 0);
  REQUIRE(pipe(release) == 0);
  auto child = fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    // The child: 0.3 s of CPU, then report and stay alive until released.
    burn(0.3, CLOCK_PROCESS_CPUTIME_ID);
    char c = 1;
    (void)!write(done[1], &c, 1);
    (void)!read(release[0], &c, 1);
    _exit(0);
  }
  char c = 0;
  REQUIRE(read(done[0], &c, 1) == 1);
  auto child_s = tree_cpu_delta_s({}, read_tree_ticks(child));
  auto tree = read_tree_ticks(getpid());
  auto own_s = self_cpu_seconds();
  (void)!write(release[1], &c, 1);
  int status = 0;
  waitpid(child, &status, 0);
  for (int fd : {done[0], done[1], release[0], release[1]})
    close(fd);
  INFO("child " << child_s << " s, own " << own_s << " s");
  CHECK(child_s >= 0.28); // clock ticks: 10 ms granularity
  CHECK(child_s < 5);
  // The child is in the tree, and started after `before`: all of its time counts.
  CHECK(tree.count(child) == 1);
  CHECK(tree_cpu_delta_s(before, tree) >= child_s);
}

TEST_CASE("tree_cpu_delta_s counts new processes whole and loses ended ones", "[loadgen]") {
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  tree_ticks before{{10, 100}, {11, 50}, {12, 70}};
  tree_ticks after{{10, 130},  // +30
                   {11, 20},   // a reused pid (fewer ticks): a new process, 20
                   {13, 5}};   // started in between: 5; pid 12 ended: lost
  CHECK(tree_cpu_delta_s(before, after) == Approx(55 / hz));
  CHECK(tree_cpu_delta_s(before, before) == 0);
  CHECK(tree_cpu_delta_s({}, {}) == 0);
  CHECK(tree_cpu_delta_s(before, {}) == 0); // the whole tree ended
}

TEST_CASE("read_task_ticks and threads_cpu_delta_s account a process's threads by name",
          "[loadgen]") {
  CHECK(read_task_ticks(0).empty());
  CHECK(read_task_ticks(999999999).empty());
  const auto before = read_task_ticks(getpid());
  REQUIRE(before.count(getpid()) == 1); // the main thread's id is the process id

  // A named thread that burns 0.3 s of CPU and is still alive at the second reading.
  int done[2];
  int release[2];
  REQUIRE(pipe(done) == 0);
  REQUIRE(pipe(release) == 0);
  std::thread worker{[&] {
    pthread_setname_np(pthread_self(), "cpu-test-burn");
    burn(0.3);
    char c = 1;
    (void)!write(done[1], &c, 1);
    (void)!read(release[0], &c, 1);
  }};
  char c = 0;
  REQUIRE(read(done[0], &c, 1) == 1);
  const auto after = read_task_ticks(getpid());
  (void)!write(release[1], &c, 1);
  worker.join();
  for (int fd : {done[0], done[1], release[0], release[1]})
    close(fd);

  auto by_name = threads_cpu_delta_s(before, after);
  REQUIRE(by_name.count("cpu-test-burn") == 1);
  CHECK(by_name["cpu-test-burn"] >= 0.28); // started after `before`: all of its time counts
  CHECK(by_name["cpu-test-burn"] < 5);

  // Threads of one name add up; a reused id counts whole; an ended thread is lost.
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  task_ticks b{{1, {"loop", 100}}, {2, {"loop", 10}}, {3, {"pool", 40}}, {4, {"gone", 9}}};
  task_ticks a{{1, {"loop", 130}}, {2, {"loop", 25}}, {3, {"pool", 5}}, {5, {"new", 7}}};
  auto d = threads_cpu_delta_s(b, a);
  CHECK(d.size() == 3);
  CHECK(d["loop"] == Approx(45 / hz));
  CHECK(d["pool"] == Approx(5 / hz));
  CHECK(d["new"] == Approx(7 / hz));
}

TEST_CASE("self and machine CPU move forward with work", "[loadgen]") {
  auto s0 = self_cpu_seconds();
  auto m0 = read_machine_cpu();
  burn(0.1);
  auto s1 = self_cpu_seconds();
  auto m1 = read_machine_cpu();
  CHECK(s1 - s0 >= 0.09);
  CHECK(m0.busy_s > 0);
  CHECK(m0.idle_s >= 0);
  CHECK(m1.busy_s - m0.busy_s >= 0.05); // the 0.1 s above, on some core
  CHECK(m1.idle_s >= m0.idle_s);

  auto a = sample_cpu(getpid(), 0);
  burn(0.1);
  auto b = sample_cpu(getpid(), 0);
  CHECK(a.postgres.empty());
  auto u = cpu_between(a, b);
  CHECK(u.loadgen_s >= 0.09);
  CHECK(u.server_s >= 0.07); // the same process, read through /proc in clock ticks
  double by_threads = 0;
  for (const auto& [name, secs] : u.server_threads_s)
    by_threads += secs;
  CHECK(by_threads == Approx(u.server_s).margin(0.03)); // one process: its threads add up
  CHECK(u.postgres_s == 0);
  CHECK(u.machine_busy_s >= 0.05);
  CHECK(u.machine_idle_s >= 0);
}
