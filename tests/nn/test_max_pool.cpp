// Max pooling with indices and max unpooling against PyTorch
// (F.max_pool2d(return_indices=True), F.max_unpool2d and their autograd
// gradients; tests/data/nn/make_max_pool_reference.py), the backward passes
// as adjoints, and the receptive-field recursion against an enumeration of
// the input pixels each output reads.
#include <mlprim/nn.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "catch.hpp"
#include "matrix_checks.hpp"
#include "reference_data.hpp"
#include "test_types.hpp"

using mlprim::ImageShape;
using mlprim::Index;
using mlprim::IndexMatrix;
using mlprim::MaxPool2dOptions;
using mlprim::MaxUnpool2dOptions;
using mlprim::RowMatrix;
using mlprim::test::check_close;

namespace {

struct Case {
  std::string name;
  ImageShape in;
  MaxPool2dOptions options;
};

MaxPool2dOptions pool(Index kh, Index kw, Index sh, Index sw, Index ph, Index pw, Index dh,
                      Index dw, bool ceil) {
  MaxPool2dOptions o;
  o.kernel_height = kh, o.kernel_width = kw, o.stride_height = sh, o.stride_width = sw;
  o.padding_height = ph, o.padding_width = pw, o.dilation_height = dh, o.dilation_width = dw;
  o.ceil_mode = ceil;
  return o;
}

// The script's cases.
std::vector<Case> cases() {
  return {{"basic", {3, 6, 8}, pool(2, 2, 2, 2, 0, 0, 1, 1, false)},
          {"overlap", {2, 7, 9}, pool(3, 3, 2, 2, 1, 1, 1, 1, false)},
          {"ceil", {2, 7, 8}, pool(3, 2, 2, 3, 1, 0, 1, 1, true)},
          {"dilated", {2, 9, 10}, pool(3, 2, 1, 2, 1, 1, 2, 3, false)},
          {"dilated_ceil", {1, 4, 5}, pool(3, 2, 2, 2, 0, 1, 2, 2, true)},
          {"rect", {2, 5, 11}, pool(1, 4, 1, 3, 0, 2, 1, 1, true)}};
}

// The unpooling that inverts a case's pooling; out = 0 x 0 for the default size.
MaxUnpool2dOptions unpool(const MaxPool2dOptions& p, Index out_height, Index out_width) {
  MaxUnpool2dOptions u;
  u.kernel_height = p.kernel_height, u.kernel_width = p.kernel_width;
  u.stride_height = p.stride_height, u.stride_width = p.stride_width;
  u.padding_height = p.padding_height, u.padding_width = p.padding_width;
  u.out_height = out_height, u.out_width = out_width;
  return u;
}

}  // namespace

TEMPLATE_TEST_CASE("max_pool2d and max_unpool2d equal PyTorch, forward and backward", "[nn]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  static const auto ref = mlprim::test::read_reference_data("nn/max_pool_reference.txt");
  const double tol = 4 * mlprim::test::Tolerance<T>::relative;
  for (const auto& c : cases()) {
    INFO(c.name);
    // Small integers and quarters: exact in float, with many ties.
    const RowMatrix<T> x = ref.at(c.name + "_x").cast<T>();
    const IndexMatrix want_idx = ref.at(c.name + "_indices").cast<Index>();
    const RowMatrix<T> g = ref.at(c.name + "_grad_out").cast<T>();
    for (const int threads : {1, 2}) {
      INFO("threads " << threads);
      auto o = c.options;
      o.num_threads = threads;
      const auto r = mlprim::max_pool2d(x, c.in, o);
      const ImageShape out = mlprim::max_pool2d_output_shape(c.in, o);
      REQUIRE((r.shape.channels == out.channels && r.shape.height == out.height &&
               r.shape.width == out.width));
      REQUIRE(r.values == ref.at(c.name + "_y").cast<T>());
      REQUIRE(r.indices == want_idx);
      check_close(mlprim::max_pool2d_backward(g, r.indices, c.in, o), ref.at(c.name + "_grad"),
                  tol);
      for (const bool to_input : {true, false}) {
        const std::string name = c.name + (to_input ? "_unpool" : "_unpool_default");
        if (!ref.count(name)) continue;  // PyTorch rejects that size for this case
        INFO(name);
        auto u = to_input ? unpool(o, c.in.height, c.in.width) : unpool(o, 0, 0);
        u.num_threads = threads;
        REQUIRE(mlprim::max_unpool2d(r.values, r.indices, r.shape, u) == ref.at(name).cast<T>());
        const RowMatrix<T> h = ref.at(name + "_grad_out").cast<T>();
        REQUIRE(mlprim::max_unpool2d_backward(h, r.indices, r.shape, u) ==
                ref.at(name + "_grad").cast<T>());
      }
    }
  }
}

TEST_CASE("max_pool2d takes the first maximum and propagates NaN", "[nn]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  // One 1 x 3 x 4 image, 2 x 2 windows: ties, a NaN, -inf everywhere.
  RowMatrix<double> x(1, 12);
  const double inf = std::numeric_limits<double>::infinity();
  x << 1, 5, 2, nan, 5, 0, 2, 7,  //
      -inf, -inf, 3, 3;
  MaxPool2dOptions o;
  o.kernel_height = 1, o.stride_height = 1;
  const auto r = mlprim::max_pool2d(x, ImageShape{1, 3, 4}, o);
  REQUIRE(r.values(0, 0) == 5);
  REQUIRE(r.indices(0, 0) == 1);
  REQUIRE(std::isnan(r.values(0, 1)));
  REQUIRE(r.indices(0, 1) == 3);
  REQUIRE((r.values(0, 2) == 5 && r.indices(0, 2) == 4));
  REQUIRE((r.values(0, 3) == 7 && r.indices(0, 3) == 7));
  REQUIRE((r.values(0, 4) == -inf && r.indices(0, 4) == 8));
  REQUIRE((r.values(0, 5) == 3 && r.indices(0, 5) == 10));
}

TEST_CASE("max pooling's backward passes are the adjoints of their linear maps", "[nn]") {
  // At fixed indices pooling gathers and its backward pass scatters:
  // <gather(x), g> = <x, scatter(g)>; unpooling with distinct indices
  // (non-overlapping windows) scatters and its backward pass gathers.
  const ImageShape in{3, 8, 10};
  const RowMatrix<double> x = mlprim::test::random_matrix<double>(2, in.size(), 11);
  for (const auto& o : {pool(2, 2, 2, 2, 0, 0, 1, 1, false), pool(3, 3, 2, 1, 1, 1, 1, 1, true)}) {
    const auto r = mlprim::max_pool2d(x, in, o);
    const RowMatrix<double> g = mlprim::test::random_matrix<double>(2, r.values.cols(), 12);
    const double lhs = r.values.cwiseProduct(g).sum();
    REQUIRE(x.cwiseProduct(mlprim::max_pool2d_backward(g, r.indices, in, o)).sum() ==
            Approx(lhs).epsilon(1e-13));
  }
  const auto o = pool(2, 2, 2, 2, 0, 0, 1, 1, false);
  const auto r = mlprim::max_pool2d(x, in, o);
  const RowMatrix<double> y = mlprim::test::random_matrix<double>(2, r.values.cols(), 13);
  const RowMatrix<double> h = mlprim::test::random_matrix<double>(2, in.size(), 14);
  const auto u = unpool(o, 0, 0);
  REQUIRE(mlprim::max_unpool2d(y, r.indices, r.shape, u).cwiseProduct(h).sum() ==
          Approx(y.cwiseProduct(mlprim::max_unpool2d_backward(h, r.indices, r.shape, u)).sum())
              .epsilon(1e-13));
}

TEST_CASE("max pooling rejects bad windows, shapes and indices", "[nn]") {
  const ImageShape in{2, 6, 8};
  const RowMatrix<double> x = RowMatrix<double>::Zero(1, in.size());
  auto o = pool(3, 3, 2, 2, 2, 1, 1, 1, false);
  REQUIRE_THROWS_WITH(mlprim::max_pool2d(x, in, o),
                      "mlprim::max_pool2d: padding_height = 2 must be at most half of "
                      "kernel_height = 3");
  o = pool(3, 3, 0, 1, 0, 0, 1, 0, false);
  REQUIRE_THROWS_WITH(mlprim::max_pool2d(x, in, o),
                      "mlprim::max_pool2d: dilation_width = 0 must be positive");
  o = pool(4, 2, 1, 1, 0, 0, 3, 1, false);
  REQUIRE_THROWS_WITH(mlprim::max_pool2d(x, in, o),
                      "mlprim::max_pool2d: the output height = -3 is not positive (height 6 is "
                      "smaller than the dilated kernel 10 with padding 0)");
  // Dilation 2 with padding 1 on a 1-pixel axis: the only window reads
  // positions -1 and 1.
  o = pool(1, 2, 1, 1, 0, 1, 1, 2, false);
  REQUIRE_THROWS_WITH(mlprim::max_pool2d(RowMatrix<double>::Zero(1, 1), ImageShape{1, 1, 1}, o),
                      "mlprim::max_pool2d: the window at output width 0 holds only padding "
                      "(dilation_width = 2)");
  o = pool(2, 2, 2, 2, 0, 0, 1, 1, false);
  REQUIRE_THROWS_AS(mlprim::max_pool2d(RowMatrix<double>::Zero(1, 5), in, o),
                    std::invalid_argument);
  const auto r = mlprim::max_pool2d(x, in, o);
  IndexMatrix bad = r.indices;
  bad(0, 5) = 48;
  REQUIRE_THROWS_WITH(mlprim::max_pool2d_backward(r.values, bad, in, o),
                      "mlprim::max_pool2d_backward: indices(0, 5) = 48 is outside the plane of "
                      "48 pixels");
  REQUIRE_THROWS_WITH(mlprim::max_pool2d_backward(r.values, IndexMatrix(1, 3), in, o),
                      "mlprim::max_pool2d_backward: indices is 1 x 3, expected 1 x 24");
  auto u = unpool(o, 8, 8);
  REQUIRE_THROWS_WITH(mlprim::max_unpool2d(r.values, r.indices, r.shape, u),
                      "mlprim::max_unpool2d: out_height = 8 must lie strictly between 4 and 8");
  u = unpool(o, 7, 9);
  REQUIRE(mlprim::max_unpool2d_output_shape(r.shape, u).width == 9);
  bad(0, 5) = -1;
  REQUIRE_THROWS_WITH(mlprim::max_unpool2d(r.values, bad, r.shape, u),
                      "mlprim::max_unpool2d: indices(0, 5) = -1 is outside the plane of 63 "
                      "pixels");
  REQUIRE_THROWS_AS(
      mlprim::max_unpool2d_backward(RowMatrix<double>::Zero(1, 5), r.indices, r.shape, u),
      std::invalid_argument);
}

namespace {

// The input pixels [lo, hi] that output u of layer `top` reads through the
// layers below it, borders ignored (padding included): the window of u in
// its input is [u s - p, u s - p + d (k - 1)], applied down to the image.
std::pair<Index, Index> enumerate_field(const std::vector<mlprim::ReceptiveFieldLayer>& layers,
                                        std::size_t top, Index u) {
  Index lo = u, hi = u;
  for (std::size_t l = top + 1; l-- > 0;) {
    const auto& L = layers[l];
    lo = lo * L.stride - L.padding;
    hi = hi * L.stride - L.padding + L.dilation * (L.kernel - 1);
  }
  return {lo, hi};
}

}  // namespace

TEST_CASE("receptive_field equals the enumerated fields of a layer stack", "[nn]") {
  // A VGG-like stack with a dilated convolution, a pooling and an even kernel.
  const std::vector<mlprim::ReceptiveFieldLayer> layers = {{3, 1, 1, 1}, {3, 1, 1, 1}, {2, 2, 0, 1},
                                                           {3, 1, 2, 2}, {4, 2, 1, 1}, {1, 1, 0, 1},
                                                           {5, 3, 0, 1}};
  const auto fields = mlprim::receptive_field(layers);
  REQUIRE(fields.size() == layers.size());
  for (std::size_t l = 0; l < layers.size(); ++l) {
    INFO("layer " << l);
    const auto [lo, hi] = enumerate_field(layers, l, 0);
    const auto next = enumerate_field(layers, l, 1);
    CHECK(fields[l].size == hi - lo + 1);
    CHECK(fields[l].jump == next.first - lo);
    CHECK(fields[l].start == 0.5 * double(lo + hi));
  }
  // Three 3 x 3 convolutions see 7 pixels (Simonyan & Zisserman 2015).
  const auto vgg = mlprim::receptive_field({{3, 1, 1, 1}, {3, 1, 1, 1}, {3, 1, 1, 1}});
  REQUIRE((vgg.back().size == 7 && vgg.back().jump == 1 && vgg.back().start == 0));
  REQUIRE(mlprim::receptive_field({}).empty());
  REQUIRE_THROWS_WITH(mlprim::receptive_field({{3, 1, 1, 1}, {3, 0, 1, 1}}),
                      "mlprim::receptive_field: layers[1].stride = 0 must be positive");
  REQUIRE_THROWS_WITH(mlprim::receptive_field({{3, 1, -1, 1}}),
                      "mlprim::receptive_field: layers[0].padding = -1 must be non-negative");
}
