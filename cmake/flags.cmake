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
  # GCC 12.2 with AVX-512 (-march=native here) miscompiles some constant vectors: the SLP vectoriser stores
  # {1, 1, 1, 0} as a broadcast of 1 (a braced std::vector<int64_t> argument came out as {1, 1, 1, 1}).
  # Where this compiler shows the bug, switch the SLP vectoriser off (loop vectorisation is unaffected).
  include(CheckCXXSourceRuns)
  set(CMAKE_REQUIRED_FLAGS "-O3 -march=native")
  check_cxx_source_runs([=[
    #include <cstdint>
    #include <vector>
    __attribute__((noinline)) int64_t last(std::vector<int64_t> v) { return v[3]; }
    int main() { return last({1, 1, 1, 0}) == 0 ? 0 : 1; }
  ]=] STRATA_SLP_VECTORIZER_OK)
  unset(CMAKE_REQUIRED_FLAGS)
  if(NOT STRATA_SLP_VECTORIZER_OK)
    message(STATUS "This compiler miscompiles constant vectors with -march=native: adding -fno-tree-slp-vectorize")
    target_compile_options(strata_flags INTERFACE -fno-tree-slp-vectorize)
  endif()
else()
  target_compile_options(strata_flags INTERFACE -march=x86-64-v2 -mtune=generic)
endif()
if(STRATA_SANITIZE)
  target_compile_options(strata_flags INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer
                                                -fno-sanitize-recover=undefined)
  target_link_options(strata_flags INTERFACE -fsanitize=address,undefined)
  target_compile_definitions(strata_flags INTERFACE STRATA_SANITIZE=1)
endif()
