// SPDX-License-Identifier: Apache-2.0
#pragma once

/// TEST DOUBLE: an in-memory event_source for the projection engine's Catch2 tests (the
/// actor tests read real events from SQLite).

#include "actors/projector/projection_engine.hpp"
#include "messages/errc.hpp"

#include <deque>
#include <map>
#include <string>
#include <vector>

namespace seq::test {

class memory_event_source : public actors::projection::event_source {
public:
  /// Appends an event to `space` with the next sequence number; returns it.
  msg::projectable_event& add(uint8_t space, std::string entity_type, std::string entity_id,
                              std::string event_type, std::string payload,
                              std::optional<uint64_t> base_version = std::nullopt) {
    auto& xs = events_[space];
    msg::projectable_event e;
    e.space = space;
    e.sequence_number = xs.size() + 1;
    e.event_id = msg::uuid::random_v4();
    e.entity_type = std::move(entity_type);
    e.entity_id = std::move(entity_id);
    e.event_type = std::move(event_type);
    e.payload = std::move(payload);
    e.base_version = base_version;
    xs.push_back(std::move(e));
    return xs.back();
  }

  msg::projectable_event& ves(std::string type, std::string id, std::string event_type,
                              std::string payload = "{}",
                              std::optional<uint64_t> base_version = std::nullopt) {
    return add(static_cast<uint8_t>(msg::space::ves), std::move(type), std::move(id),
               std::move(event_type), std::move(payload), base_version);
  }

  msg::projectable_event& legacy(std::string type, std::string id, std::string event_type,
                                 std::string payload = "{}") {
    return add(static_cast<uint8_t>(msg::space::legacy), std::move(type), std::move(id),
               std::move(event_type), std::move(payload));
  }

  const msg::projectable_event& at(uint8_t space, uint64_t seq) {
    return events_[space].at(seq - 1);
  }

  /// The next `n` reads fail with errc::storage_unavailable.
  size_t fail_reads = 0;
  size_t reads = 0;

  caf::expected<std::vector<msg::projectable_event>>
  read(const msg::stream_key&, uint8_t space, uint64_t from, uint32_t limit) override {
    ++reads;
    if (fail_reads > 0) {
      --fail_reads;
      return make_error(errc::storage_unavailable, "injected read failure");
    }
    std::vector<msg::projectable_event> out;
    for (const auto& e : events_[space])
      if (e.sequence_number >= from && e.sequence_number < from + limit)
        out.push_back(e);
    return out;
  }

private:
  /// A deque: the references add() returns stay valid.
  std::map<uint8_t, std::deque<msg::projectable_event>> events_;
};

} // namespace seq::test
