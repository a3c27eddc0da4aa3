# What every consumer route must give (included by the consumer projects).

# The same namespaced targets whichever the route; none of our warnings or sanitizer flags reaches
# a consumer through them.
function(lambda_py27_expect_targets)
  foreach(t runtime python testing boost_python)
    if(NOT TARGET lambda_py27::${t})
      message(FATAL_ERROR "target lambda_py27::${t} is missing")
    endif()
    foreach(p INTERFACE_COMPILE_OPTIONS INTERFACE_LINK_OPTIONS)
      get_target_property(v lambda_py27::${t} ${p})
      if(v MATCHES "-W|-fsanitize")
        message(FATAL_ERROR "lambda_py27::${t} passes ${p} '${v}' on to its consumers")
      endif()
    endforeach()
  endforeach()
endfunction()

# Vendored, lambda_py27 builds its libraries only: no tests, benchmarks, examples or (as asked by the
# consumer's plain set()) executables; its install rules are off (the test also installs the consumer
# and finds nothing).
function(lambda_py27_expect_vendored)
  foreach(v LAMBDA_PY27_BUILD_TESTS LAMBDA_PY27_BUILD_BENCH LAMBDA_PY27_BUILD_EXAMPLES LAMBDA_PY27_INSTALL
            LAMBDA_PY27_BUILD_TOOLS LAMBDA_PY27_WERROR LAMBDA_PY27_SANITIZE)
    if(${v})
      message(FATAL_ERROR "vendored lambda_py27 has ${v}=${${v}}")
    endif()
  endforeach()
  foreach(t run_loop_test python_function_test examples_test runtime_bench cpp-handler-bootstrap
            lambda-py27-bootstrap lambda-py27-emulator lambda-py27-invoke)
    if(TARGET ${t})
      message(FATAL_ERROR "vendored lambda_py27 made target ${t}")
    endif()
  endforeach()
endfunction()
