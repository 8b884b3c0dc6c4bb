# The vendor-folder use: copy include/ somewhere else and compile the consumer
# with nothing but that copy and Eigen on the include path (no CMake package,
# no generated header), then run it.
#
# cmake -DMLPRIM_INCLUDE=... -DEIGEN_INCLUDE=... -DCXX=... -DSOURCE=... -DWORK_DIR=... -P vendor_copy.cmake
include("${CMAKE_CURRENT_LIST_DIR}/consumer_build.cmake")
mlprim_require_vars(vendor_copy.cmake MLPRIM_INCLUDE EIGEN_INCLUDE CXX SOURCE WORK_DIR)

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/third_party")
file(COPY "${MLPRIM_INCLUDE}/mlprim" DESTINATION "${WORK_DIR}/third_party")

set(_includes "-I${WORK_DIR}/third_party")
foreach(_dir IN LISTS EIGEN_INCLUDE)
  list(APPEND _includes "-I${_dir}")
endforeach()

mlprim_compile_and_run("vendor copy" ${_includes})
