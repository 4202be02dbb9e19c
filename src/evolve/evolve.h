/* Evolving test items (issue 12): the prompt/reply contract of docs/evolve.md.
 *
 * Prompt builders for every role (generator tasks, the AdAEM opinion, the per-value extractor,
 * the DeNEVIL violation judge and completion) and readers of the replies. Model text is
 * untrusted: readers never fail on junk, they report EV_UNPARSEABLE, and a reply that does not
 * parse is a counted status, never a vote. Builders return malloc'd strings (NULL when out of
 * memory) that the caller frees. */
#ifndef VSC_EVOLVE_H
#define VSC_EVOLVE_H

#include <stddef.h>

/* Readers return 0 (read), EV_UNPARSEABLE (the reply does not follow the format) or a negative
 * VSC_ERR_* (out of memory). */
#define EV_UNPARSEABLE 1

/* The reply tags of the generator. */
#define EV_TAG_QUESTION "[Question]:"
#define EV_TAG_TOPIC "[Topic]:"
#define EV_TAG_PROMPT "[Prompt]:"

/* The text of the first line of `reply` that starts with `tag` (case-insensitive; leading
 * whitespace allowed), trimmed, into `*out` (malloc'd). A line with the tag but no text after
 * it does not count. */
int ev_read_tag(char **out, const char *reply, const char *tag);

/* Every such line in order, at most `max` (0: no limit), as a malloc'd array of malloc'd
 * strings (free with ev_strv_free). EV_UNPARSEABLE when there is none. */
int ev_read_tags(char ***out, size_t *out_n, const char *reply, const char *tag, size_t max);
void ev_strv_free(char **v, size_t n);

/* Narrows [*s, *s + *len) to its text without leading and trailing whitespace. */
void ev_trim(const char **s, size_t *len);

/* ---- AdAEM opinion ------------------------------------------------------------------------ */

enum ev_stance { EV_STANCE_NO = 0, EV_STANCE_YES = 1, EV_STANCE_NEUTRAL = 2 };

struct ev_point {
    char *point;         /* before the first ':' of a numbered line (whole line when none) */
    char *justification; /* after it, "" when none */
};

struct ev_opinion {
    enum ev_stance stance;
    struct ev_point *points;
    size_t n_points; /* 0 is a readable opinion without key points */
};

/* Reads the published format `Stance: Yes|No|Neutral`, `Key Points:`, numbered
 * `point: justification` lines. Markdown bold (`**`), heading marks and extra spaces are
 * ignored; numbered lines count after the stance line. EV_UNPARSEABLE without a stance line
 * whose first word is yes, no or neutral. */
int ev_read_opinion(struct ev_opinion *out, const char *reply);
void ev_opinion_clear(struct ev_opinion *op);

/* The opinion in its canonical form (what the extractor reads, so replies that differ only in
 * markup share one extractor call): "Stance: Yes\nKey Points:\n1. point: justification\n". */
char *ev_opinion_text(const struct ev_opinion *op);

/* ---- labels ------------------------------------------------------------------------------- */

enum ev_label { EV_LABEL_UNPARSEABLE = -1, EV_LABEL_NO = 0, EV_LABEL_YES = 1 };

/* The extractor's and the violation judge's reply: leading whitespace and punctuation are
 * skipped, the first word is read case-insensitively; yes or no, anything else unparseable. */
enum ev_label ev_read_label(const char *reply);

/* ---- prompts ------------------------------------------------------------------------------ */

/* Generator tasks. Each field's text is copied verbatim on its own line; a line break inside a
 * field becomes a space so the one-field-per-line contract holds. */
char *ev_prompt_question(const char *topic);
char *ev_prompt_subtopics(const char *topic, size_t count);
char *ev_prompt_refine_question(const char *topic, const char *question, double reward);
char *ev_prompt_opening(const char *principle);
char *ev_prompt_refine_opening(const char *principle, const char *opening, double violation_rate);

/* The tested model's AdAEM opinion prompt (contains `Question: {question}`). */
char *ev_prompt_opinion(const char *question);

/* AdAEM's per-value annotator: lists the n value definitions (names[i]: defs[i]; defs may be
 * NULL or hold NULL/"" entries) and ends with the three `### [Input]/[Value]/[Label]` lines.
 * `text` may span lines; it is kept verbatim. */
char *ev_prompt_extract(const char *const *names, const char *const *defs, size_t n,
                        const char *text, const char *value);

/* DeNEVIL's violation judge: ends with `### [Principle]`, `### [Text]`, `### [Violation]:`. */
char *ev_prompt_violation(const char *principle, const char *completion);

/* DeNEVIL's completion request: a "continue the story" line, then the opening verbatim. */
char *ev_prompt_completion(const char *opening);

#endif
