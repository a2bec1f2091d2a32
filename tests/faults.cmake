# Faults a hall meets, through the real programs (tests/faults/, python3's
# standard library; docs/faults.md): the database's disk full, the database
# read-only or locked by another process (at start and while running), a
# kiosk's paper out mid-day, and hostd killed with SIGKILL 20 times under a
# simulated hall. The first two mount small file systems and so run as root,
# as CI does; a mount that fails is a failure, never a skip. All drive
# programs against timeouts: one at a time with the other timing-bound tests.
add_test(NAME faults_disk_full
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/faults/test_disk_full.py ${PROJECT_BINARY_DIR})
add_test(NAME faults_db_unwritable
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/faults/test_db_unwritable.py ${PROJECT_BINARY_DIR})
add_test(NAME faults_paper_out
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/faults/test_paper_out.py ${PROJECT_BINARY_DIR})
add_test(NAME faults_sigkill
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/faults/test_sigkill.py ${PROJECT_BINARY_DIR} 20)
set_tests_properties(faults_disk_full faults_db_unwritable faults_paper_out
                     PROPERTIES TIMEOUT 300 RESOURCE_LOCK hall_timing)
set_tests_properties(faults_sigkill PROPERTIES TIMEOUT 600 RESOURCE_LOCK hall_timing)
