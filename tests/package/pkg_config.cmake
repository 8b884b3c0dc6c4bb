# The pkg-config use: compile the consumer with nothing but the flags that
# `pkg-config --cflags --libs mlprim` gives for an installed mlprim, then run it.
#
# cmake -DPKG_CONFIG=... -DPREFIX=... -DCXX=... -DSOURCE=... -DWORK_DIR=... -P pkg_config.cmake
include("${CMAKE_CURRENT_LIST_DIR}/consumer_build.cmake")
mlprim_require_vars(pkg_config.cmake PKG_CONFIG PREFIX CXX SOURCE WORK_DIR)

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")
set(ENV{PKG_CONFIG_PATH} "${PREFIX}/share/pkgconfig:$ENV{PKG_CONFIG_PATH}")
execute_process(COMMAND "${PKG_CONFIG}" --cflags --libs mlprim
                OUTPUT_VARIABLE _flags OUTPUT_STRIP_TRAILING_WHITESPACE
                RESULT_VARIABLE _pc_result)
if(NOT _pc_result EQUAL 0)
  message(FATAL_ERROR "pkg-config does not find mlprim under ${PREFIX} (${_pc_result})")
endif()
# mlprim is installed nowhere else: the consumer compiles only if these flags
# lead to the installed headers (and to Eigen through Requires).
separate_arguments(_flags UNIX_COMMAND "${_flags}")
mlprim_compile_and_run(pkg-config ${_flags})
