#include <stdio.h>
#include "valscope/valscope.h"
int main(void) { printf("valscope %s\n", VSC_VERSION); return 0; }
