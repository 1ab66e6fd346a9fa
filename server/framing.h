/* Request framing (RFC 9112): the header-block checks that keep liftd and any proxy in
 * front of it agreeing on where a request ends, so that no body is ever read as a second
 * request (request smuggling). Run on the first call of each request, before any body is
 * read. */
#ifndef LIFT_SERVER_FRAMING_H
#define LIFT_SERVER_FRAMING_H

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>

typedef struct lift_framing {
    unsigned status; /* 0: the request may proceed; else the status to answer */
    bool early;      /* answer at once, read no body, and close (the framing is unknown) */
    bool close;      /* close the connection after answering (both TE and Content-Length) */
    bool chunked;    /* the body is chunked: a Content-Length, if any, means nothing */
    bool answered;   /* libmicrohttpd already answers this request itself (a bad
                        Content-Length): send nothing more */
    const char *code;
    char field[64];
    char message[240];
    /* The request target as the request line held it (lift_framing_target). */
    const char *target;
    size_t target_len;
    bool target_space;
} lift_framing;

/* Records the request target before MHD cuts it up (call from MHD's URI log callback,
 * which sees it whole): its length up to the first NUL, and whether it holds a space. */
void lift_framing_target(lift_framing *f, const char *uri);

/* Checks the request's header block (method and version as MHD passed them):
 *  - exactly one Host in HTTP/1.1 (at most one in 1.0), with a valid host[:port] value;
 *  - header names are tokens (no whitespace before the colon), values hold no NUL, CR or
 *    other control character but tab, and no line is folded (obs-fold);
 *  - at most one Content-Length, of digits only;
 *  - Transfer-Encoding: one field, exactly "chunked" (case-insensitive), never in HTTP/1.0;
 *    with a Content-Length too, chunked wins and the connection closes afterwards;
 *  - Content-Encoding other than identity: 415 (no content coding is supported).
 *  - the request target holds no NUL and no space (MHD would cut it at the NUL and take
 *    "/a b" as one target).
 * Fills out (keeping what lift_framing_target recorded); out->status == 0 when everything
 * holds. */
void lift_framing_check(struct MHD_Connection *conn, const char *method, const char *version,
                        lift_framing *out);

/* The path of a request target: origin-form as is; absolute-form ("http://host:port/p")
 * without its scheme and authority ("/p"; "/" when there is no path). Borrowed from url. */
const char *lift_framing_path(const char *url);

#endif
