file(REMOVE_RECURSE
  "CMakeFiles/parley.dir/link.d"
  "CMakeFiles/parley.dir/src/cli/cmd_sessions.c.o"
  "CMakeFiles/parley.dir/src/cli/cmd_sessions.c.o.d"
  "CMakeFiles/parley.dir/src/cli/cmd_transcribe.c.o"
  "CMakeFiles/parley.dir/src/cli/cmd_transcribe.c.o.d"
  "CMakeFiles/parley.dir/src/cli/main.c.o"
  "CMakeFiles/parley.dir/src/cli/main.c.o.d"
  "CMakeFiles/parley.dir/src/cli/util.c.o"
  "CMakeFiles/parley.dir/src/cli/util.c.o.d"
  "parley"
  "parley.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/parley.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
