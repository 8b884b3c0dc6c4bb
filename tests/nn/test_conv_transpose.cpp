// Transposed convolution against F.conv_transpose2d (float64 numbers and
// autograd gradients; tests/data/nn/make_conv_transpose_reference.py), as
// the adjoint of its own backward pass, and its argument checks.
#include <mlprim/nn.hpp>

#include <string>
#include <vector>

#include "catch.hpp"
#include "matrix_checks.hpp"
#include "reference_data.hpp"
#include "test_types.hpp"

using mlprim::ConvTranspose2dOptions;
using mlprim::ImageShape;
using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::Vector;
using mlprim::test::check_close;

namespace {

struct Case {
  std::string name;
  ImageShape in;
  ConvTranspose2dOptions options;
  bool bias;
};

ConvTranspose2dOptions geometry(Index kh, Index kw, Index sh, Index sw, Index ph, Index pw,
                                Index ah, Index aw, Index dh, Index dw, Index groups) {
  ConvTranspose2dOptions o;
  o.kernel_height = kh, o.kernel_width = kw, o.stride_height = sh, o.stride_width = sw;
  o.padding_height = ph, o.padding_width = pw, o.output_padding_height = ah;
  o.output_padding_width = aw, o.dilation_height = dh, o.dilation_width = dw, o.groups = groups;
  return o;
}

// The script's cases.
std::vector<Case> cases() {
  return {{"basic", {4, 5, 6}, geometry(3, 3, 2, 2, 1, 1, 1, 1, 1, 1, 1), true},
          {"mixed", {3, 4, 5}, geometry(3, 2, 2, 3, 0, 1, 1, 0, 1, 1, 1), true},
          {"dilated_groups", {4, 4, 4}, geometry(2, 3, 1, 1, 1, 0, 0, 0, 2, 2, 2), false},
          {"wide", {2, 3, 4}, geometry(1, 4, 3, 3, 0, 2, 2, 2, 1, 1, 1), true}};
}

}  // namespace

TEMPLATE_TEST_CASE("conv_transpose2d equals F.conv_transpose2d, forward and backward", "[nn]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  static const auto ref = mlprim::test::read_reference_data("nn/conv_transpose_reference.txt");
  const double tol = 10 * mlprim::test::Tolerance<T>::relative;
  for (const auto& c : cases()) {
    INFO(c.name);
    const RowMatrix<T> x = ref.at(c.name + "_x").cast<T>();
    const RowMatrix<T> w = ref.at(c.name + "_weight").cast<T>();
    const RowMatrix<T> g = ref.at(c.name + "_grad_out").cast<T>();
    const Vector<T> b = c.bias ? Vector<T>(ref.at(c.name + "_bias").col(0).cast<T>()) : Vector<T>();
    for (const int threads : {1, 2}) {
      auto o = c.options;
      o.num_threads = threads;
      check_close(mlprim::conv_transpose2d(x, c.in, w, b, o), ref.at(c.name + "_y"), tol);
      const auto grad = mlprim::conv_transpose2d_backward(x, c.in, w, g, o, c.bias);
      check_close(grad.input, ref.at(c.name + "_grad_x"), tol);
      check_close(grad.weight, ref.at(c.name + "_grad_weight"), tol);
      if (c.bias) check_close(RowMatrix<T>(grad.bias), ref.at(c.name + "_grad_bias"), tol);
    }
  }
}

TEST_CASE("conv_transpose2d gives the same results on any thread count", "[nn]") {
  // 40 input channels: three blocks of the backward pass's split.
  const auto o = cases()[0].options;
  const ImageShape in{40, 5, 6};
  const RowMatrix<double> x = mlprim::test::random_matrix<double>(5, in.size(), 3);
  const RowMatrix<double> w = mlprim::test::random_matrix<double>(40, 3 * 9, 4);
  const Vector<double> bias = Vector<double>::LinSpaced(3, -1, 1);
  const ImageShape out = mlprim::conv_transpose2d_output_shape(in, w.cols(), o);
  REQUIRE((out.channels == 3 && out.height == 10 && out.width == 12));
  const RowMatrix<double> g = mlprim::test::random_matrix<double>(5, out.size(), 5);
  auto one = o, two = o;
  one.num_threads = 1, two.num_threads = 2;
  REQUIRE(mlprim::conv_transpose2d(x, in, w, bias, one) ==
          mlprim::conv_transpose2d(x, in, w, bias, two));
  const auto a = mlprim::conv_transpose2d_backward(x, in, w, g, one);
  const auto b = mlprim::conv_transpose2d_backward(x, in, w, g, two);
  REQUIRE(a.weight == b.weight);
  REQUIRE(a.input == b.input);
  REQUIRE(a.bias == b.bias);
}

TEST_CASE("conv_transpose2d rejects bad geometry and shapes", "[nn]") {
  const ImageShape in{4, 5, 6};
  const RowMatrix<double> x = RowMatrix<double>::Zero(1, in.size()),
                          w = RowMatrix<double>::Zero(4, 27);
  const Vector<double> none;
  auto o = cases()[0].options;
  o.output_padding_height = 2;
  REQUIRE_THROWS_WITH(mlprim::conv_transpose2d(x, in, w, none, o),
                      "mlprim::conv_transpose2d: output_padding_height = 2 must be smaller than "
                      "the stride (2) or the dilation (1)");
  o = cases()[0].options;
  o.groups = 3;
  REQUIRE_THROWS_WITH(
      mlprim::conv_transpose2d(x, in, w, none, o),
      "mlprim::conv_transpose2d: shape.channels = 4 is not divisible by groups = 3");
  o = cases()[0].options;
  REQUIRE_THROWS_WITH(mlprim::conv_transpose2d(x, in, RowMatrix<double>::Zero(4, 26), none, o),
                      "mlprim::conv_transpose2d: weight.cols() = 26 is not a multiple of "
                      "kernel_height x kernel_width = 9");
  REQUIRE_THROWS_WITH(
      mlprim::conv_transpose2d(x, in, RowMatrix<double>::Zero(3, 27), none, o),
      "mlprim::conv_transpose2d: weight.rows() = 3 does not match shape.channels = 4");
  REQUIRE_THROWS_WITH(mlprim::conv_transpose2d(x, in, w, Vector<double>::Zero(2), o),
                      "mlprim::conv_transpose2d: bias.size() = 2 does not match C_out = 3");
  o.stride_width = 0;
  REQUIRE_THROWS_WITH(mlprim::conv_transpose2d(x, in, w, none, o),
                      "mlprim::conv_transpose2d: stride_width = 0 must be positive");
  o = cases()[0].options;
  o.padding_height = 9;
  REQUIRE_THROWS_AS(mlprim::conv_transpose2d(x, in, w, none, o), std::invalid_argument);
}

TEST_CASE("conv_transpose2d_backward is the adjoint of conv_transpose2d", "[nn]") {
  // The map is linear in x and in the weight: <y(x, w), g> = <x, dL/dx> =
  // <w, dL/dw> for every geometry, with no reference but the definition.
  for (const auto& c : cases()) {
    INFO(c.name);
    const Index cout_taps = 3 * c.options.kernel_height * c.options.kernel_width;
    const RowMatrix<double> x = mlprim::test::random_matrix<double>(2, c.in.size(), 6);
    const RowMatrix<double> w = mlprim::test::random_matrix<double>(c.in.channels, cout_taps, 7);
    const ImageShape out = mlprim::conv_transpose2d_output_shape(c.in, w.cols(), c.options);
    const RowMatrix<double> g = mlprim::test::random_matrix<double>(2, out.size(), 8);
    const double y_g = mlprim::conv_transpose2d(x, c.in, w, Vector<double>(), c.options)
                           .cwiseProduct(g)
                           .sum();
    const auto grad = mlprim::conv_transpose2d_backward(x, c.in, w, g, c.options, false);
    REQUIRE(grad.bias.size() == 0);
    REQUIRE(x.cwiseProduct(grad.input).sum() == Approx(y_g).epsilon(1e-12));
    REQUIRE(w.cwiseProduct(grad.weight).sum() == Approx(y_g).epsilon(1e-12));
  }
}
