# Compiler flags shared by every Strata target, carried by the INTERFACE target strata_flags.
add_library(strata_flags INTERFACE)
target_compile_options(strata_flags INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wno-unknown-pragmas
  # FMA contraction and no trapping math let GCC 12 vectorise the math kernels; no -ffast-math.
  -ffp-contract=fast -fno-trapping-math)
if(STRATA_WERROR)
  target_compile_options(strata_flags INTERFACE -Werror)
endif()
if(STRATA_NATIVE)
  target_compile_options(strata_flags INTERFACE -march=native)
else()
  target_compile_options(strata_flags INTERFACE -march=x86-64-v2 -mtune=generic)
endif()
if(STRATA_SANITIZE)
  target_compile_options(strata_flags INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                -fno-sanitize-recover=undefined)
  target_link_options(strata_flags INTERFACE -fsanitize=address,undefined)
  target_compile_definitions(strata_flags INTERFACE STRATA_SANITIZE=1)
endif()
