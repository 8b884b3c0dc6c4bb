// Uses mlprim the way a downstream project would, and checks values from core.
// Exit code 0 means every check passed.
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>

#include <mlprim/mlprim.hpp>

int main() {
  int failures = 0;
  auto expect = [&failures](bool ok, const char* what) {
    if (!ok) {
      std::fprintf(stderr, "consumer: FAILED: %s\n", what);
      ++failures;
    }
  };

  expect(std::strcmp(mlprim::version_string, "0.1.0") == 0, "version_string is 0.1.0");
  expect(MLPRIM_VERSION == 100, "MLPRIM_VERSION is 100");

  // SplitMix64 reference output for seed 1234567 (published test vector).
  mlprim::SplitMix64 splitmix(1234567);
  expect(splitmix() == 6457827717110365317ULL, "SplitMix64(1234567) first output");

  mlprim::RowMatrix<double> m(2, 2);
  m << 1, 2, 3, 4;
  expect(m(1, 0) == 3.0, "RowMatrix is row-major and usable");

  std::string message;
  try {
    mlprim::check_positive("consumer", "k", -3);
  } catch (const std::invalid_argument& e) {
    message = e.what();
  }
  expect(message == "mlprim::consumer: k = -3 must be positive", "error message form");

  long long sum = 0;
  mlprim::parallel_for(0, 100, 0, [&](int i) {
    MLPRIM_OMP(atomic)
    sum += i;
  });
  expect(sum == 4950, "parallel_for sums 0..99");

  if (failures == 0) std::printf("consumer: mlprim %s works\n", mlprim::version_string);
  return failures == 0 ? 0 : 1;
}
