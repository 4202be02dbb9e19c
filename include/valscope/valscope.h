/* valscope: measure what large language models value. Umbrella header. */
#ifndef VALSCOPE_H
#define VALSCOPE_H

#include "common.h"
#include "config.h"
#include "instrument.h"
#include "store.h"
#include "run.h"
#include "score.h"
#include "export.h"
#include "judge.h"
#include "roleplay.h"
#include "compare.h"
#include "report.h"
#include "utility.h"
#include "dilemmas.h"
#include "evolve.h"

#endif
