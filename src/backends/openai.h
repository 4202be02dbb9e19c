/* The OpenAI-compatible HTTP backend: URLs and response parsing (shared with tests/fuzzers). */
#ifndef VSC_OPENAI_H
#define VSC_OPENAI_H

#include "backends/backend.h"

/* Parses a 200 response body. Sets reply->error to VSC_E_BAD_JSON or VSC_E_NO_CHOICES (with
 * reply->detail) when it cannot be used; otherwise fills text, finish_reason, usage and
 * logprobs (normalised to the chat format). Invalid UTF-8 is replaced with U+FFFD. */
int openai_parse_response(struct backend_reply *out, const char *body, size_t len, int is_chat);

/* The endpoint URL for a base URL: "/v1" roots get "/chat/completions" or "/completions"
 * appended; full endpoint URLs are kept. malloc'd. */
char *openai_endpoint_url(const char *base_url, int is_chat);

/* Turns a chat request body into a completions body (messages joined into "prompt"). malloc'd,
 * NULL when the body is not valid. */
char *openai_completions_body(const char *chat_body);

#endif
