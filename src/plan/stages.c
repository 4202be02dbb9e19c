/* The registered later stages, in the order they run. */
#include "plan/stages.h"
#include "judge/stage.h"
#include "utility/utility_int.h"

const stage_fn plan_stages[] = {judge_stage, utility_stage, NULL};
