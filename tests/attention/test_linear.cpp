// Linear attention against its quadratic form, evaluated in long double:
// non-causal, causal recurrent and causal chunked (for several chunk
// lengths) all equal sum_j A_ij v_j / (sum_j A_ij + eps), A = phi(Q) phi(K)^T
// masked to j <= i when causal; LinearAttentionState reproduces the causal
// rows one token at a time.
#include <mlprim/attention.hpp>

#include <cmath>
#include <string>

#include "catch.hpp"
#include "test_types.hpp"
#include "test_util.hpp"

namespace {

using mlprim::Index;
using mlprim::RowMatrix;
using LD = long double;

template <class T, class FeatureMap>
RowMatrix<double> quadratic_form(const RowMatrix<T>& q, const RowMatrix<T>& k, const RowMatrix<T>& v,
                                 const FeatureMap& phi, bool causal, bool normalize, double eps) {
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
      out(i, c) = double(normalize ? num[static_cast<std::size_t>(c)] / (den + LD(eps)) : num[static_cast<std::size_t>(c)]);
  }
  return out;
}

template <class T>
void check_close(const RowMatrix<T>& got, const RowMatrix<double>& want, double tol) {
  for (Index i = 0; i < got.rows(); ++i)
    for (Index c = 0; c < got.cols(); ++c) {
      INFO("row " << i << " col " << c);
      REQUIRE(std::abs(double(got(i, c)) - want(i, c)) <= tol * (1 + std::abs(want(i, c))));
    }
}

template <class T, class FeatureMap>
void check_feature_map(const FeatureMap& phi, const std::string& name) {
  const double tol = 10 * mlprim::test::Tolerance<T>::relative;
  mlprim::Rng rng(7);
  RowMatrix<T> q(150, 12), k(150, 12), v(150, 5);
  mlprim::fill_normal(q, rng);
  mlprim::fill_normal(k, rng);
  mlprim::fill_normal(v, rng);
  for (bool normalize : {true, false}) {
    INFO(name << (normalize ? " normalised" : " unnormalised"));
    mlprim::LinearAttentionOptions o;
    o.normalize = normalize;
    // Identity and Relu maps can make the normaliser vanish or change sign;
    // only the positive maps are compared normalised.
    if (normalize && !std::is_same_v<FeatureMap, mlprim::EluPlusOne>) continue;
    check_close(mlprim::linear_attention(q, k, v, phi, o), quadratic_form(q, k, v, phi, false, normalize, o.eps), tol);
    o.causal = true;
    const auto want = quadratic_form(q, k, v, phi, true, normalize, o.eps);
    for (Index chunk : {0, 1, 7, 64, 150, 1000}) {
      INFO("chunk " << chunk);
      o.chunk = chunk;
      check_close(mlprim::linear_attention(q, k, v, phi, o), want, tol);
    }
    mlprim::LinearAttentionState<T> state(12, 5, o);
    RowMatrix<T> stepped(150, 5);
    for (Index t = 0; t < 150; ++t) stepped.row(t) = state.step(q.row(t), k.row(t), v.row(t), phi);
    check_close(stepped, want, tol);
  }
}

}  // namespace

TEMPLATE_TEST_CASE("linear attention equals its quadratic form in every mode", "[attention][linear]",
                   MLPRIM_TEST_SCALARS) {
  check_feature_map<TestType>(mlprim::EluPlusOne{}, "elu+1");
  check_feature_map<TestType>(mlprim::Relu{}, "relu");
  check_feature_map<TestType>(mlprim::SquaredRelu{}, "relu^2");
  check_feature_map<TestType>(mlprim::Identity{}, "identity");
}

TEST_CASE("feature maps follow their formulas", "[attention][linear]") {
  CHECK(mlprim::EluPlusOne{}(0.5) == 1.5);
  CHECK(mlprim::EluPlusOne{}(-2.0) == std::exp(-2.0));
  CHECK(mlprim::Relu{}(-1.0) == 0.0);
  CHECK(mlprim::SquaredRelu{}(3.0) == 9.0);
  CHECK(mlprim::SquaredRelu{}(-3.0) == 0.0);
}

TEST_CASE("linear attention rejects bad shapes and options", "[attention][linear]") {
  const RowMatrix<double> q = RowMatrix<double>::Ones(4, 3), k = RowMatrix<double>::Ones(5, 3), v = RowMatrix<double>::Ones(5, 2);
  auto message = [](auto&& fn) { return mlprim::test::exception_message<std::invalid_argument>(fn); };
  mlprim::LinearAttentionOptions o;
  o.causal = true;
  CHECK(message([&] { mlprim::linear_attention(q, k, v, mlprim::EluPlusOne{}, o); }) ==
        "mlprim::linear_attention: causal needs K.rows() = 5 to equal Q.rows() = 4");
  o = {};
  o.chunk = -1;
  CHECK(message([&] { mlprim::linear_attention(q, k, v, mlprim::EluPlusOne{}, o); }) ==
        "mlprim::linear_attention: chunk = -1 must be non-negative");
  CHECK(message([&] { mlprim::linear_attention(q, RowMatrix<double>::Ones(5, 4), v, mlprim::Relu{}); }) ==
        "mlprim::linear_attention: K.cols() = 4 does not match Q.cols() = 3");
}
