/* Request framing checks (RFC 9112 sections 2.2, 3.2, 5, 6 and 7; RFC 9110 5.5, 8.4): what
 * libmicrohttpd 0.9.75 lets through and liftd refuses. Found by raw-socket experiments
 * (tests/test_framing.c): MHD takes the first of several Content-Length or Host fields
 * (the rest of the body then runs as a second request), keeps a name with a space before
 * its colon as another field (so "Content-Length : 5" frames nothing), cuts a value at a
 * NUL without a word, waits for the end of the connection on a Transfer-Encoding other
 * than chunked, and keeps the connection open after a body framed by both. */
#include "framing.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

typedef struct scan {
    lift_framing *out;
    int hosts, lengths, encodings, codings;
    const char *host, *length, *encoding, *coding;
    size_t host_len, length_len, encoding_len, coding_len;
    /* The in-place layout check (see check_gap): where the previous value ended. */
    bool inplace;
    uintptr_t prev_end;
} scan;

static bool tchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

/* A field name or value for messages: printable ASCII only, cut short. */
static void quote_name(char *out, size_t len, const char *name, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < len; i++)
        out[k++] = name[i] >= 0x20 && name[i] < 0x7f ? name[i] : '?';
    out[k] = '\0';
}

static void refuse(lift_framing *f, unsigned status, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void refuse(lift_framing *f, unsigned status, const char *field, const char *fmt, ...)
{
    if (f->status) /* the first problem found is the one reported */
        return;
    f->status = status;
    f->code = status == MHD_HTTP_UNSUPPORTED_MEDIA_TYPE ? "unsupported_encoding"
              : status == MHD_HTTP_NOT_IMPLEMENTED      ? "not_implemented"
                                                        : "bad_request";
    /* Anything but an unsupported content coding leaves the body's length in doubt. */
    f->early = status != MHD_HTTP_UNSUPPORTED_MEDIA_TYPE;
    f->close = f->close || f->early;
    snprintf(f->field, sizeof f->field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(f->message, sizeof f->message, fmt, ap);
    va_end(ap);
}

/* MHD before 1.0 parses the header block in place: each line's CR LF (or bare LF) becomes
 * NULs and a field's value ends where its line did, so between the end of one value and
 * the next name there are exactly one or two NUL bytes. More means the value held a NUL
 * (MHD silently cut it there: RFC 9110 5.5 requires refusing it or replacing it with SP)
 * or the line was folded (obs-fold, RFC 9112 5.2: MHD moved the joined value elsewhere).
 * MHD 1.0 refuses both itself. */
static bool check_gap(uintptr_t from, uintptr_t to, size_t min, size_t max)
{
    if (to < from + min || to > from + max)
        return false;
    for (const char *p = (const char *)from; (uintptr_t)p < to; p++)
        if (*p != '\0')
            return false;
    return true;
}

static enum MHD_Result on_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                 size_t key_size, const char *value, size_t value_size)
{
    (void)kind;
    scan *s = cls;
    lift_framing *f = s->out;
    char name[40];
    quote_name(name, sizeof name, key, key_size);
    if (s->inplace && s->prev_end && !check_gap(s->prev_end, (uintptr_t)key, 1, 2))
        refuse(f, MHD_HTTP_BAD_REQUEST, "",
               "a header line holds a NUL byte or is folded onto the next line");
    s->prev_end = (uintptr_t)(value + value_size);
    if (key_size == 0)
        refuse(f, MHD_HTTP_BAD_REQUEST, "", "a header line has no field name");
    for (size_t i = 0; i < key_size; i++)
        if (!tchar((unsigned char)key[i])) {
            refuse(f, MHD_HTTP_BAD_REQUEST, name,
                   key[i] == ' ' || key[i] == '\t'
                       ? "header %s: whitespace between a field name and its colon"
                       : "header %s: the field name is not a token",
                   name);
            break;
        }
    for (size_t i = 0; i < value_size; i++) {
        unsigned char c = (unsigned char)value[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f) {
            refuse(f, MHD_HTTP_BAD_REQUEST, name,
                   c == '\r' ? "header %s: a CR inside the value"
                             : "header %s: a control character inside the value",
                   name);
            break;
        }
    }
#define IS(h) (key_size == strlen(h) && strncasecmp(key, h, key_size) == 0)
    if (IS(MHD_HTTP_HEADER_HOST)) {
        s->hosts++;
        s->host = value, s->host_len = value_size;
    } else if (IS(MHD_HTTP_HEADER_CONTENT_LENGTH)) {
        s->lengths++;
        s->length = value, s->length_len = value_size;
    } else if (IS(MHD_HTTP_HEADER_TRANSFER_ENCODING)) {
        s->encodings++;
        s->encoding = value, s->encoding_len = value_size;
    } else if (IS(MHD_HTTP_HEADER_CONTENT_ENCODING)) {
        s->codings++;
        s->coding = value, s->coding_len = value_size;
    }
#undef IS
    return MHD_YES;
}

/* uri-host [":" port] of RFC 3986 (an empty value is allowed: RFC 9110 7.2). */
static bool host_valid(const char *h, size_t n)
{
    size_t i = 0;
    if (n && h[0] == '[') {
        for (i = 1; i < n && h[i] != ']'; i++)
            if (!(tchar((unsigned char)h[i]) || strchr(":;=,()", h[i])) || h[i] == '%')
                return false;
        if (i == n)
            return false;
        i++;
    } else {
        for (; i < n && h[i] != ':'; i++) {
            unsigned char c = (unsigned char)h[i];
            bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      (c && strchr("-._~!$&'()*+,;=%", c));
            if (!ok)
                return false;
        }
    }
    if (i < n) {
        if (h[i] != ':')
            return false;
        for (i++; i < n; i++)
            if (h[i] < '0' || h[i] > '9')
                return false;
    }
    return true;
}

/* Whether MHD parses headers in place (versions 0.x; see check_gap). */
static bool mhd_in_place(void)
{
    const char *v = MHD_get_version();
    return v && v[0] == '0' && v[1] == '.';
}

void lift_framing_check(struct MHD_Connection *conn, const char *method, const char *version,
                        lift_framing *out)
{
    lift_framing target = *out;
    memset(out, 0, sizeof *out);
    out->target = target.target;
    out->target_len = target.target_len;
    out->target_space = target.target_space;
    /* A Content-Length MHD cannot read is answered by MHD itself (400 or 413, closing). */
    if (MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS)) {
        out->answered = true;
        return;
    }
    const union MHD_ConnectionInfo *hs =
        MHD_get_connection_info(conn, MHD_CONNECTION_INFO_REQUEST_HEADER_SIZE);
    scan s = {.out = out, .inplace = hs && method && mhd_in_place()};
    MHD_get_connection_values_n(conn, MHD_HEADER_KIND, on_header, &s);
    /* The last value is followed by its line end and the empty line. */
    if (s.inplace && s.prev_end &&
        !check_gap(s.prev_end, (uintptr_t)method + hs->header_size, 2, 4))
        refuse(out, MHD_HTTP_BAD_REQUEST, "",
               "a header line holds a NUL byte or is folded onto the next line");

    /* The target ends at the NUL MHD wrote over the space before the version. */
    if (out->target && version && *version && out->target + out->target_len + 1 != version)
        refuse(out, MHD_HTTP_BAD_REQUEST, "", "the request target holds a NUL byte");
    else if (out->target_space)
        refuse(out, MHD_HTTP_BAD_REQUEST, "", "the request target holds a space");

    bool http10 = version && !strcmp(version, MHD_HTTP_VERSION_1_0);
    if (!http10 && s.hosts == 0)
        refuse(out, MHD_HTTP_BAD_REQUEST, "Host", "an HTTP/1.1 request needs a Host header");
    if (s.hosts > 1)
        refuse(out, MHD_HTTP_BAD_REQUEST, "Host", "%d Host headers: a request has one", s.hosts);
    while (s.host_len && (s.host[s.host_len - 1] == ' ' || s.host[s.host_len - 1] == '\t'))
        s.host_len--; /* MHD 0.9 keeps trailing whitespace; it is not part of the value */
    if (s.hosts == 1 && !host_valid(s.host, s.host_len))
        refuse(out, MHD_HTTP_BAD_REQUEST, "Host", "the Host header is not host[:port]");
    if (s.lengths > 1)
        refuse(out, MHD_HTTP_BAD_REQUEST, "Content-Length",
               "%d Content-Length headers: a request has at most one", s.lengths);
    if (s.lengths == 1 && !s.encodings) {
        bool digits = s.length_len > 0;
        for (size_t i = 0; i < s.length_len; i++)
            digits = digits && s.length[i] >= '0' && s.length[i] <= '9';
        if (!digits)
            refuse(out, MHD_HTTP_BAD_REQUEST, "Content-Length",
                   "Content-Length is not a number of bytes");
    }
    if (s.encodings) {
        out->chunked = true;
        /* RFC 9112 6.1: a server MUST close after a request with both (and 6.3: chunked
         * overrides the length). */
        out->close = s.lengths > 0;
        char te[64];
        quote_name(te, sizeof te, s.encoding, s.encoding_len);
        const char *last = s.encoding;
        int chunked = 0; /* how many list elements are "chunked" */
        for (size_t i = 0; i <= s.encoding_len; i++)
            if (i == s.encoding_len || s.encoding[i] == ',') {
                const char *e = last;
                while (*e == ' ' || *e == '\t')
                    e++;
                chunked += s.encoding + i - e == 7 && strncasecmp(e, "chunked", 7) == 0;
                if (i < s.encoding_len)
                    last = s.encoding + i + 1;
            }
        while (*last == ' ' || *last == '\t')
            last++;
        size_t last_len = s.encoding_len - (size_t)(last - s.encoding);
        bool final_chunked = last_len == 7 && strncasecmp(last, "chunked", 7) == 0;
        if (http10)
            refuse(out, MHD_HTTP_BAD_REQUEST, "Transfer-Encoding",
                   "Transfer-Encoding in an HTTP/1.0 request: send a Content-Length");
        else if (s.encodings > 1)
            refuse(out, MHD_HTTP_BAD_REQUEST, "Transfer-Encoding",
                   "%d Transfer-Encoding headers: send one, \"chunked\"", s.encodings);
        else if (s.encoding_len == 7 && strncasecmp(s.encoding, "chunked", 7) == 0)
            ;
        else if (chunked > 1) /* RFC 9112 6.1: chunked MUST NOT be applied twice */
            refuse(out, MHD_HTTP_BAD_REQUEST, "Transfer-Encoding",
                   "Transfer-Encoding '%s': chunked more than once", te);
        else if (final_chunked) /* RFC 9112 6.1: a coding it does not know: 501 */
            refuse(out, MHD_HTTP_NOT_IMPLEMENTED, "Transfer-Encoding",
                   "Transfer-Encoding '%s' is not supported: only chunked", te);
        else /* RFC 9112 6.3: chunked not final, the length cannot be known: 400 */
            refuse(out, MHD_HTTP_BAD_REQUEST, "Transfer-Encoding",
                   "Transfer-Encoding '%s': the body's length cannot be known (only chunked "
                   "is supported)",
                   te);
    }
    if (s.codings && !(s.coding_len == 8 && strncasecmp(s.coding, "identity", 8) == 0)) {
        char ce[64];
        quote_name(ce, sizeof ce, s.coding, s.coding_len);
        refuse(out, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "Content-Encoding",
               "Content-Encoding '%s' is not supported: send the body uncompressed", ce);
    }
}

void lift_framing_target(lift_framing *f, const char *uri)
{
    f->target = uri;
    f->target_len = uri ? strlen(uri) : 0;
    f->target_space = uri && memchr(uri, ' ', f->target_len);
}

const char *lift_framing_path(const char *url)
{
    if (url[0] == '/')
        return url;
    const char *p = NULL;
    if (strncasecmp(url, "http://", 7) == 0)
        p = url + 7;
    else if (strncasecmp(url, "https://", 8) == 0)
        p = url + 8;
    if (!p)
        return url;
    const char *slash = strchr(p, '/');
    return slash ? slash : "/";
}
