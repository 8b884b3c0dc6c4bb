// clip_grad_norm / clip_grad_value against torch.nn.utils (PyTorch 1.13),
// numbers from tests/data/optim/make_schedules.py.
#include <mlprim/optim.hpp>

#include <cmath>
#include <limits>
#include <string>

#include "catch.hpp"
#include "reference_data.hpp"
#include "test_types.hpp"

namespace {

const mlprim::test::ReferenceData& reference() {
  static const auto data = mlprim::test::read_reference_data("optim/schedules.txt");
  return data;
}

}  // namespace

TEMPLATE_TEST_CASE("clip_grad_norm matches torch.nn.utils.clip_grad_norm_", "[optim][clip]",
                   MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const double tolerance = mlprim::test::Tolerance<T>::relative;
  const double inf = std::numeric_limits<double>::infinity();
  const auto input = reference().at("clip_input");
  struct Case {
    const char* tag;
    double max_norm, norm_type;
  };
  for (const Case& c : {Case{"l2", 1.0, 2.0}, Case{"l1", 3.0, 1.0}, Case{"inf", 0.5, inf},
                        Case{"p3_5", 2.0, 3.5}, Case{"no_clip", 100.0, 2.0}}) {
    INFO(c.tag);
    mlprim::Vector<T> a = input.block(0, 0, 1, 5).transpose().cast<T>();
    mlprim::RowMatrix<T> b = input.block(0, 5, 1, 17).cast<T>();
    mlprim::Matrix<T> m = Eigen::Map<const Eigen::MatrixXd>(input.data() + 22, 8, 8).cast<T>();
    const T total = mlprim::clip_grad_norm(a, b, m, c.max_norm, c.norm_type);
    const auto& expected =
        reference().at(std::string("clip_") + c.tag + (std::is_same_v<T, float> ? "_f32" : "_f64"));
    CHECK(std::abs(static_cast<double>(total) - expected(0, 0)) <= tolerance * expected(0, 0));
    Eigen::VectorXd clipped(86);
    clipped << a.template cast<double>(), b.transpose().template cast<double>(),
        Eigen::Map<const mlprim::Matrix<T>>(m.data(), 64, 1).template cast<double>();
    const Eigen::VectorXd want = expected.block(0, 1, 1, 86).transpose();
    CHECK((clipped - want).cwiseAbs().maxCoeff() <= tolerance * want.cwiseAbs().maxCoeff());
  }
}

TEST_CASE("clip_grad_norm over an optimizer's gradients, and with the default L2 norm",
          "[optim][clip]") {
  Eigen::VectorXd p(2), g(2), q(1), gq(1);
  p.setZero();
  q.setZero();
  g << 3, 0;
  gq << 4;
  mlprim::SGD<double> opt;
  opt.add_param(p, g);
  opt.add_param(q, gq);
  CHECK(mlprim::clip_grad_norm(opt, 1.0) == 5.0);  // sqrt(3^2 + 4^2)
  CHECK(g(0) == Approx(3.0 / (5.0 + 1e-6)).epsilon(1e-15));
  CHECK(gq(0) == Approx(4.0 / (5.0 + 1e-6)).epsilon(1e-15));

  Eigen::VectorXf small(3);
  small << 0.1f, -0.2f, 0.2f;
  CHECK(mlprim::clip_grad_norm(small, 10.0) == Approx(0.3).epsilon(1e-6));
  CHECK(small(1) == -0.2f);  // below max_norm: unchanged (coefficient clamped to 1)
}

TEST_CASE("clip_grad_value clamps every entry", "[optim][clip]") {
  Eigen::VectorXf a(3), b(2);
  a << -2.0f, 0.3f, 5.0f;
  b << 0.7f, -0.1f;
  mlprim::clip_grad_value(a, b, 0.5);
  CHECK(a(0) == -0.5f);
  CHECK(a(1) == 0.3f);
  CHECK(a(2) == 0.5f);
  CHECK(b(0) == 0.5f);
  CHECK(b(1) == -0.1f);
  CHECK_THROWS_WITH(mlprim::clip_grad_value(a, -1.0),
                    "mlprim::clip_grad_value: clip_value = -1 must be non-negative");
  CHECK_THROWS_WITH(mlprim::clip_grad_norm(a, 1.0, 0.0),
                    "mlprim::clip_grad_norm: norm_type = 0 must be positive");
  CHECK_THROWS_WITH(mlprim::clip_grad_norm(a, -1.0),
                    "mlprim::clip_grad_norm: max_norm = -1 must be non-negative");
}

TEST_CASE("a NaN gradient makes every norm NaN, infinity included", "[optim][clip]") {
  // Regression: with norm_type = inf the NaN was ignored (PyTorch reports NaN).
  for (const double norm_type : {2.0, 1.0, 3.0, std::numeric_limits<double>::infinity()}) {
    Eigen::VectorXd a(3), b(2);
    a << 1, std::numeric_limits<double>::quiet_NaN(), -2;
    b << 3, 4;
    INFO("norm_type = " << norm_type);
    CHECK(std::isnan(mlprim::clip_grad_norm(a, b, 1.0, norm_type)));
    CHECK(b.hasNaN());  // as PyTorch: the clamped coefficient is NaN too
  }
}
