#include "common/err.h"

#include <stdio.h>
#include <string.h>

static _Thread_local char err_buf[1024];

int err_setv(int code, const char *fmt, va_list ap)
{
    vsnprintf(err_buf, sizeof(err_buf), fmt, ap);
    return code;
}

int err_set(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_setv(code, fmt, ap);
    va_end(ap);
    return code;
}

int err_sys(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_setv(code, fmt, ap);
    va_end(ap);
    size_t n = strlen(err_buf);
    snprintf(err_buf + n, sizeof(err_buf) - n, ": %s", strerror(code < 0 ? -code : code));
    return code;
}

int err_prefix(int code, const char *fmt, ...)
{
    char old[sizeof(err_buf)];
    memcpy(old, err_buf, sizeof(old));
    va_list ap;
    va_start(ap, fmt);
    err_setv(code, fmt, ap);
    va_end(ap);
    size_t n = strlen(err_buf);
    snprintf(err_buf + n, sizeof(err_buf) - n, ": %s", old);
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
