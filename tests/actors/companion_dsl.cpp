// SPDX-License-Identifier: Apache-2.0
// The stream supervisor's side of companion idle stop (actors/supervision/companion.hpp), on the
// deterministic test coordinator with a scripted TEST companion: started when its start rule
// says so (not with the stream), stopped only when nothing is on its way to it, work that
// arrives while it is being stopped goes to the next one (or back to it when it stays busy),
// an age limit starts and wakes it later and keeps the stream up until then.
#define CAF_SUITE companion
#include "tests/actors/projection_fixture.hpp"

#include "actors/supervision/companion.hpp"

using namespace seq;
using namespace std::chrono_literals;
using test::domain_event;

namespace {

/// What every scripted companion of a test saw.
struct script_log {
  std::vector<caf::actor> started;
  std::vector<std::pair<caf::actor, msg::events_committed>> events;
  std::vector<caf::actor> woken;
  caf::timespan idle_after{0};
};

struct script_state {
  static inline const char* name = "script_companion";
  std::shared_ptr<script_log> log;
  caf::actor parent;
  uint64_t seen = 0;
  bool stay = false; ///< answer busy when told to stop
  std::optional<bool> answer;
};

/// A TEST companion: records what it gets; (put_atom, stay) makes it report idle now.
caf::behavior script_companion(caf::stateful_actor<script_state>* self,
                               std::shared_ptr<script_log> log) {
  self->state.log = log;
  log->started.push_back(caf::actor_cast<caf::actor>(self));
  return {
    [self](actors::companion_idle_atom, caf::timespan after) {
      self->state.parent = caf::actor_cast<caf::actor>(self->current_sender());
      self->state.log->idle_after = after;
    },
    [self](msg::events_committed& x) {
      ++self->state.seen;
      self->state.log->events.emplace_back(caf::actor_cast<caf::actor>(self), x);
    },
    [self](actors::companion_wake_atom) {
      self->state.log->woken.push_back(caf::actor_cast<caf::actor>(self));
    },
    [self](caf::put_atom, bool stay) {
      auto& st = self->state;
      st.stay = stay;
      self->request(st.parent, caf::infinite, actors::companion_idle_atom_v, st.seen)
        .then([self](bool stop) {
          auto& st = self->state;
          st.answer = stop;
          if (!stop)
            return;
          if (st.stay)
            self->send(st.parent, actors::companion_busy_atom_v);
          else
            self->quit();
        });
    },
  };
}

struct fixture : test::projection_fixture {
  std::shared_ptr<script_log> log = std::make_shared<script_log>();

  void start(actors::companion_start rule) {
    actors::companion_spec spec;
    spec.role = "script";
    auto l = log;
    spec.spawn = [l](caf::event_based_actor* parent, const msg::stream_key&) {
      return caf::actor{parent->spawn(script_companion, l)};
    };
    spec.start = rule;
    cfg.companions = {spec};
    cfg_ptr = std::make_shared<const actors::ingest_config>(cfg);
    spawn_registry();
  }

  static actors::companion_start ves_rule(uint64_t events = 1, caf::timespan max_age = {}) {
    actors::companion_start r;
    r.spaces = static_cast<uint8_t>(1u << static_cast<unsigned>(msg::space::ves));
    r.events = events;
    r.max_age = max_age;
    return r;
  }

  actors::companion_slot& slot() {
    auto& sup = supervisor();
    CAF_REQUIRE_EQUAL(sup.companions.size(), 1u);
    return sup.companions.front();
  }

  caf::actor sup_actor() {
    auto& streams =
      deref<caf::stateful_actor<actors::stream_registry_state>>(registry).state.streams;
    CAF_REQUIRE_EQUAL(streams.size(), 1u);
    return streams.begin()->second.supervisor;
  }

  script_state& script(const caf::actor& a) {
    return deref<caf::stateful_actor<script_state>>(a).state;
  }

  /// events_committed as the sequencer would send it (the script companion reads nothing).
  void committed(uint64_t first, uint64_t last) {
    caf::anon_send(sup_actor(), msg::events_committed{stream, sp_ves, first, last, nullptr});
  }

  /// The events_committed `a` received, as "first-last" strings.
  std::vector<std::string> events_of(const caf::actor& a) {
    std::vector<std::string> out;
    for (auto& [who, x] : log->events)
      if (who == a)
        out.push_back(std::to_string(x.first) + "-" + std::to_string(x.last));
    return out;
  }

  /// Steps until the supervisor has answered `a`'s idle report (the answer not yet read).
  void report_and_answer(const caf::actor& a, bool stay) {
    caf::anon_send(a, caf::put_atom_v, stay);
    sched.run_once(); // the companion sends its report
    sched.run_once(); // the supervisor answers
  }
};

using strings = std::vector<std::string>;

} // namespace

CAF_TEST_FIXTURE_SCOPE(companion_tests, fixture)

CAF_TEST(a companion starts with the first commit its rule counts and not with the stream) {
  start(ves_rule());
  ingest_legacy_events({{"Item", "I1", "Created"}}); // legacy: not counted by this rule
  CAF_CHECK(log->started.empty());
  CAF_CHECK(!slot().actor);
  ingest_ves({{"order", "O1", "order.created"}, {"order", "O1", "order.confirmed"}});
  CAF_REQUIRE_EQUAL(log->started.size(), 1u);
  auto a = log->started.front();
  CAF_CHECK_EQUAL(slot().actor, a);
  CAF_CHECK_EQUAL(log->idle_after, cfg.companion_idle_stop); // told when to report
  CAF_CHECK_EQUAL(events_of(a), strings({"1-2"}));
  ingest_ves({{"order", "O1", "order.processing"}});
  CAF_CHECK_EQUAL(events_of(a), strings({"1-2", "3-3"}));
  CAF_CHECK_EQUAL(slot().sent, 2u);
  // Adapters get the running one.
  auto got = ask<caf::actor>(registry, msg::get_companion{stream, "script"});
  sched.run();
  CAF_REQUIRE(got->done && got->value);
  CAF_CHECK_EQUAL(*got->value, a);
  CAF_CHECK_EQUAL(log->started.size(), 1u);
}

CAF_TEST(get_companion starts a companion that does not run) {
  start(ves_rule());
  ingest_legacy_events({{"Item", "I1", "Created"}});
  CAF_CHECK(log->started.empty());
  auto got = ask<caf::actor>(registry, msg::get_companion{stream, "script"});
  sched.run();
  CAF_REQUIRE(got->done && got->value);
  CAF_REQUIRE_EQUAL(log->started.size(), 1u);
  CAF_CHECK_EQUAL(*got->value, log->started.front());
  auto none = ask<caf::actor>(registry, msg::get_companion{stream, "nobody"});
  sched.run();
  CAF_REQUIRE(none->done);
  CAF_CHECK_EQUAL(none->err, errc::not_found);
}

CAF_TEST(an idle companion stops only when nothing is on its way to it) {
  start(ves_rule());
  ingest_ves({{"order", "O1", "order.created"}});
  auto a = log->started.front();
  // An event is on its way while it reports: it must stay.
  committed(2, 2);
  caf::anon_send(a, caf::put_atom_v, false);
  sched.run();
  CAF_REQUIRE(script(a).answer);
  CAF_CHECK(!*script(a).answer);
  CAF_CHECK_EQUAL(slot().actor, a);
  CAF_CHECK_EQUAL(events_of(a), strings({"1-1", "2-2"}));
  // Everything arrived: it may stop, and the slot is free afterwards.
  caf::anon_send(a, caf::put_atom_v, false);
  sched.run();
  CAF_CHECK(!slot().actor);
  CAF_CHECK(!slot().stopping);
  // The next commit starts a new one with that commit.
  ingest_ves({{"order", "O1", "order.confirmed"}});
  CAF_REQUIRE_EQUAL(log->started.size(), 2u);
  auto b = log->started.back();
  CAF_CHECK_NOT_EQUAL(a, b);
  CAF_CHECK_EQUAL(slot().actor, b);
  CAF_CHECK_EQUAL(events_of(b), strings({"2-2"}));
}

CAF_TEST(work that arrives while a companion stops goes to the next one) {
  start(ves_rule());
  ingest_ves({{"order", "O1", "order.created"}});
  auto a = log->started.front();
  report_and_answer(a, false);
  CAF_REQUIRE(slot().stopping);
  // A commit and an adapter's request arrive before the companion has ended.
  committed(2, 3);
  auto got = ask<caf::actor>(registry, msg::get_companion{stream, "script"});
  sched.run();
  CAF_REQUIRE_EQUAL(log->started.size(), 2u);
  auto b = log->started.back();
  CAF_CHECK(!slot().stopping);
  CAF_CHECK_EQUAL(slot().actor, b);
  CAF_CHECK_EQUAL(events_of(a), strings({"1-1"}));
  CAF_CHECK_EQUAL(events_of(b), strings({"2-3"})); // nothing lost
  CAF_REQUIRE(got->done && got->value);
  CAF_CHECK_EQUAL(*got->value, b);
}

CAF_TEST(a companion that got work after its report stays and gets what was held) {
  start(ves_rule());
  ingest_ves({{"order", "O1", "order.created"}});
  auto a = log->started.front();
  report_and_answer(a, true); // it will answer busy
  CAF_REQUIRE(slot().stopping);
  committed(2, 2);
  sched.run();
  CAF_CHECK_EQUAL(log->started.size(), 1u);
  CAF_CHECK(!slot().stopping);
  CAF_CHECK_EQUAL(slot().actor, a);
  CAF_CHECK_EQUAL(events_of(a), strings({"1-1", "2-2"}));
  CAF_CHECK_EQUAL(slot().sent, 2u);
}

CAF_TEST(a handed out companion is not stopped right away) {
  start(ves_rule());
  ingest_ves({{"order", "O1", "order.created"}});
  auto a = log->started.front();
  auto got = ask<caf::actor>(registry, msg::get_companion{stream, "script"});
  sched.run();
  CAF_REQUIRE(got->done && got->value);
  caf::anon_send(a, caf::put_atom_v, false);
  sched.run();
  CAF_REQUIRE(script(a).answer);
  CAF_CHECK(!*script(a).answer);
  advance_time(actors::companion_handout_hold);
  sched.run();
  caf::anon_send(a, caf::put_atom_v, false);
  sched.run();
  CAF_CHECK(!slot().actor);
}

CAF_TEST(an age limit starts the companion late and wakes it and keeps the stream up) {
  start(ves_rule(3, 5s));
  ingest_ves({{"order", "O1", "order.created"}});
  ingest_ves({{"order", "O2", "order.created"}});
  CAF_CHECK(log->started.empty()); // 2 < 3 events
  CAF_REQUIRE(slot().wake_at);
  advance_time(4s);
  sched.run();
  CAF_CHECK(log->started.empty());
  // The sequencer is idle, but the stream is not: a companion must still start.
  auto activity = ask<msg::stream_activity>(sup_actor(), msg::activity_atom_v);
  sched.run();
  CAF_REQUIRE(activity->done && activity->value);
  CAF_CHECK(!activity->value->idle());
  advance_time(1s); // 5 s after the first event
  sched.run();
  CAF_REQUIRE_EQUAL(log->started.size(), 1u);
  auto a = log->started.front();
  CAF_REQUIRE_EQUAL(log->woken.size(), 1u);
  CAF_CHECK_EQUAL(log->woken.front(), a);
  CAF_CHECK(events_of(a).empty()); // what is pending is in storage
  CAF_CHECK(!slot().wake_at);
  activity = ask<msg::stream_activity>(sup_actor(), msg::activity_atom_v);
  sched.run();
  CAF_REQUIRE(activity->done && activity->value);
  CAF_CHECK(activity->value->idle());
  // It stops; three events in one commit start the next one at once, without a wake.
  caf::anon_send(a, caf::put_atom_v, false);
  sched.run();
  CAF_CHECK(!slot().actor);
  ingest_ves({{"order", "O3", "order.created"},
              {"order", "O4", "order.created"},
              {"order", "O5", "order.created"}});
  CAF_REQUIRE_EQUAL(log->started.size(), 2u);
  auto b = log->started.back();
  CAF_CHECK_EQUAL(events_of(b), strings({"3-5"}));
  CAF_CHECK_EQUAL(log->woken.size(), 1u);
  // The age limit that started with event 3 still wakes the running one.
  advance_time(5s);
  sched.run();
  CAF_REQUIRE_EQUAL(log->woken.size(), 2u);
  CAF_CHECK_EQUAL(log->woken.back(), b);
}

CAF_TEST(the registry stops an idle stream only once no companion must start) {
  cfg.idle_timeout = 2s;
  cfg.idle_check_interval = 1s;
  start(ves_rule(100, 3s));
  ingest_ves({{"order", "O1", "order.created"}});
  advance_time(2s); // idle for 2 s: probed, but a companion must start at 3 s
  sched.run();
  CAF_CHECK(log->started.empty());
  CAF_CHECK_EQUAL(metrics.streams_active.load(), int64_t{1});
  advance_time(1s);
  sched.run();
  CAF_REQUIRE_EQUAL(log->started.size(), 1u);
  CAF_CHECK_EQUAL(log->woken.size(), 1u);
  advance_time(1s);
  sched.run();
  CAF_CHECK_EQUAL(metrics.streams_active.load(), int64_t{0});
  auto& streams =
    deref<caf::stateful_actor<actors::stream_registry_state>>(registry).state.streams;
  CAF_CHECK(streams.empty());
}

CAF_TEST_FIXTURE_SCOPE_END()
