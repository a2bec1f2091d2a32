# The API's in-process parts: the log of the day's events that the
# server-sent event streams resume from (bounded, oldest first).
hallq_unit_test(test_api_events unit/api/test_events.c hallq_api dep::mhd dep::cjson)
