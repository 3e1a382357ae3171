# hestia_add_fuzz_target(NAME SOURCE CORPUS_DIR LIBS...)
# With clang and -DHESTIA_FUZZ=ON: a libFuzzer binary NAME (run it by hand or in a fuzz job).
# Always: NAME_replay, the same LLVMFuzzerTestOneInput linked with replay_main.cc, which ctest
# runs over the checked-in seed corpus under the sanitizer build — every crash ever found
# stays a regression test.
function(hestia_add_fuzz_target name source corpus)
  set(libs ${ARGN})
  if(HESTIA_FUZZ AND CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    add_executable(${name} ${source})
    # RapidJSON 1.1.0's stack does `nullptr + n` before its first allocation, which clang's
    # pointer-overflow check reports although it is never dereferenced.
    target_compile_options(${name} PRIVATE -fsanitize=fuzzer -fno-sanitize=pointer-overflow)
    target_link_options(${name} PRIVATE -fsanitize=fuzzer)
    target_link_libraries(${name} PRIVATE ${libs})
  endif()
  add_executable(${name}_replay ${source} ${CMAKE_SOURCE_DIR}/tests/fuzz/replay_main.cc)
  target_link_libraries(${name}_replay PRIVATE ${libs})
  add_test(NAME ${name}_replay COMMAND ${name}_replay ${corpus})
endfunction()
