// Squared-ReLU, mixed-chunk attention and the gated attention unit against
// their definitions evaluated entry by entry in long double.
#include <mlprim/attention.hpp>

#include <cmath>
#include <cstdlib>
#include <string>
#include <vector>

#include "matrix_checks.hpp"
#include "catch.hpp"
#include "test_types.hpp"
#include "test_util.hpp"

namespace {

using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::test::check_close;
using mlprim::test::random_matrix;
using LD = long double;

LD relu2(LD s) { return s > 0 ? s * s : 0; }

LD dot(const RowMatrix<double>& a, Index i, const RowMatrix<double>& b, Index j) {
  LD s = 0;
  for (Index c = 0; c < a.cols(); ++c) s += LD(a(i, c)) * LD(b(j, c));
  return s;
}

/// sum_j w(i, j) v_j for every row i.
template <class Weight>
RowMatrix<double> weighted_sum(Index nq, const RowMatrix<double>& v, Weight&& w) {
  RowMatrix<double> out(nq, v.cols());
  for (Index i = 0; i < nq; ++i)
    for (Index c = 0; c < v.cols(); ++c) {
      LD acc = 0;
      for (Index j = 0; j < v.rows(); ++j) acc += w(i, j) * LD(v(j, c));
      out(i, c) = double(acc);
    }
  return out;
}

/// The mixed-chunk definition (attention/relu2.hpp), one weight at a time.
RowMatrix<double> naive_mixed(const RowMatrix<double>& q, const RowMatrix<double>& k,
                              const RowMatrix<double>& ql, const RowMatrix<double>& kl,
                              const RowMatrix<double>& v, Index chunk, bool causal, double scale) {
  const Index n = q.rows(), c = std::min(chunk, n);
  return weighted_sum(n, v, [&](Index i, Index j) -> LD {
    const Index gi = i / c, gj = j / c;
    if (gi == gj) return causal && j > i ? 0 : relu2(LD(scale) * dot(q, i, k, j)) / LD(c);
    if (causal && gj > gi) return 0;
    return dot(ql, i, kl, j) / LD(n);
  });
}

}  // namespace

TEMPLATE_TEST_CASE("relu2 attention follows its definition", "[attention][relu2]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const double tol = 10 * mlprim::test::Tolerance<T>::relative;
  const Index nq = 37, nk = 53, d = 16;
  const auto q = random_matrix<T>(nq, d, 1), k = random_matrix<T>(nk, d, 2),
             v = random_matrix<T>(nk, 7, 3);
  const RowMatrix<double> bias = random_matrix<double>(nq, nk, 4);
  const RowMatrix<double> qd = q.template cast<double>(), kd = k.template cast<double>(),
                          vd = v.template cast<double>();
  for (bool causal : {false, true})
    for (bool with_bias : {false, true}) {
      INFO((causal ? "causal" : "full") << (with_bias ? " with bias" : ""));
      mlprim::Relu2AttentionOptions o;
      o.causal = causal;
      o.scale = 0.3;
      if (with_bias) o.bias = bias;
      const auto want = weighted_sum(nq, vd, [&](Index i, Index j) -> LD {
        if (causal && j > i + nk - nq) return 0;
        return relu2(LD(0.3) * dot(qd, i, kd, j) + (with_bias ? LD(bias(i, j)) : 0)) / LD(nk);
      });
      check_close(mlprim::relu2_attention(q, k, v, o), want, tol);
    }
}

TEMPLATE_TEST_CASE("mixed-chunk attention follows its definition", "[attention][relu2]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const double tol = 10 * mlprim::test::Tolerance<T>::relative;
  const Index n = 45, d = 8, dl = 6;
  const auto q = random_matrix<T>(n, d, 5), k = random_matrix<T>(n, d, 6),
             v = random_matrix<T>(n, 5, 7);
  const auto ql = random_matrix<T>(n, dl, 8), kl = random_matrix<T>(n, dl, 9);
  const RowMatrix<double> qd = q.template cast<double>(), kd = k.template cast<double>(),
                          vd = v.template cast<double>();
  const RowMatrix<double> qld = ql.template cast<double>(), kld = kl.template cast<double>();
  for (bool causal : {false, true})
    for (Index chunk : {1, 4, 16, 45, 100}) {
      INFO((causal ? "causal" : "full") << ", chunk " << chunk);
      mlprim::MixedChunkOptions o;
      o.chunk = chunk;
      o.causal = causal;
      const double scale = 1 / std::sqrt(double(d));
      check_close(mlprim::mixed_chunk_attention(q, k, ql, kl, v, o),
                  naive_mixed(qd, kd, qld, kld, vd, chunk, causal, scale), tol);
      if (chunk < n) continue;
      // One chunk: exactly squared-ReLU attention.
      mlprim::Relu2AttentionOptions r;
      r.causal = causal;
      check_close(mlprim::mixed_chunk_attention(q, k, v, o),
                  mlprim::relu2_attention(q, k, v, r).template cast<double>(), tol);
    }
}

TEMPLATE_TEST_CASE("relu2 attention honours windows, ALiBi, softcap and sparsity",
                   "[attention][relu2]", MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const double tol = 10 * mlprim::test::Tolerance<T>::relative;
  const Index nq = 29, nk = 41, d = 8, offset = nk - nq;
  const auto q = random_matrix<T>(nq, d, 21), k = random_matrix<T>(nk, d, 22),
             v = random_matrix<T>(nk, 5, 23);
  const RowMatrix<double> qd = q.template cast<double>(), kd = k.template cast<double>(),
                          vd = v.template cast<double>();
  // Blocks of 8 x 8, every other key block kept for even query blocks, and
  // inside kept blocks only scores with i + j even.
  std::vector<std::vector<Index>> kept(4);
  for (Index b = 0; b < 4; ++b)
    for (Index kb = 0; kb < 6; ++kb)
      if (b % 2 == 1 || kb % 2 == 0) kept[std::size_t(b)].push_back(kb);
  const auto keep = [&](Index i, Index j) {
    return (i / 8 % 2 == 1 || j / 8 % 2 == 0) && (i + j) % 2 == 0;
  };
  mlprim::Relu2AttentionOptions o;
  o.scale = 0.7;
  o.window_left = 9;
  o.window_right = 3;
  o.alibi_slope = 0.05;
  o.softcap = 2.5;
  for (bool sparse : {false, true}) {
    INFO((sparse ? "sparse" : "dense"));
    if (sparse)
      o.sparsity = mlprim::block_mask_pattern(kept, nq, nk, 8, 8,
                                              [](Index i, Index j) { return (i + j) % 2 == 0; });
    const auto want = weighted_sum(nq, vd, [&](Index i, Index j) -> LD {
      const Index pos = i + offset;
      if (j < pos - 9 || j > pos + 3 || (sparse && !keep(i, j))) return 0;
      const LD z = LD(0.7) * dot(qd, i, kd, j);
      const LD s = LD(2.5) * std::tanh(z / LD(2.5)) - LD(0.05) * LD(std::abs(pos - j));
      return relu2(s) / LD(nk);
    });
    check_close(mlprim::relu2_attention(q, k, v, o), want, tol);
  }
}

TEST_CASE("relu2, mixed-chunk, rotary and the GAU give the same numbers on any thread count",
          "[attention][relu2]") {
  const Index n = 150, d = 8;  // three blocks of relu2_attention's 64 rows
  const auto q = random_matrix<float>(n, d, 31), k = random_matrix<float>(n, d, 32),
             v = random_matrix<float>(n, 6, 33);
  for (bool causal : {false, true}) {
    INFO((causal ? "causal" : "full"));
    mlprim::Relu2AttentionOptions r1, r2;
    r1.causal = r2.causal = causal;
    r1.num_threads = 1;
    r2.num_threads = 2;
    CHECK(mlprim::relu2_attention(q, k, v, r1) == mlprim::relu2_attention(q, k, v, r2));
    mlprim::MixedChunkOptions m1, m2;
    m1.chunk = m2.chunk = 32;
    m1.causal = m2.causal = causal;
    m1.num_threads = 1;
    m2.num_threads = 2;
    CHECK(mlprim::mixed_chunk_attention(q, k, v, m1) == mlprim::mixed_chunk_attention(q, k, v, m2));
    mlprim::GauParams g1;
    g1.dim = d;
    g1.key_dim = 4;
    g1.chunk = causal ? 32 : 0;
    g1.causal = causal;
    g1.num_threads = 1;
    mlprim::GauParams g2 = g1;
    g2.num_threads = 2;
    const mlprim::GatedAttentionUnit<float> gau1(g1, 5), gau2(g2, 5);
    CHECK(gau1.forward(q) == gau2.forward(q));
  }
  std::vector<Index> positions(static_cast<std::size_t>(n));
  for (Index i = 0; i < n; ++i) positions[std::size_t(i)] = 3 * i + 1;
  RowMatrix<float> x1 = q, x2 = q;
  mlprim::RotaryOptions o1, o2;
  o1.num_threads = 1;
  o2.num_threads = 2;
  mlprim::apply_rotary(x1, positions, o1);
  mlprim::apply_rotary(x2, positions, o2);
  CHECK(x1 == x2);
  CHECK(x1 != q);
}

TEST_CASE("the gated attention unit follows its definition", "[attention][gau]") {
  const Index n = 21, d = 6;
  const auto x = random_matrix<double>(n, d, 11);
  for (Index chunk : {0, 5})
    for (bool causal : {false, true}) {
      INFO("chunk " << chunk << (causal ? " causal" : ""));
      mlprim::GauParams config;
      config.dim = d;
      config.key_dim = 4;
      config.chunk = chunk;
      config.causal = causal;
      const mlprim::GatedAttentionUnit<double> gau(config, 99);
      const auto& w = gau.weights();
      const Index e = 2 * d, s = 4;
      auto silu = [](LD a) { return a / (1 + std::exp(-a)); };
      RowMatrix<double> u(n, e), vv(n, e), z(n, s);
      for (Index i = 0; i < n; ++i) {
        for (Index c = 0; c < e; ++c) {
          LD a = w.bu(c), b = w.bv(c);
          for (Index t = 0; t < d; ++t) {
            a += LD(x(i, t)) * LD(w.Wu(t, c));
            b += LD(x(i, t)) * LD(w.Wv(t, c));
          }
          u(i, c) = double(silu(a));
          vv(i, c) = double(silu(b));
        }
        for (Index c = 0; c < s; ++c) {
          LD a = w.bz(c);
          for (Index t = 0; t < d; ++t) a += LD(x(i, t)) * LD(w.Wz(t, c));
          z(i, c) = double(silu(a));
        }
      }
      RowMatrix<double> qk[4];
      for (Index p = 0; p < 4; ++p) {
        qk[p].resize(n, s);
        for (Index i = 0; i < n; ++i)
          for (Index c = 0; c < s; ++c) qk[p](i, c) = z(i, c) * w.gamma(p, c) + w.beta(p, c);
      }
      const double scale = 0.5;  // 1 / sqrt(key_dim)
      const RowMatrix<double> attended =
          chunk == 0
              ? weighted_sum(n, vv,
                             [&](Index i, Index j) -> LD {
                               return causal && j > i
                                          ? 0
                                          : relu2(LD(scale) * dot(qk[0], i, qk[1], j)) / LD(n);
                             })
              : naive_mixed(qk[0], qk[1], qk[2], qk[3], vv, chunk, causal, scale);
      RowMatrix<double> want(n, d);
      for (Index i = 0; i < n; ++i)
        for (Index c = 0; c < d; ++c) {
          LD a = w.bo(c);
          for (Index t = 0; t < e; ++t) a += LD(u(i, t)) * LD(attended(i, t)) * LD(w.Wo(t, c));
          want(i, c) = double(a);
        }
      check_close(gau.forward(x), want, 1e-12);
    }
}

TEST_CASE("squared-ReLU attention and the GAU reject bad input", "[attention][relu2]") {
  auto message = [](auto&& fn) {
    return mlprim::test::exception_message<std::invalid_argument>(fn);
  };
  const RowMatrix<double> a = RowMatrix<double>::Ones(4, 3), b = RowMatrix<double>::Ones(5, 3);
  mlprim::MixedChunkOptions o;
  o.chunk = 0;
  CHECK(message([&] { mlprim::mixed_chunk_attention(a, a, a, o); }) ==
        "mlprim::mixed_chunk_attention: chunk = 0 must be positive");
  CHECK(
      message([&] { mlprim::mixed_chunk_attention(a, b, a, b, a); }) ==
      "mlprim::mixed_chunk_attention: Q, K, Ql, Kl, V have 4, 5, 4, 5, 4 rows; all must be equal");
  CHECK(message([&] { mlprim::relu2_attention(a, RowMatrix<double>::Ones(5, 2), b); }) ==
        "mlprim::relu2_attention: K.cols() = 2 does not match Q.cols() = 3");
  // A kernel never ignores an option it does not implement.
  mlprim::Relu2AttentionOptions with_sink;
  with_sink.sink = 0.0;
  CHECK(message([&] { mlprim::relu2_attention(a, a, a, with_sink); }) ==
        "mlprim::relu2_attention: sink is not supported here");
  mlprim::MixedChunkOptions windowed;
  windowed.window_left = 2;
  CHECK(message([&] { mlprim::mixed_chunk_attention(a, a, a, windowed); }) ==
        "mlprim::mixed_chunk_attention: a window (window_left / window_right) is not supported "
        "here");
  mlprim::MixedChunkOptions biased;
  const RowMatrix<double> bias = RowMatrix<double>::Zero(4, 4);
  biased.bias = bias;
  CHECK(message([&] { mlprim::mixed_chunk_attention(a, a, a, biased); }) ==
        "mlprim::mixed_chunk_attention: bias is not supported here");
  mlprim::Relu2AttentionOptions threads;
  threads.num_threads = -1;
  CHECK(message([&] { mlprim::relu2_attention(a, a, a, threads); }).find("num_threads = -1") !=
        std::string::npos);
  mlprim::GauParams config;
  CHECK(message([&] { mlprim::GatedAttentionUnit<float>(config, 1); }) ==
        "mlprim::GatedAttentionUnit: dim = 0 must be positive");
  config.dim = 3;
  const mlprim::GatedAttentionUnit<double> gau(config, 1);
  CHECK(message([&] { gau.forward(RowMatrix<double>::Ones(2, 4)); }) ==
        "mlprim::GatedAttentionUnit::forward: X.cols() = 4 does not match dim = 3");
  auto weights = gau.weights();
  weights.Wo.resize(5, 3);
  CHECK(message([&] { mlprim::GatedAttentionUnit<double>(config, weights); }) ==
        "mlprim::GatedAttentionUnit: Wo is 5 x 3, expected 6 x 3");
  // Regression: expansion * dim overflowed.
  config.expansion = mlprim::Index{1} << 62;
  CHECK(message([&] { mlprim::GatedAttentionUnit<float>(config, 1); }) ==
        "mlprim::GatedAttentionUnit: expansion * dim = 4611686018427387904 * 3 overflows");
  config.expansion = mlprim::Index{1} << 40;  // no overflow, but no machine holds the weights
  CHECK(message([&] {
          mlprim::GatedAttentionUnit<float>(config, 1);
        }).find("mlprim::GatedAttentionUnit: the weights needs") == 0);
}
