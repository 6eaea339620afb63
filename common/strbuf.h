/* Growable string buffer. */
#ifndef GUESTIMG_STRBUF_H
#define GUESTIMG_STRBUF_H

#include <stddef.h>

struct strbuf {
    char *buf;   /* always NUL-terminated once anything was added */
    size_t len, cap;
};
#define STRBUF_INIT {0}

void sb_add(struct strbuf *sb, const void *data, size_t len);
void sb_puts(struct strbuf *sb, const char *s);
void sb_printf(struct strbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hand the string to the caller (never NULL) and reset the buffer. */
char *sb_detach(struct strbuf *sb);
void sb_release(struct strbuf *sb);

#endif
