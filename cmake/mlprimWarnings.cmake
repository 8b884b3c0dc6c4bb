# mlprim_set_warnings(<target>): warnings for mlprim's own tests, benchmarks
# and examples only; nothing here reaches a consumer of the mlprim target.
option(MLPRIM_WERROR "Treat warnings in mlprim's own tests, benchmarks and examples as errors" OFF)

function(mlprim_set_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion)
    if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
      # Clang's -Wconversion also warns on sign changes, GCC's does not (C++):
      # one warning set on both compilers.
      target_compile_options(${target} PRIVATE -Wno-sign-conversion)
    endif()
    if(MLPRIM_WERROR)
      target_compile_options(${target} PRIVATE -Werror)
    endif()
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 $<$<BOOL:${MLPRIM_WERROR}>:/WX>)
  endif()
endfunction()
