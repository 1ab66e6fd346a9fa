/* The terminal summary (--format text): the decision with its reasons, the money, the
 * health checks, then one line per metric and treatment (and per segment) in aligned
 * columns, and whether sequential testing is on. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/xalloc.h"
#include "model.h"

/* Display width: code points (the cells are short and mostly ASCII). */
static size_t width(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void pad(lift_buf *b, const char *s, size_t w, bool last)
{
    lift_buf_puts(b, s);
    for (size_t n = width(s); !last && n < w + 2; n++)
        lift_buf_puts(b, " ");
}

/* Rows of cells (row-major, ncols each) under a header, in aligned columns. */
static void columns(lift_buf *out, const char *const *head, int ncols, char **cells, size_t nrows,
                    const char *indent)
{
    size_t *w = lift_xcalloc((size_t)ncols, sizeof *w);
    for (int c = 0; c < ncols; c++)
        w[c] = width(head[c]);
    for (size_t r = 0; r < nrows; r++)
        for (int c = 0; c < ncols; c++)
            if (width(cells[r * (size_t)ncols + (size_t)c]) > w[c])
                w[c] = width(cells[r * (size_t)ncols + (size_t)c]);
    lift_buf_puts(out, indent);
    for (int c = 0; c < ncols; c++)
        pad(out, head[c], w[c], c == ncols - 1);
    lift_buf_puts(out, "\n");
    for (size_t r = 0; r < nrows; r++) {
        lift_buf_puts(out, indent);
        for (int c = 0; c < ncols; c++)
            pad(out, cells[r * (size_t)ncols + (size_t)c], w[c], c == ncols - 1);
        lift_buf_puts(out, "\n");
    }
    free(w);
}

static void table(lift_buf *out, const rpt_table *t, const char *indent)
{
    columns(out, t->head, t->ncols, t->cells, t->nrows, indent);
}

/* Picks columns of a metric or segment table, prefixing the metric's name. */
static void add_rows(char ***cells, size_t *n, const rpt_table *t, const char *first,
                     const int *pick, int npick)
{
    for (size_t row = 0; row < t->nrows; row++) {
        *cells = lift_xrealloc(*cells, (*n + 1) * (size_t)(npick + 1) * sizeof **cells);
        char **c = *cells + *n * (size_t)(npick + 1);
        c[0] = lift_xstrdup(first);
        for (int k = 0; k < npick; k++)
            c[k + 1] = lift_xstrdup(t->cells[row * (size_t)t->ncols + (size_t)pick[k]]);
        (*n)++;
    }
}

static void free_rows(char **cells, size_t n, int ncols)
{
    for (size_t i = 0; i < n * (size_t)ncols; i++)
        free(cells[i]);
    free(cells);
}

void rpt_render_text(const lift_report *r, lift_buf *out)
{
    char as_of[LIFT_TIME_LEN], text[2048];
    lift_time_format(r->opts.as_of, as_of);
    lift_buf_printf(out, "%s (%s), phase %d, %s; as of %.16s UTC\n", r->name, r->key, r->phase,
                    r->status, as_of);
    if (r->opts.sequential)
        lift_buf_printf(out,
                        "Sequential testing: on (always-valid intervals, N* = %.0f): "
                        "looking early is safe.\n",
                        r->opts.tuning);
    else
        lift_buf_puts(out, "Sequential testing: off (fixed horizon: read at the planned sample "
                           "and duration).\n");
    for (size_t i = 0; i < r->out.ndecisions; i++) {
        const lift_decision *d = &r->out.decisions[i];
        lift_buf_printf(out, "\nDecision for %s: %s\n  %s\n", r->variants[d->variant],
                        rpt_outcome_label(d->outcome), d->summary);
        for (size_t k = 0; k < d->nreasons; k++)
            lift_buf_printf(out, "  - [%s] %s\n", lift_reason_name(d->reasons[k].code),
                            d->reasons[k].text);
    }
    lift_buf_puts(out, "\nMoney\n");
    for (int v = 1; v < r->nvariants; v++) {
        rpt_money_text(r, v, text, sizeof text);
        lift_buf_printf(out, "  %s\n", text);
        if (r->revenue < 0)
            break;
    }

    rpt_table t;
    lift_buf_puts(out, "\nHealth\n");
    rpt_health_table(r, &t);
    table(out, &t, "  ");
    rpt_table_fini(&t);

    /* Metrics: the whole experiment, then each segment attribute. */
    static const int pick[] = {0, 1, 2, 4, 5, 6, 7, 9};
    static const char *const head[] = {"Metric",   "Variant", "Control", "Treatment", "Lift [CI]",
                                       "CI level", "p",       "Adj. p",  "Result"};
    char **cells = NULL;
    size_t n = 0;
    for (size_t m = 0; m < r->nmetrics; m++) {
        rpt_metric_table(r, m, &t);
        add_rows(&cells, &n, &t, r->metrics[m].name, pick, 8);
        rpt_table_fini(&t);
    }
    lift_buf_puts(out, "\n");
    columns(out, head, 9, cells, n, "");
    free_rows(cells, n, 9);
    for (size_t i = 0; i < r->opts.nsegments; i++) {
        static const int spick[] = {1, 2, 3, 4, 5, 6, 7, 9};
        static const char *const shead[] = {"Segment",  "Metric",     "Variant",
                                            "Control",  "Treatment",  "Lift [CI]",
                                            "CI level", "Adjusted p", "Result"};
        rpt_segment_table(r, r->opts.segments[i], &t);
        cells = NULL;
        n = 0;
        for (size_t row = 0; row < t.nrows; row++) {
            rpt_table one = t;
            one.cells = t.cells + row * (size_t)t.ncols;
            one.nrows = 1;
            add_rows(&cells, &n, &one, t.cells[row * (size_t)t.ncols], spick, 8);
        }
        lift_buf_printf(out, "\nSegments by %s (corrected within this breakdown: %s)\n",
                        r->opts.segments[i], rpt_correction_text(r->opts.correction));
        columns(out, shead, 9, cells, n, "");
        free_rows(cells, n, 9);
        rpt_table_fini(&t);
    }
}
