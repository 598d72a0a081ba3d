/* check.h: model files walked before whisper.cpp sees them (its loaders report only that
 * they failed, and have read out of bounds on malformed files). Not a public header. */
#ifndef PARLEY_ASR_CHECK_H
#define PARLEY_ASR_CHECK_H

#include <parley/parley.h>

/* A whisper.cpp speech model: header, mel filters, vocabulary and every tensor within
 * the file, as many tensors as the layer counts imply, ending at the end of the file. */
parley_status parley_check_whisper_file(const char *path);

/* A Silero VAD model in whisper.cpp's format: magic, "silero" type, four encoder layers,
 * sane sizes, its 15 tensors within the file. */
parley_status parley_check_vad_file(const char *path);

#endif
