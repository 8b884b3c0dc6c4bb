#include <mlprim/core/parallel.hpp>

#include <algorithm>
#include <atomic>
#include <limits>
#include <utility>
#include <stdexcept>
#include <vector>

#include "catch.hpp"

TEST_CASE("parallel_for visits every index exactly once", "[parallel]") {
  const int threads = GENERATE(1, 2, 7);
  const long n = GENERATE(0L, 1L, 5L, 1000L, 100003L);
  std::vector<std::atomic<int>> visits(static_cast<std::size_t>(n) + 10);
  for (auto& v : visits) v = 0;
  const long begin = 10;
  mlprim::parallel_for(begin, begin + n, threads,
                       [&](long i) { visits[static_cast<std::size_t>(i - begin)]++; });
  long wrong = 0;
  for (long i = 0; i < n; ++i) wrong += visits[static_cast<std::size_t>(i)] != 1;
  for (long i = n; i < n + 10; ++i) wrong += visits[static_cast<std::size_t>(i)] != 0;
  INFO("threads = " << threads << ", n = " << n);
  CHECK(wrong == 0);
}

TEST_CASE("parallel_for_chunks tiles the range in contiguous, deterministic chunks", "[parallel]") {
  const int threads = GENERATE(1, 2, 7);
  const int n = 103;
  std::vector<int> owner(n, -1);
  mlprim::parallel_for_chunks(0, n, threads, [&](int lo, int hi, int chunk) {
    for (int i = lo; i < hi; ++i) owner[static_cast<std::size_t>(i)] = chunk;
  });
  // Chunk c covers [c * n / chunks, (c + 1) * n / chunks): independent of
  // timing. Requests above the machine's thread limit are clamped to it.
  const int chunks = std::min(threads, mlprim::thread_limit());
  for (int i = 0; i < n; ++i) {
    const int expected = [&] {
      for (int c = 0; c < chunks; ++c)
        if (i >= c * n / chunks && i < (c + 1) * n / chunks) return c;
      return -2;
    }();
    REQUIRE(owner[static_cast<std::size_t>(i)] == expected);
  }
}

TEST_CASE("parallel_for_chunks never makes more chunks than indices", "[parallel]") {
  std::atomic<int> calls{0};
  mlprim::parallel_for_chunks(0, 1, 7, [&](int lo, int hi, int) {
    CHECK(hi - lo == 1);
    calls++;
  });
  CHECK(calls == 1);
}

TEST_CASE("thread counts: 0 means all, negative is rejected naming the caller", "[parallel]") {
  CHECK(mlprim::max_threads() >= 1);
  CHECK(mlprim::thread_limit() >= mlprim::max_threads());
  CHECK(mlprim::resolve_threads("fn", 0) == mlprim::max_threads());
  CHECK(mlprim::resolve_threads("fn", 3) == std::min(3, mlprim::thread_limit()));
  CHECK_THROWS_WITH(mlprim::resolve_threads("KDTree::knn", -2),
                    "mlprim::KDTree::knn: num_threads = -2 must be >= 0 (0 means all threads)");
  CHECK_THROWS_WITH(mlprim::parallel_for(0, 10, -1, [](int) {}),
                    "mlprim::parallel_for: num_threads = -1 must be >= 0 (0 means all threads)");
}

TEST_CASE("absurd thread counts are clamped to the machine's limit", "[parallel]") {
  // Regression: 100000 or 2^30 threads went to OpenMP unchecked.
  for (const int threads : {100000, 1 << 30, std::numeric_limits<int>::max()}) {
    CHECK(mlprim::resolve_threads("fn", threads) == mlprim::thread_limit());
    std::vector<std::atomic<int>> visits(1000);
    for (auto& v : visits) v = 0;
    mlprim::parallel_for(0, 1000, threads, [&](int i) { visits[static_cast<std::size_t>(i)]++; });
    int wrong = 0;
    for (auto& v : visits) wrong += v != 1;
    CHECK(wrong == 0);
  }
}

TEST_CASE("chunk bounds of a range near the index limit do not overflow", "[parallel]") {
  // Regression: chunk_bound computed c * length, which overflows (UB) for
  // the last chunk of a range of LLONG_MAX indices.
  const long long end = std::numeric_limits<long long>::max();
  std::vector<std::pair<long long, long long>> bounds(2, {-1, -1});
  mlprim::parallel_for_chunks(0LL, end, 2, [&](long long lo, long long hi, int c) {
    bounds[static_cast<std::size_t>(c)] = {lo, hi};
  });
  const int chunks = std::min(2, mlprim::thread_limit());
  CHECK(bounds[0].first == 0);
  CHECK(bounds[static_cast<std::size_t>(chunks - 1)].second == end);
  if (chunks == 2) {
    CHECK(bounds[0].second == end / 2);  // floor(1 * end / 2)
    CHECK(bounds[1].first == end / 2);
  }
}

TEST_CASE("parallel_for rejects end < begin", "[parallel]") {
  CHECK_THROWS_WITH(mlprim::parallel_for(5, 3, 1, [](int) {}),
                    "mlprim::parallel_for: end = 3 is less than begin = 5");
  CHECK_THROWS_AS(mlprim::parallel_for_chunks(5, 3, 2, [](int, int, int) {}),
                  std::invalid_argument);
}

TEST_CASE("an exception in the loop body reaches the caller", "[parallel]") {
  const int threads = GENERATE(1, 2, 7);
  CHECK_THROWS_WITH(mlprim::parallel_for(0, 1000, threads,
                                         [](int i) {
                                           if (i == 500) throw std::runtime_error("boom");
                                         }),
                    "boom");
}

TEST_CASE("nested parallel_for runs every inner index once", "[parallel]") {
  std::vector<std::atomic<int>> visits(40 * 30);
  for (auto& v : visits) v = 0;
  mlprim::parallel_for(0, 40, 2, [&](int i) {
    mlprim::parallel_for(0, 30, 2, [&](int j) { visits[static_cast<std::size_t>(i * 30 + j)]++; });
  });
  int wrong = 0;
  for (auto& v : visits) wrong += v != 1;
  CHECK(wrong == 0);
}
