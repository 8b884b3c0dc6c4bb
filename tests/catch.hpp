// One include for Catch2 2.x (Debian 12) and 3.x; tests include this file.
#ifndef MLPRIM_TESTS_CATCH_HPP
#define MLPRIM_TESTS_CATCH_HPP

#if defined(MLPRIM_CATCH3)
#include <catch2/catch_all.hpp>
using Catch::Approx;
#else
#include <catch2/catch.hpp>
#endif

#endif  // MLPRIM_TESTS_CATCH_HPP
