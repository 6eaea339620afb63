#include "common/log.h"

#include <stdarg.h>
#include <stdio.h>

static log_fn handler;
static void *handler_ctx;

void log_set_handler(log_fn fn, void *ctx)
{
    handler = fn;
    handler_ctx = ctx;
}

static void emit(enum log_kind kind, const char *fmt, va_list ap)
{
    if (!handler)
        return;
    char buf[1024];
    vsnprintf(buf, sizeof(buf), fmt, ap);
    handler(kind, buf, 0, 0, handler_ctx);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(LOG_WARN, fmt, ap);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(LOG_INFO, fmt, ap);
    va_end(ap);
}

void log_progress(const char *step, uint64_t done, uint64_t total)
{
    if (handler)
        handler(LOG_PROGRESS, step, done, total, handler_ctx);
}

void log_stage(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit(LOG_STAGE, fmt, ap);
    va_end(ap);
}
