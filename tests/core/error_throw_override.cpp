// MLPRIM_THROW can be overridden by the user before the first mlprim include;
// every mlprim error then goes through the override. A standalone program so
// the override cannot clash with other translation units.
#include <cstdio>
#include <string>

struct UserError {
  std::string type;
  std::string message;
};

#define MLPRIM_THROW(ExceptionType, message) \
  throw UserError { #ExceptionType, (message) }
#include <mlprim/core/error.hpp>
#include <mlprim/core/random.hpp>

int main() {
  try {
    mlprim::Rng rng(1);
    (void)rng.below(0);
  } catch (const UserError& e) {
    const bool ok = e.type == "std::invalid_argument" &&
                    e.message == "mlprim::Rng::below: n = 0 must be positive";
    std::printf("override caught: %s: %s\n", e.type.c_str(), e.message.c_str());
    return ok ? 0 : 1;
  }
  std::printf("the override was not used\n");
  return 1;
}
