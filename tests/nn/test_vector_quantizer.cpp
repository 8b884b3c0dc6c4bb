// VectorQuantizer: assignment against an all-pairs scan (every method, with
// exact ties and near-ties), the forward losses and the straight-through /
// codebook gradients against PyTorch autograd
// (tests/data/nn/make_vector_quantizer_reference.py), the loss gradients
// against central differences, the EMA step against its formula by hand and
// against the same step in torch, dead-code restarts and bad input.
#include <mlprim/nn.hpp>

#include <cmath>
#include <limits>
#include <vector>

#include "catch.hpp"
#include "gradient_check.hpp"
#include "matrix_checks.hpp"
#include "reference_data.hpp"
#include "test_types.hpp"

using mlprim::Index;
using mlprim::KnnMethod;
using mlprim::RowMatrix;
using mlprim::VectorQuantizer;
using mlprim::VectorQuantizerParams;
using mlprim::test::check_close;

namespace {

/// The nearest code of each row by a scan of every code in double (first
/// minimum wins).
template <class T>
std::vector<Index> scan_nearest(const RowMatrix<T>& x, const RowMatrix<T>& codebook) {
  std::vector<Index> out;
  for (Index i = 0; i < x.rows(); ++i) {
    Index best = 0;
    double best_d = std::numeric_limits<double>::infinity();
    for (Index k = 0; k < codebook.rows(); ++k) {
      const double d = (x.row(i) - codebook.row(k)).template cast<double>().squaredNorm();
      if (d < best_d) best_d = d, best = k;
    }
    out.push_back(best);
  }
  return out;
}

RowMatrix<double> as_column(const std::vector<Index>& v) {
  RowMatrix<double> m(static_cast<Index>(v.size()), 1);
  for (std::size_t i = 0; i < v.size(); ++i) m(static_cast<Index>(i), 0) = double(v[i]);
  return m;
}

}  // namespace

TEMPLATE_TEST_CASE("VectorQuantizer::encode equals an all-pairs scan for every method", "[nn][vq]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  for (Index d : {2, 3, 16, 64}) {
    const Index K = d <= 3 ? 200 : 300, n = 500;
    RowMatrix<T> codebook = mlprim::test::random_matrix<T>(K, d, 11 + d);
    const RowMatrix<T> x = mlprim::test::random_matrix<T>(n, d, 23 + d);
    // Exact ties: a repeated code loses to its first copy.
    codebook.row(7) = codebook.row(3);
    const std::vector<Index> want = scan_nearest(x, codebook);
    for (KnnMethod method : {KnnMethod::Auto, KnnMethod::Tree, KnnMethod::BruteForce}) {
      INFO("d = " << d << ", method " << int(method));
      VectorQuantizerParams<T> params;
      params.method = method;
      const VectorQuantizer<T> vq(codebook, params);
      REQUIRE(vq.encode(x) == want);
      REQUIRE(vq.encode(codebook.middleRows(3, 5))[4] == 3);  // code 7 is code 3's copy
    }
  }
}

TEST_CASE("VectorQuantizer::encode breaks near-ties by exact distances", "[nn][vq]") {
  // Two codes 2 apart on a large common offset, inputs 1e-9 and 1e-6 to
  // either side of their midpoint: the squared distances differ by 4e-9
  // of 1, below what the GEMM expansion resolves at this magnitude, and
  // each input must still go to the truly nearer code.
  const Index d = 32;
  RowMatrix<double> codebook = RowMatrix<double>::Constant(2, d, 1e4);
  codebook(0, 0) += 1, codebook(1, 0) -= 1;
  RowMatrix<double> x = RowMatrix<double>::Constant(4, d, 1e4);
  x(0, 0) += 1e-9, x(1, 0) -= 1e-9, x(2, 0) += 1e-6, x(3, 0) -= 1e-6;
  VectorQuantizerParams<double> params;
  params.method = KnnMethod::BruteForce;
  REQUIRE(VectorQuantizer<double>(codebook, params).encode(x) == std::vector<Index>{0, 1, 0, 1});
}

TEMPLATE_TEST_CASE("VectorQuantizer forward and backward match PyTorch autograd", "[nn][vq]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const double tol = 50 * mlprim::test::Tolerance<T>::relative;
  const auto ref = mlprim::test::read_reference_data("nn/vector_quantizer_reference.txt");
  const RowMatrix<T> x = ref.at("x").cast<T>(), codebook = ref.at("codebook").cast<T>();
  VectorQuantizerParams<T> params;
  params.beta = T(0.3);
  const VectorQuantizer<T> vq(codebook, params);
  const auto out = vq.forward(x);
  check_close(as_column(out.indices), ref.at("indices"), 0);
  check_close(out.quantized, ref.at("quantized"), tol);
  const RowMatrix<double>& losses = ref.at("losses");
  RowMatrix<T> got(4, 1);
  got << out.codebook_loss, out.commitment_loss, out.loss, out.perplexity;
  check_close(got, losses, tol);
  Index total = 0;
  for (Index c : out.counts) total += c;
  REQUIRE(total == x.rows());
  const auto g = vq.backward(x, out, ref.at("grad_out").cast<T>());
  check_close(g.input, ref.at("grad_x"), tol);
  check_close(g.codebook, ref.at("grad_codebook"), tol);
}

TEST_CASE("VectorQuantizer losses and perplexity by hand", "[nn][vq]") {
  // x = (0, 0) -> code (1, 0) at squared distance 1; x = (3, 4) -> (3, 3)
  // at 1; mse = 2 / 4, loss = 0.5 + 0.25 * 0.5; two codes used once each of
  // three: perplexity 2.
  RowMatrix<double> codebook(3, 2), x(2, 2);
  codebook << 1, 0, 3, 3, 100, 100;
  x << 0, 0, 3, 4;
  const VectorQuantizer<double> vq(codebook);
  const auto out = vq.forward(x);
  REQUIRE(out.indices == std::vector<Index>{0, 1});
  REQUIRE(out.codebook_loss == 0.5);
  REQUIRE(out.commitment_loss == 0.5);
  REQUIRE(out.loss == 0.625);
  REQUIRE(out.counts == std::vector<Index>{1, 1, 0});
  REQUIRE(std::abs(out.perplexity - 2) < 1e-15);
  // Straight through: with grad_loss = 0 the input gradient is the output's.
  RowMatrix<double> grad_out(2, 2);
  grad_out << 1, 2, 3, 4;
  const auto g = vq.backward(x, out, grad_out, 0.0);
  REQUIRE(g.input == grad_out);
  REQUIRE(g.codebook.isZero());
  REQUIRE(vq.decode({2, 0}) == (RowMatrix<double>(2, 2) << 100, 100, 1, 0).finished());
}

TEST_CASE("VectorQuantizer loss gradients match central differences", "[nn][vq]") {
  // The stop-gradients make each term differentiable in one argument only:
  // with beta = 0 the loss is the codebook loss (a function of e), with EMA
  // and beta = 1 it is the commitment loss (a function of x); the
  // assignment stays fixed under the small steps.
  const RowMatrix<double> x = mlprim::test::random_matrix<double>(30, 4, 5);
  const RowMatrix<double> codebook = mlprim::test::random_matrix<double>(6, 4, 6);
  const RowMatrix<double> zero = RowMatrix<double>::Zero(30, 4);
  {
    // Through the mutable codebook() an optimizer would use.
    VectorQuantizerParams<double> params;
    params.beta = 0;
    VectorQuantizer<double> vq(codebook, params);
    const auto g = vq.backward(x, vq.forward(x), zero, 1.5);
    const RowMatrix<double> want =
        1.5 * mlprim::test::numeric_gradient(codebook, [&](const RowMatrix<double>& c) {
          vq.codebook() = c;
          return vq.forward(x).loss;
        });
    for (Index k = 0; k < codebook.rows(); ++k)
      for (Index j = 0; j < codebook.cols(); ++j)
        REQUIRE(std::abs(g.codebook(k, j) - want(k, j)) < 1e-8);
  }
  {
    VectorQuantizerParams<double> params;
    params.beta = 1, params.ema = true;
    const VectorQuantizer<double> vq(codebook, params);
    const auto g = vq.backward(x, vq.forward(x), zero);
    REQUIRE(g.codebook.isZero());
    const RowMatrix<double> want = mlprim::test::numeric_gradient(
        x, [&](const RowMatrix<double>& xs) { return vq.forward(xs).loss; });
    for (Index i = 0; i < x.rows(); ++i)
      for (Index j = 0; j < x.cols(); ++j) REQUIRE(std::abs(g.input(i, j) - want(i, j)) < 1e-8);
  }
}

TEST_CASE("VectorQuantizer::ema_update follows its formula", "[nn][vq]") {
  // One dimension, codes 0 and 10, decay 0.5: x = 1, 2 -> code 0, x = 9 ->
  // code 1. N = 0.5 (1, 1) + 0.5 (2, 1) = (1.5, 1), m = 0.5 (0, 10) +
  // 0.5 (3, 9) = (1.5, 9.5); smoothed N~ = (N + eps) / (2.5 + 2 eps) 2.5.
  RowMatrix<double> codebook(2, 1), x(3, 1);
  codebook << 0, 10;
  x << 1, 2, 9;
  VectorQuantizerParams<double> params;
  params.ema = true, params.decay = 0.5, params.epsilon = 1e-3;
  VectorQuantizer<double> vq(codebook, params);
  const auto out = vq.forward(x);
  REQUIRE(out.loss == 0.25 * out.commitment_loss);
  REQUIRE(vq.ema_update(x, out.indices).empty());
  const double eps = 1e-3, total = 2.5;
  REQUIRE(vq.ema_counts()(0) == 1.5);
  REQUIRE(vq.ema_counts()(1) == 1.0);
  REQUIRE(vq.ema_sums()(0, 0) == 1.5);
  REQUIRE(vq.ema_sums()(1, 0) == 9.5);
  REQUIRE(std::abs(vq.codebook()(0, 0) - 1.5 / ((1.5 + eps) / (total + 2 * eps) * total)) < 1e-15);
  REQUIRE(std::abs(vq.codebook()(1, 0) - 9.5 / ((1.0 + eps) / (total + 2 * eps) * total)) < 1e-14);
}

TEMPLATE_TEST_CASE("VectorQuantizer::ema_update matches the same step in torch", "[nn][vq]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const double tol = 20 * mlprim::test::Tolerance<T>::relative;
  const auto ref = mlprim::test::read_reference_data("nn/vector_quantizer_reference.txt");
  const RowMatrix<T> x = ref.at("x").cast<T>();
  VectorQuantizerParams<T> params;
  params.ema = true, params.decay = T(0.9), params.epsilon = T(1e-5);
  VectorQuantizer<T> vq(ref.at("codebook").cast<T>(), params);
  vq.ema_update(x, vq.encode(x));
  check_close(RowMatrix<T>(vq.ema_counts()), ref.at("ema_counts"), tol);
  check_close(vq.ema_sums(), ref.at("ema_sums"), tol);
  check_close(vq.codebook(), ref.at("ema_codebook"), tol);
}

TEST_CASE("VectorQuantizer::ema_update restarts dead codes at batch rows", "[nn][vq]") {
  const RowMatrix<double> x = mlprim::test::random_matrix<double>(40, 3, 9);
  RowMatrix<double> codebook = mlprim::test::random_matrix<double>(5, 3, 10);
  codebook.row(1).setConstant(50);  // never nearest
  codebook.row(4).setConstant(-50);
  VectorQuantizerParams<double> params;
  params.ema = true, params.decay = 0.5, params.dead_code_threshold = 0.9, params.seed = 3;
  VectorQuantizer<double> vq(codebook, params), again(codebook, params);
  const auto codes = vq.encode(x);
  const auto restarted = vq.ema_update(x, codes);
  REQUIRE(restarted == std::vector<Index>{1, 4});
  REQUIRE(again.ema_update(x, codes) == restarted);
  REQUIRE(again.codebook() == vq.codebook());  // same seed, same draws
  std::vector<Index> rows;
  for (Index k : restarted) {
    REQUIRE(vq.ema_counts()(k) == 1.0);
    REQUIRE(vq.ema_sums().row(k) == vq.codebook().row(k));
    Index found = -1;
    for (Index i = 0; i < x.rows(); ++i)
      if (x.row(i) == vq.codebook().row(k)) found = i;
    REQUIRE(found >= 0);
    rows.push_back(found);
  }
  REQUIRE(rows[0] != rows[1]);  // distinct rows
  // A batch smaller than the dead codes reuses rows.
  VectorQuantizerParams<double> all_dead = params;
  all_dead.dead_code_threshold = 100;
  VectorQuantizer<double> many(codebook, all_dead);
  REQUIRE(many.ema_update(x.topRows(2), many.encode(x.topRows(2))).size() == 5);
}

TEST_CASE("VectorQuantizer results do not depend on the thread count", "[nn][vq]") {
  const RowMatrix<float> x = mlprim::test::random_matrix<float>(700, 24, 1);
  const RowMatrix<float> codebook = mlprim::test::random_matrix<float>(64, 24, 2);
  VectorQuantizerParams<float> one, two;
  one.num_threads = 1, two.num_threads = 2;
  const auto a = VectorQuantizer<float>(codebook, one).forward(x);
  const auto b = VectorQuantizer<float>(codebook, two).forward(x);
  REQUIRE(a.indices == b.indices);
  REQUIRE(a.loss == b.loss);
}

TEST_CASE("VectorQuantizer random codebook", "[nn][vq]") {
  VectorQuantizerParams<double> params;
  params.seed = 42;
  const VectorQuantizer<double> a(16, 3, params), b(16, 3, params);
  REQUIRE(a.codebook() == b.codebook());
  REQUIRE(a.codebook().cwiseAbs().maxCoeff() <= 1.0 / 16);
  REQUIRE(a.num_codes() == 16);
  REQUIRE(a.dim() == 3);
}

TEST_CASE("VectorQuantizer rejects bad input", "[nn][vq]") {
  const RowMatrix<double> codebook = mlprim::test::random_matrix<double>(4, 2, 1);
  const RowMatrix<double> x = mlprim::test::random_matrix<double>(5, 2, 2);
  auto with = [](auto change) {
    VectorQuantizerParams<double> p;
    change(p);
    return p;
  };
  using P = VectorQuantizerParams<double>;
  CHECK_THROWS_AS(VectorQuantizer<double>(codebook, with([](P& p) { p.beta = -1; })),
                  std::invalid_argument);
  CHECK_THROWS_AS(VectorQuantizer<double>(codebook, with([](P& p) { p.decay = 1; })),
                  std::invalid_argument);
  CHECK_THROWS_AS(VectorQuantizer<double>(codebook, with([](P& p) { p.epsilon = 0; })),
                  std::invalid_argument);
  CHECK_THROWS_AS(VectorQuantizer<double>(codebook, with([](P& p) { p.dead_code_threshold = -1; })),
                  std::invalid_argument);
  CHECK_THROWS_AS(VectorQuantizer<double>(RowMatrix<double>(0, 2)), std::invalid_argument);
  CHECK_THROWS_AS(VectorQuantizer<double>(0, 2), std::invalid_argument);
  RowMatrix<double> bad = codebook;
  bad(1, 1) = std::nan("");
  CHECK_THROWS_AS(VectorQuantizer<double>(bad), std::invalid_argument);
  VectorQuantizer<double> vq(codebook);
  CHECK_THROWS_AS(vq.encode(RowMatrix<double>(5, 3)), std::invalid_argument);
  CHECK_THROWS_AS(vq.encode(RowMatrix<double>(0, 2)), std::invalid_argument);
  RowMatrix<double> xn = x;
  xn(2, 0) = std::numeric_limits<double>::infinity();
  CHECK_THROWS_WITH(vq.forward(xn),
                    Catch::Contains("VectorQuantizer::forward") && Catch::Contains("x row 2"));
  CHECK_THROWS_AS(vq.decode({0, 4}), std::invalid_argument);
  CHECK_THROWS_AS(vq.decode({-1}), std::invalid_argument);
  const auto out = vq.forward(x);
  CHECK_THROWS_AS(vq.backward(x, out, RowMatrix<double>(4, 2)), std::invalid_argument);
  CHECK_THROWS_AS(vq.backward(x.topRows(4), out, RowMatrix<double>::Zero(4, 2)),
                  std::invalid_argument);
  CHECK_THROWS_WITH(vq.ema_update(x, out.indices), Catch::Contains("params.ema"));
  VectorQuantizer<double> ema(codebook, with([](P& p) { p.ema = true; }));
  CHECK_THROWS_AS(ema.ema_update(x, {0, 1}), std::invalid_argument);
  CHECK_THROWS_AS(ema.ema_update(x, {0, 1, 2, 3, 4}), std::invalid_argument);
}
