// The published sparse patterns: hand-listed index sets for N = 16 from the
// papers' definitions, the same sets whatever the block size, no kept
// block without a kept score, BigBird's seeded random blocks, and flash
// attention under each pattern against the reference with the definition
// expanded by the test into a dense mask.
#include <mlprim/attention.hpp>

#include <cmath>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "catch.hpp"
#include "matrix_checks.hpp"
#include "test_util.hpp"

namespace {

using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::test::random_matrix;

std::vector<Index> row_of(const mlprim::SparsityPattern& p, Index i) {
  std::vector<Index> keys;
  for (Index j = 0; j < p.cols(); ++j)
    if (p.keeps(i, j)) keys.push_back(j);
  return keys;
}

// The papers' definitions, written here independently of the library.
bool strided_a1(Index i, Index j, Index l) { return j <= i && j >= std::max<Index>(0, i - l); }
bool strided_a2(Index i, Index j, Index l) { return j <= i && (i - j) % l == 0; }
bool fixed_a1(Index i, Index j, Index l) { return j <= i && j / l == i / l; }
bool fixed_a2(Index i, Index j, Index l, Index c) { return j <= i && j % l >= l - c; }

/// Every score the definition keeps is kept, nothing else, and every kept
/// block holds a kept score.
template <class Definition>
void require_exact(const mlprim::SparsityPattern& p, const Definition& keeps) {
  Index wrong = 0, first_wrong = -1;
  for (Index i = 0; i < p.rows(); ++i)
    for (Index j = 0; j < p.cols(); ++j)
      if (p.keeps(i, j) != keeps(i, j) && wrong++ == 0) first_wrong = i * p.cols() + j;
  INFO("first wrong score at flat index " << first_wrong);
  REQUIRE(wrong == 0);
  for (Index b = 0; b < p.query_blocks(); ++b) {
    const auto [first, last] = p.kept(b);
    for (auto kb = first; kb != last; ++kb) {
      bool any = false;
      for (Index i = b * p.block_q(); i < std::min(p.rows(), (b + 1) * p.block_q()); ++i)
        for (Index j = *kb * p.block_k(); j < std::min(p.cols(), (*kb + 1) * p.block_k()); ++j)
          any = any || keeps(i, j);
      INFO("block (" << b << ", " << *kb << ")");
      REQUIRE(any);
    }
  }
}

}  // namespace

TEST_CASE("Sparse Transformer patterns: hand-listed rows for N = 16, stride 4",
          "[attention][sparsity][patterns]") {
  const auto strided = mlprim::strided_pattern(16, 4, 4);
  REQUIRE(row_of(strided, 9) == std::vector<Index>{1, 5, 6, 7, 8, 9});
  REQUIRE(row_of(strided, 2) == std::vector<Index>{0, 1, 2});
  REQUIRE(row_of(strided, 15) == std::vector<Index>{3, 7, 11, 12, 13, 14, 15});
  const auto heads = mlprim::strided_pattern_heads(16, 4, 4);
  REQUIRE(row_of(heads[0], 9) == std::vector<Index>{5, 6, 7, 8, 9});
  REQUIRE(row_of(heads[1], 9) == std::vector<Index>{1, 5, 9});
  const auto fixed = mlprim::fixed_pattern(16, 4, 1, 4);
  REQUIRE(row_of(fixed, 9) == std::vector<Index>{3, 7, 8, 9});
  REQUIRE(row_of(fixed, 5) == std::vector<Index>{3, 4, 5});
  REQUIRE(row_of(fixed, 15) == std::vector<Index>{3, 7, 11, 12, 13, 14, 15});
  REQUIRE(row_of(mlprim::fixed_pattern(16, 4, 2, 4), 9) == std::vector<Index>{2, 3, 6, 7, 8, 9});
  const auto fixed_heads = mlprim::fixed_pattern_heads(16, 4, 2, 4);
  REQUIRE(row_of(fixed_heads[0], 9) == std::vector<Index>{8, 9});
  REQUIRE(row_of(fixed_heads[1], 9) == std::vector<Index>{2, 3, 6, 7});
}

TEST_CASE("Longformer and BigBird patterns: hand-listed rows", "[attention][sparsity][patterns]") {
  const auto longformer = mlprim::longformer_pattern(16, 2, {0, 10}, 4);
  REQUIRE(row_of(longformer, 5) == std::vector<Index>{0, 3, 4, 5, 6, 7, 10});
  REQUIRE(row_of(longformer, 10).size() == 16);  // a global token sees everything
  REQUIRE(row_of(longformer, 14) == std::vector<Index>{0, 10, 12, 13, 14, 15});
  // BigBird, 8 blocks of 2: block 0 is global, window of one block each side,
  // one random block more.
  const auto bigbird = mlprim::bigbird_pattern(16, 2, 1, 1, 1, 42);
  REQUIRE(bigbird.kept_blocks() > 0);
  {
    const auto [first, last] = bigbird.kept(0);
    REQUIRE(last - first == 8);
  }
  for (Index b = 1; b < 8; ++b) {
    const auto [first, last] = bigbird.kept(b);
    const std::vector<Index> row(first, last);
    INFO("query block " << b);
    for (Index kb : {Index{0}, b - 1, b, std::min<Index>(b + 1, 7)})
      REQUIRE(std::count(row.begin(), row.end(), kb) == 1);
    const Index fixed_count = 1 + (b - 1 > 0 ? 1 : 0) + 1 + (b + 1 <= 7 ? 1 : 0);
    REQUIRE(static_cast<Index>(row.size()) == fixed_count + 1);  // one random block
  }
  // Seeded: the same seed, the same pattern; another seed moves a random block.
  const auto again = mlprim::bigbird_pattern(16, 2, 1, 1, 1, 42),
             other = mlprim::bigbird_pattern(16, 2, 1, 1, 1, 43);
  bool differs = false;
  for (Index b = 0; b < 8; ++b) {
    const auto [f1, l1] = bigbird.kept(b);
    const auto [f2, l2] = again.kept(b);
    const auto [f3, l3] = other.kept(b);
    REQUIRE(std::vector<Index>(f1, l1) == std::vector<Index>(f2, l2));
    differs = differs || std::vector<Index>(f1, l1) != std::vector<Index>(f3, l3);
  }
  REQUIRE(differs);
}

TEST_CASE("the patterns keep exactly their definitions for any block size",
          "[attention][sparsity][patterns]") {
  const Index n = 100;
  for (const Index block : {1, 3, 8, 64, 128}) {
    INFO("block " << block);
    for (const Index l : {1, 4, 7}) {
      INFO("stride " << l);
      require_exact(mlprim::strided_pattern(n, l, block),
                    [&](Index i, Index j) { return strided_a1(i, j, l) || strided_a2(i, j, l); });
      const auto heads = mlprim::strided_pattern_heads(n, l, block);
      require_exact(heads[0], [&](Index i, Index j) { return strided_a1(i, j, l); });
      require_exact(heads[1], [&](Index i, Index j) { return strided_a2(i, j, l); });
      for (const Index c : {Index{1}, l}) {
        require_exact(mlprim::fixed_pattern(n, l, c, block),
                      [&](Index i, Index j) { return fixed_a1(i, j, l) || fixed_a2(i, j, l, c); });
      }
    }
    const std::vector<Index> global = {3, 50, 99};
    require_exact(mlprim::longformer_pattern(n, 5, global, block), [&](Index i, Index j) {
      const bool g = std::count(global.begin(), global.end(), i) > 0 ||
                     std::count(global.begin(), global.end(), j) > 0;
      return std::abs(i - j) <= 5 || g;
    });
  }
}

TEST_CASE("flash attention under the published patterns equals the dense masked reference",
          "[attention][sparsity][patterns]") {
  const Index n = 200, d = 8;
  const auto q = random_matrix<double>(n, d, 1), k = random_matrix<double>(n, d, 2),
             v = random_matrix<double>(n, d, 3), d_out = random_matrix<double>(n, d, 4);
  struct Case {
    std::string name;
    mlprim::SparsityPattern pattern;
  };
  const std::vector<Case> cases = {{"strided", mlprim::strided_pattern(n, 7, 32)},
                                   {"fixed", mlprim::fixed_pattern(n, 16, 2, 32)},
                                   {"longformer", mlprim::longformer_pattern(n, 9, {0, 77}, 16)},
                                   {"bigbird", mlprim::bigbird_pattern(n, 16, 1, 1, 2, 5)}};
  for (const auto& c : cases) {
    INFO(c.name);
    RowMatrix<double> bias(n, n);
    for (Index i = 0; i < n; ++i)
      for (Index j = 0; j < n; ++j)
        bias(i, j) = c.pattern.keeps(i, j) ? 0.0 : -std::numeric_limits<double>::infinity();
    mlprim::AttentionOptions dense, sparse;
    dense.bias = bias;
    sparse.sparsity = c.pattern;
    const RowMatrix<double> want = mlprim::scaled_dot_product_attention(q, k, v, dense);
    const auto got = mlprim::flash_attention(q, k, v, sparse);
    REQUIRE((got.out - want).cwiseAbs().maxCoeff() <= 1e-12);
    const auto want_grad = mlprim::scaled_dot_product_attention_backward(q, k, v, d_out, dense);
    const auto g = mlprim::flash_attention_backward(q, k, v, got.out, d_out, got.lse, sparse);
    REQUIRE((g.dQ - want_grad.dQ).cwiseAbs().maxCoeff() <= 1e-11);
    REQUIRE((g.dK - want_grad.dK).cwiseAbs().maxCoeff() <= 1e-11);
    REQUIRE((g.dV - want_grad.dV).cwiseAbs().maxCoeff() <= 1e-11);
  }
}

TEST_CASE("pattern builders reject bad parameters", "[attention][sparsity][patterns]") {
  using mlprim::test::exception_message;
  REQUIRE_THAT(exception_message<std::invalid_argument>([] { mlprim::strided_pattern(16, 0); }),
               Catch::Contains("strided_pattern") && Catch::Contains("stride"));
  REQUIRE_THROWS_AS(mlprim::fixed_pattern(16, 4, 5), std::invalid_argument);
  REQUIRE_THROWS_AS(mlprim::fixed_pattern(16, 4, 0), std::invalid_argument);
  REQUIRE_THROWS_AS(mlprim::strided_pattern(16, 4, 0), std::invalid_argument);
  REQUIRE_THAT(exception_message<std::invalid_argument>([] {
                 mlprim::longformer_pattern(16, 2, {3, 16});
               }),
               Catch::Contains("global_tokens[1] = 16"));
  REQUIRE_THROWS_AS(mlprim::longformer_pattern(16, -1, {}), std::invalid_argument);
  REQUIRE_THROWS_AS(mlprim::bigbird_pattern(16, 2, -1, 1, 1, 0), std::invalid_argument);
  REQUIRE_THROWS_AS(mlprim::bigbird_pattern(16, 0, 1, 1, 1, 0), std::invalid_argument);
}
