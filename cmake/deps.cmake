# Third-party dependencies, all from Debian packages (scripts/install-deps.sh).
find_package(OpenMP REQUIRED COMPONENTS CXX)
# zlib: the data readers inflate gzip files (MNIST-style .gz) through it.
find_package(ZLIB REQUIRED)
# libpng: io::write_png / io::read_png (include/strata/io/image.h).
find_package(PNG REQUIRED)

# OpenBLAS: link the full path of the OpenMP variant. Debian's alternatives would otherwise load the pthread
# build at run time, whose own thread pool fights OpenMP (measured 2.6-4.7x slower; docs/performance.md).
function(strata_link_blas target)
  set(STRATA_HAVE_OPENBLAS OFF PARENT_SCOPE)
  if(NOT STRATA_WITH_OPENBLAS)
    message(STATUS "strata: GEMM uses the in-tree packed kernel (STRATA_WITH_OPENBLAS=OFF)")
    return()
  endif()
  find_library(STRATA_OPENBLAS_LIB NAMES libopenblas.so.0 openblas
               PATHS /usr/lib/x86_64-linux-gnu/openblas-openmp /usr/lib/aarch64-linux-gnu/openblas-openmp
               NO_DEFAULT_PATH)
  if(STRATA_OPENBLAS_LIB)
    message(STATUS "strata: GEMM uses OpenBLAS (OpenMP build): ${STRATA_OPENBLAS_LIB}")
    target_link_libraries(${target} PRIVATE ${STRATA_OPENBLAS_LIB})
    target_compile_definitions(${target} PRIVATE STRATA_HAVE_OPENBLAS=1)
  else()
    message(STATUS "strata: OpenBLAS OpenMP build not found; GEMM uses the in-tree packed kernel")
  endif()
endfunction()
