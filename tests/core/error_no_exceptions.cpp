// Built with -fno-exceptions: mlprim must report the error and abort instead
// of throwing. A SIGABRT handler turns the abort into a clean exit so CTest can
// check the printed report (PASS_REGULAR_EXPRESSION).
#include <csignal>
#include <cstdio>
#include <cstdlib>

#include <mlprim/core/error.hpp>

#ifndef MLPRIM_NO_EXCEPTIONS
#error "MLPRIM_NO_EXCEPTIONS should be defined automatically under -fno-exceptions"
#endif

extern "C" void on_abort(int) { std::_Exit(0); }

int main() {
  std::signal(SIGABRT, on_abort);
  mlprim::check_positive("demo", "lr", -1.0);
  std::printf("check_positive returned: FAILED\n");
  return 1;
}
