# CMake generated Testfile for 
# Source directory: /work/wt-llm/tests
# Build directory: /work/wt-llm/build2/tests
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[test_core]=] "/work/wt-llm/build2/tests/test_core")
set_tests_properties([=[test_core]=] PROPERTIES  ENVIRONMENT "PARLEY_SHARED=/work/shared;PARLEY_TEST_TMP=/work/wt-llm/build2/testtmp;PARLEY_BIN=/work/wt-llm/build2/parley;PARLEY_TOOLS=/work/wt-llm/build2" SKIP_RETURN_CODE "77" TIMEOUT "600" _BACKTRACE_TRIPLES "/work/wt-llm/tests/CMakeLists.txt;11;add_test;/work/wt-llm/tests/CMakeLists.txt;0;")
add_test([=[test_llm]=] "/work/wt-llm/build2/tests/test_llm")
set_tests_properties([=[test_llm]=] PROPERTIES  ENVIRONMENT "PARLEY_SHARED=/work/shared;PARLEY_TEST_TMP=/work/wt-llm/build2/testtmp;PARLEY_BIN=/work/wt-llm/build2/parley;PARLEY_TOOLS=/work/wt-llm/build2" SKIP_RETURN_CODE "77" TIMEOUT "600" _BACKTRACE_TRIPLES "/work/wt-llm/tests/CMakeLists.txt;11;add_test;/work/wt-llm/tests/CMakeLists.txt;0;")
