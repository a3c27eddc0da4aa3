# One consumer test: builds the consumer project test/consumers/<ROUTE> against this build's compiler
# and ccache, then serves one invocation with the bootstrap it built, through the emulator.
#
#   cmake -DROUTE=subdirectory|fetchcontent|find_package -DWORK_DIR=<dir> -DLAMBDA_PY27_SOURCE_DIR=<repo>
#         -DLAMBDA_PY27_BINARY_DIR=<this build> -DSERVE_ONCE=<lambda-py27-serve-once> [-D<settings below>]
#         -P run_consumer.cmake
# find_package first installs this build into <WORK_DIR>/prefix (`cmake --install`).
cmake_minimum_required(VERSION 3.21)

foreach(v ROUTE WORK_DIR LAMBDA_PY27_SOURCE_DIR LAMBDA_PY27_BINARY_DIR SERVE_ONCE GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${v} OR "${${v}}" STREQUAL "")
    message(FATAL_ERROR "run_consumer.cmake: -D${v}=... is required")
  endif()
endforeach()

set(consumer_source "${WORK_DIR}/src/${ROUTE}")
set(consumer_build "${WORK_DIR}/build")
set(prefix "${WORK_DIR}/prefix")

function(run what)
  string(TIMESTAMP t0 "%s")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  string(TIMESTAMP t1 "%s")
  math(EXPR seconds "${t1} - ${t0}")
  message(STATUS "${what}: ${seconds} s")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc})")
  endif()
endfunction()

# The consumer project, copied into the test's folder, with README.md's block for this route beside it as
# readme_snippet.cmake: the block after the line `<!-- test/consumers/<ROUTE> builds this block`, as printed
# (the FetchContent one with the URL of a local repository in place of `<url of lambda-py27>`).
file(REMOVE_RECURSE "${WORK_DIR}/src" "${consumer_build}")
file(COPY "${LAMBDA_PY27_SOURCE_DIR}/test/consumers/${ROUTE}" "${LAMBDA_PY27_SOURCE_DIR}/test/consumers/expectations.cmake"
     DESTINATION "${WORK_DIR}/src")
file(READ "${LAMBDA_PY27_SOURCE_DIR}/README.md" readme)
string(FIND "${readme}" "<!-- test/consumers/${ROUTE} builds this block" at)
if(at EQUAL -1)
  message(FATAL_ERROR "README.md has no block marked for test/consumers/${ROUTE}")
endif()
string(SUBSTRING "${readme}" ${at} -1 readme)
string(FIND "${readme}" "```cmake\n" at)
math(EXPR at "${at} + 9")
string(SUBSTRING "${readme}" ${at} -1 snippet)
string(FIND "${snippet}" "```" end)
string(SUBSTRING "${snippet}" 0 ${end} snippet)
message(STATUS "README.md's block for ${ROUTE}:\n${snippet}")

if(ROUTE STREQUAL "subdirectory")
  file(MAKE_DIRECTORY "${consumer_source}/third_party")
  file(CREATE_LINK "${LAMBDA_PY27_SOURCE_DIR}" "${consumer_source}/third_party/lambda-py27" SYMBOLIC)
elseif(ROUTE STREQUAL "fetchcontent")
  # The checkout's tracked files as they are now (uncommitted changes included) as one parentless commit on
  # branch `main` of a bare repository here: what the README's `GIT_TAG main` fetches.
  find_package(Git REQUIRED)
  function(git out)
    execute_process(COMMAND "${GIT_EXECUTABLE}" ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE o
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "git ${ARGN} failed (${rc}): the FetchContent test needs a git checkout")
    endif()
    set(${out} "${o}" PARENT_SCOPE)
  endfunction()
  set(g -C "${LAMBDA_PY27_SOURCE_DIR}" -c user.name=lambda-py27-test -c user.email=test@lambda-py27)
  git(stash ${g} stash create)
  if(stash STREQUAL "")
    set(stash HEAD)
  endif()
  git(tree ${g} rev-parse "${stash}^{tree}")
  git(commit ${g} commit-tree "${tree}" -m "lambda-py27 as checked out (consumer test)")
  set(repo "${WORK_DIR}/lambda-py27.git")
  file(REMOVE_RECURSE "${repo}")
  git(ignored init -q --bare "${repo}")
  git(ignored ${g} push -q "${repo}" "${commit}:refs/heads/main")
  string(REPLACE "<url of lambda-py27>" "file://${repo}" snippet "${snippet}")
endif()
file(WRITE "${consumer_source}/readme_snippet.cmake" "${snippet}")

set(configure_args -S "${consumer_source}" -B "${consumer_build}" -G "${GENERATOR}"
    "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}" "-DCMAKE_BUILD_TYPE=${BUILD_TYPE}")
if(C_COMPILER)
  list(APPEND configure_args "-DCMAKE_C_COMPILER=${C_COMPILER}")
endif()
if(LAUNCHER)
  list(APPEND configure_args "-DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER}" "-DCMAKE_C_COMPILER_LAUNCHER=${LAUNCHER}")
endif()

if(ROUTE STREQUAL "find_package")
  file(REMOVE_RECURSE "${prefix}")
  run("install into ${prefix}" "${CMAKE_COMMAND}" --install "${LAMBDA_PY27_BINARY_DIR}" --prefix "${prefix}")
  foreach(f include/lambda_py27/version.hpp include/lambda_py27/python/bootstrap.hpp
            include/lambda_py27/runtime/handler_registry.hpp lib/cmake/lambda_py27/lambda_py27Config.cmake
            lib/cmake/lambda_py27/lambda_py27ConfigVersion.cmake)
    if(NOT EXISTS "${prefix}/${f}")
      message(FATAL_ERROR "the install has no ${f}")
    endif()
  endforeach()
  # The installed headers are the public API only: the layers' private headers stay in src/.
  file(GLOB_RECURSE private_headers LIST_DIRECTORIES true "${prefix}/include/lambda_py27/*")
  list(FILTER private_headers INCLUDE REGEX "/detail(/|$)")
  if(private_headers)
    message(FATAL_ERROR "the install has private headers: ${private_headers}")
  endif()
  # The installed lambda-py27-package writes the installed layer (which the build made before the install).
  if(EXISTS "${LAMBDA_PY27_BINARY_DIR}/dist/lambda-py27-layer.zip")
    foreach(f bin/lambda-py27-enter-root bin/lambda-py27-package share/lambda_py27/dist/lambda-py27-layer.zip)
      if(NOT EXISTS "${prefix}/${f}")
        message(FATAL_ERROR "the install has no ${f}")
      endif()
    endforeach()
    run("installed lambda-py27-package --layer" "${prefix}/bin/lambda-py27-package" --layer -q
        -o "${WORK_DIR}/installed-layer.zip")
    file(SHA256 "${WORK_DIR}/installed-layer.zip" got)
    file(SHA256 "${LAMBDA_PY27_BINARY_DIR}/dist/lambda-py27-layer.zip" want)
    if(NOT got STREQUAL want)
      message(FATAL_ERROR "the installed lambda-py27-package did not write the installed layer")
    endif()
  endif()
  # The config must find Python 2.7 by itself (the root recorded at build time): no PYTHON27_ROOT here.
  list(APPEND configure_args "-DCMAKE_PREFIX_PATH=${prefix}" "-DEXPECTED_VERSION=${EXPECTED_VERSION}")
  if(SANITIZE)
    # The installed libraries were built with ASan + UBSan; the consumer's link needs their runtimes.
    list(APPEND configure_args "-DCMAKE_EXE_LINKER_FLAGS=-fsanitize=address,undefined")
  endif()
else()
  if(PYTHON27_ROOT)
    list(APPEND configure_args "-DPYTHON27_ROOT=${PYTHON27_ROOT}")
  endif()
  if(BOOST_PYTHON_SOURCE_DIR)
    list(APPEND configure_args "-DLAMBDA_PY27_BOOST_PYTHON_SOURCE_DIR=${BOOST_PYTHON_SOURCE_DIR}")
  endif()
endif()

run("configure ${ROUTE} consumer" "${CMAKE_COMMAND}" ${configure_args})
run("build ${ROUTE} consumer" "${CMAKE_COMMAND}" --build "${consumer_build}" --parallel 2)

if(NOT ROUTE STREQUAL "find_package")
  # Vendored, lambda_py27 installs nothing unless asked.
  file(REMOVE_RECURSE "${WORK_DIR}/consumer-install")
  run("install the consumer" "${CMAKE_COMMAND}" --install "${consumer_build}" --prefix "${WORK_DIR}/consumer-install")
  file(GLOB_RECURSE installed "${WORK_DIR}/consumer-install/*")
  if(installed)
    message(FATAL_ERROR "installing the ${ROUTE} consumer installed lambda_py27 files: ${installed}")
  endif()
endif()

run("serve one invocation" "${SERVE_ONCE}" "${consumer_build}/bootstrap" "${LAMBDA_PY27_SOURCE_DIR}/test/consumers/function"
    app.handler "{}" "\"consumer\": \"ok\"")
