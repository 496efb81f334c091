# Compiler flags for the whole tree: C11, warnings, and the sanitizers the
# test suite runs under. Warnings are errors only with ORCA_WERROR (on in
# tests/run and CI): a user's compiler or build type must never break the
# build over a warning.
set(CMAKE_C_STANDARD 11)
set(CMAKE_C_STANDARD_REQUIRED ON)
set(CMAKE_C_EXTENSIONS OFF)
set(CMAKE_POSITION_INDEPENDENT_CODE ON)
set(CMAKE_EXPORT_COMPILE_COMMANDS ON)
if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE RelWithDebInfo)
endif()

add_compile_options(-Wall -Wextra)
if(ORCA_WERROR)
  add_compile_options(-Werror)
endif()
# POSIX interfaces (clock_gettime, pthread, strdup…) under -std=c11.
add_compile_definitions(_POSIX_C_SOURCE=200809L _DEFAULT_SOURCE)

if(ORCA_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-sanitize-recover=undefined
                      -fno-omit-frame-pointer)
  add_link_options(-fsanitize=address,undefined)
endif()

if(ORCA_FUZZ AND NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
  message(FATAL_ERROR "ORCA_FUZZ needs clang (cmake -DCMAKE_C_COMPILER=clang)")
endif()

if(ORCA_FUZZ)
  # Coverage instrumentation everywhere, so fuzz targets see into liborca.
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()
