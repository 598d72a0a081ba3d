file(REMOVE_RECURSE
  "CMakeFiles/gguf_standin.dir/link.d"
  "CMakeFiles/gguf_standin.dir/tools/gguf_standin.c.o"
  "CMakeFiles/gguf_standin.dir/tools/gguf_standin.c.o.d"
  "gguf_standin"
  "gguf_standin.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/gguf_standin.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
