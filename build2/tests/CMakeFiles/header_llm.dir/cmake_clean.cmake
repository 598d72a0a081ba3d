file(REMOVE_RECURSE
  "CMakeFiles/header_llm.dir/link.d"
  "CMakeFiles/header_llm.dir/header_llm.c.o"
  "CMakeFiles/header_llm.dir/header_llm.c.o.d"
  "header_llm"
  "header_llm.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/header_llm.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
