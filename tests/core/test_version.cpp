#include <mlprim/version.hpp>

#include <string>

#include "catch.hpp"

TEST_CASE("version macros, constants and the CMake project version agree", "[version]") {
  const std::string from_numbers = std::to_string(MLPRIM_VERSION_MAJOR) + "." +
                                   std::to_string(MLPRIM_VERSION_MINOR) + "." +
                                   std::to_string(MLPRIM_VERSION_PATCH);
  CHECK(from_numbers == MLPRIM_VERSION_STRING);
  CHECK(std::string(mlprim::version_string) == MLPRIM_VERSION_STRING);
  // CMakeLists.txt parses version.hpp; the project version must be the same.
  CHECK(std::string(MLPRIM_CMAKE_PROJECT_VERSION) == MLPRIM_VERSION_STRING);
  CHECK(mlprim::version ==
        mlprim::version_major * 10000 + mlprim::version_minor * 100 + mlprim::version_patch);
  STATIC_REQUIRE(mlprim::version == MLPRIM_VERSION);
}
