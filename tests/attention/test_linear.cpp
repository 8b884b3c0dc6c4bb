// Linear attention against its quadratic form, evaluated in long double:
// non-causal, causal recurrent and causal chunked (for several chunk
// lengths) all equal sum_j A_ij v_j / (sum_j A_ij + eps), A = phi(Q) phi(K)^T
// masked to j <= i when causal; LinearAttentionState reproduces the causal
// rows one token at a time. Both backward modes against central finite
// differences for every feature map and output norm; Performer features
// against softmax attention, with the error falling as m grows.
#include <mlprim/attention.hpp>

#include <cmath>
#include <string>

#include "matrix_checks.hpp"
#include "catch.hpp"
#include "gradient_check.hpp"
#include "reference_data.hpp"
#include "test_types.hpp"
#include "test_util.hpp"

namespace {

using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::test::check_close;
using mlprim::test::random_matrix;
using LD = long double;

template <class T, class FeatureMap>
RowMatrix<double> quadratic_form(const RowMatrix<T>& q, const RowMatrix<T>& k,
                                 const RowMatrix<T>& v, const FeatureMap& phi, bool causal,
                                 bool normalize, double eps) {
  RowMatrix<double> out = RowMatrix<double>::Zero(q.rows(), v.cols());
  for (Index i = 0; i < q.rows(); ++i) {
    LD den = 0;
    std::vector<LD> num(static_cast<std::size_t>(v.cols()), 0);
    for (Index j = 0; j < (causal ? i + 1 : k.rows()); ++j) {
      LD a = 0;
      for (Index c = 0; c < q.cols(); ++c) a += LD(phi(q(i, c))) * LD(phi(k(j, c)));
      den += a;
      for (Index c = 0; c < v.cols(); ++c) num[static_cast<std::size_t>(c)] += a * LD(v(j, c));
    }
    for (Index c = 0; c < v.cols(); ++c)
      out(i, c) = double(normalize ? num[static_cast<std::size_t>(c)] / (den + LD(eps))
                                   : num[static_cast<std::size_t>(c)]);
  }
  return out;
}

template <class T, class FeatureMap>
void check_feature_map(const FeatureMap& phi, const std::string& name) {
  const double tol = 10 * mlprim::test::Tolerance<T>::relative;
  const auto q = random_matrix<T>(150, 12, 7), k = random_matrix<T>(150, 12, 8),
             v = random_matrix<T>(150, 5, 9);
  for (bool normalize : {true, false}) {
    INFO(name << (normalize ? " normalised" : " unnormalised"));
    mlprim::LinearAttentionOptions o;
    o.normalize = normalize;
    // Identity and Relu maps can make the normaliser vanish or change sign;
    // only the positive maps are compared normalised.
    if (normalize && !std::is_same_v<FeatureMap, mlprim::EluPlusOne>) continue;
    check_close(mlprim::linear_attention(q, k, v, phi, o),
                quadratic_form(q, k, v, phi, false, normalize, o.eps), tol);
    o.causal = true;
    const auto want = quadratic_form(q, k, v, phi, true, normalize, o.eps);
    for (Index chunk : {1, 7, 64, 150, 1000}) {
      INFO("chunk " << chunk);
      o.chunk = chunk;  // chunk 1: 150 chunks, three groups of the parallel form
      o.num_threads = 1;
      const auto serial = mlprim::linear_attention(q, k, v, phi, o);
      check_close(serial, want, tol);
      o.num_threads = 3;
      REQUIRE(mlprim::linear_attention(q, k, v, phi, o) ==
              serial);  // the same sums in the same order
    }
    o.num_threads = 0;
    o.recurrent = true;
    check_close(mlprim::linear_attention(q, k, v, phi, o), want, tol);
    mlprim::LinearAttentionState<T> state(12, 5, o);
    RowMatrix<T> stepped(150, 5);
    for (Index t = 0; t < 150; ++t) stepped.row(t) = state.step(q.row(t), k.row(t), v.row(t), phi);
    check_close(stepped, want, tol);
  }
}

template <class FeatureMap>
void check_array_form(const FeatureMap& phi, const char* name) {
  INFO(name);
  const double inf = std::numeric_limits<double>::infinity(),
               nan = std::numeric_limits<double>::quiet_NaN();
  Eigen::ArrayXd x(9);
  x << -inf, -30, -1.5, -1e-300, 0, 1e-300, 0.7, 12, nan;
  const Eigen::ArrayXd f = phi.array(x), df = phi.array_derivative(x);
  for (Index i = 0; i < x.size(); ++i) {
    INFO("x = " << x(i));
    for (const auto& [got, want] :
         {std::pair{f(i), phi(x(i))}, std::pair{df(i), phi.derivative(x(i))}}) {
      if (std::isnan(want)) {
        REQUIRE(std::isnan(got));
      } else {  // Eigen's exp may differ from std::exp in the last bits, and gives
                // a subnormal instead of 0 below -709
        const double tol = 4 * std::numeric_limits<double>::epsilon() * std::abs(want) +
                           std::numeric_limits<double>::min();
        REQUIRE((got == want || std::abs(got - want) <= tol));
      }
    }
  }
}

}  // namespace

TEST_CASE("the array forms of the feature maps equal their scalar forms", "[attention][linear]") {
  check_array_form(mlprim::EluPlusOne{}, "elu+1");
  check_array_form(mlprim::ReluFeatures{}, "relu");
  check_array_form(mlprim::SquaredReluFeatures{}, "relu^2");
  check_array_form(mlprim::IdentityFeatures{}, "identity");
}

TEMPLATE_TEST_CASE("linear attention equals its quadratic form in every mode",
                   "[attention][linear]", MLPRIM_TEST_SCALARS) {
  check_feature_map<TestType>(mlprim::EluPlusOne{}, "elu+1");
  check_feature_map<TestType>(mlprim::ReluFeatures{}, "relu");
  check_feature_map<TestType>(mlprim::SquaredReluFeatures{}, "relu^2");
  check_feature_map<TestType>(mlprim::IdentityFeatures{}, "identity");
}

/// Rows of x normalised by the definitions of OutputNorm, in long double.
RowMatrix<double> normalise_rows(const RowMatrix<double>& x, mlprim::OutputNorm norm) {
  RowMatrix<double> y(x.rows(), x.cols());
  for (Index i = 0; i < x.rows(); ++i) {
    LD mean = 0, square = 0;
    for (Index c = 0; c < x.cols(); ++c) mean += x(i, c);
    mean = norm.kind == mlprim::OutputNorm::Kind::LayerNorm ? mean / LD(x.cols()) : 0;
    for (Index c = 0; c < x.cols(); ++c) square += (x(i, c) - mean) * (x(i, c) - mean);
    const LD root = std::sqrt(square / LD(x.cols()) + LD(norm.eps));
    for (Index c = 0; c < x.cols(); ++c) y(i, c) = double((x(i, c) - mean) / root);
  }
  return y;
}

TEMPLATE_TEST_CASE("TransNormer output norms follow their formulas", "[attention][linear]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const double tol = 10 * mlprim::test::Tolerance<T>::relative;
  const auto q = random_matrix<T>(70, 6, 3), k = random_matrix<T>(70, 6, 4),
             v = random_matrix<T>(70, 9, 5);
  for (auto kind : {mlprim::OutputNorm::Kind::RMSNorm, mlprim::OutputNorm::Kind::LayerNorm})
    for (bool causal : {false, true}) {
      INFO("norm " << static_cast<int>(kind) << (causal ? " causal" : ""));
      mlprim::LinearAttentionOptions o;
      o.normalize = false;
      o.causal = causal;
      o.chunk = 16;
      o.output_norm = {kind, 1e-5};
      const auto want = normalise_rows(
          quadratic_form(q, k, v, mlprim::ReluFeatures{}, causal, false, 0), o.output_norm);
      check_close(mlprim::linear_attention(q, k, v, mlprim::ReluFeatures{}, o), want, tol);
      if (!causal) continue;
      mlprim::LinearAttentionState<T> state(6, 9, o);
      RowMatrix<T> stepped(70, 9);
      for (Index t = 0; t < 70; ++t)
        stepped.row(t) = state.step(q.row(t), k.row(t), v.row(t), mlprim::ReluFeatures{});
      check_close(stepped, want, tol);
    }
}

/// linear_attention_backward of the loss sum(out * w) against central finite
/// differences of linear_attention.
template <class FeatureMap>
void check_against_finite_differences(const RowMatrix<double>& q, const RowMatrix<double>& k,
                                      const RowMatrix<double>& v, const RowMatrix<double>& w,
                                      const FeatureMap& phi,
                                      const mlprim::LinearAttentionOptions& o) {
  auto loss = [&](const RowMatrix<double>& qq, const RowMatrix<double>& kk,
                  const RowMatrix<double>& vv) {
    return (mlprim::linear_attention(qq, kk, vv, phi, o).array() * w.array()).sum();
  };
  const auto g = mlprim::linear_attention_backward(q, k, v, w, phi, o);
  const auto dq =
      mlprim::test::numeric_gradient(q, [&](const RowMatrix<double>& x) { return loss(x, k, v); });
  const auto dk =
      mlprim::test::numeric_gradient(k, [&](const RowMatrix<double>& x) { return loss(q, x, v); });
  const auto dvv =
      mlprim::test::numeric_gradient(v, [&](const RowMatrix<double>& x) { return loss(q, k, x); });
  for (Index i = 0; i < q.rows(); ++i) {
    INFO("row " << i);
    for (Index c = 0; c < q.cols(); ++c) {
      CHECK(g.dQ(i, c) == Approx(dq(i, c)).margin(1e-7).epsilon(1e-6));
      CHECK(g.dK(i, c) == Approx(dk(i, c)).margin(1e-7).epsilon(1e-6));
    }
    for (Index c = 0; c < v.cols(); ++c)
      CHECK(g.dV(i, c) == Approx(dvv(i, c)).margin(1e-7).epsilon(1e-6));
  }
}

template <class FeatureMap>
void check_backward(const FeatureMap& phi, const std::string& name, bool normalize,
                    mlprim::OutputNorm norm) {
  const Index n = 11, d = 4, dv = 3;
  const auto q = random_matrix<double>(n, d, 5), k = random_matrix<double>(n, d, 6);
  const auto v = random_matrix<double>(n, dv, 7), w = random_matrix<double>(n, dv, 8);
  for (bool causal : {false, true})
    for (Index chunk : {1, 4, 64}) {
      if (!causal && chunk > 1) continue;
      INFO(name << (normalize ? " normalised" : "") << " norm " << static_cast<int>(norm.kind)
                << (causal ? " causal, chunk " : " ") << chunk);
      mlprim::LinearAttentionOptions o;
      o.causal = causal;
      o.chunk = chunk;
      o.normalize = normalize;
      o.eps = 0;
      o.output_norm = norm;
      check_against_finite_differences(q, k, v, w, phi, o);
    }
}

TEST_CASE("linear attention backward matches central finite differences", "[attention][linear]") {
  const mlprim::OutputNorm none, rms{mlprim::OutputNorm::Kind::RMSNorm, 1e-5},
      layer{mlprim::OutputNorm::Kind::LayerNorm, 1e-5};
  check_backward(mlprim::EluPlusOne{}, "elu+1", true, none);
  check_backward(mlprim::EluPlusOne{}, "elu+1", false, none);
  check_backward(mlprim::SquaredReluFeatures{}, "relu^2", false, rms);
  check_backward(mlprim::ReluFeatures{}, "relu", false, layer);
  check_backward(mlprim::IdentityFeatures{}, "identity", false, none);
  check_backward(mlprim::EluPlusOne{}, "elu+1", true, layer);
  // The stabiliser cancels exactly when normalised with eps = 0.
  check_backward(mlprim::PerformerFeatures<double>(4, 9, 1), "performer", true, none);
  check_backward(mlprim::PerformerFeatures<double>(4, 9, 1, {std::nullopt, false}), "performer",
                 false, rms);
}

TEST_CASE("causal linear attention backward holds across groups of chunks and threads",
          "[attention][linear]") {
  // 76 chunks of 2 rows (the last of 1): two groups of the parallel scans,
  // the second partial, so that both the sums of earlier chunks (dQ) and of
  // later chunks (dK, dV) cross a group boundary.
  const Index n = 151, d = 4, dv = 3;
  const auto q = random_matrix<double>(n, d, 41), k = random_matrix<double>(n, d, 42);
  const auto v = random_matrix<double>(n, dv, 43), w = random_matrix<double>(n, dv, 44);
  mlprim::LinearAttentionOptions o;
  o.causal = true;
  o.chunk = 2;
  o.eps = 0;
  o.num_threads = 1;
  check_against_finite_differences(q, k, v, w, mlprim::EluPlusOne{}, o);
  const auto g = mlprim::linear_attention_backward(q, k, v, w, mlprim::EluPlusOne{}, o);
  o.num_threads = 3;  // the same sums in the same order
  const auto threaded = mlprim::linear_attention_backward(q, k, v, w, mlprim::EluPlusOne{}, o);
  REQUIRE(threaded.dQ == g.dQ);
  REQUIRE(threaded.dK == g.dK);
  REQUIRE(threaded.dV == g.dV);
}

TEST_CASE("linear attention backward holds across many chunks in float", "[attention][linear]") {
  // Float gradients over long sequences against the double ones.
  const Index n = 300, d = 16, dv = 8;
  const auto q = random_matrix<double>(n, d, 9), k = random_matrix<double>(n, d, 10);
  const auto v = random_matrix<double>(n, dv, 11), w = random_matrix<double>(n, dv, 12);
  mlprim::LinearAttentionOptions o;
  o.causal = true;
  o.chunk = 32;
  const auto want = mlprim::linear_attention_backward(q, k, v, w, mlprim::EluPlusOne{}, o);
  const auto got = mlprim::linear_attention_backward(
      RowMatrix<float>(q.cast<float>()), RowMatrix<float>(k.cast<float>()),
      RowMatrix<float>(v.cast<float>()), RowMatrix<float>(w.cast<float>()), mlprim::EluPlusOne{},
      o);
  CHECK((got.dQ.cast<double>() - want.dQ).norm() <= 1e-5 * want.dQ.norm());
  CHECK((got.dK.cast<double>() - want.dK).norm() <= 1e-5 * want.dK.norm());
  CHECK((got.dV.cast<double>() - want.dV).norm() <= 1e-5 * want.dV.norm());
}

TEST_CASE("Performer projections are orthogonal blocks with chi norms", "[attention][performer]") {
  const Index d = 8, m = 4000;
  mlprim::PerformerFeatures<double> favor(d, m, 17);
  const auto& w = favor.projection();
  double mean_square = 0;
  for (Index r0 = 0; r0 + d <= m; r0 += d) {
    const RowMatrix<double> block = w.middleRows(r0, d);
    const RowMatrix<double> gram = block * block.transpose();
    for (Index i = 0; i < d; ++i)
      for (Index j = 0; j < i; ++j)
        REQUIRE(std::abs(gram(i, j)) <= 1e-12 * std::sqrt(gram(i, i) * gram(j, j)));
  }
  for (Index r = 0; r < m; ++r) mean_square += w.row(r).squaredNorm() / double(m);
  // |w|^2 ~ chi^2(d): mean d, standard deviation sqrt(2d / m) of the mean.
  CHECK(std::abs(mean_square - double(d)) <= 5 * std::sqrt(2.0 * d / double(m)));
  mlprim::PerformerFeatures<double> again(d, m, 17);
  CHECK(again.projection() == w);
  again.redraw(18);
  CHECK(again.projection() != w);
}

TEST_CASE("Performer features approach softmax attention as m grows", "[attention][performer]") {
  const Index n = 64, d = 16;
  mlprim::Rng rng(21);
  RowMatrix<double> q(n, d), k(n, d), v(n, 4);
  mlprim::fill_normal(q, rng, 0.0, 0.3);
  mlprim::fill_normal(k, rng, 0.0, 0.3);
  mlprim::fill_normal(v, rng);
  const RowMatrix<double> exact = mlprim::scaled_dot_product_attention(q, k, v);
  mlprim::LinearAttentionOptions o;
  o.eps = 0;
  std::vector<double> errors;
  for (Index m : {16, 64, 256, 1024, 4096}) {
    double error = 0;
    for (std::uint64_t seed = 0; seed < 8; ++seed)
      error +=
          (mlprim::linear_attention(q, k, v, mlprim::PerformerFeatures<double>(d, m, seed), o) -
           exact)
              .norm();
    errors.push_back(error / 8 / exact.norm());
    INFO("m = " << m << ": relative error " << errors.back());
    // The estimator's standard deviation falls as 1/sqrt(m): each 4x the
    // features should halve the error (measured: 1.7x to 2.5x per step).
    if (errors.size() > 1) CHECK(errors.back() < errors[errors.size() - 2] / 1.5);
  }
  CHECK(errors.back() < 0.02);  // measured 0.016 at m = 4096
  // Causal, and one token at a time (the running rescale replaces the shared key shift).
  // Several chunk sizes and thread counts: the key features are made once for
  // all rows (their shift is shared), the query features chunk by chunk.
  o.causal = true;
  mlprim::PerformerFeatures<double> favor(d, 256, 4);
  mlprim::LinearAttentionState<double> state(256, 4, o);
  RowMatrix<double> stepped(n, 4);
  for (Index t = 0; t < n; ++t) stepped.row(t) = state.step(q.row(t), k.row(t), v.row(t), favor);
  for (Index chunk : {1, 7, 64})
    for (int threads : {1, 2}) {
      INFO("chunk " << chunk << ", " << threads << " threads");
      o.chunk = chunk;
      o.num_threads = threads;
      const RowMatrix<double> causal = mlprim::linear_attention(q, k, v, favor, o);
      for (Index t = 0; t < n; ++t)
        REQUIRE((stepped.row(t) - causal.row(t)).norm() <= 1e-12 * (1 + causal.row(t).norm()));
    }
}

TEST_CASE("causal chunked linear attention reads strided views", "[attention][linear]") {
  // Rows of Q, K and V inside wider buffers, as the batched [batch, seq,
  // heads, dim] layout hands them over; features are made from the views
  // chunk by chunk.
  const Index n = 70, d = 6, dv = 3;
  const auto qbuf = random_matrix<double>(n, 2 * d, 31), kbuf = random_matrix<double>(n, 3 * d, 32),
             vbuf = random_matrix<double>(n, 2 * dv, 33);
  using View = Eigen::Map<const RowMatrix<double>, 0, Eigen::OuterStride<>>;
  const View q(qbuf.data() + d, n, d, Eigen::OuterStride<>(2 * d)),
      k(kbuf.data() + 2 * d, n, d, Eigen::OuterStride<>(3 * d)),
      v(vbuf.data(), n, dv, Eigen::OuterStride<>(2 * dv));
  mlprim::LinearAttentionOptions o;
  o.causal = true;
  o.chunk = 8;
  const auto want = quadratic_form(RowMatrix<double>(q), RowMatrix<double>(k), RowMatrix<double>(v),
                                   mlprim::EluPlusOne{}, true, true, o.eps);
  check_close(mlprim::linear_attention(q, k, v, mlprim::EluPlusOne{}, o), want, 1e-12);
}

TEST_CASE("linear attention and its gradients match PyTorch", "[attention][linear][torch]") {
  const auto ref = mlprim::test::read_reference_data("attention/torch_reference.txt");
  for (const std::string name : {"linear_causal", "linear_full", "linear_transnormer"}) {
    INFO(name);
    const RowMatrix<double> q = ref.at(name + "_q"), k = ref.at(name + "_k"),
                            v = ref.at(name + "_v");
    const RowMatrix<double> w = ref.at(name + "_w");
    mlprim::LinearAttentionOptions o;
    o.causal = name != "linear_full";
    o.chunk = 5;
    auto check_all = [&](const auto& phi) {
      check_close(mlprim::linear_attention(q, k, v, phi, o), ref.at(name + "_out"), 1e-12);
      const auto g = mlprim::linear_attention_backward(q, k, v, w, phi, o);
      check_close(g.dQ, ref.at(name + "_dq"), 1e-11);
      check_close(g.dK, ref.at(name + "_dk"), 1e-11);
      check_close(g.dV, ref.at(name + "_dv"), 1e-11);
    };
    if (name == "linear_transnormer") {
      o.normalize = false;
      o.output_norm = {mlprim::OutputNorm::Kind::LayerNorm, 1e-5};
      check_all(mlprim::ReluFeatures{});
    } else {
      check_all(mlprim::EluPlusOne{});
    }
  }
}

TEST_CASE("feature maps follow their formulas", "[attention][linear]") {
  CHECK(mlprim::EluPlusOne{}(0.5) == 1.5);
  CHECK(mlprim::EluPlusOne{}(-2.0) == std::exp(-2.0));
  CHECK(mlprim::ReluFeatures{}(-1.0) == 0.0);
  CHECK(mlprim::SquaredReluFeatures{}(3.0) == 9.0);
  CHECK(mlprim::SquaredReluFeatures{}(-3.0) == 0.0);
}

TEST_CASE("linear attention rejects bad shapes and options", "[attention][linear]") {
  const RowMatrix<double> q = RowMatrix<double>::Ones(4, 3), k = RowMatrix<double>::Ones(5, 3),
                          v = RowMatrix<double>::Ones(5, 2);
  auto message = [](auto&& fn) {
    return mlprim::test::exception_message<std::invalid_argument>(fn);
  };
  mlprim::LinearAttentionOptions o;
  o.causal = true;
  CHECK(message([&] { mlprim::linear_attention(q, k, v, mlprim::EluPlusOne{}, o); }) ==
        "mlprim::linear_attention: causal needs K.rows() = 5 to equal Q.rows() = 4");
  o = {};
  o.chunk = 0;
  CHECK(message([&] { mlprim::linear_attention(q, k, v, mlprim::EluPlusOne{}, o); }) ==
        "mlprim::linear_attention: chunk = 0 must be positive");
  o.chunk = 64;
  o.num_threads = -1;
  CHECK(message([&] { mlprim::linear_attention(q, q, v.topRows(4), mlprim::EluPlusOne{}, o); }) ==
        "mlprim::linear_attention: num_threads = -1 must be non-negative");
  CHECK(message([&] {
          mlprim::linear_attention_backward(q, k, v, RowMatrix<double>::Ones(4, 3),
                                            mlprim::ReluFeatures{});
        }) == "mlprim::linear_attention_backward: dO is 4 x 3, the output 4 x 2");
  CHECK(message([&] { mlprim::PerformerFeatures<float>(3, 0); }) ==
        "mlprim::PerformerFeatures: num_features = 0 must be positive");
  mlprim::PerformerFeatures<double> favor(4, 8);
  CHECK(message([&] { mlprim::linear_attention(q, k, v, favor); }) ==
        "mlprim::PerformerFeatures::log_features: rows have 3 entries, the features were drawn for "
        "4");
  mlprim::PerformerFeatures<double> stabilised(3, 8);
  o = {};
  o.normalize = false;
  const std::string shift =
      "normalize = false needs the feature map's stabilize = false (the per-query shift "
      "cancels only in the division)";
  CHECK(message([&] { mlprim::linear_attention(q, q, v.topRows(4), stabilised, o); }) ==
        "mlprim::linear_attention: " + shift);
  CHECK(message([&] {
          mlprim::linear_attention_backward(q, q, v.topRows(4), v.topRows(4), stabilised, o);
        }) == "mlprim::linear_attention_backward: " + shift);
  o.causal = true;
  mlprim::LinearAttentionState<double> state(8, 2, o);
  CHECK(message([&] { state.step(q.row(0), q.row(0), v.row(0), stabilised); }) ==
        "mlprim::LinearAttentionState::step: " + shift);
  // Regression: Zero(negative) ran in the member initialiser before the
  // check, so builds without NDEBUG hit Eigen's assertion instead.
  CHECK(message([&] { mlprim::LinearAttentionState<double>(-1, 4); }) ==
        "mlprim::LinearAttentionState: m = -1 must be positive");
  CHECK(message([&] { mlprim::LinearAttentionState<double>(4, -2); }) ==
        "mlprim::LinearAttentionState: dv = -2 must be positive");
  CHECK(message([&] {
          mlprim::linear_attention(q, RowMatrix<double>::Ones(5, 4), v, mlprim::ReluFeatures{});
        }) == "mlprim::linear_attention: K.cols() = 4 does not match Q.cols() = 3");
  // Softmax-only fields have no meaning here: rejected, never ignored.
  o = {};
  o.softcap = 30;
  CHECK(message([&] { mlprim::linear_attention(q, k, v, mlprim::ReluFeatures{}, o); }) ==
        "mlprim::linear_attention: softcap is not supported here");
  o = {};
  o.scale = 0.5;
  CHECK(message([&] { mlprim::LinearAttentionState<double>(4, 2, o); }) ==
        "mlprim::LinearAttentionState: scale is not supported here");
}
