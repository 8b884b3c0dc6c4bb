// Versioned binary streams for saving fitted models and optimizer state.
//
// Format: an 8-byte magic, a little-endian uint32 format version, then the
// payload written as little-endian fixed-width values (integers, IEEE-754
// floats, Eigen::half / bfloat16 as their 16 bits). Sizes are uint64.
//
// Reading never trusts the stream: every read checks the stream state, every
// size is checked against a caller-given maximum, and an array is only
// allocated once the stream has been shown to hold it (seekable streams are
// measured; others are read in bounded chunks, so the buffer only ever grows
// by data that actually arrived). Corrupt or truncated input throws
// std::runtime_error naming the reader's context and the field.
#ifndef MLPRIM_CORE_IO_HPP
#define MLPRIM_CORE_IO_HPP

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <istream>
#include <limits>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

#include "mlprim/core/error.hpp"
#include "mlprim/core/types.hpp"

namespace mlprim {
namespace io {
namespace detail {

template <class T>
inline constexpr bool is_binary_scalar_v =
    (std::is_arithmetic_v<T> || std::is_same_v<T, Eigen::half> ||
     std::is_same_v<T, Eigen::bfloat16>)&&(sizeof(T) == 1 || sizeof(T) == 2 || sizeof(T) == 4 ||
                                           sizeof(T) == 8);

inline bool host_is_little_endian() noexcept {
  const std::uint16_t probe = 1;
  unsigned char first;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

/// Writes the bytes of `count` values of T in little-endian order into `out`.
template <class T>
void to_little_endian(const T* values, std::size_t count, unsigned char* out) noexcept {
  if (host_is_little_endian()) {
    std::memcpy(out, values, count * sizeof(T));
    return;
  }
  for (std::size_t i = 0; i < count; ++i) {
    unsigned char bytes[sizeof(T)];
    std::memcpy(bytes, values + i, sizeof(T));
    for (std::size_t b = 0; b < sizeof(T); ++b) out[i * sizeof(T) + b] = bytes[sizeof(T) - 1 - b];
  }
}

/// Inverse of to_little_endian.
template <class T>
void from_little_endian(const unsigned char* in, std::size_t count, T* values) noexcept {
  if (host_is_little_endian()) {
    std::memcpy(values, in, count * sizeof(T));
    return;
  }
  for (std::size_t i = 0; i < count; ++i) {
    unsigned char bytes[sizeof(T)];
    for (std::size_t b = 0; b < sizeof(T); ++b) bytes[b] = in[i * sizeof(T) + sizeof(T) - 1 - b];
    std::memcpy(values + i, bytes, sizeof(T));
  }
}

}  // namespace detail

/// Length of every magic string.
inline constexpr std::size_t magic_size = 8;

/// Writes the versioned binary format to a std::ostream. `context` names the
/// saving function in error messages (e.g. "KDTree::save").
class BinaryWriter {
 public:
  /// Writes to `out` (which must outlive the writer); `context` names the
  /// saving function in error messages.
  BinaryWriter(std::ostream& out, std::string_view context) : out_(out), context_(context) {}

  /// Magic (exactly magic_size characters) and format version (> 0).
  void header(std::string_view magic, std::uint32_t version) {
    if (magic.size() != magic_size)
      throw_invalid_argument(context_, "magic = \"", magic, "\" must be ", magic_size,
                             " characters");
    if (version == 0) throw_invalid_argument(context_, "format version = 0 is reserved");
    raw(magic.data(), magic.size());
    value(version);
  }

  /// One little-endian fixed-width scalar (bool as one byte).
  template <class T>
  void value(const T& v) {
    if constexpr (std::is_same_v<T, bool>) {
      value(static_cast<std::uint8_t>(v ? 1 : 0));
    } else {
      static_assert(detail::is_binary_scalar_v<T>, "mlprim::io: unsupported scalar type");
      unsigned char bytes[sizeof(T)];
      detail::to_little_endian(&v, 1, bytes);
      raw(bytes, sizeof(T));
    }
  }

  /// A size or count, always as uint64. Negative throws.
  template <class Int>
  void size(Int n) {
    static_assert(std::is_integral_v<Int>, "mlprim::io: sizes are integers");
    if constexpr (std::is_signed_v<Int>) check_non_negative(context_, "size", n);
    value(static_cast<std::uint64_t>(n));
  }

  /// `count` scalars, without a length prefix.
  template <class T>
  void array(const T* data, std::size_t count) {
    static_assert(detail::is_binary_scalar_v<T>, "mlprim::io: unsupported scalar type");
    unsigned char buffer[4096];
    constexpr std::size_t per_block = sizeof buffer / sizeof(T);
    for (std::size_t done = 0; done < count;) {
      const std::size_t n = std::min(per_block, count - done);
      detail::to_little_endian(data + done, n, buffer);
      raw(buffer, n * sizeof(T));
      done += n;
    }
  }

  /// A length-prefixed vector.
  template <class T>
  void vector(const std::vector<T>& v) {
    size(v.size());
    array(v.data(), v.size());
  }

  /// A length-prefixed string.
  void string(std::string_view s) {
    size(s.size());
    raw(s.data(), s.size());
  }

  /// Rows, columns, then the entries in row-major order (whatever the storage
  /// order of `m`).
  template <class Derived>
  void matrix(const Eigen::DenseBase<Derived>& m) {
    using Scalar = typename Derived::Scalar;
    size(m.rows());
    size(m.cols());
    const RowMatrix<Scalar> rows_first = m.derived();
    array(rows_first.data(), static_cast<std::size_t>(rows_first.size()));
  }

 private:
  void raw(const void* data, std::size_t bytes) {
    out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(bytes));
    if (!out_) throw_runtime_error(context_, "write to the output stream failed");
  }

  std::ostream& out_;
  std::string context_;
};

/// Reads what BinaryWriter wrote, validating everything. `context` names the
/// loading function in error messages (e.g. "KDTree::load").
class BinaryReader {
 public:
  /// Reads from `in` (which must outlive the reader); `context` names the
  /// loading function in error messages.
  BinaryReader(std::istream& in, std::string_view context) : in_(in), context_(context) {}

  /// Checks the magic and returns the format version, which must be in
  /// [1, max_version] (newer files are rejected, not misread).
  std::uint32_t header(std::string_view magic, std::uint32_t max_version) {
    char found[magic_size];
    raw(found, magic_size, "magic");
    if (magic.size() != magic_size || std::memcmp(found, magic.data(), magic_size) != 0)
      throw_runtime_error(context_, "not a \"", magic, "\" stream (bad magic)");
    const auto version = value<std::uint32_t>("format version");
    if (version == 0 || version > max_version)
      throw_runtime_error(context_, "format version = ", version,
                          " is not supported (this build reads 1 to ", max_version, ")");
    return version;
  }

  /// One little-endian fixed-width scalar of type T (bool: one byte, 0 or
  /// 1); `field` names it in errors.
  template <class T>
  T value(std::string_view field) {
    if constexpr (std::is_same_v<T, bool>) {
      const auto byte = value<std::uint8_t>(field);
      if (byte > 1) throw_runtime_error(context_, field, " = ", int{byte}, " is not a boolean");
      return byte == 1;
    } else {
      static_assert(detail::is_binary_scalar_v<T>, "mlprim::io: unsupported scalar type");
      unsigned char bytes[sizeof(T)];
      raw(bytes, sizeof(T), field);
      T v;
      detail::from_little_endian(bytes, 1, &v);
      return v;
    }
  }

  /// A uint64 size that must not exceed `max` (an absurd size is corruption).
  std::uint64_t size(std::string_view field, std::uint64_t max) {
    const auto n = value<std::uint64_t>(field);
    if (n > max)
      throw_runtime_error(context_, field, " = ", n, " exceeds the limit of ", max,
                          " (corrupt stream?)");
    return n;
  }

  /// Fills `count` scalars into caller storage that already holds them.
  template <class T>
  void array(T* data, std::size_t count, std::string_view field) {
    static_assert(detail::is_binary_scalar_v<T>, "mlprim::io: unsupported scalar type");
    unsigned char buffer[4096];
    constexpr std::size_t per_block = sizeof buffer / sizeof(T);
    for (std::size_t done = 0; done < count;) {
      const std::size_t n = std::min(per_block, count - done);
      raw(buffer, n * sizeof(T), field);
      detail::from_little_endian(buffer, n, data + done);
      done += n;
    }
  }

  /// A length-prefixed vector of at most max_count elements. Allocates only
  /// what the stream holds.
  template <class T>
  std::vector<T> vector(std::string_view field, std::uint64_t max_count) {
    const std::uint64_t n = size(field, max_count);
    return elements<T>(n, field);
  }

  /// A length-prefixed string of at most max_length bytes.
  std::string string(std::string_view field, std::uint64_t max_length) {
    const std::vector<char> bytes = vector<char>(field, max_length);
    return std::string(bytes.begin(), bytes.end());
  }

  /// A matrix written by BinaryWriter::matrix with at most max_rows rows and
  /// max_cols columns; returned row-major (assign to any Eigen matrix). A
  /// shape whose rows, columns or entry count exceed the largest Index is
  /// corrupt; memory grows only with entries that arrived.
  template <class Scalar>
  RowMatrix<Scalar> matrix(std::string_view field, std::uint64_t max_rows, std::uint64_t max_cols) {
    const std::uint64_t rows = size(field, max_rows);
    const std::uint64_t cols = size(field, max_cols);
    constexpr auto index_max = static_cast<std::uint64_t>(std::numeric_limits<Index>::max());
    if (rows > index_max || cols > index_max || (cols != 0 && rows > index_max / cols))
      throw_runtime_error(context_, field, " has an impossible shape ", rows, " x ", cols);
    const auto r = static_cast<Index>(rows), c = static_cast<Index>(cols);
    if (require_available(rows * cols, sizeof(Scalar), field)) {  // the entries are there
      RowMatrix<Scalar> m(r, c);
      array(m.data(), static_cast<std::size_t>(m.size()), field);
      return m;
    }
    const std::vector<Scalar> entries = elements<Scalar>(rows * cols, field);
    return Eigen::Map<const RowMatrix<Scalar>>(entries.data(), r, c);
  }

  /// Bytes left in a seekable stream, or -1 when the stream cannot tell.
  std::int64_t remaining_bytes() {
    if (!in_) return -1;
    const std::istream::pos_type here = in_.tellg();
    if (here == std::istream::pos_type(-1)) {
      in_.clear();
      return -1;
    }
    in_.seekg(0, std::ios::end);
    const std::istream::pos_type end = in_.tellg();
    in_.clear();
    in_.seekg(here);
    if (end == std::istream::pos_type(-1) || !in_) {
      in_.clear();
      in_.seekg(here);
      return -1;
    }
    return static_cast<std::int64_t>(end - here);
  }

 private:
  /// Throws early when a seekable stream is too short for count * width
  /// bytes; returns true when the stream was measured and holds them.
  bool require_available(std::uint64_t count, std::size_t width, std::string_view field) {
    if (count != 0 && count > std::numeric_limits<std::uint64_t>::max() / width)
      throw_runtime_error(context_, field, " count = ", count, " is impossible");
    const std::int64_t left = remaining_bytes();
    if (left >= 0 && count * width > static_cast<std::uint64_t>(left))
      throw_runtime_error(context_, "truncated stream: ", field, " needs ", count * width,
                          " bytes, ", left, " left");
    return left >= 0;
  }

  /// n scalars into a vector. A measured stream holds them (one allocation);
  /// otherwise they are read in blocks of 1 MiB, so the vector grows only by
  /// data that arrived.
  template <class T>
  std::vector<T> elements(std::uint64_t n, std::string_view field) {
    std::vector<T> v;
    if (require_available(n, sizeof(T), field)) v.reserve(static_cast<std::size_t>(n));
    constexpr std::size_t chunk = (std::size_t{1} << 20) / sizeof(T);
    for (std::uint64_t done = 0; done < n;) {
      const auto take = static_cast<std::size_t>(std::min<std::uint64_t>(chunk, n - done));
      v.resize(static_cast<std::size_t>(done) + take);
      array(v.data() + done, take, field);
      done += take;
    }
    return v;
  }

  void raw(void* data, std::size_t bytes, std::string_view field) {
    in_.read(static_cast<char*>(data), static_cast<std::streamsize>(bytes));
    if (static_cast<std::size_t>(in_.gcount()) != bytes || !in_)
      throw_runtime_error(context_, "truncated stream while reading ", field, " (needed ", bytes,
                          " bytes, got ", static_cast<long long>(in_.gcount()), ")");
  }

  std::istream& in_;
  std::string context_;
};

}  // namespace io
}  // namespace mlprim

#endif  // MLPRIM_CORE_IO_HPP
