/* Private interface of the dilemmas module: the instrument loader that vsc_instrument_load
 * routes kind "dailydilemmas" to. */
#ifndef VSC_DILEMMAS_INT_H
#define VSC_DILEMMAS_INT_H

#include "valscope/instrument.h"

/* `dailydilemmas:DIR`: one item per dilemma (the situation and both actions), options
 * "Action 1" (value 1) and "Action 2" (value 2), items unscored by the questionnaire scorer. */
int dilemmas_load_instrument(struct vsc_instrument **out, const char *dir, struct vsc_diag *diag);

#endif
