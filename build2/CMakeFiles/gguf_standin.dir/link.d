gguf_standin: \
  /usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/Scrt1.o \
  /usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/crti.o \
  /usr/lib/gcc/x86_64-linux-gnu/16/crtbeginS.o \
  CMakeFiles/gguf_standin.dir/tools/gguf_standin.c.o \
  libparley.a \
  /usr/lib/x86_64-linux-gnu/libllama.so \
  /usr/lib/x86_64-linux-gnu/libggml-base.so \
  /usr/lib/x86_64-linux-gnu/libwhisper.so \
  /usr/lib/x86_64-linux-gnu/libggml.so \
  /usr/lib/x86_64-linux-gnu/libsqlite3.so \
  /usr/lib/x86_64-linux-gnu/libavformat.so \
  /usr/lib/x86_64-linux-gnu/libavcodec.so \
  /usr/lib/x86_64-linux-gnu/libswresample.so \
  /usr/lib/x86_64-linux-gnu/libavutil.so \
  /usr/lib/x86_64-linux-gnu/libcurl.so \
  /usr/lib/x86_64-linux-gnu/libyyjson.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libm.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libm.so \
  /usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libm.so \
  /usr/lib/x86_64-linux-gnu/libm.so.6 \
  /usr/lib/x86_64-linux-gnu/libmvec.so.1 \
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
  /usr/lib/x86_64-linux-gnu/libgomp.so.1 \
  /usr/lib/x86_64-linux-gnu/libstdc++.so.6 \
  /usr/lib/x86_64-linux-gnu/libm.so.6 \
  /usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libgcc_s.so.1 \
  /lib64/ld-linux-x86-64.so.2

/usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/Scrt1.o:

/usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/crti.o:

/usr/lib/gcc/x86_64-linux-gnu/16/crtbeginS.o:

CMakeFiles/gguf_standin.dir/tools/gguf_standin.c.o:

libparley.a:

/usr/lib/x86_64-linux-gnu/libllama.so:

/usr/lib/x86_64-linux-gnu/libggml-base.so:

/usr/lib/x86_64-linux-gnu/libwhisper.so:

/usr/lib/x86_64-linux-gnu/libggml.so:

/usr/lib/x86_64-linux-gnu/libsqlite3.so:

/usr/lib/x86_64-linux-gnu/libavformat.so:

/usr/lib/x86_64-linux-gnu/libavcodec.so:

/usr/lib/x86_64-linux-gnu/libswresample.so:

/usr/lib/x86_64-linux-gnu/libavutil.so:

/usr/lib/x86_64-linux-gnu/libcurl.so:

/usr/lib/x86_64-linux-gnu/libyyjson.so:

/usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libm.so:

/usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libm.so:

/usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libm.so:

/usr/lib/x86_64-linux-gnu/libm.so.6:

/usr/lib/x86_64-linux-gnu/libmvec.so.1:

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

/usr/lib/x86_64-linux-gnu/libgomp.so.1:

/usr/lib/x86_64-linux-gnu/libstdc++.so.6:

/usr/lib/x86_64-linux-gnu/libm.so.6:

/usr/lib/gcc/x86_64-linux-gnu/16/../../../x86_64-linux-gnu/libgcc_s.so.1:

/lib64/ld-linux-x86-64.so.2:
