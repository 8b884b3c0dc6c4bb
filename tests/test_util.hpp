// Small helpers shared by the test programs.
#ifndef MLPRIM_TESTS_TEST_UTIL_HPP
#define MLPRIM_TESTS_TEST_UTIL_HPP

#include <string>

namespace mlprim::test {

/// The what() of the `Exception` that fn() throws, or a marker string when it
/// throws nothing (so a CHECK on the message fails with a readable value).
template <class Exception, class Fn>
std::string exception_message(Fn&& fn) {
  try {
    fn();
  } catch (const Exception& e) {
    return e.what();
  }
  return "<nothing thrown>";
}

}  // namespace mlprim::test

#endif  // MLPRIM_TESTS_TEST_UTIL_HPP
