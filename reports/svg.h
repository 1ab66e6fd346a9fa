/* Inline SVG for the HTML report: linear scales, nice ticks, escaped text. Private. */
#ifndef LIFT_REPORT_SVG_H
#define LIFT_REPORT_SVG_H

#include "lift/text.h"

/* Maps [d0, d1] onto [r0, r1]. */
typedef struct svg_scale {
    double d0, d1, r0, r1;
} svg_scale;

double svg_at(const svg_scale *s, double x);

/* Up to ~6 round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart).
 * Returns how many were written to ticks[]. */
int svg_ticks(double lo, double hi, double *ticks, int max);

/* A percentage tick label with as many decimals as the tick step needs ("+20%", "-2.5%",
 * "0%"). */
void svg_pct_tick(double x, double step, char *out, size_t len);

/* Appends s with & < > " escaped (for HTML text and attributes alike). */
void svg_esc(lift_buf *b, const char *s);

/* <text x y class>escaped</text> */
void svg_text(lift_buf *b, double x, double y, const char *cls, const char *anchor, const char *s);

#endif
