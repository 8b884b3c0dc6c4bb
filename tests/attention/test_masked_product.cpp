// Masked keys contribute exactly nothing (detail/masked_product.hpp): a NaN
// or infinity in the K or V row of a key that a query cannot see, or in the
// dO row of a query, must not reach the outputs and gradients of rows that do
// not see it, in every kernel, and the kernels that are documented as equal
// must stay equal. Each case compares against the same call with the
// offending row replaced by zeros: the rows that never see it must match bit
// for bit. Also the window, sink, scale and chunk edge values.
#include <mlprim/attention.hpp>

#include <cmath>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "matrix_checks.hpp"
#include "catch.hpp"
#include "test_util.hpp"

namespace {

using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::test::random_matrix;

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr Index int_max = std::numeric_limits<Index>::max();

/// x with row r set to `value` (zeros for the clean reference).
RowMatrix<double> with_row(RowMatrix<double> x, Index r, double value) {
  x.row(r).setConstant(value);
  return x;
}

/// Rows [0, first_seeing) of got equal those of clean exactly; rows from
/// first_seeing on are not all finite (they see the bad key).
void check_rows(const RowMatrix<double>& got, const RowMatrix<double>& clean, Index first_seeing) {
  REQUIRE(got.rows() == clean.rows());
  for (Index i = 0; i < got.rows(); ++i) {
    INFO("row " << i);
    if (i < first_seeing)
      CHECK(got.row(i) == clean.row(i));
    else
      CHECK_FALSE(got.row(i).allFinite());
  }
}

/// One causal head: N rows over two flash query tiles, bad key in the second.
struct Problem {
  Index n = 150, d = 8, bad = 100;
  RowMatrix<double> q = random_matrix<double>(150, 8, 1), k = random_matrix<double>(150, 8, 2),
                    v = random_matrix<double>(150, 4, 3), d_out = random_matrix<double>(150, 4, 4);
};

mlprim::AttentionOptions causal() {
  mlprim::AttentionOptions o;
  o.causal = true;
  return o;
}

}  // namespace

TEST_CASE("a non-finite value at a masked key stays out of softmax attention", "[attention]") {
  // Regression: 0 * NaN made every row of the tile NaN (flash), every row
  // (reference, decode); V(b) = kInf made the rows before b NaN.
  const Problem p;
  for (const double bad : {kNaN, kInf, -kInf}) {
    INFO("V(b) = " << bad);
    const auto dirty = with_row(p.v, p.bad, bad), clean = with_row(p.v, p.bad, 0);
    check_rows(mlprim::flash_attention(p.q, p.k, dirty, causal()).out,
               mlprim::flash_attention(p.q, p.k, clean, causal()).out, p.bad);
    check_rows(mlprim::scaled_dot_product_attention(p.q, p.k, dirty, causal()),
               mlprim::scaled_dot_product_attention(p.q, p.k, clean, causal()), p.bad);
  }
  for (const double bad : {kNaN, kInf}) {
    INFO("K(b) = " << bad);
    const auto dirty = with_row(p.k, p.bad, bad), clean = with_row(p.k, p.bad, 0);
    check_rows(mlprim::flash_attention(p.q, dirty, p.v, causal()).out,
               mlprim::flash_attention(p.q, clean, p.v, causal()).out, p.bad);
    check_rows(mlprim::scaled_dot_product_attention(p.q, dirty, p.v, causal()),
               mlprim::scaled_dot_product_attention(p.q, clean, p.v, causal()), p.bad);
  }
}

TEST_CASE("masked non-finite keys and values stay out of the backward passes", "[attention]") {
  // Regression: flash backward's dQ (and the reference's) turned NaN in every
  // row of a tile holding a NaN K or V at a masked key.
  const Problem p;
  const auto o = causal();
  auto run = [&](const RowMatrix<double>& k, const RowMatrix<double>& v) {
    const auto fwd = mlprim::flash_attention(p.q, k, v, o);
    return std::pair{mlprim::flash_attention_backward(p.q, k, v, fwd.out, p.d_out, fwd.lse, o),
                     mlprim::scaled_dot_product_attention_backward(p.q, k, v, p.d_out, o)};
  };
  for (const double bad : {kNaN, kInf}) {
    INFO("V(b) = " << bad);
    const auto [flash, reference] = run(p.k, with_row(p.v, p.bad, bad));
    const auto [flash_clean, reference_clean] = run(p.k, with_row(p.v, p.bad, 0));
    check_rows(flash.dQ, flash_clean.dQ, p.bad);
    check_rows(reference.dQ, reference_clean.dQ, p.bad);
    CHECK(flash.dV == flash_clean.dV);  // P does not depend on V
    CHECK(reference.dV == reference_clean.dV);
  }
  for (const double bad : {kNaN, kInf}) {
    INFO("K(b) = " << bad);
    const auto [flash, reference] = run(with_row(p.k, p.bad, bad), p.v);
    const auto [flash_clean, reference_clean] = run(with_row(p.k, p.bad, 0), p.v);
    check_rows(flash.dQ, flash_clean.dQ, p.bad);
    check_rows(reference.dQ, reference_clean.dQ, p.bad);
  }
  SECTION("a NaN in dO reaches only the keys its query sees") {
    const Index row = 40;
    const auto fwd = mlprim::flash_attention(p.q, p.k, p.v, o);
    const auto dirty = with_row(p.d_out, row, kNaN), clean = with_row(p.d_out, row, 0);
    const auto flash = mlprim::flash_attention_backward(p.q, p.k, p.v, fwd.out, dirty, fwd.lse, o);
    const auto flash_clean =
        mlprim::flash_attention_backward(p.q, p.k, p.v, fwd.out, clean, fwd.lse, o);
    const auto reference = mlprim::scaled_dot_product_attention_backward(p.q, p.k, p.v, dirty, o);
    const auto reference_clean =
        mlprim::scaled_dot_product_attention_backward(p.q, p.k, p.v, clean, o);
    for (Index j = 0; j < p.n; ++j) {
      INFO("key " << j);
      for (const auto* g : {&flash, &reference}) {
        const auto& c = g == &flash ? flash_clean : reference_clean;
        if (j <= row) {
          CHECK(g->dV.row(j).hasNaN());
        } else {
          CHECK(g->dV.row(j) == c.dV.row(j));
          CHECK(g->dK.row(j) == c.dK.row(j));
        }
      }
    }
  }
}

TEST_CASE("keys masked by a bias of -inf contribute nothing, whatever they hold", "[attention]") {
  // A padding mask: key 7 hidden from every query by the bias.
  const Index n = 20;
  auto q = random_matrix<double>(n, 8, 11), k = random_matrix<double>(n, 8, 12),
       v = random_matrix<double>(n, 4, 13), d_out = random_matrix<double>(n, 4, 14);
  RowMatrix<double> bias = RowMatrix<double>::Zero(n, n);
  bias.col(7).setConstant(-kInf);
  mlprim::AttentionOptions o;
  o.bias = bias;
  const auto kd = with_row(k, 7, kNaN), vd = with_row(v, 7, kInf);
  const auto kc = with_row(k, 7, 0), vc = with_row(v, 7, 0);
  for (const bool softcap : {false, true}) {
    o.softcap = softcap ? 5.0 : 0.0;
    INFO("softcap = " << o.softcap);
    const auto fwd = mlprim::flash_attention(q, kd, vd, o),
               fwd_clean = mlprim::flash_attention(q, kc, vc, o);
    CHECK(fwd.out == fwd_clean.out);
    CHECK(mlprim::scaled_dot_product_attention(q, kd, vd, o) ==
          mlprim::scaled_dot_product_attention(q, kc, vc, o));
    const auto g = mlprim::flash_attention_backward(q, kd, vd, fwd.out, d_out, fwd.lse, o);
    const auto gc =
        mlprim::flash_attention_backward(q, kc, vc, fwd_clean.out, d_out, fwd_clean.lse, o);
    CHECK(g.dQ == gc.dQ);
    CHECK(g.dV == gc.dV);
    const auto r = mlprim::scaled_dot_product_attention_backward(q, kd, vd, d_out, o);
    const auto rc = mlprim::scaled_dot_product_attention_backward(q, kc, vc, d_out, o);
    CHECK(r.dQ == rc.dQ);
    CHECK(r.dV == rc.dV);
  }
}

TEST_CASE("decoding leaves a masked non-finite value out", "[attention][decode]") {
  const Index heads = 2, d = 8, n = 600, t = 12;  // two 512-key splits
  const auto k = random_matrix<double>(n, heads * d, 21),
             q = random_matrix<double>(t, heads * d, 22);
  const auto v = random_matrix<double>(n, heads * d, 23);
  auto decode = [&](const RowMatrix<double>& values) {
    mlprim::KVCacheParams config;
    config.heads = heads;
    config.dim = d;
    mlprim::KVCache<double> cache(config);
    cache.append(0, k, values);
    return mlprim::attention_decode(q, cache, causal()).out;
  };
  const Index bad = n - t + 5;  // the 6th new token: rows 0..4 do not see it
  for (const double value : {kNaN, kInf}) {
    INFO("V(b) = " << value);
    check_rows(decode(with_row(v, bad, value)), decode(with_row(v, bad, 0)), 5);
  }
}

TEST_CASE("chunked linear attention leaves later non-finite values out of a chunk",
          "[attention][linear]") {
  // Regression: the whole chunk turned NaN, so the recurrent and chunked
  // forms, documented as equal, disagreed.
  const Index n = 150, bad = 100;  // chunk 64: row 100 sits in the second chunk
  const auto q = random_matrix<double>(n, 8, 31), k = random_matrix<double>(n, 8, 32);
  const auto v = random_matrix<double>(n, 4, 33), d_out = random_matrix<double>(n, 4, 34);
  mlprim::LinearAttentionOptions o;
  o.causal = true;
  const mlprim::EluPlusOne phi;
  for (const double value : {kNaN, kInf}) {
    INFO("V(b) = " << value);
    const auto vd = with_row(v, bad, value), vc = with_row(v, bad, 0);
    check_rows(mlprim::linear_attention(q, k, vd, phi, o),
               mlprim::linear_attention(q, k, vc, phi, o), bad);
    o.recurrent = true;
    check_rows(mlprim::linear_attention(q, k, vd, phi, o),
               mlprim::linear_attention(q, k, vc, phi, o), bad);
    o.recurrent = false;
    INFO("K(b) = " << value << ", backward");
    const auto kd = with_row(k, bad, value), kc = with_row(k, bad, 0);
    check_rows(mlprim::linear_attention(q, kd, v, phi, o),
               mlprim::linear_attention(q, kc, v, phi, o), bad);
    const auto g = mlprim::linear_attention_backward(q, kd, v, d_out, phi, o);
    const auto gc = mlprim::linear_attention_backward(q, kc, v, d_out, phi, o);
    check_rows(g.dQ, gc.dQ, bad);
  }
  SECTION("a NaN query row reaches only the keys it sees") {
    const Index row = 70;
    const auto g = mlprim::linear_attention_backward(with_row(q, row, kNaN), k, v, d_out, phi, o);
    const auto gc = mlprim::linear_attention_backward(with_row(q, row, 0), k, v, d_out, phi, o);
    for (Index j = row + 1; j < n; ++j) {
      INFO("key " << j);
      CHECK(g.dK.row(j) == gc.dK.row(j));
      CHECK(g.dV.row(j) == gc.dV.row(j));
    }
    CHECK(g.dK.row(row).hasNaN());
  }
}

TEST_CASE("squared-ReLU and mixed-chunk attention leave masked non-finite values out",
          "[attention][relu2]") {
  const Index n = 40, bad = 25;
  const auto q = random_matrix<double>(n, 8, 41), k = random_matrix<double>(n, 8, 42);
  const auto v = random_matrix<double>(n, 4, 43);
  mlprim::Relu2AttentionOptions r;
  r.causal = true;
  mlprim::MixedChunkOptions m;
  m.causal = true;
  m.chunk = 16;  // bad sits in the second chunk
  for (const double value : {kNaN, kInf}) {
    INFO("V(b) = " << value);
    const auto vd = with_row(v, bad, value), vc = with_row(v, bad, 0);
    check_rows(mlprim::relu2_attention(q, k, vd, r), mlprim::relu2_attention(q, k, vc, r), bad);
    check_rows(mlprim::mixed_chunk_attention(q, k, vd, m),
               mlprim::mixed_chunk_attention(q, k, vc, m), bad);
  }
}

TEST_CASE("windows longer than the sequences are unbounded", "[attention]") {
  // Regression: window_left = INT64_MAX overflowed i + offset - window_left:
  // every row came back zero with lse = -kInf.
  for (const auto& [nq, nk] : {std::pair<Index, Index>{30, 30}, {40, 25}, {20, 50}}) {
    INFO("Nq = " << nq << ", Nk = " << nk);
    const auto q = random_matrix<double>(nq, 8, 51), k = random_matrix<double>(nk, 8, 52);
    const auto v = random_matrix<double>(nk, 4, 53);
    for (const bool is_causal : {false, true}) {
      mlprim::AttentionOptions plain, wide;
      plain.causal = wide.causal = is_causal;
      wide.window_left = int_max;
      wide.window_right = int_max;
      const auto want = mlprim::flash_attention(q, k, v, plain);
      const auto got = mlprim::flash_attention(q, k, v, wide);
      CHECK(got.out == want.out);
      CHECK(got.lse == want.lse);
      CHECK(mlprim::scaled_dot_product_attention(q, k, v, wide) ==
            mlprim::scaled_dot_product_attention(q, k, v, plain));
      wide.window_right = nq + nk;  // just long enough
      CHECK(mlprim::flash_attention(q, k, v, wide).out == want.out);
    }
  }
  mlprim::KVCacheParams config;
  config.dim = 8;
  mlprim::KVCache<double> cache(config);
  const auto k = random_matrix<double>(30, 8, 54), q = random_matrix<double>(3, 8, 55);
  cache.append(0, k, k);
  mlprim::AttentionOptions wide;
  wide.window_left = int_max;
  CHECK(mlprim::attention_decode(q, cache, wide).out == mlprim::attention_decode(q, cache).out);
}

TEST_CASE("a sink of -inf is no sink, and +inf is rejected, in every kernel", "[attention]") {
  // Regression: flash gave NaN for fully masked rows with sink = -kInf (the
  // reference and decode gave zeros), and NaN everywhere for sink = +kInf.
  const Index nq = 12, nk = 8;  // causal, bottom-right: rows 0..3 see no key
  const auto q = random_matrix<double>(nq, 4, 61), k = random_matrix<double>(nk, 4, 62);
  const auto v = random_matrix<double>(nk, 4, 63);
  mlprim::AttentionOptions none = causal(), minus = causal();
  minus.sink = -kInf;
  const auto flash = mlprim::flash_attention(q, k, v, minus);
  CHECK(flash.out == mlprim::flash_attention(q, k, v, none).out);
  CHECK(flash.out.topRows(4).isZero(0));
  CHECK((flash.lse.head(4).array() == -kInf).all());
  CHECK(flash.out.allFinite());
  CHECK(mlprim::scaled_dot_product_attention(q, k, v, minus) ==
        mlprim::scaled_dot_product_attention(q, k, v, none));
  mlprim::KVCacheParams config;
  config.dim = 4;
  mlprim::KVCache<double> cache(config);
  cache.append(0, k, v);
  const RowMatrix<double> last = q.bottomRows(3);
  CHECK(mlprim::attention_decode(last, cache, minus).out ==
        mlprim::attention_decode(last, cache, none).out);

  mlprim::AttentionOptions plus = causal();
  plus.sink = kInf;
  auto message = [](auto&& fn) {
    return mlprim::test::exception_message<std::invalid_argument>(fn);
  };
  const std::string tail =
      ": sink = inf would take all the attention (every output 0); pass a "
      "finite logit, or -inf for no sink";
  CHECK(message([&] { mlprim::flash_attention(q, k, v, plus); }) ==
        "mlprim::flash_attention" + tail);
  CHECK(message([&] { mlprim::scaled_dot_product_attention(q, k, v, plus); }) ==
        "mlprim::scaled_dot_product_attention" + tail);
  CHECK(message([&] { mlprim::attention_decode(last, cache, plus); }) ==
        "mlprim::attention_decode" + tail);
  const auto fwd = mlprim::flash_attention(q, k, v, none);
  CHECK(message([&] {
          mlprim::flash_attention_backward(q, k, v, fwd.out, fwd.out, fwd.lse, plus);
        }) == "mlprim::flash_attention_backward" + tail);
}

TEST_CASE("options that overflow the accumulation type are rejected", "[attention]") {
  // Regression: scale = 1e300 with float inputs became kInf (NaN scores).
  const auto q = random_matrix<float>(4, 4, 71);
  mlprim::AttentionOptions o;
  o.scale = 1e300;
  CHECK(mlprim::test::exception_message<std::invalid_argument>(
            [&] { mlprim::flash_attention(q, q, q, o); }) ==
        "mlprim::flash_attention: scale = 1e+300 is not finite in the accumulation type (float)");
  CHECK_NOTHROW(mlprim::flash_attention(q.cast<double>(), q.cast<double>(), q.cast<double>(), o));
  o = {};
  o.softcap = 1e300;
  CHECK_THROWS_AS(mlprim::flash_attention(q, q, q, o), std::invalid_argument);
  o = {};
  o.alibi_slope = kInf;
  CHECK_THROWS_AS(mlprim::scaled_dot_product_attention(q, q, q, o), std::invalid_argument);
}

TEST_CASE("a chunk longer than the sequence is one chunk", "[attention][linear]") {
  // Regression: n + chunk - 1 overflowed for chunk = INT64_MAX (output off by 1.7).
  const Index n = 50;
  const auto q = random_matrix<double>(n, 6, 81), k = random_matrix<double>(n, 6, 82);
  const auto v = random_matrix<double>(n, 3, 83), d_out = random_matrix<double>(n, 3, 84);
  mlprim::LinearAttentionOptions one, huge;
  one.causal = huge.causal = true;
  one.chunk = n;
  huge.chunk = int_max;
  const mlprim::EluPlusOne phi;
  CHECK(mlprim::linear_attention(q, k, v, phi, huge) ==
        mlprim::linear_attention(q, k, v, phi, one));
  const auto a = mlprim::linear_attention_backward(q, k, v, d_out, phi, huge);
  const auto b = mlprim::linear_attention_backward(q, k, v, d_out, phi, one);
  CHECK(a.dQ == b.dQ);
  CHECK(a.dK == b.dK);
  CHECK(a.dV == b.dV);
  mlprim::MixedChunkOptions mixed;
  mixed.chunk = int_max;
  mixed.causal = true;
  CHECK(mlprim::mixed_chunk_attention(q, k, v, mixed).allFinite());
}
