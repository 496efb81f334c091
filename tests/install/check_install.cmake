# Run by ctest: install, then build and run outside programs against the
# installed tree, as users would: a CMake project (find_package(Orca) and
# orca_generate()) and a plain Makefile (orcac and pkg-config). Both see only
# the pkg-config files of the libraries liborca uses, so a package config
# that asks for anything more fails here. Fails on the first step that fails.
file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
function(step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "step failed (${rc}): ${ARGN}\n${out}")
  endif()
  set(step_out "${out}" PARENT_SCOPE)
endfunction()
function(expect_hello program)
  step(${program})
  if(NOT step_out MATCHES "hello: 42")
    message(FATAL_ERROR "${program}: unexpected output: ${step_out}")
  endif()
endfunction()

step(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
foreach(f bin/orcac bin/orca include/orca/orca.h lib/cmake/Orca/OrcaConfig.cmake
          lib/cmake/Orca/OrcaGenerate.cmake lib/pkgconfig/orca.pc)
  if(NOT EXISTS ${prefix}/${f})
    message(FATAL_ERROR "not installed: ${f}")
  endif()
endforeach()

# pkg-config sees the installed orca.pc and the libraries liborca uses (with
# the modules their own .pc files require, e.g. gnutls for libmicrohttpd),
# and nothing else.
set(pc_dir ${WORK_DIR}/pkgconfig)
file(MAKE_DIRECTORY ${pc_dir})
set(mods libuv msgpack hiredis lua5.4 sqlite3 libsodium libmicrohttpd rdkafka)
set(seen)
while(mods)
  list(POP_FRONT mods mod)
  list(FIND seen ${mod} at)
  if(NOT at EQUAL -1)
    continue()
  endif()
  list(APPEND seen ${mod})
  step(pkg-config --variable=pcfiledir ${mod})
  string(STRIP "${step_out}" dir)
  file(COPY ${dir}/${mod}.pc DESTINATION ${pc_dir})
  foreach(kind --print-requires --print-requires-private)
    step(pkg-config ${kind} ${mod})
    string(REGEX MATCHALL "(^|\n)[^ \n]+" reqs "${step_out}")
    foreach(r IN LISTS reqs)
      string(STRIP "${r}" r)
      list(APPEND mods ${r})
    endforeach()
  endforeach()
endwhile()
set(ENV{PKG_CONFIG_LIBDIR} ${pc_dir})
set(ENV{PKG_CONFIG_PATH} ${prefix}/lib/pkgconfig)

# The outside CMake project is built plainly, as a user's would be;
# LINK_FLAGS only carries the sanitizer runtimes when this build's liborca is
# instrumented.
step(${CMAKE_COMMAND} -S ${PROJECT_DIR} -B ${WORK_DIR}/build -DCMAKE_PREFIX_PATH=${prefix}
     -DCMAKE_C_COMPILER=${C_COMPILER} "-DCMAKE_EXE_LINKER_FLAGS=${LINK_FLAGS}")
step(${CMAKE_COMMAND} --build ${WORK_DIR}/build)
expect_hello(${WORK_DIR}/build/hello)
expect_hello(${WORK_DIR}/build/hello_again)

# The same program from a Makefile: orcac, cc and pkg-config only.
file(MAKE_DIRECTORY ${WORK_DIR}/make)
step(make -C ${WORK_DIR}/make -f ${MAKE_DIR}/Makefile SRC=${PROJECT_DIR}
     ORCAC=${prefix}/bin/orcac CC=${C_COMPILER} "LDFLAGS=${LINK_FLAGS}")
expect_hello(${WORK_DIR}/make/hello)
message(STATUS "outside programs built with CMake and with make, and ran")
