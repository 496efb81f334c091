# Run by ctest: install, then build and run an outside project against the
# installed package. Fails on the first step that fails.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${ARGN}\n${out}")
  endif()
  set(step_out "${out}" PARENT_SCOPE)
endfunction()
step(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f bin/orcac bin/orca include/orca/orca.h lib/cmake/Orca/OrcaConfig.cmake
          lib/cmake/Orca/OrcaGenerate.cmake)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()
# The outside project is built plainly, as a user's would be; LINK_FLAGS only
# carries the sanitizer runtimes when this build's liborca is instrumented.
step(${CMAKE_COMMAND} -S ${PROJECT_DIR} -B ${WORK_DIR}/build -DCMAKE_PREFIX_PATH=${prefix}
     -DCMAKE_C_COMPILER=${C_COMPILER} "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}")
step(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
step(${WORK_DIR}/build/hello)
if(NOT step_out MATCHES "hello: 42")
  message(FATAL_ERROR "unexpected output: ${step_out}")
endif()
message(STATUS "outside project built and ran: ${step_out}")
