# Install rules and the package files: mlprimTargets.cmake, mlprimConfig.cmake
# and mlprimConfigVersion.cmake for CMake (installed, and exported from the
# build tree so that a project can point mlprim_DIR at a build directory), and
# mlprim.pc for pkg-config.
include(CMakePackageConfigHelpers)

set(MLPRIM_INSTALL_CMAKEDIR "${CMAKE_INSTALL_DATADIR}/cmake/mlprim"
    CACHE STRING "Where mlprimConfig.cmake is installed (relative to the prefix)")

install(TARGETS mlprim EXPORT mlprimTargets)
if(MLPRIM_HAVE_MPI)
  install(TARGETS mlprim_distributed EXPORT mlprimTargets)
endif()
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/mlprim"
        DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}"
        FILES_MATCHING PATTERN "*.hpp")
install(EXPORT mlprimTargets
        NAMESPACE mlprim::
        DESTINATION "${MLPRIM_INSTALL_CMAKEDIR}")

configure_package_config_file(
  "${PROJECT_SOURCE_DIR}/cmake/mlprimConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/mlprimConfig.cmake"
  INSTALL_DESTINATION "${MLPRIM_INSTALL_CMAKEDIR}")
# SameMinorVersion while the API is 0.x; header-only, so any architecture.
write_basic_package_version_file(
  "${PROJECT_BINARY_DIR}/mlprimConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion
  ARCH_INDEPENDENT)
install(FILES "${PROJECT_BINARY_DIR}/mlprimConfig.cmake"
              "${PROJECT_BINARY_DIR}/mlprimConfigVersion.cmake"
        DESTINATION "${MLPRIM_INSTALL_CMAKEDIR}")
# The build tree as a package: mlprim_DIR=<build dir> works without installing.
export(EXPORT mlprimTargets NAMESPACE mlprim:: FILE "${PROJECT_BINARY_DIR}/mlprimTargets.cmake")

# pkg-config: prefix relative to the .pc file, so the installed tree can move.
# Header-only, hence in share/ (any architecture).
set(MLPRIM_PC_OPENMP_FLAGS "")
if(MLPRIM_OPENMP)
  set(MLPRIM_PC_OPENMP_FLAGS "${OpenMP_CXX_FLAGS}")
endif()
set(MLPRIM_PC_REQUIRES "eigen3 >= 3.4")
if(MLPRIM_JSON)
  string(APPEND MLPRIM_PC_REQUIRES ", nlohmann_json >= 3")
endif()
configure_file("${PROJECT_SOURCE_DIR}/cmake/mlprim.pc.in" "${PROJECT_BINARY_DIR}/mlprim.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/mlprim.pc" DESTINATION "${CMAKE_INSTALL_DATADIR}/pkgconfig")

install(FILES "${PROJECT_SOURCE_DIR}/LICENSE"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/mlprim")
