/* libFuzzer target: arbitrary bytes as an OpenAI response body, parsed both as a chat and as a
 * completions reply. Whatever the server sends, the parser must return a reply with an error
 * kind or valid UTF-8 text, never crash or read past `size`. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/openai.h"
#include "util/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    for (int is_chat = 0; is_chat <= 1; is_chat++) {
        struct backend_reply r;
        memset(&r, 0, sizeof r);
        r.retry_after_ms = -1;
        openai_parse_response(&r, (const char *)data, size, is_chat);
        if (r.error == VSC_E_NONE) {
            /* An accepted answer has text that the store and exports can hold as UTF-8. */
            if (!r.text || !utf8_valid(r.text, strlen(r.text))) abort();
        }
        reply_clear(&r);
    }
    return 0;
}
