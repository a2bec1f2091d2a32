# hallctl and the output half of hostd/eval (report.c, render_*.c, svg.c):
# the renderers on reports built by hand, then hallctl end to end on a
# journal made by tests/eval's fixture builder.

# The renderers are compiled in directly (with period.c, pure arithmetic),
# so that this test needs nothing of the database side of hallq_eval.
add_executable(test_eval_render
  unit/eval/test_eval_render.c
  ${PROJECT_SOURCE_DIR}/hostd/eval/report.c
  ${PROJECT_SOURCE_DIR}/hostd/eval/render_table.c
  ${PROJECT_SOURCE_DIR}/hostd/eval/render_csv.c
  ${PROJECT_SOURCE_DIR}/hostd/eval/render_html.c
  ${PROJECT_SOURCE_DIR}/hostd/eval/svg.c
  ${PROJECT_SOURCE_DIR}/hostd/eval/period.c)
target_include_directories(test_eval_render PRIVATE ${PROJECT_SOURCE_DIR}/hostd)
target_link_libraries(test_eval_render PRIVATE hallq_config dep::cjson dep::sqlite dep::cmocka m)
target_compile_definitions(test_eval_render PRIVATE HALLQ_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
add_test(NAME test_eval_render COMMAND test_eval_render)

if(TARGET hallctl AND TARGET eval_fixture)
  add_test(NAME hallctl_cli
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_hallctl.py
                   $<TARGET_FILE:hallctl> $<TARGET_FILE:eval_fixture> ${PROJECT_SOURCE_DIR})
  set_tests_properties(hallctl_cli PROPERTIES TIMEOUT 300)
endif()
