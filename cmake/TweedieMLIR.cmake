# Helpers for the MLIR-facing half of Tweedie (dialects/, compiler/, tools that link MLIR).
#
# Everything LLVM wants (its include paths, definitions, -fno-exceptions) is attached
# per target here instead of globally, so that runtime/ builds with ordinary C++20 and
# exceptions. All MLIR code links the single libMLIR.so that Debian ships: linking the
# static component libraries as well would register passes and options twice.

include(AddLLVM)    # helpers that TableGen.cmake relies on (defines functions only)
include(TableGen)   # tablegen(), add_public_tablegen_target()
include(AddMLIR)    # mlir_tablegen()

# Tablegen looks up include paths from the directory property, so the .td folders need it.
set(TWEEDIE_TABLEGEN_INCLUDES ${MLIR_INCLUDE_DIRS} ${LLVM_INCLUDE_DIRS})

function(tweedie_mlir_target target)
  target_include_directories(${target} SYSTEM PUBLIC ${LLVM_INCLUDE_DIRS} ${MLIR_INCLUDE_DIRS})
  separate_arguments(_llvm_defs NATIVE_COMMAND "${LLVM_DEFINITIONS}")
  target_compile_definitions(${target} PUBLIC ${_llvm_defs})
  if(NOT LLVM_ENABLE_EH)
    target_compile_options(${target} PRIVATE -fno-exceptions)
  endif()
  if(NOT LLVM_ENABLE_RTTI)
    target_compile_options(${target} PRIVATE -fno-rtti)
  endif()
endfunction()

# tweedie_mlir_library(name SOURCES... [DEPENDS gen-targets...] [LINK libs...])
function(tweedie_mlir_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPENDS;LINK" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  tweedie_mlir_target(${name})
  if(ARG_DEPENDS)
    add_dependencies(${name} ${ARG_DEPENDS})
  endif()
  target_link_libraries(${name} PUBLIC MLIR LLVM ${ARG_LINK})
endfunction()
