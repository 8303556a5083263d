# Compiler flags shared by every Tandem target: warnings (-Werror by default) and the
# optional ASan/UBSan build. Included once from the root CMakeLists.txt.
add_compile_options(-Wall -Wextra)
if(TANDEM_WERROR)
  add_compile_options(-Werror)
endif()

if(TANDEM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
  # GCC 12's -Wmaybe-uninitialized misfires inside libstdc++ (<regex>, <functional>) once
  # the sanitizers instrument optimised code; the sanitizers themselves check for real.
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
    add_compile_options(-Wno-maybe-uninitialized)
  endif()
  add_link_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
endif()

# Fuzzing (clang only): everything is instrumented for coverage; fuzz/ links the targets
# with libFuzzer's main.
if(TANDEM_FUZZ)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
