# Cross build for arm64 (AWS Graviton) with Debian's cross toolchain, on an x86-64 Debian 12 host:
#   dpkg --add-architecture arm64 && apt-get update
#   apt-get install crossbuild-essential-arm64 qemu-user-static libboost1.81-dev:arm64
#   scripts/build-python.sh --arch aarch64            # our Python 2.7 for arm64 (+ its -dev:arm64 packages)
#   cmake --preset aarch64 && cmake --build --preset aarch64   # -> build/aarch64/dist/lambda-py27-layer.zip
# Libraries and headers come from the multiarch folders (/usr/lib/aarch64-linux-gnu); nothing of the target
# runs at build time except its loader listing dependencies, under qemu-aarch64-static invoked directly
# (no binfmt registration needed).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER aarch64-linux-gnu-gcc)
set(CMAKE_CXX_COMPILER aarch64-linux-gnu-g++)
set(CMAKE_LIBRARY_ARCHITECTURE aarch64-linux-gnu)
find_program(LAMBDA_PY27_QEMU_AARCH64 qemu-aarch64-static)
if(LAMBDA_PY27_QEMU_AARCH64)
  set(CMAKE_CROSSCOMPILING_EMULATOR "${LAMBDA_PY27_QEMU_AARCH64}")
endif()
# Programs (patchelf, zip, strip via the compiler prefix) from the host; libraries, headers and packages
# for the target only.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_IGNORE_PATH /usr/lib/x86_64-linux-gnu /lib/x86_64-linux-gnu /usr/include/x86_64-linux-gnu)
