# Build helpers shared by every folder (STYLE.md, section 8).
#
# vouch_add_library(NAME name SRCS ... HDRS ... DEPS ... [PRIVATE_DEPS ...] [FUZZ])
#   Creates static library vouch_<name>, aliased vouch::<name>. DEPS are linked
#   PUBLIC (visible in headers), PRIVATE_DEPS privately. With FUZZ and VOUCH_FUZZ
#   on, also builds vouch_<name>_fuzz from the same sources with libFuzzer
#   coverage and ASan/UBSan, linking the _fuzz variants of vouch:: deps.
# vouch_add_test(NAME name SRCS ... DEPS ... [LABELS ...] [TIMEOUT s])
#   GoogleTest executable registered with ctest; label defaults to "unit".

set(VOUCH_FUZZ_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined)

function(_vouch_fuzz_deps out)
  set(result)
  foreach(dep IN LISTS ARGN)
    if(dep MATCHES "^vouch::(.*)$")
      list(APPEND result vouch_${CMAKE_MATCH_1}_fuzz)
    else()
      list(APPEND result ${dep})
    endif()
  endforeach()
  set(${out} ${result} PARENT_SCOPE)
endfunction()

function(_vouch_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wshadow -Wnon-virtual-dtor)
  if(VOUCH_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
  endif()
endfunction()

function(vouch_add_library)
  cmake_parse_arguments(A "FUZZ" "NAME" "SRCS;HDRS;DEPS;PRIVATE_DEPS" ${ARGN})
  set(t vouch_${A_NAME})
  add_library(${t} STATIC ${A_SRCS} ${A_HDRS})
  add_library(vouch::${A_NAME} ALIAS ${t})
  target_include_directories(${t} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${t} PUBLIC ${A_DEPS} PRIVATE ${A_PRIVATE_DEPS})
  _vouch_warnings(${t})
  if(A_FUZZ AND VOUCH_FUZZ)
    set(f ${t}_fuzz)
    add_library(${f} STATIC EXCLUDE_FROM_ALL ${A_SRCS} ${A_HDRS})
    target_include_directories(${f} PUBLIC ${PROJECT_SOURCE_DIR})
    _vouch_fuzz_deps(fdeps ${A_DEPS})
    _vouch_fuzz_deps(fpdeps ${A_PRIVATE_DEPS})
    target_link_libraries(${f} PUBLIC ${fdeps} PRIVATE ${fpdeps})
    target_compile_options(${f} PRIVATE ${VOUCH_FUZZ_FLAGS})
  endif()
endfunction()

function(vouch_add_test)
  cmake_parse_arguments(A "" "NAME;TIMEOUT" "SRCS;DEPS;LABELS" ${ARGN})
  set(t ${A_NAME})
  add_executable(${t} ${A_SRCS})
  target_link_libraries(${t} PRIVATE ${A_DEPS} vouch::testing GTest::gmock GTest::gtest_main)
  _vouch_warnings(${t})
  if(NOT A_LABELS)
    set(A_LABELS unit)
  endif()
  if(NOT A_TIMEOUT)
    set(A_TIMEOUT 120)
  endif()
  add_test(NAME ${t} COMMAND ${t})
  set_tests_properties(${t} PROPERTIES LABELS "${A_LABELS}" TIMEOUT ${A_TIMEOUT}
    ENVIRONMENT "VOUCH_FIXTURES_DIR=${VOUCH_FIXTURES_DIR};TSS2_LOG=all+none")
endfunction()

# vouch_add_fuzzer(NAME name SRCS ... DEPS ... [CORPUS dir ...] [SECONDS n])
#   libFuzzer executable (clang only) plus a ctest labelled "fuzz" that runs it
#   for SECONDS over the seed corpus directories.
function(vouch_add_fuzzer)
  if(NOT VOUCH_FUZZ)
    return()
  endif()
  cmake_parse_arguments(A "" "NAME;SECONDS" "SRCS;DEPS;CORPUS" ${ARGN})
  if(NOT A_SECONDS)
    set(A_SECONDS 20)
  endif()
  add_executable(${A_NAME} ${A_SRCS})
  _vouch_fuzz_deps(fdeps ${A_DEPS})
  target_link_libraries(${A_NAME} PRIVATE ${fdeps})
  target_compile_options(${A_NAME} PRIVATE ${VOUCH_FUZZ_FLAGS})
  target_link_options(${A_NAME} PRIVATE -fsanitize=fuzzer,address,undefined)
  set(work ${CMAKE_CURRENT_BINARY_DIR}/${A_NAME}_corpus)
  add_test(NAME ${A_NAME}
    COMMAND ${CMAKE_COMMAND} -E env ASAN_OPTIONS=detect_leaks=1
            ${PROJECT_SOURCE_DIR}/tests/fuzz/run_fuzzer.sh $<TARGET_FILE:${A_NAME}> ${work}
            ${A_SECONDS} ${A_CORPUS})
  set_tests_properties(${A_NAME} PROPERTIES LABELS fuzz TIMEOUT 300)
endfunction()
