/* Text helpers: strict UTF-8, a growable buffer, JSON/CSV quoting, RFC 3339 timestamps. */
#ifndef LIFT_TEXT_H
#define LIFT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Decodes one code point from [*p, end) and advances *p. Strict: refuses overlong forms,
 * surrogates (U+D800..U+DFFF) and anything above U+10FFFF. Returns 0, or -1 on bad input. */
int lift_utf8_next(const unsigned char **p, const unsigned char *end, uint32_t *cp);

/* True when s[0..n) is well-formed UTF-8 with no NUL byte. */
bool lift_utf8_valid(const char *s, size_t n);

/* True when s[0..n) holds an ASCII control character (U+0000..U+001F, U+007F): not allowed
 * in ids and types, which are identifiers (and stored rows are one line each). */
bool lift_has_control(const char *s, size_t n);

/* Lower-case hexadecimal: the digits, the digits of n bytes written to out (2n characters
 * plus NUL), and the value of one digit of either case (-1 when c is not one). */
extern const char lift_hex_digits[16];
void lift_hex_encode(const void *bytes, size_t n, char *out);
int lift_hex_value(char c);

/* FNV-1a 64 of a string: cheap fingerprints (migration checksums, folder names). Not the
 * bucketing hash, which is FNV-1a 32 over UTF-16 (lift/assign.h). */
uint64_t lift_fnv64(const char *s);

/* A growable byte buffer. Allocation failure is sticky: appends become no-ops and
 * `failed` stays set, so callers check once at the end. data is NUL-terminated. */
typedef struct lift_buf {
    char *data;
    size_t len, cap;
    bool failed;
} lift_buf;

void lift_buf_init(lift_buf *b);
void lift_buf_fini(lift_buf *b);  /* frees data; b may be reused after lift_buf_init */
void lift_buf_reset(lift_buf *b); /* len = 0, keeps the allocation */
void lift_buf_append(lift_buf *b, const void *p, size_t n);
void lift_buf_puts(lift_buf *b, const char *s);
void lift_buf_printf(lift_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Returns the data (caller frees) and leaves b empty; NULL if an append failed. */
char *lift_buf_steal(lift_buf *b, size_t *len);

/* Appends s[0..n) as a quoted JSON string ("\u00XX" for control characters). */
void lift_buf_json_str(lift_buf *b, const char *s, size_t n);
/* Writes a finite double as decimal text that reads back as the same double, in the form
 * JavaScript prints numbers ("0.0505", "12", "1e-7", "1.5e+300"); nearly always the
 * shortest such text (Grisu2). out needs 32 bytes. Returns the length. */
size_t lift_dtoa(double x, char *out);

/* Writes x with `decimals` decimals and a comma every three digits ("12,345.68"), with a
 * leading '+' for positive values when plus is set; "n/a" when x is not finite. Returns
 * out. */
char *lift_fmt_grouped(char *out, size_t len, double x, int decimals, bool plus);

/* Appends a double as JSON (lift_dtoa); non-finite values become null. */
void lift_buf_json_num(lift_buf *b, double x);
/* Appends s[0..n) as one CSV field (RFC 4180 and PostgreSQL COPY csv): quoted when it holds
 * a comma, quote, CR, LF or leading/trailing space, or is empty (so it stays distinct from
 * NULL, which callers write as nothing at all). */
void lift_buf_csv_field(lift_buf *b, const char *s, size_t n);

/* A streaming JSON writer over a lift_buf: commas and (optionally) indentation are its
 * business. Keys go through lift_jw_key; a value after a key or inside an array is placed
 * correctly by any of the value functions. Numbers are shortest round-trip; non-finite
 * numbers are written as null (JSON has no NaN). Mis-nesting is refused, never written: a
 * key outside an object, a value in an object without a key, an end with nothing open or
 * right after a key, a second top-level value, or nesting deeper than LIFT_JW_DEPTH - 1
 * marks the buffer failed (b->failed), which the caller checks once at the end. */
#define LIFT_JW_DEPTH 32
typedef struct lift_jw {
    lift_buf *b;
    bool pretty;
    int depth;
    bool after_key;
    bool has_items[LIFT_JW_DEPTH];
    char closer[LIFT_JW_DEPTH]; /* '}' or ']' for each open level */
} lift_jw;

void lift_jw_init(lift_jw *w, lift_buf *b, bool pretty);
void lift_jw_obj(lift_jw *w);
void lift_jw_arr(lift_jw *w);
void lift_jw_end(lift_jw *w); /* closes the innermost object or array */
void lift_jw_key(lift_jw *w, const char *key);
void lift_jw_str(lift_jw *w, const char *s);
void lift_jw_strn(lift_jw *w, const char *s, size_t n);
void lift_jw_num(lift_jw *w, double x);
void lift_jw_int(lift_jw *w, long long x);
void lift_jw_bool(lift_jw *w, bool x);
void lift_jw_null(lift_jw *w);
void lift_jw_raw(lift_jw *w, const char *json, size_t n); /* already-encoded JSON */
void lift_jw_time(lift_jw *w, int64_t usec);              /* an RFC 3339 string */
/* A key and its value in one call. */
void lift_jw_key_str(lift_jw *w, const char *key, const char *s);
void lift_jw_key_num(lift_jw *w, const char *key, double x);

/* The one rule for shares and percentages on every command line (--coverage, --mde,
 * --alpha, --effect ...): a plain number is a fraction ("0.05"), a number followed by '%'
 * is a percentage ("5%", "+12.5%", "-3%"). The whole string must be one finite number.
 * Returns true and sets *out (0.05 for both examples) or false. Ranges are the caller's. */
bool lift_share_parse(const char *s, double *out);

/* Parses an RFC 3339 timestamp ("2026-11-21T10:00:00.5+01:00"; 'Z' or an offset required,
 * a space may replace 'T', and "+01" stands for "+01:00" as PostgreSQL prints it) into
 * microseconds since the Unix epoch. Years 1900..9999.
 * Returns 0, or -1 when s[0..n) is not such a timestamp. */
int lift_time_parse(const char *s, size_t n, int64_t *usec);

#define LIFT_TIME_LEN 32
/* Formats as "2026-11-21T10:00:00.123456Z" (years clamped to 0..9999); returns the length. */
size_t lift_time_format(int64_t usec, char out[LIFT_TIME_LEN]);

/* Wall-clock time in microseconds since the epoch. */
int64_t lift_time_now(void);

/* Monotonic time in microseconds, for intervals. */
int64_t lift_time_mono(void);

#endif
