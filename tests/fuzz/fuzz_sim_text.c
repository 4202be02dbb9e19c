/* libFuzzer target: arbitrary bytes as the user message a sim model gets, behind each role's
 * markers (the first byte picks the frame). Whatever the prompt, the text agents answer with
 * some text or fall back to the fixed reply: never a crash, never an error, never no text. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "backends/backend.h"

static const char *const FRAMES[][2] = {
    {"", ""},
    {"Task: question\nTopic: ", "\n"},
    {"Task: subtopics\nTopic: t\nCount: ", "\n"},
    {"Task: refine_question\nTopic: care\nPrevious question: ", "\nReward: 0.1\n"},
    {"Task: opening\nPrinciple: ", "\n"},
    {"Task: refine_opening\nPrinciple: p\nPrevious opening: ", "\nViolation rate: 0.5\n"},
    {"Question: ", "\nStance: Yes|No|Neutral\nKey Points:\n"},
    {"### [Input]: ", "\n### [Value]: care\n### [Label]:"},
    {"### [Principle]: p\n### [Text]: ", "\n### [Violation]:"},
    {"Continue the story.\n", ""},
};

static void *sim;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!sim) {
        struct vsc_model_cfg m = {0};
        m.name = "fuzz";
        m.backend = "sim";
        m.options_json = "{\"profile\":{\"care\":1},\"extractor_noise\":0.1}";
        struct vsc_diag diag = {0};
        if (backend_sim.open(&sim, &m, ".", &diag)) abort();
    }
    if (size == 0) return 0;
    const char *const *frame = FRAMES[data[0] % (sizeof(FRAMES) / sizeof(FRAMES[0]))];
    size_t a = strlen(frame[0]), b = strlen(frame[1]), n = size - 1;
    char *user = malloc(a + n + b + 1);
    if (!user) return 0;
    memcpy(user, frame[0], a);
    memcpy(user + a, data + 1, n);
    memcpy(user + a + n, frame[1], b + 1);
    json_t *body = json_pack("{s:[{s:s, s:o}]}", "messages", "role", "user", "content",
                             json_stringn_nocheck(user, a + n + b));
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    free(user);
    if (!text) return 0; /* not UTF-8: no body a dispatcher would send */
    struct backend_request req = {text, NULL, "item", "cond", (int)(size % 3)};
    struct backend_reply reply = {0};
    if (backend_sim.answer(sim, &req, &reply) || reply.error || !reply.text) abort();
    reply_clear(&reply);
    free(text);
    return 0;
}
