/* Option scoring of the in-process `llama` backend, open to the tests and the benchmark so they
 * can compare the prefix-cached path with a from-scratch one. Only llama.c implements it. */
#ifndef VSC_LLAMA_SCORE_H
#define VSC_LLAMA_SCORE_H

#include <stddef.h>

/* Scores each option as the continuation of the chat prompt built from `body` (an OpenAI chat
 * request). `state` comes from backend_llama.open(). Every option is tokenized together with
 * the prompt; the tokens all options share are evaluated once when `from_scratch` is 0 (the
 * path answer() uses), and each option is evaluated alone from position 0 when it is 1.
 * out_logprob[i] (may be NULL) gets the summed log-probability of option i's tokens after the
 * shared prefix; out_norm[i] (may be NULL) the log of its probability normalised over the
 * options. Returns 0 or a negative VSC_ERR_* with a message in `detail` (may be NULL). */
int backend_llama_score(void *state, const char *body, const char *const *options,
                        size_t n_options, int from_scratch, double *out_logprob,
                        double *out_norm, char *detail, size_t detail_len);

#endif
