/* JSON helpers over jansson. */
#ifndef GUESTIMG_JSON_H
#define GUESTIMG_JSON_H

#include <jansson.h>

/* Canonical form: sorted keys, UTF-8, no insignificant whitespace, one
 * trailing newline. Returns an allocated string. */
char *json_canonical(const json_t *j);
/* Human form for stdout: sorted keys, 2-space indent, trailing newline. */
char *json_pretty(const json_t *j);
/* Write canonical JSON atomically to path. */
int json_write_canonical(const char *path, const json_t *j);
/* Load a JSON file; sets the error naming the file, line and problem. */
json_t *json_load_path(const char *path);
/* TEXT (LEN bytes) as JSON, duplicate keys refused; NULL with the error
 * set as "WHAT:LINE: invalid JSON: REASON". */
json_t *json_parse_text(const char *text, size_t len, const char *what);

#endif
