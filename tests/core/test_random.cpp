#include <mlprim/core/random.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <set>
#include <stdexcept>
#include <vector>

#include "catch.hpp"

namespace {

constexpr int kDraws = 1000000;

struct Moments {
  double mean = 0, variance = 0;
};

template <class Draw>
Moments moments(Draw&& draw, int count = kDraws) {
  double sum = 0, sum_sq = 0;
  for (int i = 0; i < count; ++i) {
    const double x = draw();
    sum += x;
    sum_sq += x * x;
  }
  Moments m;
  m.mean = sum / count;
  m.variance = sum_sq / count - m.mean * m.mean;
  return m;
}

/// Pearson chi-square statistic of observed counts against equal expectation.
double chi_square_uniform(const std::vector<long>& counts) {
  long total = 0;
  for (long c : counts) total += c;
  const double expected = static_cast<double>(total) / static_cast<double>(counts.size());
  double chi2 = 0;
  for (long c : counts)
    chi2 += (static_cast<double>(c) - expected) * (static_cast<double>(c) - expected) / expected;
  return chi2;
}

}  // namespace

TEST_CASE("SplitMix64 reproduces the published reference outputs", "[random]") {
  // Seed 1234567: the test vector of the SplitMix64 reference (also on Rosetta Code).
  mlprim::SplitMix64 g(1234567);
  CHECK(g() == 6457827717110365317ULL);
  CHECK(g() == 3203168211198807973ULL);
  CHECK(g() == 9817491932198370423ULL);
  CHECK(g() == 4593380528125082431ULL);
  CHECK(g() == 16408922859458223821ULL);
  CHECK(mlprim::SplitMix64::mix(0) == 0);
}

TEST_CASE("xoshiro256** reproduces the reference outputs from state {1, 2, 3, 4}", "[random]") {
  // Outputs of the authors' xoshiro256starstar.c from s = {1, 2, 3, 4}.
  const std::array<std::uint64_t, 10> expected = {11520ULL,
                                                  0ULL,
                                                  1509978240ULL,
                                                  1215971899390074240ULL,
                                                  1216172134540287360ULL,
                                                  607988272756665600ULL,
                                                  16172922978634559625ULL,
                                                  8476171486693032832ULL,
                                                  10595114339597558777ULL,
                                                  2904607092377533576ULL};
  auto rng = mlprim::Rng::from_state({1, 2, 3, 4});
  for (std::uint64_t value : expected) CHECK(rng() == value);
}

TEST_CASE("Rng(seed) is xoshiro256** started from four SplitMix64(seed) outputs", "[random]") {
  mlprim::Rng seeded(1234567);
  auto explicit_state = mlprim::Rng::from_state({6457827717110365317ULL, 3203168211198807973ULL,
                                                 9817491932198370423ULL, 4593380528125082431ULL});
  CHECK(seeded.state() == explicit_state.state());
  for (int i = 0; i < 100; ++i) REQUIRE(seeded() == explicit_state());
}

TEST_CASE("golden values of Rng(42)", "[random]") {
  // From tests/data/core/random_golden.py, an independent implementation.
  SECTION("raw 64-bit outputs") {
    mlprim::Rng rng(42);
    CHECK(rng() == 1546998764402558742ULL);
    CHECK(rng() == 6990951692964543102ULL);
    CHECK(rng() == 12544586762248559009ULL);
    CHECK(rng() == 17057574109182124193ULL);
  }
  SECTION("uniform<double>: top 53 bits, exact") {
    mlprim::Rng rng(42);
    CHECK(rng.uniform<double>() == 0.08386297105988216);
    CHECK(rng.uniform<double>() == 0.3789802506626686);
    CHECK(rng.uniform<double>() == 0.6800434110281394);
  }
  SECTION("uniform<float>: top 24 bits, exact") {
    mlprim::Rng rng(42);
    CHECK(rng.uniform<float>() == 0.08386296033859253f);
    CHECK(rng.uniform<float>() == 0.37898021936416626f);
    CHECK(rng.uniform<float>() == 0.6800433993339539f);
  }
  SECTION("below(10): Lemire's method, exact") {
    mlprim::Rng rng(42);
    const std::array<std::uint64_t, 10> expected = {0, 3, 6, 9, 9, 7, 7, 8, 7, 5};
    for (std::uint64_t value : expected) CHECK(rng.below(10) == value);
  }
  SECTION("normal<double>: polar method (libm log, so to 1e-15)") {
    mlprim::Rng rng(42);
    const std::array<double, 4> expected = {-0.7262191382447857, -0.21119691823195985,
                                            0.2216227015035933, 0.5227716877560146};
    for (double value : expected) CHECK(rng.normal<double>() == Approx(value).epsilon(1e-15));
  }
}

TEST_CASE("uniform draws have the moments of the unit uniform distribution", "[random]") {
  mlprim::Rng rng(7);
  // Standard errors over 10^6 draws: mean 2.9e-4, variance 7.5e-5; allow ~5 sigma.
  const Moments d = moments([&] { return rng.uniform<double>(); });
  CHECK(d.mean == Approx(0.5).margin(1.5e-3));
  CHECK(d.variance == Approx(1.0 / 12.0).margin(4e-4));
  const Moments f = moments([&] { return static_cast<double>(rng.uniform<float>()); });
  CHECK(f.mean == Approx(0.5).margin(1.5e-3));
  CHECK(f.variance == Approx(1.0 / 12.0).margin(4e-4));

  double lo = 1, hi = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double x = rng.uniform<double>();
    lo = std::min(lo, x);
    hi = std::max(hi, x);
  }
  CHECK(lo >= 0.0);
  CHECK(hi < 1.0);

  const Moments scaled = moments([&] { return rng.uniform(-3.0, 5.0); });
  CHECK(scaled.mean == Approx(1.0).margin(1.2e-2));
  CHECK(scaled.variance == Approx(64.0 / 12.0).margin(2.5e-2));
}

TEST_CASE("normal draws have the moments of N(0, 1)", "[random]") {
  mlprim::Rng rng(11);
  double sum = 0, sum2 = 0, sum4 = 0;
  long beyond_196 = 0;
  for (int i = 0; i < kDraws; ++i) {
    const double x = rng.normal<double>();
    sum += x;
    sum2 += x * x;
    sum4 += x * x * x * x;
    beyond_196 += std::abs(x) > 1.959963984540054;
  }
  // Standard errors: mean 1e-3, E[x^2] 1.4e-3, E[x^4] 9.8e-3, tail 2.2e-4.
  CHECK(sum / kDraws == Approx(0.0).margin(5e-3));
  CHECK(sum2 / kDraws == Approx(1.0).margin(7e-3));
  CHECK(sum4 / kDraws == Approx(3.0).margin(5e-2));
  CHECK(static_cast<double>(beyond_196) / kDraws == Approx(0.05).margin(1.1e-3));

  const Moments shifted = moments([&] { return static_cast<double>(rng.normal(2.0f, 0.5f)); });
  CHECK(shifted.mean == Approx(2.0).margin(2.5e-3));
  CHECK(shifted.variance == Approx(0.25).margin(2e-3));
}

TEST_CASE("below(n) is unbiased for small, odd and large n", "[random]") {
  mlprim::Rng rng(3);
  SECTION("n = 10: chi-square over 10 cells") {
    std::vector<long> counts(10, 0);
    for (int i = 0; i < kDraws; ++i) counts[rng.below(10)]++;
    // 9 degrees of freedom: P(chi2 > 27.9) = 0.001.
    CHECK(chi_square_uniform(counts) < 27.9);
  }
  SECTION("n = 3 * 2^30: top-heavy range where modulo would be biased") {
    const std::uint64_t n = 3ULL << 30;
    std::vector<long> thirds(3, 0);
    for (int i = 0; i < kDraws; ++i) {
      const std::uint64_t x = rng.below(n);
      REQUIRE(x < n);
      thirds[x / (1ULL << 30)]++;
    }
    CHECK(chi_square_uniform(thirds) < 13.8);  // 2 dof, p = 0.001
  }
  SECTION("n = 2^40 + 7: the masked-rejection path") {
    const std::uint64_t n = (1ULL << 40) + 7;
    const Moments m = moments([&] {
      const std::uint64_t x = rng.below(n);
      REQUIRE(x < n);
      return static_cast<double>(x) / static_cast<double>(n);
    });
    CHECK(m.mean == Approx(0.5).margin(1.5e-3));
    CHECK(m.variance == Approx(1.0 / 12.0).margin(4e-4));
  }
  SECTION("n = 1 always gives 0") {
    for (int i = 0; i < 100; ++i) REQUIRE(rng.below(1) == 0);
  }
}

TEST_CASE("uniform_int covers the closed range, including negative and full ranges", "[random]") {
  mlprim::Rng rng(5);
  std::vector<long> counts(7, 0);
  for (int i = 0; i < 700000; ++i) {
    const int x = rng.uniform_int(-3, 3);
    REQUIRE(x >= -3);
    REQUIRE(x <= 3);
    counts[static_cast<std::size_t>(x + 3)]++;
  }
  CHECK(chi_square_uniform(counts) < 22.5);  // 6 dof, p = 0.001
  CHECK(rng.uniform_int(4, 4) == 4);
  const auto lo = std::numeric_limits<std::int64_t>::min();
  const auto hi = std::numeric_limits<std::int64_t>::max();
  bool negative = false, positive = false;
  for (int i = 0; i < 64; ++i) {
    const std::int64_t x = rng.uniform_int(lo, hi);
    negative |= x < 0;
    positive |= x > 0;
  }
  CHECK(negative);
  CHECK(positive);
}

TEST_CASE("bernoulli(p) has mean p", "[random]") {
  mlprim::Rng rng(9);
  const Moments m = moments([&] { return rng.bernoulli(0.3) ? 1.0 : 0.0; });
  CHECK(m.mean == Approx(0.3).margin(2.5e-3));
  CHECK_FALSE(rng.bernoulli(0.0));
  CHECK(rng.bernoulli(1.0));
}

TEST_CASE("shuffle and permutation give every order with equal probability", "[random]") {
  mlprim::Rng rng(13);
  std::map<std::vector<mlprim::Index>, long> seen;
  const int trials = 600000;
  for (int i = 0; i < trials; ++i) seen[mlprim::permutation(3, rng)]++;
  REQUIRE(seen.size() == 6);
  std::vector<long> counts;
  for (const auto& entry : seen) counts.push_back(entry.second);
  CHECK(chi_square_uniform(counts) < 20.5);  // 5 dof, p = 0.001

  std::vector<int> values(1000);
  for (int i = 0; i < 1000; ++i) values[static_cast<std::size_t>(i)] = i;
  mlprim::shuffle(values.begin(), values.end(), rng);
  std::vector<int> sorted = values;
  std::sort(sorted.begin(), sorted.end());
  for (int i = 0; i < 1000; ++i) REQUIRE(sorted[static_cast<std::size_t>(i)] == i);
  CHECK(values != sorted);
  CHECK(mlprim::permutation(0, rng).empty());
}

TEST_CASE("bootstrap_sample draws with replacement", "[random]") {
  mlprim::Rng rng(17);
  const mlprim::Index n = 100000;
  const auto sample = mlprim::bootstrap_sample(n, n, rng);
  REQUIRE(sample.size() == static_cast<std::size_t>(n));
  std::vector<int> count(static_cast<std::size_t>(n), 0);
  for (auto i : sample) {
    REQUIRE(i >= 0);
    REQUIRE(i < n);
    count[static_cast<std::size_t>(i)]++;
  }
  const double unique =
      static_cast<double>(std::count_if(count.begin(), count.end(), [](int c) { return c > 0; }));
  // A bootstrap sample of size n holds 1 - (1 - 1/n)^n ~ 1 - 1/e of the points.
  CHECK(unique / static_cast<double>(n) == Approx(1.0 - std::exp(-1.0)).margin(5e-3));
  CHECK(mlprim::bootstrap_sample(0, 0, rng).empty());
  CHECK(mlprim::bootstrap_sample(5, 12, rng).size() == 12);
}

TEST_CASE("sample_without_replacement gives distinct, uniformly chosen indices", "[random]") {
  mlprim::Rng rng(19);
  const auto pick = mlprim::sample_without_replacement(50, 20, rng);
  CHECK(pick.size() == 20);
  CHECK(std::set<mlprim::Index>(pick.begin(), pick.end()).size() == 20);
  std::vector<long> hits(10, 0);
  for (int t = 0; t < 100000; ++t)
    for (auto i : mlprim::sample_without_replacement(10, 3, rng))
      hits[static_cast<std::size_t>(i)]++;
  CHECK(chi_square_uniform(hits) < 27.9);
  CHECK(mlprim::sample_without_replacement(5, 5, rng).size() == 5);
  CHECK(mlprim::sample_without_replacement(5, 0, rng).empty());
}

TEST_CASE("streams: stream 0 is the seed itself, other streams differ", "[random]") {
  mlprim::Rng a(99), b = mlprim::Rng::stream(99, 0);
  for (int i = 0; i < 10; ++i) REQUIRE(a() == b());
  mlprim::Rng s1 = mlprim::Rng::stream(99, 1), s2 = mlprim::Rng::stream(99, 2);
  CHECK(s1.state() != s2.state());
  CHECK(s1.state() != mlprim::Rng(99).state());
}

TEST_CASE("fill_uniform and fill_normal fill row by row whatever the storage order", "[random]") {
  mlprim::RowMatrix<double> r(3, 4);
  mlprim::Matrix<double> c(3, 4);
  mlprim::Rng g1(23), g2(23);
  mlprim::fill_normal(r, g1);
  mlprim::fill_normal(c, g2);
  CHECK(r == mlprim::RowMatrix<double>(c));

  mlprim::Rng g3(23);
  mlprim::RowMatrix<double> expected(3, 4);
  for (int i = 0; i < 3; ++i)
    for (int j = 0; j < 4; ++j) expected(i, j) = g3.normal<double>();
  CHECK(r == expected);

  mlprim::RowMatrix<float> block = mlprim::RowMatrix<float>::Zero(4, 4);
  mlprim::Rng g4(5);
  mlprim::fill_uniform(block.topRightCorner(2, 2), g4, 1.0f, 2.0f);
  CHECK(block.topRightCorner(2, 2).minCoeff() >= 1.0f);
  CHECK(block.bottomRows(2).isZero());
  CHECK(block.topLeftCorner(2, 2).isZero());
}

TEST_CASE("random functions reject nonsense arguments", "[random]") {
  mlprim::Rng rng(1);
  CHECK_THROWS_WITH(rng.below(0), "mlprim::Rng::below: n = 0 must be positive");
  CHECK_THROWS_WITH(rng.uniform(2.0, 1.0), "mlprim::Rng::uniform: lo = 2 exceeds hi = 1");
  CHECK_THROWS_WITH(rng.uniform(0.0, std::numeric_limits<double>::infinity()),
                    "mlprim::Rng::uniform: hi = inf must be finite");
  CHECK_THROWS_WITH(rng.normal(0.0, -1.0), "mlprim::Rng::normal: stddev = -1 must be non-negative");
  CHECK_THROWS_WITH(rng.uniform_int(5, 4), "mlprim::Rng::uniform_int: lo = 5 exceeds hi = 4");
  CHECK_THROWS_WITH(rng.bernoulli(1.5), "mlprim::Rng::bernoulli: p = 1.5 must be in [0, 1]");
  CHECK_THROWS_WITH(mlprim::permutation(-1, rng),
                    "mlprim::permutation: n = -1 must be non-negative");
  CHECK_THROWS_WITH(mlprim::bootstrap_sample(0, 3, rng),
                    "mlprim::bootstrap_sample: n = 0 cannot supply size = 3 draws");
  CHECK_THROWS_WITH(mlprim::bootstrap_sample(4, -1, rng),
                    "mlprim::bootstrap_sample: size = -1 must be non-negative");
  CHECK_THROWS_WITH(mlprim::sample_without_replacement(3, 4, rng),
                    "mlprim::sample_without_replacement: k = 4 exceeds the population size n (3)");
  CHECK_THROWS_WITH(mlprim::Rng::from_state({0, 0, 0, 0}),
                    "mlprim::Rng::from_state: state = {0, 0, 0, 0} is degenerate");
}
