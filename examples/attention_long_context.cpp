// attention_long_context: one causal attention head (d = 64, float) over a
// growing context N = 1024 ... 16384, computed three ways:
//   reference  scaled_dot_product_attention: materialises the N x N scores,
//              so its memory grows as N^2;
//   flash      flash_attention (FlashAttention-2): the same numbers from
//              128 x 128 tiles, memory O(N d);
//   linear     linear_attention with elu+1 features, causal chunked form:
//              a different model (no softmax), time and memory O(N).
// Prints the time and the peak memory each call adds, stops running the
// reference once its score matrix would exceed the budget, and checks flash
// against the reference wherever both run.
//
//   attention_long_context [max_N = 16384] [budget_MiB = 128]
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include <mlprim/attention.hpp>

#include "common/memory.hpp"  // peak_added_bytes: the resident memory a call adds (from bench/)

namespace {

using mlprim::Index;
using mlprim::RowMatrix;

RowMatrix<float> random_rows(Index n, Index d, std::uint64_t seed) {
  mlprim::Rng rng(seed);
  RowMatrix<float> m(n, d);
  mlprim::fill_normal(m, rng);
  return m;
}

/// Runs fn once; returns {milliseconds, MiB added at the peak}.
template <class Fn>
std::pair<double, double> measure(Fn&& fn) {
  double ms = 0;
  const double bytes = mlprim::bench::peak_added_bytes([&] {
    const auto start = std::chrono::steady_clock::now();
    fn();
    ms =
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  });
  return {ms, bytes / (1 << 20)};
}

}  // namespace

int main(int argc, char** argv) {
  const Index max_n = argc > 1 ? std::atol(argv[1]) : 16384;
  const double budget_mib = argc > 2 ? std::atof(argv[2]) : 128;
  const Index d = 64;
  mlprim::AttentionOptions softmax;
  softmax.causal = true;
  mlprim::LinearAttentionOptions linear;
  linear.causal = true;

  std::printf(
      "one causal head, d = %lld, float, %d threads, one cold call each (page faults included);\n"
      "the reference runs while its N x N scores fit in %.0f MiB\n",
      static_cast<long long>(d), mlprim::max_threads(), budget_mib);
  std::printf("%7s | %22s | %22s | %22s | %s\n", "N", "reference ms / MiB", "flash ms / MiB",
              "linear ms / MiB", "max |flash - reference|");
  bool agree = true;
  for (Index n = 1024; n <= max_n; n *= 2) {
    const auto q = random_rows(n, d, 1), k = random_rows(n, d, 2), v = random_rows(n, d, 3);

    mlprim::AttentionOutput<float> flash;
    const auto [flash_ms, flash_mib] =
        measure([&] { flash = mlprim::flash_attention(q, k, v, softmax); });
    RowMatrix<float> lin;
    const auto [linear_ms, linear_mib] =
        measure([&] { lin = mlprim::linear_attention(q, k, v, mlprim::EluPlusOne{}, linear); });

    const double scores_mib = double(n) * double(n) * sizeof(float) / (1 << 20);
    char reference_cell[32], error_cell[48];
    if (scores_mib <= budget_mib) {
      RowMatrix<float> ref;
      const auto [ms, mib] =
          measure([&] { ref = mlprim::scaled_dot_product_attention(q, k, v, softmax); });
      const double error = (flash.out - ref).cwiseAbs().maxCoeff();
      agree &= error < 1e-4;
      std::snprintf(reference_cell, sizeof reference_cell, "%9.1f / %9.1f", ms, mib);
      std::snprintf(error_cell, sizeof error_cell, "%.1e", error);
    } else {
      std::snprintf(reference_cell, sizeof reference_cell, "skipped (%.0f MiB)", scores_mib);
      std::snprintf(error_cell, sizeof error_cell, "-");
    }
    std::printf("%7lld | %22s | %9.1f / %9.1f | %9.1f / %9.1f | %s\n", static_cast<long long>(n),
                reference_cell, flash_ms, flash_mib, linear_ms, linear_mib, error_cell);
  }
  std::printf("flash equals the reference wherever both ran: %s\n", agree ? "yes" : "NO");
  return agree ? 0 : 1;
}
