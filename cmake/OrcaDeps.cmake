# Third-party libraries, all from Debian 12 packages, as imported targets.
# Only what liborca, orcac and the tests use (librdkafka: the Kafka log). cmake/OrcaConfig.cmake.in and cmake/orca.pc.in list the same
# libraries for users of the installed liborca.
find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)
find_package(FLEX 2.6 REQUIRED)
find_package(BISON 3.8 REQUIRED)
# luac5.4 (Debian package lua5.4) checks the syntax of the Redis backend's Lua
# scripts at build time.
find_program(ORCA_LUAC NAMES luac5.4 REQUIRED)

pkg_check_modules(UV REQUIRED IMPORTED_TARGET libuv>=1.44)
pkg_check_modules(MSGPACK REQUIRED IMPORTED_TARGET msgpack>=4.0)
pkg_check_modules(HIREDIS REQUIRED IMPORTED_TARGET hiredis>=0.14)
pkg_check_modules(LUA REQUIRED IMPORTED_TARGET lua5.4)
pkg_check_modules(SQLITE REQUIRED IMPORTED_TARGET sqlite3>=3.40)
pkg_check_modules(SODIUM REQUIRED IMPORTED_TARGET libsodium)
# libmicrohttpd serves a worker's metrics and the dashboard (runtime/http/).
pkg_check_modules(MHD REQUIRED IMPORTED_TARGET libmicrohttpd>=0.9.71)
# librdkafka: the Kafka log (runtime/backend/kafka/).
pkg_check_modules(RDKAFKA REQUIRED IMPORTED_TARGET rdkafka>=2.0)
if(ORCA_BUILD_TESTS)
  pkg_check_modules(CMOCKA REQUIRED IMPORTED_TARGET cmocka)
endif()
