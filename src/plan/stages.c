/* The registered later stages, in the order they run. */
#include "plan/stages.h"

const stage_fn plan_stages[] = {NULL};
