/* Numbers for people: fixed decimals per kind of value, thousands separators, money in the
 * reporting currency (docs/statistics.md, Currency). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model.h"

void rpt_pct(double x, char *out, size_t len)
{
    if (!isfinite(x)) {
        snprintf(out, len, "n/a");
        return;
    }
    char n[64];
    lift_fmt_grouped(n, sizeof n, 100 * x, fabs(x) < 0.001 ? 2 : 1, true);
    snprintf(out, len, "%s%%", n);
}

void rpt_p(double p, char *out, size_t len)
{
    if (!isfinite(p))
        snprintf(out, len, "n/a");
    else if (p < 0.0001)
        snprintf(out, len, "<0.0001");
    else
        snprintf(out, len, "%.2g", p);
}

void rpt_count(double n, char *out, size_t len)
{
    lift_fmt_grouped(out, len, n, 0, false);
}

/* " EUR", or "" when the report has no currency. */
static const char *unit(const lift_report *r, const rpt_metric *m)
{
    return m->money && *r->currency ? r->currency : "";
}

static void with_unit(const char *number, const char *u, char *out, size_t len)
{
    snprintf(out, len, "%s%s%s", number, *u ? " " : "", u);
}

/* A value (delta false) or a difference of two (delta true, signed; proportions in
 * percentage points): two decimals, separators, the currency for money. */
static void number(const lift_report *r, const rpt_metric *m, double x, bool delta, char *out,
                   size_t len)
{
    char n[64];
    if (!isfinite(x)) {
        snprintf(out, len, "n/a");
    } else if (m->kind == LIFT_KIND_PROPORTION) {
        snprintf(out, len, "%s%s", lift_fmt_grouped(n, sizeof n, 100 * x, 2, delta),
                 delta ? " pp" : "%");
    } else {
        lift_fmt_grouped(n, sizeof n, x, 2, delta);
        with_unit(n, unit(r, m), out, len);
    }
}

void rpt_value(const lift_report *r, const rpt_metric *m, double x, char *out, size_t len)
{
    number(r, m, x, false, out, len);
}

void rpt_delta(const lift_report *r, const rpt_metric *m, double x, char *out, size_t len)
{
    number(r, m, x, true, out, len);
}

void rpt_money(const lift_report *r, double x, char *out, size_t len)
{
    char n[64];
    lift_fmt_grouped(n, sizeof n, x, 0, true);
    if (!isfinite(x))
        snprintf(out, len, "n/a");
    else
        with_unit(n, r->currency, out, len);
}

void rpt_when(int64_t t, char *out, size_t len)
{
    char iso[LIFT_TIME_LEN];
    if (!t) {
        snprintf(out, len, "none");
        return;
    }
    lift_time_format(t, iso);
    snprintf(out, len, "%.10s %.5s UTC", iso, iso + 11);
}
