# `cmake --install` of the current build into a fresh prefix, then an outside project (tests/install/consumer)
# configured with find_package(Strata), built and run against it. Run by ctest (tests/CMakeLists.txt) as
#   cmake -DBUILD_DIR=... -DSOURCE_DIR=... -DWORK_DIR=... -DGENERATOR=... -DCXX=... -DVERSION=... -DWITH_CLI=ON|OFF
#         -P this file
foreach(var BUILD_DIR SOURCE_DIR WORK_DIR GENERATOR CXX VERSION WITH_CLI)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "install_test.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run_step what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (exit ${rc}):\n${out}")
  endif()
  set(step_output "${out}" PARENT_SCOPE)
endfunction()

set(prefix ${WORK_DIR}/prefix)
file(REMOVE_RECURSE ${WORK_DIR})
run_step("cmake --install" ${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})

# What the package holds: the library, the headers, the CLI and the package files.
set(expected include/strata/core/tensor.h include/strata/ops/creation.h)
if(WITH_CLI)
  list(APPEND expected bin/strata)
endif()
foreach(path IN LISTS expected)
  if(NOT EXISTS ${prefix}/${path})
    message(FATAL_ERROR "the install lacks ${path}")
  endif()
endforeach()
file(GLOB_RECURSE config ${prefix}/*/StrataConfig.cmake)
file(GLOB_RECURSE config_version ${prefix}/*/StrataConfigVersion.cmake)
if(NOT config OR NOT config_version)
  message(FATAL_ERROR "the install lacks StrataConfig.cmake or StrataConfigVersion.cmake")
endif()
if(WITH_CLI)
  run_step("installed strata --version" ${prefix}/bin/strata --version)
  if(NOT step_output STREQUAL "strata ${VERSION}\n")
    message(FATAL_ERROR "installed strata --version printed \"${step_output}\", expected \"strata ${VERSION}\"")
  endif()
endif()

# The consumer sees nothing of the source tree or the build: only the prefix.
run_step("consumer configure" ${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/install/consumer -B ${WORK_DIR}/consumer
         -G ${GENERATOR} -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_PREFIX_PATH=${prefix})
run_step("consumer build" ${CMAKE_COMMAND} --build ${WORK_DIR}/consumer)
run_step("consumer run" ${WORK_DIR}/consumer/consumer)
message(STATUS "${step_output}")
if(NOT step_output MATCHES "strata ${VERSION}: sum 5050, matmul sum 30")
  message(FATAL_ERROR "unexpected consumer output: ${step_output}")
endif()
file(REMOVE_RECURSE ${WORK_DIR})
