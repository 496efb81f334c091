# `cmake --install`: orcac, orca, liborca, the public headers, the package
# config (an outside CMake project needs only find_package(Orca) and
# orca_generate()) and orca.pc (for pkg-config and make).
include(CMakePackageConfigHelpers)
install(DIRECTORY runtime/include/orca DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT OrcaTargets NAMESPACE Orca:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Orca)
get_target_property(ORCA_LIBRARY_TYPE orca TYPE)
configure_package_config_file(cmake/OrcaConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/OrcaConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Orca)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/OrcaConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/OrcaConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/OrcaConfigVersion.cmake
              cmake/OrcaGenerate.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Orca)

# orca.pc: a static liborca's libraries are needed by every program that links
# it (Requires); a shared one's only by static links (Requires.private).
if(ORCA_LIBRARY_TYPE STREQUAL "STATIC_LIBRARY")
  set(ORCA_PC_REQUIRES "Requires")
else()
  set(ORCA_PC_REQUIRES "Requires.private")
endif()
file(RELATIVE_PATH ORCA_PC_TO_PREFIX /${CMAKE_INSTALL_LIBDIR}/pkgconfig /)
string(REGEX REPLACE "/$" "" ORCA_PC_TO_PREFIX "${ORCA_PC_TO_PREFIX}")
configure_file(cmake/orca.pc.in ${CMAKE_CURRENT_BINARY_DIR}/orca.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/orca.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
