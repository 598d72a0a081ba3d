
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/wt-llm/src/core/buf.c" "CMakeFiles/parley_core.dir/src/core/buf.c.o" "gcc" "CMakeFiles/parley_core.dir/src/core/buf.c.o.d"
  "/work/wt-llm/src/core/core.c" "CMakeFiles/parley_core.dir/src/core/core.c.o" "gcc" "CMakeFiles/parley_core.dir/src/core/core.c.o.d"
  "/work/wt-llm/src/core/fs.c" "CMakeFiles/parley_core.dir/src/core/fs.c.o" "gcc" "CMakeFiles/parley_core.dir/src/core/fs.c.o.d"
  "/work/wt-llm/src/llm/gguf_check.c" "CMakeFiles/parley_core.dir/src/llm/gguf_check.c.o" "gcc" "CMakeFiles/parley_core.dir/src/llm/gguf_check.c.o.d"
  "/work/wt-llm/src/llm/llm.c" "CMakeFiles/parley_core.dir/src/llm/llm.c.o" "gcc" "CMakeFiles/parley_core.dir/src/llm/llm.c.o.d"
  "/work/wt-llm/src/llm/think.c" "CMakeFiles/parley_core.dir/src/llm/think.c.o" "gcc" "CMakeFiles/parley_core.dir/src/llm/think.c.o.d"
  )

# Targets to which this target links which contain Fortran sources.
set(CMAKE_Fortran_TARGET_LINKED_INFO_FILES
  )

# Targets to which this target links which contain Fortran sources.
set(CMAKE_Fortran_TARGET_FORWARD_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
