/* valscope score / import (wired to the scoring module). */
#include <stdio.h>

#include "cli/cli.h"

int cli_score(int argc, char **argv)
{
    fprintf(stderr, "valscope score: not built yet\n");
    return 3;
}

int cli_import(int argc, char **argv)
{
    fprintf(stderr, "valscope import: not built yet\n");
    return 3;
}
