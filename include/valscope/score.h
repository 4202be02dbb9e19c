/* Scoring: stored answers -> value profiles with uncertainty and reliability. */
#ifndef VALSCOPE_SCORE_H
#define VALSCOPE_SCORE_H

#include "common.h"
#include "store.h"

/* (declarations are filled in by the scoring module) */

#endif
