header_llm: \
  /usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/Scrt1.o \
  /usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/crti.o \
  /usr/lib/gcc/x86_64-linux-gnu/16/crtbeginS.o \
  CMakeFiles/header_llm.dir/header_llm.c.o \
  /usr/lib/gcc/x86_64-linux-gnu/16/libgcc.a \
  /usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s_asneeded.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s_asneeded.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s_asneeded.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libgcc_s.so.1 \
  /usr/lib/gcc/x86_64-linux-gnu/16/libgcc.a \
  /usr/lib/gcc/x86_64-linux-gnu/16/libatomic_asneeded.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/libatomic_asneeded.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/libatomic_asneeded.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/libatomic.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libc.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libc.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libc.so \
  /usr/lib/x86_64-linux-gnu/libc.so.6 \
  /usr/lib/x86_64-linux-gnu/libc_nonshared.a \
  /lib64/ld-linux-x86-64.so.2 \
  /usr/lib/gcc/x86_64-linux-gnu/16/libgcc.a \
  /usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s_asneeded.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s_asneeded.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s_asneeded.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libgcc_s.so.1 \
  /usr/lib/gcc/x86_64-linux-gnu/16/libgcc.a \
  /usr/lib/gcc/x86_64-linux-gnu/16/crtendS.o \
  /usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/crtn.o \
  /lib64/ld-linux-x86-64.so.2

/usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/Scrt1.o:

/usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/crti.o:

/usr/lib/gcc/x86_64-linux-gnu/16/crtbeginS.o:

CMakeFiles/header_llm.dir/header_llm.c.o:

/usr/lib/gcc/x86_64-linux-gnu/16/libgcc.a:

/usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s_asneeded.so:

/usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s_asneeded.so:

/usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s_asneeded.so:

/usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s.so:

/usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s.so:

/usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s.so:

/usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libgcc_s.so.1:

/usr/lib/gcc/x86_64-linux-gnu/16/libgcc.a:

/usr/lib/gcc/x86_64-linux-gnu/16/libatomic_asneeded.so:

/usr/lib/gcc/x86_64-linux-gnu/16/libatomic_asneeded.so:

/usr/lib/gcc/x86_64-linux-gnu/16/libatomic_asneeded.so:

/usr/lib/gcc/x86_64-linux-gnu/16/libatomic.so:

/usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libc.so:

/usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libc.so:

/usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libc.so:

/usr/lib/x86_64-linux-gnu/libc.so.6:

/usr/lib/x86_64-linux-gnu/libc_nonshared.a:

/lib64/ld-linux-x86-64.so.2:

/usr/lib/gcc/x86_64-linux-gnu/16/libgcc.a:

/usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s_asneeded.so:

/usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s_asneeded.so:

/usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s_asneeded.so:

/usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s.so:

/usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s.so:

/usr/lib/gcc/x86_64-linux-gnu/16/libgcc_s.so:

/usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libgcc_s.so.1:

/usr/lib/gcc/x86_64-linux-gnu/16/libgcc.a:

/usr/lib/gcc/x86_64-linux-gnu/16/crtendS.o:

/usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/crtn.o:

/lib64/ld-linux-x86-64.so.2:
