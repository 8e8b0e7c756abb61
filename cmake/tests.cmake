# Test registration. Labels: unit, mock, integration, browser, fault, fuzz,
# contract (one integration test, also under its own label).
# Each kind is found by file name so that adding a test is adding a file.

find_program(PYTHON3 python3 REQUIRED)
set(RELAY_TEST_ENV
    "RELAY48_SOURCE_DIR=${PROJECT_SOURCE_DIR}"
    "RELAY48_BUILD_DIR=${PROJECT_BINARY_DIR}"
    "RELAY48_BIN=$<TARGET_FILE:relay48>"
    "PYTHONDONTWRITEBYTECODE=1")

# unit: tests/unit/test_<module>.c, cmocka, one executable each, no servers.
# mock: tests/mock/test_<name>.c, cmocka, librdkafka mock cluster or
# in-process peers, no servers.
foreach(kind unit mock)
  file(GLOB tests CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/${kind}/test_*.c)
  foreach(src ${tests})
    get_filename_component(name ${src} NAME_WE)
    add_executable(${kind}_${name} ${src})
    target_link_libraries(${kind}_${name} PRIVATE relay_core PkgConfig::CMOCKA)
    add_test(NAME ${kind}/${name} COMMAND ${kind}_${name})
    set_tests_properties(${kind}/${name} PROPERTIES LABELS ${kind} TIMEOUT 120
                         ENVIRONMENT "${RELAY_TEST_ENV}")
  endforeach()
endforeach()

# integration, fault, browser: tests/<kind>/test_*.py (stdlib Python driving the
# real binaries against the PostgreSQL and Kafka that ops/ started), and
# test_*.mjs for the browser tests. They are run one at a time.
foreach(kind integration fault browser)
  file(GLOB tests CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/tests/${kind}/test_*.py
       ${PROJECT_SOURCE_DIR}/tests/${kind}/test_*.mjs)
  foreach(src ${tests})
    get_filename_component(name ${src} NAME_WE)
    get_filename_component(ext ${src} LAST_EXT)
    if(ext STREQUAL ".py")
      add_test(NAME ${kind}/${name} COMMAND ${PYTHON3} ${src})
    else()
      add_test(NAME ${kind}/${name} COMMAND node ${src})
    endif()
    set_tests_properties(${kind}/${name} PROPERTIES LABELS ${kind} TIMEOUT 900
                         RUN_SERIAL TRUE ENVIRONMENT "${RELAY_TEST_ENV}")
  endforeach()
endforeach()

if(RELAY_FUZZ AND EXISTS ${PROJECT_SOURCE_DIR}/tests/fuzz/CMakeLists.txt)
  add_subdirectory(tests/fuzz)
endif()

# The wire contract's schemas and examples agree (stdlib Python).
add_test(NAME unit/check_proto COMMAND ${PYTHON3} ${PROJECT_SOURCE_DIR}/tests/unit/check_proto.py)
set_tests_properties(unit/check_proto PROPERTIES LABELS unit TIMEOUT 60)

# Contract fuzzing (schemathesis against proto/openapi.yaml) is an integration
# test that can also be run alone: ctest -L contract.
if(TEST integration/test_schemathesis)
  set_tests_properties(integration/test_schemathesis PROPERTIES LABELS "integration;contract")
endif()
