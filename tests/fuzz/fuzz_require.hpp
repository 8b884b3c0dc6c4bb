// The fuzz targets' way to report a violated property as a finding.
#ifndef MLPRIM_TESTS_FUZZ_FUZZ_REQUIRE_HPP
#define MLPRIM_TESTS_FUZZ_FUZZ_REQUIRE_HPP

#include <cstdio>
#include <cstdlib>

namespace mlprim::fuzz {

/// Stops the run as a finding: a property of a loaded object that must hold.
inline void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "mlprim fuzz: property violated: %s\n", what);
  std::abort();
}

}  // namespace mlprim::fuzz

#endif  // MLPRIM_TESTS_FUZZ_FUZZ_REQUIRE_HPP
