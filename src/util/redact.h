/* Secrets out of URLs before they are stored or shown. A base_url may carry credentials
 * (http://user:KEY@host/v1, ...?api_key=KEY): requests use the URL as given, but the copy kept
 * with a run, shown in reports and exports, or written to a log has them removed. */
#ifndef VSC_REDACT_H
#define VSC_REDACT_H

#include <stddef.h>

/* 1 when a query parameter of this name (`len` bytes) is taken for a secret: key, apikey,
 * api_key, token, access_token, secret, password, passwd, pwd, sig, signature, auth,
 * credential(s), code, and any name ending in _key, _token, _secret, _password or _sig (case
 * and '-' vs '_' do not matter). */
int redact_secret_name(const char *name, size_t len);

/* A copy of `text` where every http:// or https:// URL has its userinfo removed and the value
 * of each secret-named query parameter replaced by "REDACTED". `*changed` (may be NULL) is set
 * to 1 when anything was removed. malloc'd; NULL when out of memory. */
char *redact_urls(const char *text, int *changed);

#endif
