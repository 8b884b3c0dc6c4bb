// Acceptance rules of speculative decoding: Medusa's typical acceptance on
// hand-built trees whose entropies and thresholds the test computes itself,
// speculative sampling's output distribution against the target's by a
// chi-square bound over 10^6 seeded trials, and the checks.
#include <mlprim/attention.hpp>

#include <cmath>
#include <vector>

#include "catch.hpp"
#include "test_util.hpp"

namespace {

using mlprim::Index;
using mlprim::RowMatrix;

/// Medusa's threshold min(epsilon, delta exp(-H(p))) of a distribution.
double typical_threshold(const std::vector<double>& p, double epsilon, double delta) {
  double h = 0;
  for (double x : p)
    if (x > 0) h -= x * std::log(x);
  return std::min(epsilon, delta * std::exp(-h));
}

RowMatrix<double> rows_of(const std::vector<std::vector<double>>& rows) {
  RowMatrix<double> m(static_cast<Index>(rows.size()), static_cast<Index>(rows[0].size()));
  for (std::size_t i = 0; i < rows.size(); ++i)
    for (std::size_t v = 0; v < rows[i].size(); ++v)
      m(static_cast<Index>(i), static_cast<Index>(v)) = rows[i][v];
  return m;
}

/// Pearson's chi-square of `counts` against probabilities p.
double chi_square(const std::vector<double>& counts, const std::vector<double>& p) {
  double total = 0, chi = 0;
  for (double c : counts) total += c;
  for (std::size_t v = 0; v < p.size(); ++v) {
    const double expected = total * p[v];
    chi += (counts[v] - expected) * (counts[v] - expected) / expected;
  }
  return chi;
}

}  // namespace

TEST_CASE("typical_acceptance: Medusa's rule on a hand-built tree", "[attention][speculative]") {
  // Candidates: 0 and 1 after the last accepted token; 2 and 3 after 0; 4 after 2.
  const mlprim::CandidateTree tree({-1, -1, 0, 0, 2}, {1, 2, 3, 0, 2});
  const std::vector<double> root = {0.1, 0.6, 0.2, 0.1}, after0 = {0.5, 0.3, 0.15, 0.05},
                            flat = {0.25, 0.25, 0.25, 0.25};
  const auto probs = rows_of({root, after0, flat, flat, {0.1, 0.2, 0.3, 0.4}, flat});
  // Node 0 is the greedy choice after the root (token 1), node 1 is not.
  // After node 0: H = 1.1421, 0.3 e^-H = 0.0957, so the threshold is 0.09:
  // token 0 (p 0.5) passes, token 3 (p 0.05) fails, and node 4 hangs under it.
  REQUIRE(typical_threshold(after0, 0.09, 0.3) == 0.09);
  const auto got = mlprim::typical_acceptance(probs, tree);
  REQUIRE(got.nodes == std::vector<Index>{0, 3});
  REQUIRE(got.length == 2);
  // Then the greedy token after node 3 (row 4: token 3).
  REQUIRE(got.tokens == std::vector<Index>{1, 0, 3});

  SECTION("the entropy term binds on a flat distribution") {
    // 20 equal tokens: 0.3 e^-H = 0.3 / 20 = 0.015 < 0.09, so p = 0.05 passes
    // although it is below epsilon.
    std::vector<double> wide(20, 0.05), sharp(20, 0.0);
    sharp[7] = 1.0;
    const double threshold = typical_threshold(wide, 0.09, 0.3);
    REQUIRE(std::abs(threshold - 0.015) < 1e-12);
    const mlprim::CandidateTree chain({-1, 0}, {7, 12});
    const auto p = rows_of({sharp, wide, wide});
    REQUIRE(mlprim::typical_acceptance(p, chain).nodes == std::vector<Index>{0, 1});
    mlprim::TypicalOptions strict;
    strict.posterior_alpha = 0.5;  // 0.5 / 20 = 0.025: still passes
    REQUIRE(mlprim::typical_acceptance(p, chain, strict).length == 2);
    strict.posterior_alpha = 1.2;  // min(0.09, 0.06) = 0.06 > 0.05: fails
    REQUIRE(mlprim::typical_acceptance(p, chain, strict).nodes == std::vector<Index>{0});
  }
  SECTION("temperature sharpens the distribution before the test") {
    // At T = 1 token 1 (p 0.3) after node 0 passes; at T = 0.25, p^4
    // normalised gives 0.3^4 / (0.5^4 + 0.3^4 + 0.15^4 + 0.05^4) = 0.1139,
    // still above 0.09; token 3 stays out either way. At T = 0.1 it drops to
    // 0.3^10 / sum = 0.0060, below every threshold.
    const mlprim::CandidateTree pair({-1, 0}, {1, 1});
    const auto p = rows_of({root, after0, flat});
    mlprim::TypicalOptions o;
    o.temperature = 0.25;
    const double w4 = std::pow(0.3, 4) /
                      (std::pow(0.5, 4) + std::pow(0.3, 4) + std::pow(0.15, 4) + std::pow(0.05, 4));
    REQUIRE(std::abs(w4 - 0.1139) < 1e-4);
    REQUIRE(mlprim::typical_acceptance(p, pair, o).length == 2);
    o.temperature = 0.1;
    REQUIRE(mlprim::typical_acceptance(p, pair, o).length == 1);
    o.temperature = 0;  // greedy: only the argmax (token 0) would pass
    REQUIRE(mlprim::typical_acceptance(p, pair, o).length == 1);
    const mlprim::CandidateTree argmax({-1, 0}, {1, 0});
    REQUIRE(mlprim::typical_acceptance(p, argmax, o).tokens == std::vector<Index>{1, 0, 0});
  }
  SECTION("equally long paths: the larger likelihood wins") {
    // 2 and 3 both follow node 0 and both pass; alone they tie in length,
    // and token 1 (p 0.3) beats token 2 (p 0.15).
    const mlprim::CandidateTree fork({-1, 0, 0}, {1, 2, 1});
    const auto p = rows_of({root, after0, flat, flat});
    REQUIRE(mlprim::typical_acceptance(p, fork).nodes == std::vector<Index>{0, 2});
  }
  SECTION("nothing accepted still yields the greedy token") {
    const mlprim::CandidateTree miss({-1}, {3});
    const auto got_miss = mlprim::typical_acceptance(rows_of({root, flat}), miss);
    REQUIRE(got_miss.length == 0);
    REQUIRE(got_miss.tokens == std::vector<Index>{1});
  }
}

TEST_CASE("speculative_accept: the output is distributed as the target model",
          "[attention][speculative]") {
  // Two drafted tokens over 6; the target's and the draft's rows differ
  // everywhere, with tokens where the draft over- and under-estimates.
  const std::vector<std::vector<double>> p = {{0.30, 0.05, 0.25, 0.10, 0.20, 0.10},
                                              {0.10, 0.40, 0.05, 0.05, 0.30, 0.10},
                                              {0.20, 0.20, 0.20, 0.15, 0.15, 0.10}};
  const std::vector<std::vector<double>> q = {{0.10, 0.30, 0.20, 0.20, 0.10, 0.10},
                                              {0.25, 0.15, 0.20, 0.10, 0.10, 0.20}};
  const auto target = rows_of(p), draft = rows_of(q);
  const Index trials = 1000000;
  std::vector<double> first(6), second(6), accepted(3);
  Index malformed = 0;  // results whose tokens are not the kept drafts + 1
  mlprim::Rng drafter(2024), verifier(7);
  auto draw = [&](const std::vector<double>& w) {
    double u = drafter.uniform<double>(), run = 0;
    for (std::size_t v = 0; v < w.size(); ++v)
      if (u < (run += w[v])) return static_cast<Index>(v);
    return static_cast<Index>(w.size() - 1);
  };
  for (Index trial = 0; trial < trials; ++trial) {
    const std::vector<Index> drafted = {draw(q[0]), draw(q[1])};
    const auto r = mlprim::speculative_accept(target, draft, drafted, verifier);
    malformed += static_cast<Index>(r.tokens.size()) != r.accepted + 1;
    first[static_cast<std::size_t>(r.tokens[0])] += 1;
    if (r.tokens.size() > 1) second[static_cast<std::size_t>(r.tokens[1])] += 1;
    accepted[static_cast<std::size_t>(r.accepted)] += 1;
  }
  REQUIRE(malformed == 0);
  // 5 degrees of freedom: P(chi2 > 30) = 1.5e-5. The draft's own rows as
  // the hypothesis must fail by far (the test has power).
  CHECK(chi_square(first, p[0]) < 30);
  CHECK(chi_square(second, p[1]) < 30);
  CHECK(chi_square(first, q[0]) > 1000);
  // The first draft is kept with probability sum_x min(p(x), q(x)) = 0.7
  // (Leviathan et al., Theorem 3.5's beta); both with 0.7 * 0.65.
  double beta0 = 0, beta1 = 0;
  for (std::size_t v = 0; v < 6; ++v) {
    beta0 += std::min(p[0][v], q[0][v]);
    beta1 += std::min(p[1][v], q[1][v]);
  }
  const double n = static_cast<double>(trials);
  const double kept_one = (accepted[1] + accepted[2]) / n, kept_two = accepted[2] / n;
  CHECK(std::abs(kept_one - beta0) < 5 * std::sqrt(beta0 * (1 - beta0) / n));
  CHECK(std::abs(kept_two - beta0 * beta1) < 5 * std::sqrt(beta0 * beta1 / n));
  // The same seed gives the same result.
  const std::vector<Index> drafted = {1, 0};
  const auto a = mlprim::speculative_accept(target, draft, drafted, std::uint64_t{99});
  const auto b = mlprim::speculative_accept(target, draft, drafted, std::uint64_t{99});
  REQUIRE(a.tokens == b.tokens);
}

TEST_CASE("speculative decoding rejects bad distributions, tokens and options",
          "[attention][speculative]") {
  using mlprim::test::exception_message;
  const auto target = rows_of({{0.5, 0.5}, {0.9, 0.1}});
  const auto draft = rows_of({{0.2, 0.8}});
  auto speculative = [&](const RowMatrix<double>& t, const RowMatrix<double>& d,
                         std::vector<Index> tokens) {
    return exception_message<std::invalid_argument>(
        [&] { mlprim::speculative_accept(t, d, tokens, std::uint64_t{1}); });
  };
  REQUIRE_THAT(speculative(rows_of({{0.5, 0.6}, {0.9, 0.1}}), draft, {0}),
               Catch::Contains("speculative_accept") && Catch::Contains("sums to 1.1"));
  REQUIRE_THAT(speculative(target, rows_of({{-0.1, 1.1}}), {1}),
               Catch::Contains("draft_probs(0, 0) = -0.1"));
  REQUIRE_THAT(speculative(target, draft, {2}), Catch::Contains("draft_tokens[0] = 2"));
  REQUIRE_THAT(speculative(target, rows_of({{0.0, 1.0}}), {0}),
               Catch::Contains("draft probability 0"));
  REQUIRE_THAT(speculative(target, draft, {0, 1}), Catch::Contains("gamma and gamma + 1"));
  REQUIRE_THROWS_AS(mlprim::CandidateTree({-1, 0}, {1}), std::invalid_argument);
  REQUIRE_THROWS_AS(mlprim::CandidateTree({-1, 1}, {1, 1}), std::invalid_argument);
  REQUIRE_THROWS_AS(mlprim::CandidateTree({-1}, {-3}), std::invalid_argument);
  const mlprim::CandidateTree tree({-1}, {1});
  REQUIRE_THAT(exception_message<std::invalid_argument>(
                   [&] { mlprim::typical_acceptance(target.topRows(1), tree); }),
               Catch::Contains("probs has 1 rows, the tree 1 candidates"));
  REQUIRE_THAT(exception_message<std::invalid_argument>(
                   [&] { mlprim::typical_acceptance(target, mlprim::CandidateTree({-1}, {5})); }),
               Catch::Contains("tokens[0] = 5"));
  mlprim::TypicalOptions o;
  o.temperature = -1;
  REQUIRE_THAT(exception_message<std::invalid_argument>(
                   [&] { mlprim::typical_acceptance(target, tree, o); }),
               Catch::Contains("temperature"));
}
