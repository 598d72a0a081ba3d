tests/CMakeFiles/header_parley.dir/header_parley.c.o: \
 /work/wt-llm/build2/tests/header_parley.c /usr/include/stdc-predef.h \
 /work/wt-llm/include/parley/parley.h \
 /usr/lib/gcc/x86_64-linux-gnu/16/include/stdarg.h \
 /usr/lib/gcc/x86_64-linux-gnu/16/include/stddef.h
