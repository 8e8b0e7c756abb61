# Run one libFuzzer target for SECONDS over the build tree's copy of its seed
# corpus; fail when it finds anything. ctest calls this (label "fuzz"), and so
# does ops/fuzz.sh for longer runs:
#   cmake -DTARGET=fuzz_report -DSOURCE_DIR=<checkout> -DBINARY_DIR=<build-fuzz>
#         [-DFUZZER=<executable>] [-DSECONDS=20] [-DEXTRA="-flag=v ..."]
#         -P tests/fuzz/run_fuzzer.cmake
#
# Layout, for TARGET fuzz_NAME (the source tree is only read):
#   <checkout>/tests/fuzz/corpus/NAME/        seeds, copied into the build tree
#   <checkout>/tests/fuzz/regressions/NAME/   inputs that once broke something,
#                                             run at start: a regression fails at once
#   <checkout>/tests/fuzz/NAME.dict           optional libFuzzer dictionary
#   <build-fuzz>/fuzz-corpus/NAME/            working corpus: seeds + what runs add
#   <build-fuzz>/findings/NAME/               crash-*, leak-*, timeout-*, oom-*
#   <build-fuzz>/fuzz-logs/NAME.log           libFuzzer's output of the last run
#   <build-fuzz>/fuzz-logs/NAME.summary       its figures in one line
cmake_minimum_required(VERSION 3.18)

foreach(var TARGET SOURCE_DIR BINARY_DIR)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run_fuzzer.cmake: -D${var}=... is required")
  endif()
endforeach()
if(NOT DEFINED FUZZER OR FUZZER STREQUAL "")
  set(FUZZER ${BINARY_DIR}/tests/fuzz/${TARGET})
endif()
if(NOT DEFINED SECONDS OR SECONDS STREQUAL "")
  set(SECONDS 20)
endif()
if(NOT EXISTS ${FUZZER})
  message(FATAL_ERROR "${TARGET}: no executable ${FUZZER}; build the target 'fuzzers' first")
endif()

string(REGEX REPLACE "^fuzz_" "" name ${TARGET})
set(src ${SOURCE_DIR}/tests/fuzz)
set(seeds ${src}/corpus/${name})
set(regressions ${src}/regressions/${name})
set(corpus ${BINARY_DIR}/fuzz-corpus/${name})
set(findings ${BINARY_DIR}/findings/${name})
set(log ${BINARY_DIR}/fuzz-logs/${name}.log)
file(MAKE_DIRECTORY ${corpus} ${findings} ${BINARY_DIR}/fuzz-logs)

# The copy is refreshed every run, so a seed added to the checkout is used at
# once; libFuzzer writes the inputs it finds into the first directory only.
file(GLOB seed_files ${seeds}/*)
if(seed_files)
  file(COPY ${seed_files} DESTINATION ${corpus})
endif()

set(dirs ${corpus})
file(GLOB regression_files ${regressions}/*)
if(regression_files)
  list(APPEND dirs ${regressions})
endif()
set(dict)
if(EXISTS ${src}/${name}.dict)
  set(dict -dict=${src}/${name}.dict)
endif()
separate_arguments(extra UNIX_COMMAND "${EXTRA}")

# UBSan's report with a stack; llvm-symbolizer names the functions in stacks.
if(NOT DEFINED ENV{UBSAN_OPTIONS})
  set(ENV{UBSAN_OPTIONS} "print_stacktrace=1:halt_on_error=1")
endif()
if(NOT DEFINED ENV{ASAN_SYMBOLIZER_PATH})
  find_program(symbolizer NAMES llvm-symbolizer llvm-symbolizer-14
               PATHS /usr/lib/llvm-14/bin NO_CACHE)
  if(symbolizer)
    set(ENV{ASAN_SYMBOLIZER_PATH} ${symbolizer})
  endif()
endif()

file(GLOB before ${findings}/*)
execute_process(
  COMMAND ${FUZZER} -max_total_time=${SECONDS} -rss_limit_mb=2048 -timeout=10
          -artifact_prefix=${findings}/ -print_final_stats=1 ${dict} ${extra} ${dirs}
  RESULT_VARIABLE rc
  OUTPUT_FILE ${log}
  ERROR_FILE ${log})
file(GLOB after ${findings}/*)
if(before)
  list(REMOVE_ITEM after ${before})
endif()

# One line of figures, from libFuzzer's last status line and final stats:
#   fuzz_report: 20 s, 231042 runs (11552/s), cov 845, ft 2460, corpus 402 (+27), rss 515 MB, findings 0
file(STRINGS ${log} lines REGEX "^#[0-9]+.*cov: ")
set(status "")
if(lines)
  list(GET lines -1 status)
endif()
file(STRINGS ${log} stats REGEX "^stat::")
foreach(var runs rate added rss cov ft corp)
  set(${var} "?")
endforeach()
foreach(line ${stats})
  if(line MATCHES "^stat::number_of_executed_units: +([0-9]+)")
    set(runs ${CMAKE_MATCH_1})
  elseif(line MATCHES "^stat::average_exec_per_sec: +([0-9]+)")
    set(rate ${CMAKE_MATCH_1})
  elseif(line MATCHES "^stat::new_units_added: +([0-9]+)")
    set(added ${CMAKE_MATCH_1})
  elseif(line MATCHES "^stat::peak_rss_mb: +([0-9]+)")
    set(rss ${CMAKE_MATCH_1})
  endif()
endforeach()
foreach(var cov ft corp)
  if(status MATCHES "${var}: ([0-9]+)")
    set(${var} ${CMAKE_MATCH_1})
  endif()
endforeach()
list(LENGTH after nfound)
set(summary "${TARGET}: ${SECONDS} s, ${runs} runs (${rate}/s), cov ${cov}, ft ${ft}, corpus ${corp} (+${added}), rss ${rss} MB, findings ${nfound}")
file(WRITE ${BINARY_DIR}/fuzz-logs/${name}.summary "${summary}\n")
message("${summary}")

if(NOT rc EQUAL 0)
  # The report and the stack are at the end of the log.
  file(STRINGS ${log} all)
  list(LENGTH all n)
  math(EXPR first "${n} - 150")
  if(first LESS 0)
    set(first 0)
  endif()
  list(SUBLIST all ${first} -1 tail)
  string(REPLACE ";" "\n" tail "${tail}")
  message("${tail}")
  message(FATAL_ERROR "${TARGET}: libFuzzer found something (exit ${rc}): ${after}\n"
                      "reproduce: ${FUZZER} <file>; keep it as ${regressions}/<name> "
                      "(not crash-*: .gitignore hides those)")
endif()
