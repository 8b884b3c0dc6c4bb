# The vendor-folder use: copy include/ somewhere else and compile the consumer
# with nothing but that copy and Eigen on the include path (no CMake package,
# no generated header), then run it.
#
# cmake -DMLPRIM_INCLUDE=... -DEIGEN_INCLUDE=... -DCXX=... -DSOURCE=... -DWORK_DIR=... -P vendor_copy.cmake
foreach(_var MLPRIM_INCLUDE EIGEN_INCLUDE CXX SOURCE WORK_DIR)
  if(NOT DEFINED ${_var})
    message(FATAL_ERROR "vendor_copy.cmake: ${_var} is not set")
  endif()
endforeach()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}/third_party")
file(COPY "${MLPRIM_INCLUDE}/mlprim" DESTINATION "${WORK_DIR}/third_party")

set(_includes "-I${WORK_DIR}/third_party")
foreach(_dir IN LISTS EIGEN_INCLUDE)
  list(APPEND _includes "-I${_dir}")
endforeach()

execute_process(
  COMMAND "${CXX}" -std=c++17 -O1 ${_includes} "${SOURCE}" -o "${WORK_DIR}/consumer"
  RESULT_VARIABLE _compile_result)
if(NOT _compile_result EQUAL 0)
  message(FATAL_ERROR "vendor copy: compiling the consumer failed (${_compile_result})")
endif()
execute_process(COMMAND "${WORK_DIR}/consumer" RESULT_VARIABLE _run_result)
if(NOT _run_result EQUAL 0)
  message(FATAL_ERROR "vendor copy: the consumer failed (${_run_result})")
endif()
