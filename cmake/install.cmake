# Installs libstrata, include/strata/, the `strata` CLI and the CMake package StrataConfig.cmake with its
# version file, so that another project can write find_package(Strata) and link Strata::strata.
include(CMakePackageConfigHelpers)

set(STRATA_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/Strata CACHE STRING
    "Where the CMake package (StrataConfig.cmake) is installed, relative to the prefix")

install(TARGETS strata EXPORT StrataTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY include/strata DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} FILES_MATCHING PATTERN "*.h")
if(TARGET strata_cli)
  install(TARGETS strata_cli RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
endif()

install(EXPORT StrataTargets NAMESPACE Strata:: FILE StrataTargets.cmake DESTINATION ${STRATA_INSTALL_CMAKEDIR})
# The config re-finds the dependencies the library links (a static library carries its private ones too).
if(STRATA_WITH_OPENBLAS AND STRATA_OPENBLAS_LIB)
  set(STRATA_PACKAGE_OPENBLAS ${STRATA_OPENBLAS_LIB})
endif()
if(STRATA_HAVE_DNNL)
  set(STRATA_PACKAGE_DNNL ${STRATA_DNNL_LIB})
endif()
if(STRATA_HAVE_MPI)
  set(STRATA_PACKAGE_MPI "${STRATA_MPI_LIBS}")
endif()
if(STRATA_HAVE_CUDA)
  set(STRATA_PACKAGE_CUDA "${STRATA_CUDA_LIBS}")
endif()
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/StrataConfig.cmake.in
                              ${CMAKE_CURRENT_BINARY_DIR}/StrataConfig.cmake
                              INSTALL_DESTINATION ${STRATA_INSTALL_CMAKEDIR})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/StrataConfigVersion.cmake
                                 VERSION ${PROJECT_VERSION} COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/StrataConfig.cmake ${CMAKE_CURRENT_BINARY_DIR}/StrataConfigVersion.cmake
        DESTINATION ${STRATA_INSTALL_CMAKEDIR})
