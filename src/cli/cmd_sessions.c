#include "cli.h"
int cmd_sessions(int argc, char **argv) { (void)argc; (void)argv; fprintf(stderr, "parley: sessions: not built yet\n"); return 1; }
