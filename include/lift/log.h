/* One-line-per-event logging to stderr, key=value context, level checked before arguments. */
#ifndef LIFT_LOG_H
#define LIFT_LOG_H

typedef enum {
    LIFT_LOG_DEBUG = 0,
    LIFT_LOG_INFO = 1,
    LIFT_LOG_WARN = 2,
    LIFT_LOG_ERROR = 3
} lift_log_level;

/* The minimum level written; set once at start-up (like Redis' server.verbosity). */
extern lift_log_level lift_log_min;

/* Writes one line "2026-11-21T10:00:00.123Z level=warn <message>" with a single write(2),
 * so lines from different threads never interleave. */
void lift_log_write(lift_log_level level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Parses "debug", "info", "warn" or "error"; returns -1 for anything else. */
int lift_log_parse_level(const char *name);

#define lift_log(level, ...)                                                                       \
    do {                                                                                           \
        if ((level) >= lift_log_min)                                                               \
            lift_log_write((level), __VA_ARGS__);                                                  \
    } while (0)

#endif
