# Helpers of the script-mode package tests (pkg_config.cmake, vendor_copy.cmake).

# Stops unless every named variable was given with -D.
function(mlprim_require_vars script)
  foreach(_var IN LISTS ARGN)
    if(NOT DEFINED ${_var})
      message(FATAL_ERROR "${script}: ${_var} is not set")
    endif()
  endforeach()
endfunction()

# Compiles SOURCE with CXX and the given flags into WORK_DIR/consumer, runs it,
# and stops with `label` in the message if either step fails.
function(mlprim_compile_and_run label)
  execute_process(COMMAND "${CXX}" -std=c++17 -O1 "${SOURCE}" ${ARGN} -o "${WORK_DIR}/consumer"
                  RESULT_VARIABLE _compile_result)
  if(NOT _compile_result EQUAL 0)
    message(FATAL_ERROR "${label}: compiling the consumer failed (${_compile_result})")
  endif()
  execute_process(COMMAND "${WORK_DIR}/consumer" RESULT_VARIABLE _run_result)
  if(NOT _run_result EQUAL 0)
    message(FATAL_ERROR "${label}: the consumer failed (${_run_result})")
  endif()
endfunction()
