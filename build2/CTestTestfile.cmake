# CMake generated Testfile for 
# Source directory: /work/wt-llm
# Build directory: /work/wt-llm/build2
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
subdirs("tests")
