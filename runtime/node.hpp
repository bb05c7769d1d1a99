// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The server process: settings → storage (migrations, bootstrap key) → actor system and the
/// ingest topology → HTTP adapter; then waits for SIGTERM/SIGINT and shuts down gracefully:
/// stop accepting, drain in-flight requests, flush queued group commits, exit 0 within the
/// configured deadline (exit 1 if the deadline passes).

#include "config/settings.hpp"

#include <csignal>

namespace seq::runtime {

/// Runs until a signal in `signals` arrives (they must be blocked in all threads). Returns the
/// process exit code.
int run_node(const config::settings& s, const sigset_t& signals);

} // namespace seq::runtime
