#include "common/err.h"

#include <stdio.h>
#include <string.h>

/* Room for the longest legal path (4095 bytes) quoted a few times with its
 * reason; the reason is kept even when what is quoted has to be cut. */
#define ERR_MAX 16384
#define ERR_REASON 256 /* kept free for ": strerror" and prefixes' tails */

static _Thread_local char err_buf[ERR_MAX];

/* Control bytes (a newline in an archive member's name) written as \n or
 * \xNN, so that the CLI's message stays one line. */
static void escape_into(char *dst, size_t size, const char *src)
{
    size_t o = 0;
    for (const unsigned char *c = (const unsigned char *)src; *c && o + 5 < size; c++) {
        if (*c >= 0x20 && *c != 0x7f)
            dst[o++] = (char)*c;
        else if (*c == '\n')
            o += (size_t)snprintf(dst + o, size - o, "\\n");
        else if (*c == '\t')
            o += (size_t)snprintf(dst + o, size - o, "\\t");
        else
            o += (size_t)snprintf(dst + o, size - o, "\\x%02x", *c);
    }
    dst[o] = 0;
}

/* Format into err_buf, leaving `reserve` bytes free; a cut message ends
 * in "...". */
static void format(size_t reserve, const char *fmt, va_list ap)
{
    static _Thread_local char raw[ERR_MAX];
    int n = vsnprintf(raw, sizeof(raw), fmt, ap);
    size_t limit = sizeof(err_buf) - reserve;
    escape_into(err_buf, limit, raw);
    if (n < 0 || (size_t)n >= sizeof(raw) || strlen(err_buf) + 6 >= limit)
        memcpy(err_buf + strlen(err_buf) - (strlen(err_buf) >= 3 ? 3 : 0), "...", 4);
}

int err_setv(int code, const char *fmt, va_list ap)
{
    format(0, fmt, ap);
    return code;
}

int err_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    format(0, fmt, ap);
    va_end(ap);
    return code;
}

int err_sys(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    format(ERR_REASON, fmt, ap);
    va_end(ap);
    size_t n = strlen(err_buf);
    snprintf(err_buf + n, sizeof(err_buf) - n, ": %s", strerror(code < 0 ? -code : code));
    return code;
}

int err_prefix(int code, const char *fmt, ...)
{
    static _Thread_local char old[ERR_MAX];
    memcpy(old, err_buf, sizeof(old));
    va_list ap;
    va_start(ap, fmt);
    format(sizeof(err_buf) / 2, fmt, ap);
    va_end(ap);
    size_t n = strlen(err_buf);
    /* the old message carries the reason: cut its front, not its end */
    size_t len = strlen(old), room = sizeof(err_buf) - n - 6; /* ": ...", NUL */
    const char *tail = len <= room ? old : old + (len - room);
    char *o = err_buf + n;
    o = stpcpy(o, tail == old ? ": " : ": ...");
    memcpy(o, tail, strlen(tail) + 1);
    return code;
}

const char *err_msg(void)
{
    return err_buf[0] ? err_buf : "unknown error";
}

void err_clear(void)
{
    err_buf[0] = 0;
}
