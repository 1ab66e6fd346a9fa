/* The terminal summary (--format text): the verdict, then one line per metric and
 * treatment with the means, the relative lift and its interval, p, adjusted p and the
 * result, in aligned columns. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lift/xalloc.h"
#include "model.h"

#define COLS 8

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

void rpt_render_text(const lift_report *r, lift_buf *out)
{
    char as_of[LIFT_TIME_LEN], text[1024], ci[48];
    lift_time_format(r->opts.as_of, as_of);
    lift_buf_printf(out, "%s (%s), phase %d, %s; as of %.16s UTC\n", r->name, r->key, r->phase,
                    r->status, as_of);
    rpt_srm_warning(r, text, sizeof text);
    if (*text)
        lift_buf_printf(out, "WARNING: %s\n", text);
    for (int v = 1; v < r->nvariants; v++) {
        rpt_outcome o = rpt_verdict(r, v, text, sizeof text);
        lift_buf_printf(out, "Verdict (%s): %s\n", rpt_outcome_name(o), text);
    }

    snprintf(ci, sizeof ci, "Lift [%g%% CI]", 100 * (1 - r->opts.alpha));
    const char *head[COLS] = {"Metric", "Variant", "Control", "Treatment",
                              ci,       "p",       "Adj. p",  "Result"};
    /* Rows: every metric's table, columns picked from it (see rpt_metric_table). */
    static const int pick[COLS - 1] = {0, 1, 2, 4, 5, 6, 8};
    rpt_table *tables = lift_xcalloc(r->nmetrics, sizeof *tables);
    size_t w[COLS];
    for (int c = 0; c < COLS; c++)
        w[c] = width(head[c]);
    for (size_t m = 0; m < r->nmetrics; m++) {
        rpt_metric_table(r, m, &tables[m]);
        if (width(r->metrics[m].name) > w[0])
            w[0] = width(r->metrics[m].name);
        for (size_t row = 0; row < tables[m].nrows; row++)
            for (int c = 1; c < COLS; c++) {
                size_t n = width(tables[m].cells[row * 9 + (size_t)pick[c - 1]]);
                if (n > w[c])
                    w[c] = n;
            }
    }
    lift_buf_puts(out, "\n");
    for (int c = 0; c < COLS; c++)
        pad(out, head[c], w[c], c == COLS - 1);
    lift_buf_puts(out, "\n");
    for (size_t m = 0; m < r->nmetrics; m++) {
        for (size_t row = 0; row < tables[m].nrows; row++) {
            const char *tag = tables[m].tags[row];
            pad(out, r->metrics[m].name, w[0], false);
            for (int c = 1; c < COLS; c++) {
                const char *cell = tables[m].cells[row * 9 + (size_t)pick[c - 1]];
                if (c == COLS - 1)
                    cell = *tag ? tag : *cell ? cell : "-";
                pad(out, cell, w[c], c == COLS - 1);
            }
            lift_buf_puts(out, "\n");
        }
        rpt_table_fini(&tables[m]);
    }
    free(tables);
}
