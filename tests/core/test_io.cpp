#include <mlprim/core/io.hpp>

#include <cstdint>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <streambuf>
#include <string>
#include <utility>
#include <vector>

#include "catch.hpp"
#include "test_util.hpp"

namespace {

constexpr const char* kMagic = "MLPTEST1";

using mlprim::test::PipeBuffer;

std::string write_sample() {
  std::ostringstream out;
  mlprim::io::BinaryWriter w(out, "test::save");
  w.header(kMagic, 3);
  w.value(std::int32_t{-7});
  w.value(std::uint64_t{0x0123456789abcdefULL});
  w.value(3.25f);
  w.value(-1.0 / 3.0);
  w.value(true);
  w.value(Eigen::half(1.5f));
  w.value(Eigen::bfloat16(-2.0f));
  w.size(std::size_t{42});
  w.vector(std::vector<double>{1.0, -2.0, 1e300});
  w.string("hello");
  mlprim::Matrix<float> col_major(2, 3);
  col_major << 1, 2, 3, 4, 5, 6;
  w.matrix(col_major);
  return out.str();
}

template <class Fn>
std::string runtime_error_message(Fn&& fn) {
  return mlprim::test::exception_message<std::runtime_error>(fn);
}

}  // namespace

TEST_CASE("BinaryWriter and BinaryReader round-trip every field", "[io]") {
  std::istringstream in(write_sample());
  mlprim::io::BinaryReader r(in, "test::load");
  CHECK(r.header(kMagic, 3) == 3);
  CHECK(r.value<std::int32_t>("i32") == -7);
  CHECK(r.value<std::uint64_t>("u64") == 0x0123456789abcdefULL);
  CHECK(r.value<float>("f32") == 3.25f);
  CHECK(r.value<double>("f64") == -1.0 / 3.0);
  CHECK(r.value<bool>("flag"));
  CHECK(static_cast<float>(r.value<Eigen::half>("half")) == 1.5f);
  CHECK(static_cast<float>(r.value<Eigen::bfloat16>("bf16")) == -2.0f);
  CHECK(r.size("size", 100) == 42);
  CHECK(r.vector<double>("vector", 10) == std::vector<double>{1.0, -2.0, 1e300});
  CHECK(r.string("string", 10) == "hello");
  const mlprim::RowMatrix<float> m = r.matrix<float>("matrix", 10, 10);
  mlprim::RowMatrix<float> expected(2, 3);
  expected << 1, 2, 3, 4, 5, 6;
  CHECK(m == expected);
  CHECK(in.peek() == std::char_traits<char>::eof());
}

TEST_CASE("values are written little-endian with fixed widths", "[io]") {
  std::ostringstream out;
  mlprim::io::BinaryWriter w(out, "test::save");
  w.value(std::uint32_t{0x01020304});
  w.value(1.0);  // IEEE-754 0x3FF0000000000000
  w.value(false);
  const std::string bytes = out.str();
  const std::string expected("\x04\x03\x02\x01\x00\x00\x00\x00\x00\x00\xf0\x3f\x00", 13);
  CHECK(bytes == expected);

  std::ostringstream header;
  mlprim::io::BinaryWriter(header, "test::save").header(kMagic, 2);
  CHECK(header.str() == std::string("MLPTEST1\x02\x00\x00\x00", 12));
}

TEST_CASE("every truncation of a valid stream is rejected with runtime_error", "[io]") {
  const std::string full = write_sample();
  for (std::size_t length = 0; length < full.size(); ++length) {
    std::istringstream in(full.substr(0, length));
    mlprim::io::BinaryReader r(in, "test::load");
    INFO("length = " << length);
    CHECK_THROWS_AS(
        [&] {
          r.header(kMagic, 3);
          r.value<std::int32_t>("i32");
          r.value<std::uint64_t>("u64");
          r.value<float>("f32");
          r.value<double>("f64");
          r.value<bool>("flag");
          r.value<Eigen::half>("half");
          r.value<Eigen::bfloat16>("bf16");
          r.size("size", 100);
          r.vector<double>("vector", 10);
          r.string("string", 10);
          r.matrix<float>("matrix", 10, 10);
        }(),
        std::runtime_error);
  }
}

TEST_CASE("a truncated field is named in the message", "[io]") {
  std::istringstream in(std::string("\x01\x02", 2));
  mlprim::io::BinaryReader r(in, "KDTree::load");
  CHECK(runtime_error_message([&] { r.value<std::uint32_t>("node count"); }) ==
        "mlprim::KDTree::load: truncated stream while reading node count (needed 4 bytes, got 2)");
}

TEST_CASE("headers with the wrong magic or version are rejected", "[io]") {
  auto header_bytes = [](const std::string& magic, std::uint32_t version) {
    std::ostringstream out;
    out.write(magic.data(), 8);
    mlprim::io::BinaryWriter(out, "t").value(version);
    return out.str();
  };
  {
    std::istringstream in(header_bytes("NOTMINE!", 1));
    mlprim::io::BinaryReader r(in, "test::load");
    CHECK(runtime_error_message([&] { r.header(kMagic, 3); }) ==
          "mlprim::test::load: not a \"MLPTEST1\" stream (bad magic)");
  }
  {
    std::istringstream in(header_bytes(kMagic, 4));
    mlprim::io::BinaryReader r(in, "test::load");
    CHECK(runtime_error_message([&] { r.header(kMagic, 3); }) ==
          "mlprim::test::load: format version = 4 is not supported (this build reads 1 to 3)");
  }
  {
    std::istringstream in(header_bytes(kMagic, 0));
    mlprim::io::BinaryReader r(in, "test::load");
    CHECK_THROWS_AS(r.header(kMagic, 3), std::runtime_error);
  }
  std::ostringstream out;
  mlprim::io::BinaryWriter w(out, "test::save");
  CHECK_THROWS_WITH(w.header("SHORT", 1),
                    "mlprim::test::save: magic = \"SHORT\" must be 8 characters");
  CHECK_THROWS_WITH(w.header(kMagic, 0), "mlprim::test::save: format version = 0 is reserved");
}

TEST_CASE("sizes above the caller's limit are rejected before any allocation", "[io]") {
  std::ostringstream out;
  mlprim::io::BinaryWriter w(out, "t");
  w.size(std::uint64_t{1} << 62);
  std::istringstream in(out.str());
  mlprim::io::BinaryReader r(in, "test::load");
  CHECK(runtime_error_message([&] { r.vector<float>("weights", 1000); }) ==
        "mlprim::test::load: weights = 4611686018427387904 exceeds the limit of 1000 (corrupt "
        "stream?)");
}

TEST_CASE("an absurd size inside the limit is caught by measuring the stream", "[io]") {
  std::ostringstream out;
  mlprim::io::BinaryWriter w(out, "t");
  w.size(std::uint64_t{1} << 40);  // 8 TiB of doubles claimed, 16 bytes present
  w.value(1.0);
  w.value(2.0);
  std::istringstream in(out.str());
  mlprim::io::BinaryReader r(in, "test::load");
  CHECK(runtime_error_message([&] {
          r.vector<double>("values", std::numeric_limits<std::uint64_t>::max() / 8);
        }) == "mlprim::test::load: truncated stream: values needs 8796093022208 bytes, 16 left");
}

TEST_CASE("an unseekable stream claiming a huge array fails without allocating it", "[io]") {
  std::ostringstream out;
  mlprim::io::BinaryWriter w(out, "t");
  w.size(std::uint64_t{1} << 40);
  w.value(1.0);
  PipeBuffer pipe(out.str());
  std::istream in(&pipe);
  mlprim::io::BinaryReader r(in, "test::load");
  CHECK(r.remaining_bytes() == -1);
  // Reads in 1 MiB chunks: fails at the first short chunk, having allocated 1 MiB.
  CHECK_THROWS_AS(r.vector<double>("values", std::numeric_limits<std::uint64_t>::max() / 8),
                  std::runtime_error);

  std::ostringstream m;
  mlprim::io::BinaryWriter wm(m, "t");
  wm.size(std::uint64_t{1} << 30);
  wm.size(std::uint64_t{1} << 20);
  PipeBuffer matrix_pipe(m.str());
  std::istream matrix_in(&matrix_pipe);
  mlprim::io::BinaryReader rm(matrix_in, "test::load");
  CHECK_THROWS_AS(rm.matrix<float>("matrix", std::uint64_t{1} << 40, std::uint64_t{1} << 40),
                  std::runtime_error);
}

TEST_CASE("a matrix shape whose element count overflows is rejected", "[io]") {
  std::ostringstream out;
  mlprim::io::BinaryWriter w(out, "t");
  w.size(std::uint64_t{1} << 40);
  w.size(std::uint64_t{1} << 40);
  std::istringstream in(out.str());
  mlprim::io::BinaryReader r(in, "test::load");
  CHECK_THROWS_AS(r.matrix<double>("m", std::numeric_limits<std::uint64_t>::max(),
                                   std::numeric_limits<std::uint64_t>::max()),
                  std::runtime_error);
}

TEST_CASE("a boolean byte other than 0 or 1 is corruption", "[io]") {
  std::istringstream in(std::string("\x02", 1));
  mlprim::io::BinaryReader r(in, "test::load");
  CHECK(runtime_error_message([&] { r.value<bool>("flag"); }) ==
        "mlprim::test::load: flag = 2 is not a boolean");
}

TEST_CASE("writing to a failed stream throws", "[io]") {
  std::ostringstream out;
  out.setstate(std::ios::badbit);
  mlprim::io::BinaryWriter w(out, "test::save");
  CHECK_THROWS_WITH(w.value(1), "mlprim::test::save: write to the output stream failed");
  CHECK_THROWS_WITH(w.size(-1), "mlprim::test::save: size = -1 must be non-negative");
}

namespace {

/// A stream of a matrix header (rows, cols) followed by `payload` bytes.
std::string matrix_header(std::uint64_t rows, std::uint64_t cols, std::size_t payload = 0) {
  std::ostringstream out;
  mlprim::io::BinaryWriter w(out, "t");
  w.size(rows);
  w.size(cols);
  out << std::string(payload, '\0');
  return out.str();
}

constexpr std::uint64_t kNoLimit = std::numeric_limits<std::uint64_t>::max();

}  // namespace

TEST_CASE("a matrix with a column or row count past the index type is corrupt", "[io]") {
  // Regression: rows = 0, cols >= 2^63 built a matrix with negative columns
  // (an Eigen assertion); rows >= 2^63, cols = 0 looped for ever.
  for (const auto& [rows, cols] :
       {std::pair<std::uint64_t, std::uint64_t>{0, std::uint64_t{1} << 63},
        {std::uint64_t{1} << 63, 0},
        {kNoLimit, 0},
        {0, kNoLimit}}) {
    for (const bool seekable : {true, false}) {
      INFO("rows = " << rows << ", cols = " << cols << ", seekable = " << seekable);
      const std::string bytes = matrix_header(rows, cols, 64);
      std::istringstream seek_in(bytes);
      PipeBuffer pipe(bytes);
      std::istream pipe_in(&pipe);
      mlprim::io::BinaryReader r(seekable ? static_cast<std::istream&>(seek_in) : pipe_in,
                                 "test::load");
      CHECK(runtime_error_message([&] {
              r.matrix<float>("m", kNoLimit, kNoLimit);
            }).find("mlprim::test::load: m has an impossible shape") == 0);
    }
  }
}

TEST_CASE("a matrix with no columns (or rows) reads no entries", "[io]") {
  std::istringstream in(matrix_header(std::uint64_t{1} << 40, 0));
  mlprim::io::BinaryReader r(in, "test::load");
  const mlprim::RowMatrix<double> m = r.matrix<double>("m", kNoLimit, kNoLimit);
  CHECK(m.rows() == (mlprim::Index{1} << 40));
  CHECK(m.cols() == 0);
}

TEST_CASE("an unseekable stream claiming huge matrix rows allocates only what arrived", "[io]") {
  // Regression: a whole row (cols x 4 bytes) was allocated before any of its
  // bytes arrived: cols = 2^40 threw std::bad_alloc instead of reporting the
  // truncation.
  for (const std::uint64_t cols : {std::uint64_t{1} << 40, std::uint64_t{1} << 28}) {
    PipeBuffer pipe(matrix_header(1, cols, 1000));
    std::istream in(&pipe);
    mlprim::io::BinaryReader r(in, "test::load");
    INFO("cols = " << cols);
    CHECK(runtime_error_message([&] {
            r.matrix<float>("m", kNoLimit, kNoLimit);
          }).find("mlprim::test::load: truncated stream while reading m") == 0);
  }
}

TEST_CASE("matrices round-trip through seekable and unseekable streams", "[io]") {
  mlprim::RowMatrix<double> m(700, 300);  // more than one 1 MiB block on a pipe
  for (mlprim::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<double>(i) * 0.5;
  std::ostringstream out;
  mlprim::io::BinaryWriter(out, "t").matrix(m);
  std::istringstream seek_in(out.str());
  PipeBuffer pipe(out.str());
  std::istream pipe_in(&pipe);
  for (std::istream* in : {static_cast<std::istream*>(&seek_in), &pipe_in}) {
    mlprim::io::BinaryReader r(*in, "test::load");
    CHECK(r.matrix<double>("m", 1000, 1000) == m);
  }
}
