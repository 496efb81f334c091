# `cmake --install`: orcac, orca, liborca, the public headers and the package
# config, so an outside project needs only find_package(Orca) and
# orca_generate().
include(CMakePackageConfigHelpers)
install(DIRECTORY runtime/include/orca DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT OrcaTargets NAMESPACE Orca:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Orca)
configure_package_config_file(cmake/OrcaConfig.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/OrcaConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Orca)
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/OrcaConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/OrcaConfig.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/OrcaConfigVersion.cmake
              cmake/OrcaGenerate.cmake
        DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/Orca)
