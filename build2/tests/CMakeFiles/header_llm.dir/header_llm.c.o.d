tests/CMakeFiles/header_llm.dir/header_llm.c.o: \
 /work/wt-llm/build2/tests/header_llm.c /usr/include/stdc-predef.h \
 /work/wt-llm/include/parley/llm.h /work/wt-llm/include/parley/parley.h \
 /usr/lib/gcc/x86_64-linux-gnu/16/include/stdarg.h \
 /usr/lib/gcc/x86_64-linux-gnu/16/include/stddef.h \
 /usr/lib/gcc/x86_64-linux-gnu/16/include/stdatomic.h \
 /usr/lib/gcc/x86_64-linux-gnu/16/include/stdbool.h \
 /usr/lib/gcc/x86_64-linux-gnu/16/include/stdint.h /usr/include/stdint.h \
 /usr/include/x86_64-linux-gnu/bits/libc-header-start.h \
 /usr/include/features.h /usr/include/features-time64.h \
 /usr/include/x86_64-linux-gnu/bits/wordsize.h \
 /usr/include/x86_64-linux-gnu/bits/timesize.h \
 /usr/include/x86_64-linux-gnu/sys/cdefs.h \
 /usr/include/x86_64-linux-gnu/bits/long-double.h \
 /usr/include/x86_64-linux-gnu/gnu/stubs.h \
 /usr/include/x86_64-linux-gnu/gnu/stubs-64.h \
 /usr/include/x86_64-linux-gnu/bits/types.h \
 /usr/include/x86_64-linux-gnu/bits/typesizes.h \
 /usr/include/x86_64-linux-gnu/bits/time64.h \
 /usr/include/x86_64-linux-gnu/bits/wchar.h \
 /usr/include/x86_64-linux-gnu/bits/stdint-intn.h \
 /usr/include/x86_64-linux-gnu/bits/stdint-uintn.h \
 /usr/include/x86_64-linux-gnu/bits/stdint-least.h
