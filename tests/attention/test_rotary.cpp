// RoPE against closed-form properties (norms of each rotated pair kept,
// q.k after rotation depending only on the position difference) and against
// an implementation in PyTorch (tests/data/attention/make_torch_reference.py).
#include <mlprim/attention.hpp>

#include <cmath>
#include <vector>

#include "catch.hpp"
#include "reference_data.hpp"
#include "test_types.hpp"
#include "test_util.hpp"

using mlprim::Index;
using mlprim::RowMatrix;

TEMPLATE_TEST_CASE("RoPE keeps pair norms and makes q.k depend on t - s only",
                   "[attention][rotary]", MLPRIM_TEST_SCALARS) {
  using T = TestType;
  const double tol = 100 * mlprim::test::Tolerance<T>::relative;
  mlprim::Rng rng(5);
  RowMatrix<T> q(1, 16), k(1, 16);
  mlprim::fill_normal(q, rng);
  mlprim::fill_normal(k, rng);
  for (bool interleaved : {false, true}) {
    mlprim::RotaryOptions o;
    o.interleaved = interleaved;
    auto rotated = [&](const RowMatrix<T>& x, Index t) {
      RowMatrix<T> y = x;
      mlprim::apply_rotary(y, std::vector<Index>{t}, o);
      return y;
    };
    const RowMatrix<T> q7 = rotated(q, 7);
    for (Index p = 0; p < 8; ++p) {
      const Index a = interleaved ? 2 * p : p, b = interleaved ? 2 * p + 1 : p + 8;
      CHECK(std::hypot(double(q7(0, a)), double(q7(0, b))) ==
            Approx(std::hypot(double(q(0, a)), double(q(0, b)))).epsilon(tol));
    }
    const double dot_7_3 = double(rotated(q, 7).row(0).dot(rotated(k, 3).row(0)));
    const double dot_104_100 = double(rotated(q, 104).row(0).dot(rotated(k, 100).row(0)));
    CHECK(dot_7_3 == Approx(dot_104_100).epsilon(tol));
    CHECK(double(rotated(q, 0).row(0).dot(k.row(0))) ==
          Approx(double(q.row(0).dot(k.row(0)))).epsilon(tol));
  }
  RowMatrix<T> block = RowMatrix<T>::Ones(3, 4), one_by_one = block;
  mlprim::apply_rotary(block, Index{5});
  mlprim::apply_rotary(one_by_one, std::vector<Index>{5, 6, 7});
  CHECK(block == one_by_one);
}

TEST_CASE("RoPE matches PyTorch in both layouts", "[attention][rotary]") {
  const auto ref = mlprim::test::read_reference_data("attention/torch_reference.txt");
  const RowMatrix<double> x = ref.at("rope_x");
  std::vector<Index> positions;
  for (Index i = 0; i < ref.at("rope_positions").rows(); ++i)
    positions.push_back(Index(ref.at("rope_positions")(i, 0)));
  for (const auto& [name, interleaved, base] : std::vector<std::tuple<std::string, bool, double>>{
           {"rope_half", false, 10000}, {"rope_interleaved", true, 500}}) {
    RowMatrix<double> y = x;
    mlprim::apply_rotary(y, positions, mlprim::RotaryOptions{base, interleaved});
    const auto& want = ref.at(name);
    for (Index i = 0; i < y.rows(); ++i)
      for (Index j = 0; j < y.cols(); ++j) CHECK(y(i, j) == Approx(want(i, j)).margin(1e-12));
  }
}

TEST_CASE("RoPE rejects odd widths and mismatched positions", "[attention][rotary]") {
  RowMatrix<float> odd(2, 3), even(2, 4);
  auto message = [](auto&& fn) {
    return mlprim::test::exception_message<std::invalid_argument>(fn);
  };
  CHECK(message([&] { mlprim::apply_rotary(odd, Index{0}); }) ==
        "mlprim::apply_rotary: X.cols() = 3 must be even");
  CHECK(message([&] { mlprim::apply_rotary(even, std::vector<Index>{1}); }) ==
        "mlprim::apply_rotary: positions has 1 entries, X 2 rows");
}
