/* Text helpers: UTF-8 validation, growable buffers, JSON/CSV quoting, RFC 3339 time. */
#include "lift/text.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int lift_utf8_next(const unsigned char **p, const unsigned char *end, uint32_t *cp)
{
    const unsigned char *s = *p;
    uint32_t c = s[0];
    int extra;
    uint32_t min;
    if (c < 0x80) {
        *cp = c;
        *p = s + 1;
        return 0;
    } else if ((c & 0xE0) == 0xC0) {
        extra = 1, min = 0x80, c &= 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
        extra = 2, min = 0x800, c &= 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
        extra = 3, min = 0x10000, c &= 0x07;
    } else {
        return -1;
    }
    if (end - s <= extra)
        return -1;
    for (int i = 1; i <= extra; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return -1;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return -1;
    *cp = c;
    *p = s + extra + 1;
    return 0;
}

bool lift_has_control(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
            return true;
    return false;
}

bool lift_utf8_valid(const char *s, size_t n)
{
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        uint32_t c;
        if (*p == 0 || lift_utf8_next(&p, end, &c) < 0)
            return false;
    }
    return true;
}

void lift_buf_init(lift_buf *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
    b->failed = false;
}

void lift_buf_fini(lift_buf *b)
{
    free(b->data);
    lift_buf_init(b);
}

void lift_buf_reset(lift_buf *b)
{
    b->len = 0;
    if (b->data)
        b->data[0] = '\0';
}

static bool reserve(lift_buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (b->len + extra + 1 <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + extra + 1)
        cap *= 2;
    char *d = realloc(b->data, cap);
    if (!d) {
        b->failed = true;
        return false;
    }
    b->data = d;
    b->cap = cap;
    return true;
}

void lift_buf_append(lift_buf *b, const void *p, size_t n)
{
    if (n == 0 || !reserve(b, n)) /* p may be NULL when n is 0 (memcpy may not) */
        return;
    memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void lift_buf_puts(lift_buf *b, const char *s)
{
    lift_buf_append(b, s, strlen(s));
}

void lift_buf_printf(lift_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *lift_buf_steal(lift_buf *b, size_t *len)
{
    if (b->failed || !reserve(b, 0)) {
        lift_buf_fini(b);
        return NULL;
    }
    char *d = b->data;
    if (len)
        *len = b->len;
    lift_buf_init(b);
    return d;
}

const char lift_hex_digits[16] = {'0', '1', '2', '3', '4', '5', '6', '7',
                                  '8', '9', 'a', 'b', 'c', 'd', 'e', 'f'};

void lift_hex_encode(const void *bytes, size_t n, char *out)
{
    const unsigned char *p = bytes;
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = lift_hex_digits[p[i] >> 4];
        out[2 * i + 1] = lift_hex_digits[p[i] & 15];
    }
    out[2 * n] = '\0';
}

int lift_hex_value(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

uint64_t lift_fnv64(const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    for (const char *p = s; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    return h;
}

void lift_buf_json_str(lift_buf *b, const char *s, size_t n)
{
    if (!reserve(b, n + 2))
        return;
    b->data[b->len++] = '"';
    size_t run = 0; /* bytes copied verbatim in one go */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        lift_buf_append(b, s + run, i - run);
        run = i + 1;
        char esc[7] = {'\\', 0};
        switch (c) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = lift_hex_digits[c >> 4];
            esc[5] = lift_hex_digits[c & 15];
        }
        lift_buf_append(b, esc, esc[1] == 'u' ? 6 : 2);
    }
    lift_buf_append(b, s + run, n - run);
    lift_buf_append(b, "\"", 1);
}

void lift_buf_json_num(lift_buf *b, double x)
{
    if (!isfinite(x)) {
        lift_buf_puts(b, "null");
        return;
    }
    char tmp[32];
    lift_buf_append(b, tmp, lift_dtoa(x, tmp));
}

void lift_buf_csv_field(lift_buf *b, const char *s, size_t n)
{
    bool quote = n == 0 || s[0] == ' ' || s[n - 1] == ' ';
    for (size_t i = 0; i < n && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        lift_buf_append(b, s, n);
        return;
    }
    lift_buf_append(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '"')
            continue;
        lift_buf_append(b, s + run, i + 1 - run); /* through the quote, then double it */
        lift_buf_append(b, "\"", 1);
        run = i + 1;
    }
    lift_buf_append(b, s + run, n - run);
    lift_buf_append(b, "\"", 1);
}

void lift_jw_init(lift_jw *w, lift_buf *b, bool pretty)
{
    w->b = b;
    w->pretty = pretty;
    w->depth = 0;
    w->after_key = false;
    w->has_items[0] = false;
}

static void newline(lift_jw *w)
{
    if (!w->pretty)
        return;
    lift_buf_append(w->b, "\n", 1);
    for (int i = 0; i < w->depth; i++)
        lift_buf_append(w->b, "  ", 2);
}

/* Mis-nesting is refused: the buffer is marked failed, so the caller's one check at the
 * end sees it, and nothing more is written. */
static bool refuse(lift_jw *w)
{
    w->b->failed = true;
    return false;
}

static bool in_object(const lift_jw *w)
{
    return w->depth > 0 && w->closer[w->depth] == '}';
}

/* Separator and indentation before a value (key false) or a key. False when the item
 * does not belong there: a key outside an object or right after a key, a value in an
 * object without its key, a second value at the top. */
static bool before_item(lift_jw *w, bool key)
{
    if (w->b->failed)
        return false;
    if (w->after_key) {
        if (key)
            return refuse(w);
        w->after_key = false;
        return true;
    }
    if (key ? !in_object(w) : in_object(w) || (w->depth == 0 && w->has_items[0]))
        return refuse(w);
    if (w->has_items[w->depth])
        lift_buf_append(w->b, ",", 1);
    w->has_items[w->depth] = true;
    if (w->depth > 0)
        newline(w);
    return true;
}

static void open_with(lift_jw *w, char open, char close)
{
    if (w->depth + 1 >= LIFT_JW_DEPTH) {
        refuse(w);
        return;
    }
    if (!before_item(w, false))
        return;
    lift_buf_append(w->b, &open, 1);
    w->depth++;
    w->has_items[w->depth] = false;
    w->closer[w->depth] = close;
}

void lift_jw_obj(lift_jw *w)
{
    open_with(w, '{', '}');
}

void lift_jw_arr(lift_jw *w)
{
    open_with(w, '[', ']');
}

void lift_jw_end(lift_jw *w)
{
    if (w->b->failed)
        return;
    if (w->depth == 0 || w->after_key) {
        refuse(w);
        return;
    }
    char close = w->closer[w->depth];
    bool had = w->has_items[w->depth];
    w->depth--;
    if (had)
        newline(w);
    lift_buf_append(w->b, &close, 1);
}

void lift_jw_key(lift_jw *w, const char *key)
{
    if (!before_item(w, true))
        return;
    lift_buf_json_str(w->b, key, strlen(key));
    lift_buf_append(w->b, w->pretty ? ": " : ":", w->pretty ? 2 : 1);
    w->after_key = true;
}

void lift_jw_str(lift_jw *w, const char *s)
{
    lift_jw_strn(w, s, strlen(s));
}

void lift_jw_strn(lift_jw *w, const char *s, size_t n)
{
    if (!before_item(w, false))
        return;
    lift_buf_json_str(w->b, s, n);
}

void lift_jw_num(lift_jw *w, double x)
{
    if (!before_item(w, false))
        return;
    lift_buf_json_num(w->b, x);
}

void lift_jw_int(lift_jw *w, long long x)
{
    if (!before_item(w, false))
        return;
    lift_buf_printf(w->b, "%lld", x);
}

void lift_jw_bool(lift_jw *w, bool x)
{
    if (!before_item(w, false))
        return;
    lift_buf_puts(w->b, x ? "true" : "false");
}

void lift_jw_null(lift_jw *w)
{
    if (!before_item(w, false))
        return;
    lift_buf_puts(w->b, "null");
}

void lift_jw_raw(lift_jw *w, const char *json, size_t n)
{
    if (!before_item(w, false))
        return;
    lift_buf_append(w->b, json, n);
}

void lift_jw_time(lift_jw *w, int64_t usec)
{
    char s[LIFT_TIME_LEN];
    lift_jw_strn(w, s, lift_time_format(usec, s));
}

void lift_jw_key_str(lift_jw *w, const char *key, const char *s)
{
    lift_jw_key(w, key);
    lift_jw_str(w, s);
}

void lift_jw_key_num(lift_jw *w, const char *key, double x)
{
    lift_jw_key(w, key);
    lift_jw_num(w, x);
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant, "days_from_civil"). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    const int64_t era = (y >= 0 ? y : y - 399) / 400;
    const unsigned yoe = (unsigned)(y - era * 400);
    const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

static bool digits(const char *s, size_t n, size_t at, size_t count, int *out)
{
    if (at + count > n)
        return false;
    int v = 0;
    for (size_t i = at; i < at + count; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

int lift_time_parse(const char *s, size_t n, int64_t *usec)
{
    static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int y, mo, d, h, mi, sec;
    if (!digits(s, n, 0, 4, &y) || n < 19 || s[4] != '-' || !digits(s, n, 5, 2, &mo) ||
        s[7] != '-' || !digits(s, n, 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
        !digits(s, n, 11, 2, &h) || s[13] != ':' || !digits(s, n, 14, 2, &mi) || s[16] != ':' ||
        !digits(s, n, 17, 2, &sec))
        return -1;
    bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    if (y < 1900 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 ||
        mi > 59 || sec > 59)
        return -1;
    size_t i = 19;
    int64_t frac = 0;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        int64_t scale = 100000;
        while (i < n && s[i] >= '0' && s[i] <= '9') {
            frac += (s[i] - '0') * scale; /* digits past microseconds are dropped */
            scale /= 10;
            i++;
        }
        if (i == start || i - start > 9)
            return -1;
    }
    int64_t offset = 0;
    if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
        i++;
    } else if (i < n && (s[i] == '+' || s[i] == '-')) {
        /* +HH:MM, or +HH as PostgreSQL prints whole-hour offsets. */
        int oh, om = 0;
        if (!digits(s, n, i + 1, 2, &oh) || oh > 23)
            return -1;
        size_t end = i + 3;
        if (end < n) {
            if (s[end] != ':' || !digits(s, n, end + 1, 2, &om) || om > 59)
                return -1;
            end += 3;
        }
        offset = (s[i] == '-' ? -1 : 1) * (oh * 3600 + om * 60);
        i = end;
    } else {
        return -1;
    }
    if (i != n)
        return -1;
    int64_t secs =
        days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + sec - offset;
    *usec = secs * 1000000 + frac;
    return 0;
}

/* Year, month, day of a day count since 1970-01-01 (H. Hinnant, "civil_from_days"). */
static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    const unsigned doe = (unsigned)(z - era * 146097);
    const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int64_t)yoe + era * 400 + (*m <= 2);
}

static char *digits_n(char *p, uint64_t v, int n)
{
    for (int i = n - 1; i >= 0; i--, v /= 10)
        p[i] = (char)('0' + v % 10);
    return p + n;
}

size_t lift_time_format(int64_t usec, char out[LIFT_TIME_LEN])
{
    /* By hand rather than gmtime_r + strftime: liftd writes one per exposure. */
    int64_t secs = usec / 1000000, frac = usec % 1000000;
    if (frac < 0) {
        frac += 1000000;
        secs -= 1;
    }
    int64_t days = secs / 86400, rem = secs % 86400, y;
    if (rem < 0) {
        rem += 86400;
        days -= 1;
    }
    unsigned m, d;
    civil_from_days(days, &y, &m, &d);
    char *p = out;
    p = digits_n(p, (uint64_t)(y < 0 ? 0 : y > 9999 ? 9999 : y), 4);
    *p++ = '-';
    p = digits_n(p, m, 2);
    *p++ = '-';
    p = digits_n(p, d, 2);
    *p++ = 'T';
    p = digits_n(p, (uint64_t)(rem / 3600), 2);
    *p++ = ':';
    p = digits_n(p, (uint64_t)(rem / 60 % 60), 2);
    *p++ = ':';
    p = digits_n(p, (uint64_t)(rem % 60), 2);
    *p++ = '.';
    p = digits_n(p, (uint64_t)frac, 6);
    *p++ = 'Z';
    *p = '\0';
    return (size_t)(p - out);
}

int64_t lift_time_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t lift_time_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

bool lift_share_parse(const char *s, double *out)
{
    if (!s || !*s || *s == ' ' || *s == '\t')
        return false;
    char *end;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v))
        return false;
    bool pct = *end == '%';
    if (pct)
        end++;
    if (*end)
        return false;
    *out = pct ? v / 100 : v;
    return true;
}

char *lift_fmt_grouped(char *out, size_t len, double x, int decimals, bool plus)
{
    if (len == 0)
        return out;
    if (!isfinite(x)) {
        snprintf(out, len, "n/a");
        return out;
    }
    char digits[400];
    int n = snprintf(digits, sizeof digits, "%.*f", decimals, fabs(x));
    if (n < 0 || (size_t)n >= sizeof digits) {
        snprintf(out, len, "%.*g", 6, x);
        return out;
    }
    const char *dot = strchr(digits, '.');
    size_t whole = dot ? (size_t)(dot - digits) : (size_t)n, k = 0;
    /* "-0.00" and "+0.00" read as 0: no sign for what rounds to zero. */
    bool zero = strspn(digits, "0.") == (size_t)n;
    if (!zero && (x < 0 || plus) && k + 1 < len)
        out[k++] = x < 0 ? '-' : '+';
    for (size_t i = 0; i < (size_t)n && k + 1 < len; i++) {
        if (i > 0 && i < whole && (whole - i) % 3 == 0) {
            out[k++] = ',';
            if (k + 1 >= len)
                break;
        }
        out[k++] = digits[i];
    }
    out[k] = '\0';
    return out;
}
