// Softmax attention: the reference and FlashAttention-2 forward against a
// naive evaluation of the definition in long double; both backward passes
// against central finite differences; the flash backward against the
// reference backward across tiles; half/bfloat16 storage; NaN rows; bad input.
#include <mlprim/attention.hpp>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "matrix_checks.hpp"
#include "catch.hpp"
#include "reference_data.hpp"
#include "test_types.hpp"
#include "test_util.hpp"

namespace {

using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::test::check_close;
using mlprim::test::random_matrix;
using LD = long double;

/// out and lse straight from the definition in attention/options.hpp.
struct Naive {
  RowMatrix<double> out;
  std::vector<double> lse;
};

template <class T>
Naive naive_attention(const RowMatrix<T>& q, const RowMatrix<T>& k, const RowMatrix<T>& v,
                      const mlprim::AttentionOptions& o, const RowMatrix<double>* bias) {
  const Index nq = q.rows(), nk = k.rows(), d = q.cols();
  const LD scale = o.scale ? LD(*o.scale) : 1 / std::sqrt(LD(d));
  Naive r{RowMatrix<double>::Zero(nq, v.cols()), std::vector<double>(static_cast<std::size_t>(nq))};
  for (Index i = 0; i < nq; ++i) {
    const Index position = i + nk - nq;
    std::vector<LD> s;
    std::vector<Index> keys;
    for (Index j = 0; j < nk; ++j) {
      if (o.causal && j > position) continue;
      if (o.window_left >= 0 && j < position - o.window_left) continue;
      if (o.window_right >= 0 && j > position + o.window_right) continue;
      LD z = 0;
      for (Index c = 0; c < d; ++c) z += LD(q(i, c)) * LD(k(j, c));
      z *= scale;
      if (o.softcap > 0) z = LD(o.softcap) * std::tanh(z / LD(o.softcap));
      if (bias) z += LD((*bias)(i, j));
      z -= LD(o.alibi_slope) * LD(std::abs(position - j));
      s.push_back(z);
      keys.push_back(j);
    }
    LD m = o.sink ? LD(*o.sink) : -std::numeric_limits<LD>::infinity();
    for (LD x : s) m = std::max(m, x);
    if (std::isinf(m)) {
      r.lse[static_cast<std::size_t>(i)] = -std::numeric_limits<double>::infinity();
      continue;
    }
    LD sum = o.sink ? std::exp(LD(*o.sink) - m) : 0;
    for (LD x : s) sum += std::exp(x - m);
    for (std::size_t t = 0; t < s.size(); ++t)
      for (Index c = 0; c < v.cols(); ++c)
        r.out(i, c) += double(std::exp(s[t] - m) / sum * LD(v(keys[t], c)));
    r.lse[static_cast<std::size_t>(i)] = double(m + std::log(sum));
  }
  return r;
}

/// A named option set; the bias (when used) is generated for the shape.
struct Case {
  std::string name;
  mlprim::AttentionOptions options;
  bool bias = false;
};

std::vector<Case> option_cases() {
  std::vector<Case> cases;
  cases.push_back({"plain", {}, false});
  mlprim::AttentionOptions o;
  o.causal = true;
  cases.push_back({"causal", o, false});
  o = {};
  o.window_left = 5;
  o.window_right = 3;
  cases.push_back({"window", o, false});
  o = {};
  o.causal = true;
  o.window_left = 17;
  cases.push_back({"causal window", o, false});
  o = {};
  cases.push_back({"bias with -inf", o, true});
  o.alibi_slope = 0.125;
  o.causal = true;
  cases.push_back({"alibi causal", o, false});
  o = {};
  o.softcap = 2.5;
  o.scale = 0.9;
  cases.push_back({"softcap", o, false});
  o = {};
  o.sink = 0.75;
  o.window_left = 0;
  o.window_right = 0;
  cases.push_back({"sink, one key", o, false});
  return cases;
}

RowMatrix<double> make_bias(Index nq, Index nk, std::uint64_t seed) {
  RowMatrix<double> b = random_matrix<double>(nq, nk, seed);
  for (Index i = 0; i < nq; ++i)
    for (Index j = 0; j < nk; ++j)
      if ((i * 7 + j * 3) % 5 == 0)
        b(i, j) = -std::numeric_limits<double>::infinity();  // padding-style holes
  for (Index j = 0; j < nk; ++j)
    b(0, j) = -std::numeric_limits<double>::infinity();  // a fully masked row
  return b;
}

}  // namespace

TEMPLATE_TEST_CASE("reference and flash attention equal the definition", "[attention]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const double tol = mlprim::test::Tolerance<T>::relative;
  struct Shape {
    Index nq, nk, d, dv;
  };
  const std::vector<Shape> shapes =
      {
          {1, 1, 1, 1},      {37, 37, 16, 16},  {100, 130, 64, 32},
          {130, 70, 80, 80}, {64, 64, 128, 64}, {65, 200, 16, 8},
          {200, 129, 1, 3},  {300, 530, 8, 8}};  // several 128-row tiles: skipped, zigzag-ordered
  std::uint64_t seed = 1;
  for (const auto& shape : shapes)
    for (auto c : option_cases()) {
      INFO(c.name << ": Nq " << shape.nq << " Nk " << shape.nk << " d " << shape.d);
      const auto q = random_matrix<T>(shape.nq, shape.d, seed++),
                 k = random_matrix<T>(shape.nk, shape.d, seed++);
      const auto v = random_matrix<T>(shape.nk, shape.dv, seed++);
      const RowMatrix<double> bias = make_bias(shape.nq, shape.nk, seed++);
      if (c.bias) c.options.bias = bias;
      const auto want = naive_attention(q, k, v, c.options, c.bias ? &bias : nullptr);
      check_close(mlprim::scaled_dot_product_attention(q, k, v, c.options), want.out, tol);
      for (int threads : {1, 3}) {
        c.options.num_threads = threads;
        const auto flash = mlprim::flash_attention(q, k, v, c.options);
        check_close(flash.out, want.out, tol);
        for (Index i = 0; i < shape.nq; ++i) {
          const double l = want.lse[static_cast<std::size_t>(i)];
          if (std::isinf(l)) {
            REQUIRE(std::isinf(flash.lse(i)));
            REQUIRE(flash.lse(i) < 0);
            REQUIRE(flash.out.row(i).isZero(0));
          } else {
            REQUIRE(std::abs(double(flash.lse(i)) - l) <= tol * (1 + std::abs(l)));
          }
        }
      }
    }
}

TEST_CASE("both backward passes match central finite differences", "[attention]") {
  const Index nq = 9, nk = 13, d = 5, dv = 4;
  const auto q = random_matrix<double>(nq, d, 11), k = random_matrix<double>(nk, d, 12);
  const auto v = random_matrix<double>(nk, dv, 13), w = random_matrix<double>(nq, dv, 14);
  const RowMatrix<double> bias = make_bias(nq, nk, 15);
  for (auto c : option_cases()) {
    INFO(c.name);
    if (c.bias) c.options.bias = bias;
    auto loss = [&](const RowMatrix<double>& qq, const RowMatrix<double>& kk,
                    const RowMatrix<double>& vv) {
      return (mlprim::scaled_dot_product_attention(qq, kk, vv, c.options).array() * w.array())
          .sum();
    };
    const auto reference = mlprim::scaled_dot_product_attention_backward(q, k, v, w, c.options);
    const auto forward = mlprim::flash_attention(q, k, v, c.options);
    const auto flash =
        mlprim::flash_attention_backward(q, k, v, forward.out, w, forward.lse, c.options);
    const double h = 1e-6;
    auto check = [&](RowMatrix<double> x, int which, const RowMatrix<double>& g_ref,
                     const RowMatrix<double>& g_flash) {
      for (Index i = 0; i < x.rows(); ++i)
        for (Index j = 0; j < x.cols(); ++j) {
          const double saved = x(i, j);
          x(i, j) = saved + h;
          const double up = which == 0 ? loss(x, k, v) : which == 1 ? loss(q, x, v) : loss(q, k, x);
          x(i, j) = saved - h;
          const double down = which == 0   ? loss(x, k, v)
                              : which == 1 ? loss(q, x, v)
                                           : loss(q, k, x);
          x(i, j) = saved;
          const double numeric = (up - down) / (2 * h);
          INFO("input " << which << " entry " << i << ", " << j);
          CHECK(g_ref(i, j) == Approx(numeric).margin(1e-7).epsilon(1e-6));
          CHECK(g_flash(i, j) == Approx(numeric).margin(1e-7).epsilon(1e-6));
        }
    };
    check(q, 0, reference.dQ, flash.dQ);
    check(k, 1, reference.dK, flash.dK);
    check(v, 2, reference.dV, flash.dV);
  }
}

TEMPLATE_TEST_CASE("flash backward equals the reference backward across tiles", "[attention]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const double tol = 10 * mlprim::test::Tolerance<T>::relative;
  const Index nq = 290, nk = 400, d = 32, dv = 24;
  const auto q = random_matrix<T>(nq, d, 21), k = random_matrix<T>(nk, d, 22);
  const auto v = random_matrix<T>(nk, dv, 23), w = random_matrix<T>(nq, dv, 24);
  for (const auto& c : option_cases()) {
    if (c.bias) continue;
    INFO(c.name);
    const auto want = mlprim::scaled_dot_product_attention_backward(q, k, v, w, c.options);
    const auto forward = mlprim::flash_attention(q, k, v, c.options);
    const auto got =
        mlprim::flash_attention_backward(q, k, v, forward.out, w, forward.lse, c.options);
    check_close(got.dQ, want.dQ.template cast<double>(), tol);
    check_close(got.dK, want.dK.template cast<double>(), tol);
    check_close(got.dV, want.dV.template cast<double>(), tol);
  }
}

TEST_CASE("outputs and gradients match PyTorch's scaled_dot_product_attention",
          "[attention][torch]") {
  const auto ref = mlprim::test::read_reference_data("attention/torch_reference.txt");
  for (const std::string name : {"sdpa_causal", "sdpa_mask"}) {
    INFO(name);
    const RowMatrix<double> q = ref.at(name + "_q"), k = ref.at(name + "_k"),
                            v = ref.at(name + "_v");
    const RowMatrix<double> w = ref.at(name + "_w");
    mlprim::AttentionOptions o;
    RowMatrix<double> bias;
    if (name == "sdpa_causal") {
      o.causal = true;  // Nq == Nk: PyTorch's top-left mask is the same
    } else {
      bias = ref.at(name + "_bias");
      o.bias = bias;
      o.scale = 0.3;
    }
    const auto flash = mlprim::flash_attention(q, k, v, o);
    check_close(flash.out, ref.at(name + "_out"), 1e-12);
    check_close(mlprim::scaled_dot_product_attention(q, k, v, o), ref.at(name + "_out"), 1e-12);
    const auto g = mlprim::flash_attention_backward(q, k, v, flash.out, w, flash.lse, o);
    const auto gr = mlprim::scaled_dot_product_attention_backward(q, k, v, w, o);
    for (const auto* grads : {&g, &gr}) {
      check_close(grads->dQ, ref.at(name + "_dq"), 1e-11);
      check_close(grads->dK, ref.at(name + "_dk"), 1e-11);
      check_close(grads->dV, ref.at(name + "_dv"), 1e-11);
    }
  }
}

TEST_CASE("half and bfloat16 storage accumulate in float", "[attention]") {
  const auto q = random_matrix<float>(70, 16, 31), k = random_matrix<float>(90, 16, 32),
             v = random_matrix<float>(90, 8, 33);
  mlprim::AttentionOptions o;
  o.causal = true;
  auto run = [&](auto tag, double tol) {
    using H = decltype(tag);
    const RowMatrix<H> qh = q.cast<H>(), kh = k.cast<H>(), vh = v.cast<H>();
    // The definition on the rounded inputs, so only the accumulation differs.
    const auto want = naive_attention<float>(qh.template cast<float>(), kh.template cast<float>(),
                                             vh.template cast<float>(), o, nullptr);
    const auto flash = mlprim::flash_attention(qh, kh, vh, o);
    static_assert(std::is_same_v<typename decltype(flash.lse)::Scalar, float>);
    check_close(flash.out, want.out, tol);  // tol: one rounding of the output to H
    check_close(mlprim::scaled_dot_product_attention(qh, kh, vh, o), want.out, tol);
  };
  run(Eigen::half(), 1e-3);
  run(Eigen::bfloat16(), 8e-3);
}

TEST_CASE("NaN in a query row stays in that row", "[attention]") {
  auto q = random_matrix<double>(80, 8, 41);
  const auto k = random_matrix<double>(90, 8, 42), v = random_matrix<double>(90, 4, 43);
  q(70, 3) = std::numeric_limits<double>::quiet_NaN();
  const auto clean = mlprim::flash_attention(random_matrix<double>(80, 8, 41), k, v);
  const auto flash = mlprim::flash_attention(q, k, v);
  const auto reference = mlprim::scaled_dot_product_attention(q, k, v);
  for (Index i = 0; i < 80; ++i) {
    if (i == 70) {
      CHECK(flash.out.row(i).hasNaN());
      CHECK(reference.row(i).hasNaN());
    } else {
      CHECK(flash.out.row(i) == clean.out.row(i));
      CHECK(reference.row(i).allFinite());
    }
  }
}

TEST_CASE("ALiBi slopes follow the paper's sequence", "[attention]") {
  const auto eight = mlprim::alibi_slopes(8);
  for (int h = 0; h < 8; ++h) CHECK(eight[static_cast<std::size_t>(h)] == std::pow(0.5, h + 1));
  // 12 heads: the 8 of the power of two below, then the odd ones of 16's.
  const auto twelve = mlprim::alibi_slopes(12);
  REQUIRE(twelve.size() == 12);
  for (int h = 0; h < 8; ++h)
    CHECK(twelve[static_cast<std::size_t>(h)] == eight[static_cast<std::size_t>(h)]);
  for (int h = 0; h < 4; ++h)
    CHECK(twelve[static_cast<std::size_t>(8 + h)] == Approx(std::pow(2.0, -0.5 * (2 * h + 1))));
}

TEST_CASE("attention rejects bad shapes and options", "[attention]") {
  const auto q = random_matrix<double>(4, 3, 1), k = random_matrix<double>(5, 3, 2),
             v = random_matrix<double>(5, 2, 3);
  auto message = [](auto&& fn) {
    return mlprim::test::exception_message<std::invalid_argument>(fn);
  };
  CHECK(message([&] { mlprim::flash_attention(q, random_matrix<double>(5, 4, 2), v); }) ==
        "mlprim::flash_attention: K.cols() = 4 does not match Q.cols() = 3");
  CHECK(message([&] {
          mlprim::scaled_dot_product_attention(q, k, random_matrix<double>(6, 2, 3));
        }) == "mlprim::scaled_dot_product_attention: V.rows() = 6 does not match K.rows() = 5");
  mlprim::AttentionOptions o;
  o.window_left = -2;
  CHECK(message([&] { mlprim::flash_attention(q, k, v, o); }) ==
        "mlprim::flash_attention: window_left = -2 must be >= -1");
  const RowMatrix<float> wrong = RowMatrix<float>::Zero(4, 4);
  o = {};
  o.bias = wrong;
  CHECK(message([&] { mlprim::flash_attention(q, k, v, o); }) ==
        "mlprim::flash_attention: bias is 4 x 4, the scores 4 x 5");
  const auto out = mlprim::flash_attention(q, k, v);
  CHECK(message([&] {
          mlprim::flash_attention_backward(q, k, v, out.out, out.out, out.lse.head(3), {});
        }) == "mlprim::flash_attention_backward: lse has 3 entries, Q 4 rows");
}
