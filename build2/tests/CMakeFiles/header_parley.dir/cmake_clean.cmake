file(REMOVE_RECURSE
  "CMakeFiles/header_parley.dir/link.d"
  "CMakeFiles/header_parley.dir/header_parley.c.o"
  "CMakeFiles/header_parley.dir/header_parley.c.o.d"
  "header_parley"
  "header_parley.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/header_parley.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
