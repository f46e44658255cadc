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

# oneDNN (optional): float convolutions per shape (src/kernels/cpu/conv_dnnl.cpp, docs/performance.md). Only its
# OpenMP build shares our thread pool (Debian's libdnnl is that build); a TBB or sequential build is not used.
function(strata_link_dnnl target)
  set(STRATA_HAVE_DNNL OFF PARENT_SCOPE)
  if(NOT STRATA_WITH_DNNL)
    message(STATUS "strata: convolutions use im2col + GEMM only (STRATA_WITH_DNNL=OFF)")
    return()
  endif()
  find_path(STRATA_DNNL_INCLUDE_DIR oneapi/dnnl/dnnl.hpp)
  find_library(STRATA_DNNL_LIB NAMES dnnl)
  if(STRATA_DNNL_INCLUDE_DIR AND STRATA_DNNL_LIB)
    file(STRINGS ${STRATA_DNNL_INCLUDE_DIR}/oneapi/dnnl/dnnl_config.h dnnl_runtime REGEX "#define DNNL_CPU_RUNTIME ")
    file(STRINGS ${STRATA_DNNL_INCLUDE_DIR}/oneapi/dnnl/dnnl_version.h dnnl_major REGEX "#define DNNL_VERSION_MAJOR ")
  endif()
  if(NOT STRATA_DNNL_LIB OR NOT dnnl_runtime MATCHES "DNNL_RUNTIME_OMP" OR NOT dnnl_major MATCHES " 2$")
    message(STATUS "strata: oneDNN 2.x (OpenMP build) not found; convolutions use im2col + GEMM only")
    return()
  endif()
  message(STATUS "strata: float convolutions may use oneDNN: ${STRATA_DNNL_LIB}")
  # Only conv_dnnl.cpp sees oneDNN: the other objects keep their flags (and their ccache entries).
  set_property(SOURCE ${PROJECT_SOURCE_DIR}/src/kernels/cpu/conv_dnnl.cpp APPEND PROPERTY COMPILE_DEFINITIONS
               STRATA_HAVE_DNNL=1)
  if(NOT STRATA_DNNL_INCLUDE_DIR IN_LIST CMAKE_CXX_IMPLICIT_INCLUDE_DIRECTORIES)
    set_property(SOURCE ${PROJECT_SOURCE_DIR}/src/kernels/cpu/conv_dnnl.cpp APPEND PROPERTY INCLUDE_DIRECTORIES
                 ${STRATA_DNNL_INCLUDE_DIR})
  endif()
  target_link_libraries(${target} PRIVATE ${STRATA_DNNL_LIB})
  set(STRATA_HAVE_DNNL ON PARENT_SCOPE)
endfunction()

# MPI (optional): data-parallel training over processes (src/dist/, docs/distributed.md). Only the process group
# sees mpi.h; the library links the MPI C library by its full path, so an installed Strata needs no FindMPI.
function(strata_link_mpi target)
  set(STRATA_HAVE_MPI OFF PARENT_SCOPE)
  if(NOT STRATA_WITH_MPI)
    message(STATUS "strata: one process only (STRATA_WITH_MPI=OFF)")
    return()
  endif()
  # The C API through the C++ compiler (the project enables no C), without the deprecated C++ bindings.
  find_package(MPI COMPONENTS CXX QUIET)
  if(NOT MPI_CXX_FOUND)
    message(STATUS "strata: MPI not found (install libopenmpi-dev); data-parallel training runs one process only")
    return()
  endif()
  set(libs ${MPI_CXX_LIBRARIES})
  list(FILTER libs EXCLUDE REGEX "mpi_cxx")
  message(STATUS "strata: data-parallel training over MPI: ${libs}")
  set(src ${PROJECT_SOURCE_DIR}/src/dist/process_group.cpp)
  set_property(SOURCE ${src} APPEND PROPERTY COMPILE_DEFINITIONS STRATA_HAVE_MPI=1 OMPI_SKIP_MPICXX=1 MPICH_SKIP_MPICXX=1)
  foreach(dir IN LISTS MPI_CXX_INCLUDE_DIRS)
    set_property(SOURCE ${src} APPEND PROPERTY COMPILE_OPTIONS -isystem ${dir})
  endforeach()
  target_link_libraries(${target} PRIVATE ${libs})
  set(STRATA_HAVE_MPI ON PARENT_SCOPE)
  set(STRATA_MPI_LIBS ${libs} PARENT_SCOPE)
  find_program(STRATA_MPIEXEC NAMES mpirun mpiexec)
endfunction()
