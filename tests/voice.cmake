# drivers/voice: the announcement text (pure, no espeak-ng) and speech
# through the real espeak-ng into WAV files in a temporary directory.
hallq_unit_test(test_voice_text unit/voice/test_voice_text.c hallq_voice)
hallq_unit_test(test_voice unit/voice/test_voice.c hallq_voice m)
set_tests_properties(test_voice PROPERTIES TIMEOUT 600)

# hostd says its calls aloud: a call and a recall through the API become
# WAV files; without a sound device hostd goes on without the voice.
add_test(NAME hostd_voice
         COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/voice/test_hostd_voice.py ${PROJECT_BINARY_DIR})
set_tests_properties(hostd_voice PROPERTIES TIMEOUT 300)
