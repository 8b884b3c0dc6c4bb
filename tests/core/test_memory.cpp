#include <mlprim/core/memory.hpp>

#include <cstdint>
#include <stdexcept>

#include "catch.hpp"

TEST_CASE("checked_product multiplies sizes and names an overflow", "[memory]") {
  CHECK(mlprim::checked_product("f", "a * b", 3, 7) == 21);
  CHECK(mlprim::checked_product("f", "a * b * c", mlprim::Index{1} << 31, 2, 0) == 0);
  CHECK(mlprim::checked_product("f", "a", mlprim::Index{5}) == 5);
  CHECK_THROWS_WITH(
      mlprim::checked_product("KVCache", "heads * capacity * dim", 1, mlprim::Index{1} << 62, 4),
      "mlprim::KVCache: heads * capacity * dim = 1 * 4611686018427387904 * 4 overflows");
  CHECK_THROWS_WITH(mlprim::checked_product("f", "a * b", -1, 3),
                    "mlprim::f: a * b = -1 * 3 has a negative factor");
}

TEST_CASE("an allocation larger than the machine's memory is a wrong argument", "[memory]") {
#if defined(__linux__)
  CHECK(mlprim::physical_memory_bytes() > (std::uint64_t{1} << 20));
#endif
  CHECK_NOTHROW(mlprim::check_allocation("f", "buffer", 1000, 8));
  if (mlprim::physical_memory_bytes() > 0) {
    CHECK_THROWS_AS(mlprim::check_allocation("KVCache", "capacity", std::uint64_t{1} << 60, 4),
                    std::invalid_argument);
    const std::string message = [] {
      try {
        mlprim::check_allocation("KVCache", "capacity", std::uint64_t{1} << 60, 4);
      } catch (const std::invalid_argument& e) {
        return std::string(e.what());
      }
      return std::string();
    }();
    CHECK(message.find("mlprim::KVCache: capacity needs 1152921504606846976 x 4 bytes, more "
                       "than this machine's ") == 0);
  }
}
