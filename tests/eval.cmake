# The evaluation's fixture days: tests/eval builds real databases from small
# scripts of hall events (through the engine and the store, as hostd
# writes them), and tests/unit/eval checks every figure of eval_compute()
# on them against values worked out by hand from docs/evaluation.md.

add_library(hallq_eval_fixture STATIC eval/fixture.c)
target_include_directories(hallq_eval_fixture PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/eval)
target_link_libraries(hallq_eval_fixture PUBLIC hallq_config hallq_store hallq_engine)

# eval_fixture --config FILE --db FILE SCRIPT (hallctl's integration test uses it)
add_executable(eval_fixture eval/eval_fixture.c)
target_link_libraries(eval_fixture PRIVATE hallq_eval_fixture)

add_test(NAME eval_fixture_cli
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/eval/test_eval_fixture.sh
                 $<TARGET_FILE:eval_fixture> ${PROJECT_SOURCE_DIR})

# eval_compute() on fixture days, every figure worked out by hand.
hallq_unit_test(test_eval_days unit/eval/test_eval_days.c hallq_eval hallq_eval_fixture
                dep::sqlite m)
