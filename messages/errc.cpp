// SPDX-License-Identifier: Apache-2.0
#include "messages/errc.hpp"

namespace seq {

std::string to_string(errc x) {
  switch (x) {
    case errc::none:
      return "none";
    case errc::invalid_request:
      return "invalid_request";
    case errc::not_found:
      return "not_found";
    case errc::already_exists:
      return "already_exists";
    case errc::version_conflict:
      return "version_conflict";
    case errc::duplicate_event:
      return "duplicate_event";
    case errc::duplicate_command:
      return "duplicate_command";
    case errc::sequence_gap:
      return "sequence_gap";
    case errc::unauthenticated:
      return "unauthenticated";
    case errc::forbidden:
      return "forbidden";
    case errc::too_large:
      return "too_large";
    case errc::sequence_exhausted:
      return "sequence_exhausted";
    case errc::storage_unavailable:
      return "storage_unavailable";
    case errc::storage_conflict:
      return "storage_conflict";
    case errc::storage_failure:
      return "storage_failure";
    case errc::migration_failed:
      return "migration_failed";
    case errc::invalid_state_transition:
      return "invalid_state_transition";
    case errc::overloaded:
      return "overloaded";
    case errc::timeout:
      return "timeout";
    case errc::shutting_down:
      return "shutting_down";
    case errc::internal:
      return "internal";
    case errc::chain_unavailable:
      return "chain_unavailable";
    case errc::chain_rejected:
      return "chain_rejected";
    case errc::circuit_open:
      return "circuit_open";
  }
  return "errc(" + std::to_string(static_cast<int>(x)) + ")";
}

caf::error make_error(errc code, std::string message) {
  return caf::make_error(code, std::move(message));
}

std::string error_message(const caf::error& e) {
  if (!e)
    return {}; // a default error has no context (CAF 0.17 asserts on it)
  const auto& ctx = e.context();
  if (ctx.size() > 0 && ctx.match_element<std::string>(0))
    return ctx.get_as<std::string>(0);
  return {};
}

} // namespace seq
