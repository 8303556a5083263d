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
  add_compile_options(-Wno-maybe-uninitialized)
  add_link_options(-fsanitize=address,undefined -fno-omit-frame-pointer)
endif()
