// Tree attention: decoding a draft tree in one call equals decoding each
// root-to-leaf path on its own against the same prefix; the mask's
// structure (ancestors, depths, paths) against hand-listed trees; and the
// checks.
#include <mlprim/attention.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "catch.hpp"
#include "matrix_checks.hpp"
#include "test_util.hpp"

namespace {

using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::test::random_matrix;

// A Medusa-style tree of 9 candidates: two children of the last accepted
// token (0, 1), their children, and a path of depth 3 (0 -> 2 -> 5 -> 8).
const std::vector<Index> medusa_parents = {-1, -1, 0, 0, 1, 2, 2, 3, 5};

}  // namespace

TEST_CASE("tree_attention_mask: ancestors, depths and paths of a hand-listed tree",
          "[attention][tree]") {
  const auto tree = mlprim::tree_attention_mask(medusa_parents);
  REQUIRE(tree.size() == 9);
  REQUIRE(tree.depths() == std::vector<Index>{0, 0, 1, 1, 1, 2, 2, 2, 3});
  REQUIRE(tree.path(8) == std::vector<Index>{0, 2, 5, 8});
  REQUIRE(tree.path(4) == std::vector<Index>{1, 4});
  REQUIRE(tree.path(1) == std::vector<Index>{1});
  // Row 8 sees exactly {0, 2, 5, 8}; row 4 exactly {1, 4}.
  for (Index j = 0; j < 9; ++j) {
    REQUIRE(tree.sees(8, j) == (j == 0 || j == 2 || j == 5 || j == 8));
    REQUIRE(tree.sees(4, j) == (j == 1 || j == 4));
  }
  REQUIRE(mlprim::tree_attention_mask({}).size() == 0);
}

TEMPLATE_TEST_CASE("tree attention decode equals decoding every path on its own",
                   "[attention][tree]", float, double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
  const Index hq = 4, hkv = 2, d = 16, dv = 8, prefix = 700;
  const auto tree = mlprim::tree_attention_mask(medusa_parents);
  const Index t = tree.size();
  const auto keys = random_matrix<T>(prefix + t, hkv * d, 11);
  const auto values = random_matrix<T>(prefix + t, hkv * dv, 12);
  const auto q = random_matrix<T>(t, hq * d, 13);
  mlprim::KVCacheParams config;
  config.heads = hkv;
  config.dim = d;
  config.dim_v = dv;
  mlprim::KVCache<T> cache(config);
  cache.append(0, keys, values);  // the prefix, then the candidates in tree order
  // The reference: the prefix and one path's candidates alone in a cache,
  // their rows decoded causally with `o`.
  auto decode_path = [&](const std::vector<Index>& path, mlprim::BatchedAttentionOptions o) {
    const Index m = static_cast<Index>(path.size());
    mlprim::KVCache<T> alone(config);
    alone.append(0, keys.topRows(prefix), values.topRows(prefix));
    RowMatrix<T> path_q(m, hq * d);
    for (Index a = 0; a < m; ++a) {
      const Index node = path[static_cast<std::size_t>(a)];
      alone.append(0, keys.row(prefix + node), values.row(prefix + node));
      path_q.row(a) = q.row(node);
    }
    o.causal = true;
    return mlprim::attention_decode(path_q, alone, o, 0);
  };
  for (const bool with_sinks : {false, true}) {
    mlprim::BatchedAttentionOptions o;
    if (with_sinks) o.sinks = {0.5, -1.0, 2.0, 0.0};
    const auto decoded = mlprim::attention_decode(q, cache, tree, o, 0);
    const auto &got = decoded.out, &lse = decoded.lse;
    REQUIRE(got.rows() == t);
    REQUIRE(got.cols() == hq * dv);
    for (const Index leaf : {4, 6, 7, 8}) {
      INFO("leaf " << leaf << (with_sinks ? ", sinks" : ""));
      const auto path = tree.path(leaf);
      const auto alone = decode_path(path, o);
      const auto &want = alone.out, &path_lse = alone.lse;
      for (Index a = 0; a < static_cast<Index>(path.size()); ++a) {
        const Index node = path[static_cast<std::size_t>(a)];
        mlprim::test::check_close(RowMatrix<T>(got.row(node)),
                                  RowMatrix<double>(want.row(a).template cast<double>()), tol);
        mlprim::test::check_close(RowMatrix<mlprim::AccumulatorT<T>>(lse.row(node)),
                                  RowMatrix<double>(path_lse.row(a).template cast<double>()), tol);
      }
    }
  }
  SECTION("a given bias adds to the tree's mask") {
    // Hiding prefix key 3 from candidate 8 by bias equals removing it from its path.
    RowMatrix<double> bias = RowMatrix<double>::Zero(t, prefix + t);
    bias(8, 3) = -std::numeric_limits<double>::infinity();
    mlprim::AttentionOptions o;
    o.bias = bias;
    const RowMatrix<T> got = mlprim::attention_decode(q, cache, tree, o).out;
    RowMatrix<double> bias_path = RowMatrix<double>::Zero(4, prefix + 4);
    bias_path(3, 3) = -std::numeric_limits<double>::infinity();
    mlprim::AttentionOptions on_path;
    on_path.bias = bias_path;
    const RowMatrix<T> want = decode_path(tree.path(8), on_path).out;
    mlprim::test::check_close(RowMatrix<T>(got.row(8)),
                              RowMatrix<double>(want.row(3).template cast<double>()), tol);
  }
}

TEST_CASE("tree attention rejects malformed trees and position-based options",
          "[attention][tree]") {
  using mlprim::test::exception_message;
  auto message = [](std::vector<Index> parents) {
    return exception_message<std::invalid_argument>(
        [&] { mlprim::tree_attention_mask(std::move(parents)); });
  };
  REQUIRE_THAT(message({-1, 1}),
               Catch::Contains("tree_attention_mask") && Catch::Contains("parents[1] = 1"));
  REQUIRE_THAT(message({-1, -2}), Catch::Contains("parents[1] = -2"));
  REQUIRE_THAT(message({2, -1, -1}), Catch::Contains("parents[0] = 2"));
  const auto tree = mlprim::tree_attention_mask({-1, 0, 0});
  REQUIRE_THROWS_AS(tree.path(3), std::invalid_argument);
  mlprim::KVCacheParams config;
  config.dim = 4;
  mlprim::KVCache<double> cache(config);
  const auto kv = random_matrix<double>(5, 4, 1);
  cache.append(0, kv, kv);
  const auto q = random_matrix<double>(3, 4, 2);
  mlprim::AttentionOptions window;
  window.window_left = 2;
  REQUIRE_THAT(exception_message<std::invalid_argument>(
                   [&] { mlprim::attention_decode(q, cache, tree, window); }),
               Catch::Contains("attention_decode") && Catch::Contains("window_left = 2"));
  mlprim::AttentionOptions alibi;
  alibi.alibi_slope = 0.5;
  REQUIRE_THROWS_AS(mlprim::attention_decode(q, cache, tree, alibi), std::invalid_argument);
  REQUIRE_THAT(exception_message<std::invalid_argument>(
                   [&] { mlprim::attention_decode(q.topRows(2), cache, tree); }),
               Catch::Contains("q_new has 2 rows, the tree 3 candidates"));
  const auto big = mlprim::tree_attention_mask({-1, 0, 1, 2, 3, 4});
  REQUIRE_THAT(exception_message<std::invalid_argument>(
                   [&] { mlprim::attention_decode(random_matrix<double>(6, 4, 3), cache, big); }),
               Catch::Contains("the cache only 5 tokens"));
  RowMatrix<double> bias = RowMatrix<double>::Zero(3, 4);
  mlprim::AttentionOptions wrong_bias;
  wrong_bias.bias = bias;
  REQUIRE_THAT(exception_message<std::invalid_argument>(
                   [&] { mlprim::attention_decode(q, cache, tree, wrong_bias); }),
               Catch::Contains("bias is 3 x 4, the scores 3 x 5"));
}
