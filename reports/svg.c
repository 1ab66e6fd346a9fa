/* SVG helpers: scales, ticks, text. */
#include "svg.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

double svg_at(const svg_scale *s, double x)
{
    if (s->d1 == s->d0)
        return (s->r0 + s->r1) / 2;
    return s->r0 + (x - s->d0) / (s->d1 - s->d0) * (s->r1 - s->r0);
}

int svg_ticks(double lo, double hi, double *ticks, int max)
{
    if (!(hi > lo) || !isfinite(lo) || !isfinite(hi))
        return 0;
    double raw = (hi - lo) / 5, mag = pow(10, floor(log10(raw))), step = mag;
    if (raw / mag > 5)
        step = 10 * mag;
    else if (raw / mag > 2)
        step = 5 * mag;
    else if (raw / mag > 1)
        step = 2 * mag;
    int n = 0;
    for (double t = ceil(lo / step) * step; t <= hi + step * 1e-9 && n < max; t += step)
        ticks[n++] = fabs(t) < step * 1e-9 ? 0 : t;
    return n;
}

void svg_pct_tick(double x, double step, char *out, size_t len)
{
    int decimals = step > 0 ? (int)fmax(0, -floor(log10(100 * step) + 1e-9)) : 1;
    if (fabs(x) < step * 1e-6)
        snprintf(out, len, "0%%");
    else
        snprintf(out, len, "%+.*f%%", decimals, 100 * x);
}

void svg_esc(lift_buf *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&':
            lift_buf_puts(b, "&amp;");
            break;
        case '<':
            lift_buf_puts(b, "&lt;");
            break;
        case '>':
            lift_buf_puts(b, "&gt;");
            break;
        case '"':
            lift_buf_puts(b, "&quot;");
            break;
        default:
            lift_buf_append(b, s, 1);
        }
    }
}

void svg_text(lift_buf *b, double x, double y, const char *cls, const char *anchor, const char *s)
{
    lift_buf_printf(b, "<text x=\"%.1f\" y=\"%.1f\" class=\"%s\" text-anchor=\"%s\">", x, y, cls,
                    anchor);
    svg_esc(b, s);
    lift_buf_puts(b, "</text>");
}
