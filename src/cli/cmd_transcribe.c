#include "cli.h"
int cmd_transcribe(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "parley: transcribe: not built yet\n"); return 1; }
