# The firmware core (firmware/core): unit tests, one per source file they
# test (test_fw_window.c also covers display.c and text.c), and its size on
# a Cortex-M0+ against the budget (scripts/firmware-size, which needs
# arm-none-eabi-gcc from scripts/bootstrap).
hallq_unit_test(test_fw unit/firmware/test_fw.c hallq_fw)
hallq_unit_test(test_fw_kiosk unit/firmware/test_fw_kiosk.c hallq_fw)
hallq_unit_test(test_fw_window unit/firmware/test_fw_window.c hallq_fw)

add_test(NAME firmware_size COMMAND ${PROJECT_SOURCE_DIR}/scripts/firmware-size)
