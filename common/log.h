/* Warnings and progress from library code go through one callback, so the
 * CLI decides how (or whether) to show them. Library code never prints. */
#ifndef GUESTIMG_LOG_H
#define GUESTIMG_LOG_H

#include <stdint.h>

enum log_kind { LOG_WARN, LOG_INFO, LOG_PROGRESS, LOG_STAGE };

/* For LOG_PROGRESS, msg names the step and done/total count units of work
 * (bytes, packages…; total 0 when unknown). LOG_STAGE opens a stage of a
 * long command ("3/7 image"): the progress that follows belongs to it
 * until the next stage. */
typedef void (*log_fn)(enum log_kind kind, const char *msg, uint64_t done, uint64_t total, void *ctx);

void log_set_handler(log_fn fn, void *ctx);
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_progress(const char *step, uint64_t done, uint64_t total);
void log_stage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
