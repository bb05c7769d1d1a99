// SPDX-License-Identifier: Apache-2.0
#include "actors/sequencer/replay.hpp"

#include "messages/ves/json.hpp"
#include "messages/ves/ves.hpp"

#include <string>

namespace seq::actors {

namespace {

std::string canonical(const std::string& text) {
  if (text.empty())
    return text;
  if (auto v = ves::json::try_parse(text))
    return v->jcs();
  return text;
}

} // namespace

msg::hash32 replay_fingerprint(const msg::ves_event& ev, std::string_view payload_jcs,
                               std::string_view payload_encrypted_jcs) {
  ves::bytes buf;
  buf.reserve(128 + payload_jcs.size() + payload_encrypted_jcs.size());
  ves::put_raw(buf, ev.event_signing_hash);
  ves::put_raw(buf, ev.agent_signature);
  ves::put_enc_str(buf, payload_jcs);
  ves::put_enc_str(buf, payload_encrypted_jcs);
  buf.push_back(ev.command_id ? 1 : 0);
  if (ev.command_id)
    ves::put_raw(buf, ev.command_id->b);
  buf.push_back(ev.base_version ? 1 : 0);
  if (ev.base_version)
    ves::put_u64_be(buf, *ev.base_version);
  return ves::sha256(buf);
}

msg::hash32 stored_replay_fingerprint(const msg::ves_event& ev) {
  return replay_fingerprint(ev, canonical(ev.payload), canonical(ev.payload_encrypted));
}

} // namespace seq::actors
