file(REMOVE_RECURSE
  "CMakeFiles/llm_bench.dir/link.d"
  "CMakeFiles/llm_bench.dir/tools/llm_bench.c.o"
  "CMakeFiles/llm_bench.dir/tools/llm_bench.c.o.d"
  "llm_bench"
  "llm_bench.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/llm_bench.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
