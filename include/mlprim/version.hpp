// mlprim version: the single place the version number lives.
// CMakeLists.txt parses the three MLPRIM_VERSION_* lines below, so a copied
// include/ directory needs no generated header.
#ifndef MLPRIM_VERSION_HPP
#define MLPRIM_VERSION_HPP

#define MLPRIM_VERSION_MAJOR 0
#define MLPRIM_VERSION_MINOR 1
#define MLPRIM_VERSION_PATCH 0

#define MLPRIM_DETAIL_STR_(x) #x
#define MLPRIM_DETAIL_STR(x) MLPRIM_DETAIL_STR_(x)

/// "MAJOR.MINOR.PATCH", built from the three numbers above.
#define MLPRIM_VERSION_STRING             \
  MLPRIM_DETAIL_STR(MLPRIM_VERSION_MAJOR) \
  "." MLPRIM_DETAIL_STR(MLPRIM_VERSION_MINOR) "." MLPRIM_DETAIL_STR(MLPRIM_VERSION_PATCH)

/// One comparable number: MAJOR * 10000 + MINOR * 100 + PATCH.
#define MLPRIM_VERSION \
  (MLPRIM_VERSION_MAJOR * 10000 + MLPRIM_VERSION_MINOR * 100 + MLPRIM_VERSION_PATCH)

namespace mlprim {

inline constexpr int version_major = MLPRIM_VERSION_MAJOR;  ///< incompatible API changes
inline constexpr int version_minor = MLPRIM_VERSION_MINOR;  ///< additions
inline constexpr int version_patch = MLPRIM_VERSION_PATCH;  ///< fixes
/// Same value as MLPRIM_VERSION.
inline constexpr int version = MLPRIM_VERSION;
/// "major.minor.patch".
inline constexpr const char* version_string = MLPRIM_VERSION_STRING;

}  // namespace mlprim

#endif  // MLPRIM_VERSION_HPP
