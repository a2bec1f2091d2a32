# tests/fuzz: one harness per parser (tests/fuzz/README.md). Each
# fuzz/fuzz_NAME.c defines LLVMFuzzerTestOneInput().
#
# - The normal and ASan builds (gcc) link it with fuzz/replay.c into
#   fuzz_replay_NAME; ctest runs it once over the regression inputs
#   (fuzz/regressions/NAME) and the seed corpus (fuzz/corpus/NAME).
# - The fuzz build (-DHALLQ_FUZZ=ON, clang; included from the top-level
#   CMakeLists.txt) links it with libFuzzer into fuzz_NAME, which
#   scripts/fuzz runs; ctest replays the same files through it (-runs=0).
set(HALLQ_FUZZ_SOURCE ${CMAKE_CURRENT_LIST_DIR}/fuzz)

function(hallq_fuzz_target name)
  set(inputs)
  foreach(dir regressions/${name} corpus/${name})
    if(EXISTS ${HALLQ_FUZZ_SOURCE}/${dir})
      list(APPEND inputs ${HALLQ_FUZZ_SOURCE}/${dir})
    endif()
  endforeach()
  if(HALLQ_FUZZ)
    set(exe fuzz_${name})
    add_executable(${exe} ${HALLQ_FUZZ_SOURCE}/fuzz_${name}.c)
    target_link_options(${exe} PRIVATE -fsanitize=fuzzer)
    add_test(NAME fuzz_regressions_${name} COMMAND ${exe} -runs=0 ${inputs})
  else()
    set(exe fuzz_replay_${name})
    add_executable(${exe} ${HALLQ_FUZZ_SOURCE}/fuzz_${name}.c ${HALLQ_FUZZ_SOURCE}/replay.c)
    add_test(NAME fuzz_replay_${name} COMMAND ${exe} ${inputs})
  endif()
  target_include_directories(${exe} PRIVATE ${HALLQ_FUZZ_SOURCE})
  target_compile_definitions(${exe} PRIVATE HALLQ_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
  target_link_libraries(${exe} PRIVATE ${ARGN})
endfunction()

hallq_fuzz_target(config hallq_config)
hallq_fuzz_target(escpos hallq_escpos_decode)
hallq_fuzz_target(firmware hallq_fw)
hallq_fuzz_target(modbus hallq_modbus hallq_log)
hallq_fuzz_target(api hallq_api)
