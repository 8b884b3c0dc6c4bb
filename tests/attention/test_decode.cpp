// KV-cache decoding: attention_decode against the reference attention of
// the same queries over the cache's keys and values (many 512-key splits,
// GQA, sinks, ALiBi, windows), token-by-token generation against full causal
// attention, and the cache's growth, rollback and checks.
#include <mlprim/attention.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "matrix_checks.hpp"
#include "catch.hpp"
#include "test_util.hpp"

namespace {

using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::test::random_matrix;

}  // namespace

TEMPLATE_TEST_CASE("attention_decode equals reference attention over the cache",
                   "[attention][decode]", float, double) {
  using T = TestType;
  const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
  const Index hq = 4, hkv = 2, d = 16, dv = 8, n = 1300, t = 3;
  mlprim::KVCacheParams config;
  config.layers = 2;
  config.heads = hkv;
  config.dim = d;
  config.dim_v = dv;
  mlprim::KVCache<T> cache(config);
  const auto keys = random_matrix<T>(n, hkv * d, 1), values = random_matrix<T>(n, hkv * dv, 2);
  for (Index start = 0; start < n; start += 97) {  // uneven appends force several reallocations
    const Index len = std::min<Index>(97, n - start);
    cache.append(1, keys.middleRows(start, len), values.middleRows(start, len));
  }
  REQUIRE(cache.size(1) == n);
  REQUIRE(cache.size(0) == 0);
  const auto q = random_matrix<T>(t, hq * d, 3);
  struct Case {
    std::string name;
    mlprim::BatchedAttentionOptions options;
  };
  std::vector<Case> cases(5);
  cases[0].name = "plain";
  cases[1].name = "causal";
  cases[1].options.causal = true;
  cases[2].name = "window of 600";
  cases[2].options.causal = true;
  cases[2].options.window_left = 600;
  cases[3].name = "ALiBi and sinks per head";
  cases[3].options.alibi_slopes = mlprim::alibi_slopes(hq);
  cases[3].options.sinks = {0.0, 3.0, -2.0, 1.0};
  cases[4].name = "window of 2: every split but the last skipped";
  cases[4].options.causal = true;
  cases[4].options.window_left = 2;
  for (const auto& c : cases)
    for (int threads : {1, 2}) {
      INFO(c.name << ", " << threads << " threads");
      auto o = c.options;
      o.num_threads = threads;
      const auto decoded = mlprim::attention_decode(q, cache, o, 1);
      const auto &got = decoded.out, &lse = decoded.lse;
      REQUIRE(lse.rows() == t);
      REQUIRE(lse.cols() == hq);
      for (Index h = 0; h < hq; ++h) {
        mlprim::AttentionOptions one = o;  // head h's slope and sink
        const auto u = static_cast<std::size_t>(h);
        if (!o.alibi_slopes.empty()) one.alibi_slope = o.alibi_slopes[u];
        if (!o.sinks.empty()) one.sink = o.sinks[u];
        const RowMatrix<double> kh = cache.keys(1, h / 2).template cast<double>();
        const RowMatrix<double> vh = cache.values(1, h / 2).template cast<double>();
        const RowMatrix<double> qh = q.middleCols(h * d, d).template cast<double>();
        const auto want = mlprim::flash_attention(qh, kh, vh, one);
        for (Index a = 0; a < t; ++a) {
          REQUIRE(std::abs(double(lse(a, h)) - want.lse(a)) <= tol * (1 + std::abs(want.lse(a))));
          for (Index cc = 0; cc < dv; ++cc)
            REQUIRE(std::abs(double(got(a, h * dv + cc)) - want.out(a, cc)) <=
                    tol * (1 + std::abs(want.out(a, cc))));
        }
      }
    }
}

TEST_CASE("generation token by token reproduces causal attention", "[attention][decode]") {
  const Index heads = 2, d = 8, n = 40;
  const auto q = random_matrix<double>(n, heads * d, 4), k = random_matrix<double>(n, heads * d, 5);
  const auto v = random_matrix<double>(n, heads * d, 6);
  mlprim::KVCacheParams config;
  config.heads = heads;
  config.dim = d;
  config.max_tokens = n;
  mlprim::KVCache<double> cache(config);
  mlprim::AttentionOptions o;
  o.causal = true;
  RowMatrix<double> stepped(n, heads * d);
  for (Index i = 0; i < n; ++i) {
    cache.append(0, k.row(i), v.row(i));
    stepped.row(i) = mlprim::attention_decode(q.row(i), cache, o).out;
  }
  for (Index h = 0; h < heads; ++h) {
    const RowMatrix<double> want = mlprim::scaled_dot_product_attention(
        q.middleCols(h * d, d), k.middleCols(h * d, d), v.middleCols(h * d, d), o);
    CHECK((stepped.middleCols(h * d, d) - want).norm() <= 1e-12 * want.norm());
  }
  CHECK(cache.capacity() == n);
  // Roll back the last 10 tokens and decode again: as if they were never there.
  cache.truncate(30);
  REQUIRE(cache.size() == 30);
  const RowMatrix<double> again = mlprim::attention_decode(q.row(29), cache, o).out;
  CHECK((again - stepped.row(29)).norm() <= 1e-14);
  auto message = [](auto&& fn) {
    return mlprim::test::exception_message<std::invalid_argument>(fn);
  };
  cache.append(0, k.middleRows(0, 10), v.middleRows(0, 10));
  CHECK(message([&] { cache.append(0, k.row(0), v.row(0)); }) ==
        "mlprim::KVCache::append: appending 1 tokens to 40 exceeds max_tokens = 40");
  CHECK(message([&] { cache.append(1, k.row(0), v.row(0)); }) ==
        "mlprim::KVCache::append: layer = 1 is outside [0, 1)");
  CHECK(message([&] { cache.append(0, k.row(0).head(5), v.row(0)); }) ==
        "mlprim::KVCache::append: keys.cols() = 5, heads * dim = 16");
  CHECK(message([&] { mlprim::attention_decode(RowMatrix<double>::Ones(1, 24), cache); }) ==
        "mlprim::attention_decode: heads_q = 3 is not a multiple of the cache's heads = 2");
  CHECK(message([&] { mlprim::attention_decode(RowMatrix<double>::Ones(1, 7), cache); }) ==
        "mlprim::attention_decode: q_new.cols() = 7 is not a positive multiple of dim = 8");
  cache.clear();
  CHECK(message([&] { mlprim::attention_decode(q.row(0), cache); }) ==
        "mlprim::attention_decode: q_new has 1 rows, the cache only 0 tokens (append first)");
  CHECK(message([&] { mlprim::KVCache<float>(mlprim::KVCacheParams{}); }) ==
        "mlprim::KVCache: dim = 0 must be positive");
}

TEST_CASE("a cache whose size overflows or exceeds memory is rejected", "[attention][decode]") {
  auto message = [](auto&& fn) {
    return mlprim::test::exception_message<std::invalid_argument>(fn);
  };
  mlprim::KVCacheParams config;
  config.dim = 4;
  // Regression: heads * tokens * dim overflowed, the storage stayed empty and
  // append() wrote through it (SIGSEGV).
  config.capacity = Index{1} << 62;
  CHECK(message([&] { mlprim::KVCache<float> cache(config); }) ==
        "mlprim::KVCache: layers * heads * tokens * dim = 1 * 1 * 4611686018427387904 * 4 "
        "overflows");
  // Regression: 2^40 tokens threw std::bad_alloc.
  config.capacity = Index{1} << 40;
  CHECK(message([&] { mlprim::KVCache<float> cache(config); })
            .find("mlprim::KVCache: capacity needs 8796093022208 x 4 bytes, more than this "
                  "machine's ") == 0);
  config.capacity = 0;
  mlprim::KVCache<float> cache(config);
  CHECK(message([&] {
          cache.reserve(Index{1} << 40);
        }).find("mlprim::KVCache::reserve: tokens needs") == 0);
  config.heads = Index{1} << 62;
  CHECK(message([&] { mlprim::KVCache<float> wide(config); }) ==
        "mlprim::KVCache: heads * dim = 4611686018427387904 * 4 overflows");
  // The cache still works after the rejected reserve.
  const auto k = random_matrix<float>(3, 4, 9);
  cache.append(0, k, k);
  CHECK(cache.size() == 3);
  CHECK(cache.keys(0, 0) == k);
}
