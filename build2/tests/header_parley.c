#include <parley/parley.h>
int main(void) { return 0; }
