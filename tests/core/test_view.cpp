// ConstRowView: a non-owning view of contiguous rows.
#include <mlprim/core.hpp>

#include "catch.hpp"
#include "test_util.hpp"

using mlprim::ConstRowView;
using mlprim::RowMatrix;

TEST_CASE("ConstRowView views rows, vectors and blocks without copying", "[core]") {
  RowMatrix<double> m(3, 4);
  m << 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12;
  const ConstRowView<double> all = m;
  CHECK(all.rows() == 3);
  CHECK(all.cols() == 4);
  CHECK(&all(2, 3) == &m(2, 3));
  CHECK(all.map() == m);
  const ConstRowView<double> block = m.block(1, 1, 2, 2);  // row stride 4
  CHECK(block(1, 1) == 11);
  CHECK(block.map() == m.block(1, 1, 2, 2));
  const Eigen::VectorXd v = Eigen::VectorXd::LinSpaced(5, 0, 4);
  const ConstRowView<double> column = v;
  CHECK(column.rows() == 5);
  CHECK(column.cols() == 1);
  CHECK(column[3] == 3);
  const ConstRowView<double> row = m.row(2);
  CHECK(row[1] == 10);
  CHECK(ConstRowView<double>().empty());
  CHECK(ConstRowView<double>(RowMatrix<double>::Map(m.data(), 0, 4)).empty());
  // A column of a row-major matrix is strided: rejected, not misread.
  CHECK(mlprim::test::exception_message<std::invalid_argument>([&] {
          ConstRowView<double> bad = m.col(1);
          static_cast<void>(bad);
        }) == "mlprim::ConstRowView: the inner stride is 4, it must be 1");
}
