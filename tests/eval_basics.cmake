# hostd/eval's own checks: the calendar and periods, the supervisors'
# records refused when wrong, eval_open on files that are not for it.
hallq_unit_test(test_eval_basics unit/eval/test_eval_basics.c hallq_eval hallq_store dep::sqlite)
