/* url.h — what every backend's URL parser shares beyond backend.h: which
 * query parameters hold secrets (url.c). */
#ifndef ORCA__URL_H
#define ORCA__URL_H

#include <stdbool.h>
#include <stddef.h>

/* True when the URL query or property key[0..n) names a value that must
 * never be shown: passwords, secrets, tokens, keys, credentials, auth
 * values, JAAS and OAuth configs ("sasl.password", "ssl.key.password",
 * "ssl.key.pem", "auth", …). orca_url_redact
 * hides the values of such parameters; the Kafka backend never quotes them
 * in errors. */
bool orca__url_secret_key(const char *key, size_t n);

#endif
