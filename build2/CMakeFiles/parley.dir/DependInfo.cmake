
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/wt-llm/src/cli/cmd_sessions.c" "CMakeFiles/parley.dir/src/cli/cmd_sessions.c.o" "gcc" "CMakeFiles/parley.dir/src/cli/cmd_sessions.c.o.d"
  "/work/wt-llm/src/cli/cmd_transcribe.c" "CMakeFiles/parley.dir/src/cli/cmd_transcribe.c.o" "gcc" "CMakeFiles/parley.dir/src/cli/cmd_transcribe.c.o.d"
  "/work/wt-llm/src/cli/main.c" "CMakeFiles/parley.dir/src/cli/main.c.o" "gcc" "CMakeFiles/parley.dir/src/cli/main.c.o.d"
  "/work/wt-llm/src/cli/util.c" "CMakeFiles/parley.dir/src/cli/util.c.o" "gcc" "CMakeFiles/parley.dir/src/cli/util.c.o.d"
  "" "parley" "gcc" "CMakeFiles/parley.dir/link.d"
  )

# Targets to which this target links which contain Fortran sources.
set(CMAKE_Fortran_TARGET_LINKED_INFO_FILES
  )

# Targets to which this target links which contain Fortran sources.
set(CMAKE_Fortran_TARGET_FORWARD_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
