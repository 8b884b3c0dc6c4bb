// Nearest and bilinear upsampling and pixel (un)shuffling against PyTorch
// (F.interpolate, F.pixel_shuffle, F.pixel_unshuffle with autograd
// gradients, float64 and float32; tests/data/nn/make_upsample_reference.py),
// and the backward passes as adjoints: <up(x), g> = <x, up_backward(g)>.
#include <mlprim/nn.hpp>

#include <string>
#include <vector>

#include "catch.hpp"
#include "matrix_checks.hpp"
#include "reference_data.hpp"
#include "test_types.hpp"

using mlprim::ImageShape;
using mlprim::Index;
using mlprim::RowMatrix;
using mlprim::UpsampleOptions;
using mlprim::test::check_close;

namespace {

const mlprim::test::ReferenceData& reference() {
  static const auto data = mlprim::test::read_reference_data("nn/upsample_reference.txt");
  return data;
}

struct Case {
  std::string name;
  bool bilinear;
  UpsampleOptions options;
};

// The script's cases: target sizes, or scale factors (1.7, 2.3).
std::vector<Case> cases() {
  const auto size = [](Index h, Index w, bool corners) {
    UpsampleOptions o;
    o.out_height = h, o.out_width = w, o.align_corners = corners;
    return o;
  };
  const auto scale = [](bool corners) {
    UpsampleOptions o;
    o.scale_height = 1.7, o.scale_width = 2.3, o.align_corners = corners;
    return o;
  };
  return {{"nearest_size", false, size(11, 9, false)},
          {"nearest_2x", false, size(10, 14, false)},
          {"nearest_scale", false, scale(false)},
          {"nearest_down", false, size(3, 4, false)},
          {"bilinear_size", true, size(11, 9, false)},
          {"bilinear_size_corners", true, size(11, 9, true)},
          {"bilinear_scale", true, scale(false)},
          {"bilinear_scale_corners", true, scale(true)},
          {"bilinear_down", true, size(3, 4, false)}};
}

}  // namespace

TEMPLATE_TEST_CASE("upsampling equals F.interpolate, forward and backward", "[nn]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const std::string suffix = std::is_same_v<T, float> ? "_f32" : "";
  const auto& ref = reference();
  const ImageShape shape{3, 5, 7};
  const RowMatrix<T> x = ref.at("x" + suffix).cast<T>();
  const double tol = 10 * mlprim::test::Tolerance<T>::relative;
  for (const auto& c : cases()) {
    INFO(c.name);
    const RowMatrix<T> g = ref.at(c.name + suffix + "_grad_out").cast<T>();
    for (const int threads : {1, 2}) {
      UpsampleOptions o = c.options;
      o.num_threads = threads;
      const RowMatrix<T> y = c.bilinear ? mlprim::upsample_bilinear(x, shape, o)
                                        : mlprim::upsample_nearest(x, shape, o);
      check_close(y, ref.at(c.name + suffix), tol);
      const RowMatrix<T> gx = c.bilinear ? mlprim::upsample_bilinear_backward(g, shape, o)
                                         : mlprim::upsample_nearest_backward(g, shape, o);
      check_close(gx, ref.at(c.name + suffix + "_grad"), tol);
    }
  }
}

TEST_CASE("upsampling backward passes are the adjoints of the forward passes", "[nn]") {
  // Odd sizes and factors that take the general index rule.
  const ImageShape shape{2, 6, 5};
  const RowMatrix<double> x = mlprim::test::random_matrix<double>(3, shape.size(), 11);
  for (const bool corners : {false, true}) {
    UpsampleOptions o;
    o.scale_height = 2.6, o.scale_width = 0.7, o.align_corners = corners;
    const ImageShape out = mlprim::upsample_output_shape(shape, o);
    REQUIRE(out.height == 15);
    REQUIRE(out.width == 3);
    const RowMatrix<double> g = mlprim::test::random_matrix<double>(3, out.size(), 12);
    const double lhs = (mlprim::upsample_bilinear(x, shape, o).array() * g.array()).sum();
    const double rhs = (x.array() * mlprim::upsample_bilinear_backward(g, shape, o).array()).sum();
    REQUIRE(std::abs(lhs - rhs) <= 1e-12 * (1 + std::abs(lhs)));
    const double lhs_n = (mlprim::upsample_nearest(x, shape, o).array() * g.array()).sum();
    const double rhs_n = (x.array() * mlprim::upsample_nearest_backward(g, shape, o).array()).sum();
    REQUIRE(std::abs(lhs_n - rhs_n) <= 1e-12 * (1 + std::abs(lhs_n)));
  }
}

TEST_CASE("pixel shuffle and unshuffle equal PyTorch's and invert each other", "[nn]") {
  const auto& ref = reference();
  const ImageShape s{8, 3, 4}, u{2, 6, 9};
  const RowMatrix<double> sx = ref.at("shuffle_x"), ux = ref.at("unshuffle_x");
  check_close(mlprim::pixel_shuffle(sx, s, 2), ref.at("shuffle"), 0);
  check_close(mlprim::pixel_shuffle_backward(ref.at("shuffle_grad_out"), s, 2),
              ref.at("shuffle_grad"), 0);
  check_close(mlprim::pixel_unshuffle(ux, u, 3), ref.at("unshuffle"), 0);
  check_close(mlprim::pixel_unshuffle_backward(ref.at("unshuffle_grad_out"), u, 3),
              ref.at("unshuffle_grad"), 0);
  const ImageShape up = mlprim::pixel_shuffle_shape(s, 2);
  REQUIRE((up.channels == 2 && up.height == 6 && up.width == 8));
  check_close(mlprim::pixel_unshuffle(mlprim::pixel_shuffle(sx, s, 2), up, 2), sx, 0);
}

TEST_CASE("upsampling and shuffles reject bad shapes and factors", "[nn]") {
  const ImageShape shape{3, 5, 7};
  const RowMatrix<double> x = RowMatrix<double>::Zero(2, shape.size());
  UpsampleOptions o;
  REQUIRE_THROWS_WITH(mlprim::upsample_bilinear(x, shape, o),
                      "mlprim::upsample_bilinear: scale_height = 0 must be positive and finite "
                      "when out_height is 0");
  o.out_height = 4, o.scale_width = -2;
  REQUIRE_THROWS_WITH(mlprim::upsample_nearest(x, shape, o),
                      "mlprim::upsample_nearest: scale_width = -2 must be positive and finite "
                      "when out_width is 0");
  o.scale_width = 2;
  REQUIRE_THROWS_WITH(
      mlprim::upsample_nearest(x, ImageShape{3, 5, 6}, o),
      "mlprim::upsample_nearest: x.cols() = 105 does not match C H W = 3 x 5 x 6 = 90");
  REQUIRE_THROWS_WITH(mlprim::upsample_bilinear_backward(x, shape, o),
                      "mlprim::upsample_bilinear_backward: grad_out.cols() = 105 does not match "
                      "C H W = 3 x 4 x 14 = 168");
  o.num_threads = -1;
  REQUIRE_THROWS_AS(mlprim::upsample_nearest(x, shape, o), std::invalid_argument);
  REQUIRE_THROWS_WITH(mlprim::pixel_shuffle(x, shape, 2),
                      "mlprim::pixel_shuffle: shape.channels = 3 is not divisible by "
                      "upscale_factor^2 = 4");
  REQUIRE_THROWS_WITH(mlprim::pixel_shuffle(x, shape, 0),
                      "mlprim::pixel_shuffle: upscale_factor = 0 must be positive");
  REQUIRE_THROWS_WITH(mlprim::pixel_unshuffle(x, shape, 2),
                      "mlprim::pixel_unshuffle: shape.height x shape.width = 5 x 7 is not "
                      "divisible by downscale_factor = 2");
}
