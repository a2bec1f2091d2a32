# Third-party libraries, each found through pkg-config.
#
# hallq_require(NAME MODULE DEBIAN_PACKAGE) defines the imported target
# dep::NAME or stops configure with one line that names the Debian package
# to install. Keep this list and scripts/bootstrap in step.
find_package(PkgConfig QUIET)
if(NOT PKG_CONFIG_FOUND)
  message(FATAL_ERROR " pkg-config not found: install the Debian package pkg-config (or run scripts/bootstrap)")
endif()

function(hallq_require name module debian_package)
  pkg_check_modules(${name} QUIET IMPORTED_TARGET GLOBAL ${module})
  if(NOT ${name}_FOUND)
    # A leading space keeps CMake from re-wrapping the line.
    message(FATAL_ERROR " missing dependency ${module}: install the Debian package ${debian_package} (or run scripts/bootstrap)")
  endif()
  add_library(dep::${name} ALIAS PkgConfig::${name})
endfunction()

hallq_require(modbus libmodbus libmodbus-dev)
hallq_require(usb libusb-1.0 libusb-1.0-0-dev)
hallq_require(cjson libcjson libcjson-dev)
hallq_require(sqlite sqlite3 libsqlite3-dev)
hallq_require(mhd libmicrohttpd libmicrohttpd-dev)
# HMAC-SHA256 for the ticket status tokens (hostd/core).
hallq_require(nettle nettle nettle-dev)
# The ticket picture (drivers/escpos render, tools/ticket-render).
hallq_require(png libpng libpng-dev)
hallq_require(freetype freetype2 libfreetype-dev)
hallq_require(qrencode libqrencode libqrencode-dev)
hallq_require(espeak espeak-ng libespeak-ng-dev)
# hallsim --attach reads a running hostd's clock and devices over its API.
hallq_require(curl libcurl libcurl4-gnutls-dev)
# sd_notify for hostd's Type=notify unit (hostd/service).
hallq_require(systemd libsystemd libsystemd-dev)
if(HALLQ_TESTS)
  hallq_require(cmocka cmocka libcmocka-dev)
  # A mocked USB printer for the libusb transport (tests/escpos_usb).
  hallq_require(umockdev umockdev-1.0 libumockdev-dev)
endif()

find_package(Threads REQUIRED)
