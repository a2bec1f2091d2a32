add_test(NAME protocol_doc COMMAND python3 ${CMAKE_CURRENT_SOURCE_DIR}/integration/test_protocol_doc.py ${PROJECT_SOURCE_DIR})
