// SPDX-License-Identifier: Apache-2.0
#pragma once

/// Helpers shared by the route files that read storage. Each rejects (throws request_error)
/// instead of returning an error.

#include "adapters/http/request.hpp"
#include "adapters/http/server.hpp"

#include <utility>

#include "caf/expected.hpp"

namespace seq::http {

/// A connection from the read pool; the mapped error (503) when none can be had.
storage::store_pool::lease conn(context& ctx);

/// The value, or the mapped error.
template <class T>
T value_or_reject(caf::expected<T>&& x) {
  if (!x)
    reject(from_error(x.error()));
  return std::move(*x);
}

} // namespace seq::http
