/* Errors: set once where the problem is known, printed once by the CLI.
 *
 * Library functions return 0 (or a pointer) on success and a negative
 * errno-style code (or NULL) on failure, after calling err_set() with a
 * message that names the file, entry or key at fault, e.g.
 *   return err_set(-EINVAL, "%s: metadata section %u lies outside the file", path, i);
 * The CLI prints it as "guestimg: <message>". */
#ifndef GUESTIMG_ERR_H
#define GUESTIMG_ERR_H

#include <stdarg.h>

/* Record the message and return code (which should be negative). */
int err_set(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int err_setv(int code, const char *fmt, va_list ap);
/* As err_set, with ": strerror(-code)" appended. */
int err_sys(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Put "prefix: " in front of the current message (adds context on the way up). */
int err_prefix(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *err_msg(void);
void err_clear(void);

#endif
