# `cmake --install`: what a host program needs (tweedie.h, tweedie.hpp, the
# shared runtime and a TweedieConfig.cmake for find_package(Tweedie)) plus the
# tools. The sampler stub goes to libexec/tweedie, where tweedie-compile looks
# for it when it runs from bin/.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(TWEEDIE_CMAKE_INSTALL_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/Tweedie)

install(TARGETS tweedie_runtime TweedieRuntimeHeaders
  EXPORT TweedieTargets
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  INCLUDES DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# Only the public API: runtime/include/tweedie/module/ is the runtime's own.
install(FILES
  ${PROJECT_SOURCE_DIR}/runtime/include/tweedie/tweedie.h
  ${PROJECT_SOURCE_DIR}/runtime/include/tweedie/tweedie.hpp
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/tweedie)

install(EXPORT TweedieTargets
  NAMESPACE Tweedie::
  DESTINATION ${TWEEDIE_CMAKE_INSTALL_DIR})
configure_package_config_file(
  ${PROJECT_SOURCE_DIR}/cmake/TweedieConfig.cmake.in
  ${PROJECT_BINARY_DIR}/TweedieConfig.cmake
  INSTALL_DESTINATION ${TWEEDIE_CMAKE_INSTALL_DIR})
# 0.x: a minor version may change the API, so only the same minor matches.
write_basic_package_version_file(
  ${PROJECT_BINARY_DIR}/TweedieConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/TweedieConfig.cmake
  ${PROJECT_BINARY_DIR}/TweedieConfigVersion.cmake
  DESTINATION ${TWEEDIE_CMAKE_INSTALL_DIR})

install(TARGETS tweedie-compile tweedie-run tweedie-opt tweedie-bench
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(TARGETS tweedie-sampler-stub
  RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/tweedie)
