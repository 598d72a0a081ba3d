#include <parley/llm.h>
int main(void) { return 0; }
