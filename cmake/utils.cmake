# Build helpers shared by every target of the project. None of them is applied to consumers' targets.

# Warnings for our own targets; errors only when LAMBDA_PY27_WERROR is on (our CI, never consumers).
function(lambda_py27_target_warnings tgt)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${tgt} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
                                          -Wcast-align -Wunused -Woverloaded-virtual
                                          -Wimplicit-fallthrough)
    if(LAMBDA_PY27_WERROR)
      target_compile_options(${tgt} PRIVATE -Werror)
    endif()
  endif()
endfunction()

# ASan + UBSan for our own targets when LAMBDA_PY27_SANITIZE is on (the `asan` preset).
function(lambda_py27_target_sanitizers tgt)
  if(LAMBDA_PY27_SANITIZE)
    # -fno-sanitize=vptr: GCC's vptr check clears an object's vptr when its destructor ends, and
    # Boost.Python's instance_dealloc (class.cpp) runs dynamic_cast<void*> on a holder it has just destroyed.
    target_compile_options(${tgt} PRIVATE -fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer
                                          -fno-sanitize-recover=undefined)
    target_link_options(${tgt} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# Everything our own targets get: warnings, sanitizers, separate compilation of Asio/Beast.
function(lambda_py27_target_defaults tgt)
  lambda_py27_target_warnings(${tgt})
  lambda_py27_target_sanitizers(${tgt})
  target_compile_features(${tgt} PUBLIC cxx_std_17)
  set_target_properties(${tgt} PROPERTIES CXX_EXTENSIONS OFF POSITION_INDEPENDENT_CODE ON)
endfunction()

# Asio and Beast are compiled once, in src/runtime/boost_impl.cpp; every file that includes them
# must see the same switches.
function(lambda_py27_boost_separate_compilation tgt)
  target_compile_definitions(${tgt} PRIVATE BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION
                                            BOOST_ASIO_NO_DEPRECATED)
endfunction()
