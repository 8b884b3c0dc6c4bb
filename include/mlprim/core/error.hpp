// Errors: the MLPRIM_THROW / MLPRIM_ASSERT macros and the helpers that build
// and check argument messages in one form,
//
//     mlprim::<function>: <argument> = <value> <what is wrong>
//
// e.g. "mlprim::KDTree::knn: k = 12 exceeds the number of points (10)".
// Modules call the helpers below instead of formatting messages by hand.
//
// Configuration (define before the first mlprim include):
// - MLPRIM_THROW(ExceptionType, message): how an error is raised. Defaults to
//   `throw ExceptionType(message)`. A user override must not return.
// - MLPRIM_NO_EXCEPTIONS: errors are written to stderr and std::abort() is
//   called instead of throwing. Defined automatically when the compiler has
//   exceptions disabled (-fno-exceptions).
// - MLPRIM_ASSERT(condition): internal invariants (bugs in mlprim, not bad
//   input); compiled away under NDEBUG, reports and aborts otherwise.
#ifndef MLPRIM_CORE_ERROR_HPP
#define MLPRIM_CORE_ERROR_HPP

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "mlprim/core/config.hpp"

#if !defined(MLPRIM_NO_EXCEPTIONS) && !defined(__cpp_exceptions) && !defined(__EXCEPTIONS) && \
    !defined(_CPPUNWIND)
#define MLPRIM_NO_EXCEPTIONS
#endif

namespace mlprim {
namespace detail {

/// Writes "mlprim: <kind>: <message>" to stderr and aborts. Only reached with
/// MLPRIM_NO_EXCEPTIONS or from a failed MLPRIM_ASSERT.
[[noreturn]] inline void report_and_abort(const char* kind, const std::string& message) {
  std::fprintf(stderr, "mlprim: %s: %s\n", kind, message.c_str());
  std::fflush(stderr);
  std::abort();
}

[[noreturn]] inline void assertion_failed(const char* condition, const char* file, int line) {
  report_and_abort("internal assertion failed",
                   std::string(condition) + " at " + file + ":" + std::to_string(line));
}

inline void append_part(std::string& out, std::string_view text) { out.append(text); }
inline void append_part(std::string& out, const char* text) { out.append(text); }
inline void append_part(std::string& out, const std::string& text) { out.append(text); }
inline void append_part(std::string& out, char c) { out.push_back(c); }
inline void append_part(std::string& out, bool b) { out.append(b ? "true" : "false"); }

/// Integers in decimal; floating point in the fewest significant digits that
/// read back as the same value (0.1f prints as 0.1, not 0.100000001), so the
/// message shows exactly the value that was passed.
template <class T>
void append_part(std::string& out, const T& value) {
  if constexpr (std::is_integral_v<T>) {
    out.append(std::to_string(value));
  } else if constexpr (std::is_floating_point_v<T>) {
    char buffer[64];
    int n = 0;
    for (int digits = 1; digits <= std::numeric_limits<T>::max_digits10; ++digits) {
      n = std::snprintf(buffer, sizeof buffer, "%.*Lg", digits, static_cast<long double>(value));
      if (!(static_cast<T>(std::strtold(buffer, nullptr)) == value)) continue;
      break;
    }
    out.append(buffer, static_cast<std::size_t>(n > 0 ? n : 0));
  } else if constexpr (std::is_same_v<T, Eigen::half> || std::is_same_v<T, Eigen::bfloat16>) {
    append_part(out, static_cast<float>(value));
  } else {
    static_assert(std::is_integral_v<T>, "mlprim: unsupported type in an error message");
  }
}

}  // namespace detail
}  // namespace mlprim

#ifndef MLPRIM_THROW
#ifdef MLPRIM_NO_EXCEPTIONS
#define MLPRIM_THROW(ExceptionType, message) \
  ::mlprim::detail::report_and_abort(#ExceptionType, (message))
#else
#define MLPRIM_THROW(ExceptionType, message) throw ExceptionType(message)
#endif
#endif

#ifndef MLPRIM_ASSERT
#ifdef NDEBUG
#define MLPRIM_ASSERT(condition) ((void)0)
#else
#define MLPRIM_ASSERT(condition) \
  ((condition) ? (void)0 : ::mlprim::detail::assertion_failed(#condition, __FILE__, __LINE__))
#endif
#endif

namespace mlprim {

/// Joins "mlprim::" + fn + ": " + parts (strings, characters, numbers, bools).
/// `fn` is the qualified name below the namespace, e.g. "KDTree::knn".
template <class... Parts>
std::string error_message(std::string_view fn, const Parts&... parts) {
  std::string out = "mlprim::";
  out.append(fn);
  out.append(": ");
  (detail::append_part(out, parts), ...);
  return out;
}

/// Throws std::invalid_argument with error_message(fn, parts...).
template <class... Parts>
[[noreturn]] void throw_invalid_argument(std::string_view fn, const Parts&... parts) {
  MLPRIM_THROW(std::invalid_argument, error_message(fn, parts...));
}

/// Throws std::runtime_error with error_message(fn, parts...); used for corrupt
/// or truncated input streams.
template <class... Parts>
[[noreturn]] void throw_runtime_error(std::string_view fn, const Parts&... parts) {
  MLPRIM_THROW(std::runtime_error, error_message(fn, parts...));
}

/// Requires value > 0 (NaN fails): "mlprim::fn: name = value must be positive".
template <class T>
void check_positive(std::string_view fn, std::string_view name, const T& value) {
  if (!(value > T(0))) throw_invalid_argument(fn, name, " = ", value, " must be positive");
}

/// Requires value >= 0 (NaN fails).
template <class T>
void check_non_negative(std::string_view fn, std::string_view name, const T& value) {
  if (!(value >= T(0))) throw_invalid_argument(fn, name, " = ", value, " must be non-negative");
}

/// Requires a finite floating-point value (no NaN, no infinity).
template <class T>
void check_finite(std::string_view fn, std::string_view name, const T& value) {
  if (!std::isfinite(static_cast<double>(value)))
    throw_invalid_argument(fn, name, " = ", value, " must be finite");
}

/// Requires lo <= value <= hi (NaN fails).
template <class T>
void check_in_range(std::string_view fn, std::string_view name, const T& value, const T& lo,
                    const T& hi) {
  if (!(value >= lo && value <= hi))
    throw_invalid_argument(fn, name, " = ", value, " must be in [", lo, ", ", hi, "]");
}

/// Requires lo <= value < hi (NaN fails).
template <class T>
void check_in_half_open(std::string_view fn, std::string_view name, const T& value, const T& lo,
                        const T& hi) {
  if (!(value >= lo && value < hi))
    throw_invalid_argument(fn, name, " = ", value, " must be in [", lo, ", ", hi, ")");
}

/// Requires value <= limit: "mlprim::fn: name = value exceeds <limit_what> (limit)".
template <class T>
void check_at_most(std::string_view fn, std::string_view name, const T& value, const T& limit,
                   std::string_view limit_what) {
  if (!(value <= limit))
    throw_invalid_argument(fn, name, " = ", value, " exceeds ", limit_what, " (", limit, ")");
}

/// Requires value == expected:
/// "mlprim::fn: name = value does not match <expected_what> = expected".
template <class T>
void check_equal(std::string_view fn, std::string_view name, const T& value, const T& expected,
                 std::string_view expected_what) {
  if (!(value == expected))
    throw_invalid_argument(fn, name, " = ", value, " does not match ", expected_what, " = ",
                           expected);
}

/// Requires begin <= end for a half-open index range [begin, end).
template <class T>
void check_range(std::string_view fn, const T& begin, const T& end) {
  if (!(begin <= end)) throw_invalid_argument(fn, "end = ", end, " is less than begin = ", begin);
}

}  // namespace mlprim

#endif  // MLPRIM_CORE_ERROR_HPP
