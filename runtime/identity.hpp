// SPDX-License-Identifier: Apache-2.0
#pragma once

/// The sequencer's receipt-signing identity: a configured Ed25519 seed and id, or ones
/// generated at first start and kept in the data directory (`sequencer.key`, mode 0600, and
/// `sequencer.id`) so that later starts reuse them.

#include "messages/ves/bytes.hpp"

#include <optional>
#include <string>

namespace seq::runtime {

struct identity {
  ves::seed32 seed{};
  ves::pubkey32 public_key{};
  ves::uuid id;
  bool generated_key = false;
};

/// Throws std::runtime_error with a one-line reason when the files cannot be read or written.
/// A file is generated only when it does not exist: one that exists but cannot be read (its
/// owner or mode) stops the start instead of being replaced by a new key. New files are
/// written with fsync of the file and the directory, and never over a file another process
/// created meanwhile.
identity load_identity(const std::string& data_dir, const std::optional<ves::seed32>& seed,
                       const std::optional<ves::uuid>& id);

} // namespace seq::runtime
