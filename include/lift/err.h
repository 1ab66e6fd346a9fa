/* Errors shared by every module: a negative code plus a message in caller-owned storage. */
#ifndef LIFT_ERR_H
#define LIFT_ERR_H

#define LIFT_ERR_MSG_LEN   256
#define LIFT_ERR_FIELD_LEN 64

enum {
    LIFT_OK = 0,
    LIFT_EINVAL = -1,    /* bad input: the message names the problem */
    LIFT_ENOMEM = -2,    /* allocation failed */
    LIFT_ENUM = -3,      /* numerical failure (GSL status, non-finite result) */
    LIFT_EDB = -4,       /* the database refused or failed */
    LIFT_EIO = -5,       /* file or socket I/O failed */
    LIFT_ENOTFOUND = -6, /* the named thing does not exist */
    LIFT_EUNAVAIL = -7,  /* not now: the database is away, a queue is full; retry */
    LIFT_EPERM = -8      /* not allowed to this caller (a client key posting an order) */
};

/* Like jansson's json_error_t: the caller owns it, callees fill it. `field` names the
 * offending input ("events[17].value") when there is one, else it is empty. */
typedef struct lift_err {
    int code;
    char field[LIFT_ERR_FIELD_LEN];
    char msg[LIFT_ERR_MSG_LEN];
} lift_err;

/* Sets code and message; returns code so that `return lift_err_set(...)` reads well.
 * err may be NULL. Clears field. */
int lift_err_set(lift_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* As lift_err_set, and records the input field the error is about. */
int lift_err_field(lift_err *err, int code, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Nests the error's field under a parent path: field "sum" with message "sum: must not be
 * negative" becomes "metrics[2].data[1].sum" and "metrics[2].data[1].sum: must not be
 * negative". The format gives the parent, including its trailing '.'. */
void lift_err_nest(lift_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Prefixes the existing message with "prefix: " (context added by a caller). */
void lift_err_prefix(lift_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
