# installed-files.cmake — run by `cmake --install` (install(CODE) in
# packaging/CMakeLists.txt): writes the unit and the config with the
# paths of this install, whose prefix is known only now (--prefix, or
# /usr in the .deb).
#
# In: HALLQ_PREFIX, HALLQ_BINDIR, HALLQ_DATADIR (relative to the prefix, or
# absolute), HALLQ_CONFIG_DIR, HALLQ_SYSTEMD_UNIT_DIR, HALLQ_SOURCE_DIR,
# HALLQ_OUT (where the two files go before they are installed).
foreach(dir BINDIR DATADIR)
  if(IS_ABSOLUTE "${HALLQ_${dir}}")
    set(full_${dir} "${HALLQ_${dir}}")
  else()
    set(full_${dir} "${HALLQ_PREFIX}/${HALLQ_${dir}}")
  endif()
endforeach()
set(HALLQ_FULL_BINDIR "${full_BINDIR}")
set(HALLQ_FULL_DOCDIR "${full_DATADIR}/doc/hallq")
set(HALLQ_WEB_DIR "${full_DATADIR}/hallq/web")
configure_file("${HALLQ_SOURCE_DIR}/packaging/systemd/hostd.service.in"
               "${HALLQ_OUT}/hostd.service" @ONLY)

# The demo hall with the pages where they are installed: "web_dir" added
# after its one "tokens_file" (the api section). A change to
# config/hall.json must keep that line; this stops the install otherwise.
file(READ "${HALLQ_SOURCE_DIR}/config/hall.json" config)
set(key "\"tokens_file\": \"tokens.json\"")
string(REPLACE "${key}" "" without "${config}")
string(LENGTH "${config}" n_config)
string(LENGTH "${without}" n_without)
string(LENGTH "${key}" n_key)
math(EXPR n_found "(${n_config} - ${n_without}) / ${n_key}")
if(NOT n_found EQUAL 1)
  message(FATAL_ERROR "packaging: config/hall.json holds ${key} ${n_found} times, not once; "
                      "update packaging/installed-files.cmake")
endif()
string(REPLACE "${key}" "${key},\n    \"web_dir\": \"${HALLQ_WEB_DIR}\"" config "${config}")
file(WRITE "${HALLQ_OUT}/hall.json" "${config}")
