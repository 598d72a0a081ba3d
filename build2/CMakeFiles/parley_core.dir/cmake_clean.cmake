file(REMOVE_RECURSE
  "CMakeFiles/parley_core.dir/src/core/buf.c.o"
  "CMakeFiles/parley_core.dir/src/core/buf.c.o.d"
  "CMakeFiles/parley_core.dir/src/core/core.c.o"
  "CMakeFiles/parley_core.dir/src/core/core.c.o.d"
  "CMakeFiles/parley_core.dir/src/core/fs.c.o"
  "CMakeFiles/parley_core.dir/src/core/fs.c.o.d"
  "CMakeFiles/parley_core.dir/src/llm/gguf_check.c.o"
  "CMakeFiles/parley_core.dir/src/llm/gguf_check.c.o.d"
  "CMakeFiles/parley_core.dir/src/llm/llm.c.o"
  "CMakeFiles/parley_core.dir/src/llm/llm.c.o.d"
  "CMakeFiles/parley_core.dir/src/llm/think.c.o"
  "CMakeFiles/parley_core.dir/src/llm/think.c.o.d"
  "libparley.a"
  "libparley.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/parley_core.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
