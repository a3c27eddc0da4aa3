# Install rules and the package config: after `cmake --install`, `find_package(lambda_py27 CONFIG)` gives
# the same namespaced targets as add_subdirectory / FetchContent (lambda_py27::runtime, ::python,
# ::testing, ::boost_python, ::testing_module, and the executables ::bootstrap, ::emulator, ::invoke).
#
# Layout under the prefix:
#   include/lambda_py27/...                  every public header, and the generated version.hpp
#   lib/liblambda_py27_*.a                   the layers and Boost.Python (static, PIC)
#   lib/cmake/lambda_py27/                   lambda_py27Config.cmake, ...ConfigVersion.cmake, ...Targets.cmake
#   lib/python2.7/site-packages/lambda_py27_testing.so   the unit-test extension module
#   bin/lambda-py27-{bootstrap,emulator,invoke,enter-root,package}
#   share/lambda_py27/package/, share/lambda_py27/dist/   lambda-py27-package and the zips it takes
# Included from the top-level CMakeLists.txt when LAMBDA_PY27_INSTALL is on (by default only when
# lambda_py27 is the top-level project, so a vendoring project installs nothing of ours).
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(LAMBDA_PY27_INSTALL_CMAKEDIR "${CMAKE_INSTALL_LIBDIR}/cmake/lambda_py27"
    CACHE STRING "Where lambda_py27's package config is installed, relative to the prefix")
set(LAMBDA_PY27_INSTALL_PYTHONDIR "${CMAKE_INSTALL_LIBDIR}/python2.7/site-packages"
    CACHE STRING "Where the lambda_py27_testing extension module is installed, relative to the prefix")
mark_as_advanced(LAMBDA_PY27_INSTALL_CMAKEDIR LAMBDA_PY27_INSTALL_PYTHONDIR)

# ---- libraries and their headers ---------------------------------------------------------------
set(_lp27_libraries lambda_py27_runtime)
foreach(_lp27_t lambda_py27_boost_python lambda_py27_python lambda_py27_testing)
  if(TARGET ${_lp27_t})
    list(APPEND _lp27_libraries ${_lp27_t})
  endif()
endforeach()
set_property(GLOBAL APPEND PROPERTY LAMBDA_PY27_INSTALLED_TARGETS ${_lp27_libraries})
install(TARGETS ${_lp27_libraries}
  EXPORT lambda_py27Targets
  ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT lambda_py27_development
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}" COMPONENT lambda_py27_development
  INCLUDES DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

set(_lp27_header_excludes "")
if(NOT LAMBDA_PY27_PYTHON)  # no headers of a layer that is not installed
  set(_lp27_header_excludes REGEX "/lambda_py27/python$" EXCLUDE REGEX "/testing/python_function\\.hpp$" EXCLUDE)
endif()
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/lambda_py27"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}" COMPONENT lambda_py27_development
  FILES_MATCHING PATTERN "*.hpp" ${_lp27_header_excludes})
install(FILES "${PROJECT_BINARY_DIR}/include/lambda_py27/version.hpp"
  DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}/lambda_py27" COMPONENT lambda_py27_development)

# ---- the unit-test extension module -----------------------------------------------------------
# Deferred to the end of the top-level directory, so the rule does not depend on where the module's
# directory is added relative to this file.
function(_lambda_py27_install_testing_module)
  if(TARGET lambda_py27_testing_module)
    set_property(GLOBAL APPEND PROPERTY LAMBDA_PY27_INSTALLED_TARGETS lambda_py27_testing_module)
    install(TARGETS lambda_py27_testing_module
      EXPORT lambda_py27Targets
      LIBRARY DESTINATION "${LAMBDA_PY27_INSTALL_PYTHONDIR}" COMPONENT lambda_py27_python_module)
  endif()
endfunction()
cmake_language(DEFER DIRECTORY "${PROJECT_SOURCE_DIR}" CALL _lambda_py27_install_testing_module)

# `cmake --install` copies what the build made: a target installed but left out of the default target
# (EXCLUDE_FROM_ALL, its own or its directory's) fails the install of a build that made only the default
# target (`cmake --build build/release && cmake --install build/release`). Checked when configuring, after
# the deferred rule above.
function(_lambda_py27_check_installed_targets_are_built)
  get_property(_lp27_installed GLOBAL PROPERTY LAMBDA_PY27_INSTALLED_TARGETS)
  foreach(_lp27_t IN LISTS _lp27_installed)
    get_target_property(_lp27_excluded ${_lp27_t} EXCLUDE_FROM_ALL)
    get_target_property(_lp27_dir ${_lp27_t} SOURCE_DIR)
    while(NOT _lp27_excluded AND _lp27_dir)  # add_subdirectory(... EXCLUDE_FROM_ALL) of it or a parent
      get_property(_lp27_excluded DIRECTORY "${_lp27_dir}" PROPERTY EXCLUDE_FROM_ALL)
      get_property(_lp27_dir DIRECTORY "${_lp27_dir}" PROPERTY PARENT_DIRECTORY)
    endwhile()
    if(_lp27_excluded)
      message(FATAL_ERROR "lambda_py27: ${_lp27_t} is installed but not built by the default target "
                          "(EXCLUDE_FROM_ALL): `cmake --install` after `cmake --build` would not find it")
    endif()
  endforeach()
endfunction()
cmake_language(DEFER DIRECTORY "${PROJECT_SOURCE_DIR}" CALL _lambda_py27_check_installed_targets_are_built)

# ---- executables (exported too: a consumer's tests can run lambda_py27::emulator) ----------------
set(_lp27_tools "")
foreach(_lp27_pair "lambda-py27-bootstrap;bootstrap" "lambda-py27-emulator;emulator" "lambda-py27-invoke;invoke"
                   "lambda-py27-enter-root;enter_root")
  list(GET _lp27_pair 0 _lp27_t)
  list(GET _lp27_pair 1 _lp27_export_name)
  if(TARGET ${_lp27_t})
    # Installed executables find libpython where the build found it. Built with that same RPATH: else CMake
    # pads the build tree's with an empty entry (for the install-time rewrite), which the loader reads as
    # the current directory and searches first for libstdc++, libc... (~80 failed opens per start).
    set_target_properties(${_lp27_t} PROPERTIES EXPORT_NAME ${_lp27_export_name} INSTALL_RPATH_USE_LINK_PATH ON
                                                BUILD_WITH_INSTALL_RPATH ON)
    list(APPEND _lp27_tools ${_lp27_t})
  endif()
endforeach()
if(_lp27_tools)
  set_property(GLOBAL APPEND PROPERTY LAMBDA_PY27_INSTALLED_TARGETS ${_lp27_tools})
  install(TARGETS ${_lp27_tools} EXPORT lambda_py27Targets
    RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}" COMPONENT lambda_py27_runtime)
endif()

# ---- package config --------------------------------------------------------------------------
install(EXPORT lambda_py27Targets
  NAMESPACE lambda_py27::
  DESTINATION "${LAMBDA_PY27_INSTALL_CMAKEDIR}" COMPONENT lambda_py27_development)

# What the config re-finds, as this build found it.
string(REGEX MATCH "^[0-9]+\\.[0-9]+" LAMBDA_PY27_CONFIG_BOOST_VERSION "${Boost_VERSION}")
set(LAMBDA_PY27_CONFIG_PYTHON27_ROOT "")
if(LAMBDA_PY27_PYTHON)
  set(LAMBDA_PY27_CONFIG_PYTHON27_ROOT "${LAMBDA_PY27_PYTHON_HOME}")
endif()
configure_package_config_file("${CMAKE_CURRENT_LIST_DIR}/lambda_py27Config.cmake.in"
  "${PROJECT_BINARY_DIR}/cmake/lambda_py27Config.cmake"
  INSTALL_DESTINATION "${LAMBDA_PY27_INSTALL_CMAKEDIR}")
write_basic_package_version_file("${PROJECT_BINARY_DIR}/cmake/lambda_py27ConfigVersion.cmake"
  VERSION "${PROJECT_VERSION}" COMPATIBILITY SameMajorVersion)
install(FILES "${PROJECT_BINARY_DIR}/cmake/lambda_py27Config.cmake"
              "${PROJECT_BINARY_DIR}/cmake/lambda_py27ConfigVersion.cmake"
              "${PROJECT_SOURCE_DIR}/cmake/package.cmake"
  DESTINATION "${LAMBDA_PY27_INSTALL_CMAKEDIR}" COMPONENT lambda_py27_development)

unset(_lp27_libraries)
unset(_lp27_header_excludes)
unset(_lp27_tools)
