// hello: the first mlprim program. Prints the version, then estimates pi by
// throwing seeded random darts at the unit square on all threads, and shows
// that the estimate is the same for any thread count.
#include <cmath>
#include <cstdio>
#include <vector>

#include <mlprim/mlprim.hpp>

int main() {
  std::printf("mlprim %s (Eigen %d.%d.%d, %s)\n", mlprim::version_string, EIGEN_WORLD_VERSION,
              EIGEN_MAJOR_VERSION, EIGEN_MINOR_VERSION, MLPRIM_HAS_OPENMP ? "OpenMP on" : "serial");

  // Each block of darts gets its own stream of the seed, so the result does not
  // depend on how blocks are spread over threads.
  const long blocks = 64, darts_per_block = 100000;
  const std::uint64_t seed = 2026;
  auto estimate_pi = [&](int threads) {
    std::vector<long> inside(static_cast<std::size_t>(blocks), 0);
    mlprim::parallel_for(0L, blocks, threads, [&](long b) {
      mlprim::Rng rng = mlprim::Rng::stream(seed, static_cast<std::uint64_t>(b));
      long hits = 0;
      for (long i = 0; i < darts_per_block; ++i) {
        const double x = rng.uniform<double>(), y = rng.uniform<double>();
        hits += x * x + y * y < 1.0;
      }
      inside[static_cast<std::size_t>(b)] = hits;
    });
    long total = 0;
    for (long h : inside) total += h;
    return 4.0 * static_cast<double>(total) / static_cast<double>(blocks * darts_per_block);
  };

  const double one_thread = estimate_pi(1);
  const double all_threads = estimate_pi(0);
  const double pi = std::acos(-1.0);
  // Standard error of the estimate: 4 * sqrt(p (1 - p) / n) with p = pi / 4.
  const double n = static_cast<double>(blocks * darts_per_block);
  const double std_error = 4.0 * std::sqrt(pi / 4 * (1 - pi / 4) / n);
  std::printf("pi from %.0f seeded darts: %.6f (1 thread), %.6f (%d threads)\n", n, one_thread,
              all_threads, mlprim::max_threads());
  std::printf("error %.2e, standard error of the estimate %.2e\n", std::abs(one_thread - pi),
              std_error);

  const bool same = one_thread == all_threads;
  const bool close = std::abs(one_thread - pi) < 5 * std_error;
  std::printf("same for any thread count: %s; within 5 standard errors: %s\n", same ? "yes" : "NO",
              close ? "yes" : "NO");
  return same && close ? 0 : 1;
}
