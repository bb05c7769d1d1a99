// SPDX-License-Identifier: Apache-2.0
#pragma once

/// What a fuzz target asserts: a broken property prints what broke and aborts, which both
/// libFuzzer (a crash, with the input saved) and the corpus replay (a failed test) report.

#include <cstdio>
#include <cstdlib>

#define FUZZ_CHECK(cond)                                                                     \
  do {                                                                                       \
    if (!(cond)) {                                                                           \
      std::fprintf(stderr, "%s:%d: FUZZ_CHECK(%s) failed\n", __FILE__, __LINE__, #cond);     \
      std::abort();                                                                          \
    }                                                                                        \
  } while (false)
