// Catch2 2.x needs one translation unit that defines main(); 3.x links
// Catch2::Catch2WithMain instead and does not compile this file.
#define CATCH_CONFIG_MAIN
#include "catch.hpp"
