// Block-sparse attention: flash forward and backward with a SparsityPattern
// equal the reference attention with the same pattern expanded by the test
// into a dense additive mask (-inf outside), across sizes that are not
// multiples of the blocks, Nq != Nk, element rules, every other mask and
// score option, empty rows and thread counts; and the pattern's checks.
#include <mlprim/attention.hpp>

#include <cmath>
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
constexpr double minus_inf = -std::numeric_limits<double>::infinity();

/// A seeded random block mask of about `density` (a given query block may
/// be left empty on purpose).
mlprim::Matrix<bool> random_blocks(Index qb, Index kb, double density, std::uint64_t seed,
                                   Index empty_block = -1) {
  mlprim::Rng rng(seed);
  mlprim::Matrix<bool> kept(qb, kb);
  for (Index b = 0; b < qb; ++b)
    for (Index k = 0; k < kb; ++k) kept(b, k) = b != empty_block && rng.uniform<double>() < density;
  return kept;
}

/// The dense additive mask of a block mask with an optional element rule,
/// computed from the block matrix directly: 0 kept, -inf dropped.
template <class Rule>
RowMatrix<double> expand(const mlprim::Matrix<bool>& kept, Index nq, Index nk, Index bq, Index bk,
                         const Rule& rule) {
  RowMatrix<double> bias(nq, nk);
  for (Index i = 0; i < nq; ++i)
    for (Index j = 0; j < nk; ++j)
      bias(i, j) = kept(i / bq, j / bk) && rule(i, j) ? 0.0 : minus_inf;
  return bias;
}

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

}  // namespace

TEMPLATE_TEST_CASE("flash attention with a sparsity pattern equals the dense masked reference",
                   "[attention][sparsity]", float, double) {
  using T = TestType;
  const double tol = tolerance<T>();
  const Index nq = 150, nk = 170, d = 16, dv = 12, bq = 32, bk = 16;
  const Index qb = (nq + bq - 1) / bq, kb = (nk + bk - 1) / bk;
  const auto q = random_matrix<T>(nq, d, 1), k = random_matrix<T>(nk, d, 2),
             v = random_matrix<T>(nk, dv, 3), d_out = random_matrix<T>(nq, dv, 4);
  const auto kept = random_blocks(qb, kb, 0.35, 5, /*empty_block=*/2);
  std::vector<std::vector<Index>> lists(static_cast<std::size_t>(qb));
  for (Index b = 0; b < qb; ++b)
    for (Index kk = 0; kk < kb; ++kk)
      if (kept(b, kk)) lists[static_cast<std::size_t>(b)].push_back(kk);
  auto all = [](Index, Index) { return true; };
  auto strided = [](Index i, Index j) { return (i - j) % 3 == 0; };
  struct Case {
    std::string name;
    mlprim::AttentionOptions options;
    bool rule;
  };
  std::vector<Case> cases(6);
  cases[0].name = "blocks only";
  cases[1].name = "with causal";
  cases[1].options.causal = true;
  cases[2].name = "with a window, ALiBi and a sink";
  cases[2].options.window_left = 40;
  cases[2].options.window_right = 10;
  cases[2].options.alibi_slope = 0.05;
  cases[2].options.sink = 0.5;
  cases[3].name = "with softcap and a scale";
  cases[3].options.softcap = 2.0;
  cases[3].options.scale = 0.4;
  cases[4].name = "element rule";
  cases[4].rule = true;
  cases[5].name = "element rule and causal";
  cases[5].rule = true;
  cases[5].options.causal = true;
  for (auto& c : cases) {
    INFO(c.name);
    const RowMatrix<double> bias =
        c.rule ? expand(kept, nq, nk, bq, bk, strided) : expand(kept, nq, nk, bq, bk, all);
    auto dense = c.options;
    dense.bias = bias;
    const RowMatrix<double> want = mlprim::scaled_dot_product_attention(
        q.template cast<double>(), k.template cast<double>(), v.template cast<double>(), dense);
    const auto want_lse =
        mlprim::flash_attention(q.template cast<double>(), k.template cast<double>(),
                                v.template cast<double>(), dense)
            .lse;
    const auto want_grad = mlprim::scaled_dot_product_attention_backward(
        q.template cast<double>(), k.template cast<double>(), v.template cast<double>(),
        d_out.template cast<double>(), dense);
    // The boolean form, or the lists with the rule.
    auto sparse = c.options;
    sparse.sparsity = c.rule ? mlprim::block_mask_pattern(lists, nq, nk, bq, bk, strided)
                             : mlprim::block_mask_pattern(kept, nq, nk, bq, bk);
    RowMatrix<T> first_out;
    for (int threads : {1, 2}) {
      sparse.num_threads = threads;
      const auto got = mlprim::flash_attention(q, k, v, sparse);
      mlprim::test::check_close(got.out, want, tol);
      mlprim::test::check_close(RowMatrix<mlprim::AccumulatorT<T>>(got.lse.transpose()),
                                RowMatrix<double>(want_lse.transpose()), tol);
      // Query block 2 keeps nothing: zeros and lse = -inf (unless a sink).
      if (!c.options.sink) {
        REQUIRE(got.out.middleRows(2 * bq, bq).isZero(0));
        REQUIRE(got.lse(2 * bq) == -std::numeric_limits<mlprim::AccumulatorT<T>>::infinity());
      }
      if (threads == 1)
        first_out = got.out;
      else
        REQUIRE(got.out == first_out);
      const auto g = mlprim::flash_attention_backward(q, k, v, got.out, d_out, got.lse, sparse);
      mlprim::test::check_close(g.dQ, want_grad.dQ, 10 * tol);
      mlprim::test::check_close(g.dK, want_grad.dK, 10 * tol);
      mlprim::test::check_close(g.dV, want_grad.dV, 10 * tol);
    }
    // The reference honours the pattern itself too.
    const RowMatrix<double> ref_sparse = mlprim::scaled_dot_product_attention(
        q.template cast<double>(), k.template cast<double>(), v.template cast<double>(), sparse);
    mlprim::test::check_close(ref_sparse, want, 1e-12);
  }
}

TEST_CASE("SparsityPattern: compressed rows, their transpose and runs", "[attention][sparsity]") {
  // 3 query blocks of 4 rows over 10 keys in blocks of 4 (the last of 2).
  const mlprim::SparsityPattern p(12, 10, 4, 4, {{0, 1}, {}, {1, 2}});
  REQUIRE(p.query_blocks() == 3);
  REQUIRE(p.key_blocks() == 3);
  REQUIRE(p.kept_blocks() == 4);
  REQUIRE(p.keeps(0, 7));
  REQUIRE(!p.keeps(0, 8));
  REQUIRE(!p.keeps(5, 0));
  REQUIRE(p.keeps(11, 9));
  const auto [first, last] = p.keeping(1);
  REQUIRE(std::vector<Index>(first, last) == std::vector<Index>{0, 2});
  std::vector<std::pair<Index, Index>> runs;
  p.for_each_key_run(2, 0, 10, [&](Index a, Index b) { runs.emplace_back(a, b); });
  REQUIRE(runs == std::vector<std::pair<Index, Index>>{{4, 10}});  // blocks 1-2, clipped at 10
  runs.clear();
  p.for_each_key_run(0, 2, 6, [&](Index a, Index b) { runs.emplace_back(a, b); });
  REQUIRE(runs == std::vector<std::pair<Index, Index>>{{2, 6}});
  runs.clear();
  p.for_each_query_run(1, [&](Index a, Index b) { runs.emplace_back(a, b); });
  REQUIRE(runs == std::vector<std::pair<Index, Index>>{{0, 4}, {8, 12}});
}

TEST_CASE("sparsity patterns reject bad blocks and mismatched calls", "[attention][sparsity]") {
  using mlprim::test::exception_message;
  auto message = [](Index bq, Index bk, std::vector<std::vector<Index>> kept) {
    return exception_message<std::invalid_argument>(
        [&] { mlprim::SparsityPattern(8, 8, bq, bk, kept); });
  };
  REQUIRE_THAT(message(0, 4, {}), Catch::Contains("SparsityPattern") && Catch::Contains("block_q"));
  REQUIRE_THAT(message(4, 0, {{}, {}}), Catch::Contains("block_k"));
  REQUIRE_THAT(message(4, 4, {{0}}), Catch::Contains("kept has 1 lists"));
  REQUIRE_THAT(message(4, 4, {{0, 2}, {}}), Catch::Contains("kept[0][1] = 2 is outside"));
  REQUIRE_THAT(message(4, 4, {{1, 0}, {}}), Catch::Contains("kept[0] is not sorted"));
  REQUIRE_THAT(message(4, 4, {{1, 1}, {}}), Catch::Contains("not sorted and distinct"));
  mlprim::Matrix<bool> blocks(2, 3);
  REQUIRE_THROWS_AS(mlprim::block_mask_pattern(blocks, 8, 8, 4, 4), std::invalid_argument);
  const auto q = random_matrix<double>(8, 4, 1);
  mlprim::AttentionOptions o;
  o.sparsity = mlprim::SparsityPattern(16, 8, 4, 4, {{0}, {1}, {}, {}});
  REQUIRE_THAT(
      exception_message<std::invalid_argument>([&] { mlprim::flash_attention(q, q, q, o); }),
      Catch::Contains("sparsity was built for 16 x 8 scores, the call has 8 x 8"));
}

TEMPLATE_TEST_CASE("attention_decode reads a sparsity pattern over positions",
                   "[attention][sparsity][decode]", float, double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
  const Index hq = 2, d = 16, n = 1300, t = 3;
  mlprim::KVCacheParams config;
  config.heads = 1;
  config.dim = d;
  mlprim::KVCache<T> cache(config);
  const auto keys = random_matrix<T>(n, d, 21), values = random_matrix<T>(n, d, 22);
  cache.append(0, keys, values);
  const auto q = random_matrix<T>(t, hq * d, 23);
  // Built for a longer generation than the cache holds so far.
  const std::vector<mlprim::SparsityPattern> patterns = {
      mlprim::strided_pattern(1400, 37, 64), mlprim::bigbird_pattern(1400, 64, 1, 1, 2, 9)};
  for (const bool per_head : {false, true}) {
    INFO((per_head ? "one pattern per head" : "one pattern for all heads"));
    mlprim::BatchedAttentionOptions o;
    o.causal = true;
    if (per_head)
      o.sparsities = patterns;
    else
      o.sparsity = patterns[0];
    const auto decoded = mlprim::attention_decode(q, cache, o, 0);
    const auto &got = decoded.out, &lse = decoded.lse;
    for (Index h = 0; h < hq; ++h) {
      const auto& pattern = patterns[per_head ? static_cast<std::size_t>(h) : 0];
      RowMatrix<double> bias(t, n);
      for (Index a = 0; a < t; ++a)
        for (Index j = 0; j < n; ++j) bias(a, j) = pattern.keeps(n - t + a, j) ? 0.0 : minus_inf;
      mlprim::AttentionOptions dense;
      dense.causal = true;
      dense.bias = bias;
      const auto want = mlprim::flash_attention(q.middleCols(h * d, d).template cast<double>(),
                                                keys.template cast<double>(),
                                                values.template cast<double>(), dense);
      for (Index a = 0; a < t; ++a) {
        REQUIRE(std::abs(double(lse(a, h)) - want.lse(a)) <= tol * (1 + std::abs(want.lse(a))));
        for (Index c = 0; c < d; ++c)
          REQUIRE(std::abs(double(got(a, h * d + c)) - want.out(a, c)) <=
                  tol * (1 + std::abs(want.out(a, c))));
      }
    }
  }
  mlprim::AttentionOptions short_pattern;
  short_pattern.sparsity = mlprim::strided_pattern(1000, 37);
  REQUIRE_THAT(
      mlprim::test::exception_message<std::invalid_argument>(
          [&] { mlprim::attention_decode(q, cache, short_pattern); }),
      Catch::Contains("sparsity was built for 1000 x 1000 positions, the cache holds 1300"));
}

TEST_CASE("batched flash attention takes one pattern per head", "[attention][sparsity]") {
  const Index batch = 2, seq = 100, hq = 2, hkv = 1, d = 8;
  mlprim::AttentionShape shape;
  shape.batch = batch;
  shape.seq_q = seq;
  shape.heads_q = hq;
  shape.heads_kv = hkv;
  shape.dim = d;
  const auto q = random_matrix<double>(batch * seq, hq * d, 31),
             k = random_matrix<double>(batch * seq, hkv * d, 32),
             v = random_matrix<double>(batch * seq, hkv * d, 33),
             d_out = random_matrix<double>(batch * seq, hq * d, 34);
  mlprim::BatchedAttentionOptions o;
  o.sparsities = {mlprim::longformer_pattern(seq, 5, {0}, 16),
                  mlprim::fixed_pattern(seq, 10, 2, 16)};
  RowMatrix<double> out(batch * seq, hq * d), dq(batch * seq, hq * d), dk(batch * seq, hkv * d),
      dv(batch * seq, hkv * d);
  const auto forward = mlprim::flash_attention(q.data(), k.data(), v.data(), out.data(), shape, o);
  mlprim::flash_attention_backward(q.data(), k.data(), v.data(), out.data(), d_out.data(),
                                   forward.lse, dq.data(), dk.data(), dv.data(), shape, o);
  for (Index b = 0; b < batch; ++b) {
    RowMatrix<double> dk_sum = RowMatrix<double>::Zero(seq, d), dv_sum = dk_sum;
    for (Index h = 0; h < hq; ++h) {
      mlprim::AttentionOptions one;
      one.sparsity = o.sparsities[static_cast<std::size_t>(h)];
      const RowMatrix<double> qh = q.block(b * seq, h * d, seq, d),
                              kh = k.block(b * seq, 0, seq, d), vh = v.block(b * seq, 0, seq, d),
                              dh = d_out.block(b * seq, h * d, seq, d);
      const auto want = mlprim::flash_attention(qh, kh, vh, one);
      REQUIRE((out.block(b * seq, h * d, seq, d) - want.out).cwiseAbs().maxCoeff() <= 1e-14);
      REQUIRE((forward.lse.col(h).segment(b * seq, seq) - want.lse).cwiseAbs().maxCoeff() <= 1e-14);
      const auto g = mlprim::flash_attention_backward(qh, kh, vh, want.out, dh, want.lse, one);
      REQUIRE((dq.block(b * seq, h * d, seq, d) - g.dQ).cwiseAbs().maxCoeff() <= 1e-13);
      dk_sum += g.dK;
      dv_sum += g.dV;
    }
    REQUIRE((dk.block(b * seq, 0, seq, d) - dk_sum).cwiseAbs().maxCoeff() <= 1e-13);
    REQUIRE((dv.block(b * seq, 0, seq, d) - dv_sum).cwiseAbs().maxCoeff() <= 1e-13);
  }
  o.sparsities.pop_back();
  REQUIRE_THAT(mlprim::test::exception_message<std::invalid_argument>([&] {
                 mlprim::flash_attention(q.data(), k.data(), v.data(), out.data(), shape, o);
               }),
               Catch::Contains("sparsities has 1 patterns, heads_q = 2"));
}
