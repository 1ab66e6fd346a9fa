/* The Markdown report: the HTML report's text and tables, without the plots. */
#include <stdio.h>
#include <string.h>

#include "model.h"

/* Table cells may hold '|' (a segment value, say): escape it. */
static void cell(lift_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '|')
            lift_buf_append(b, "\\", 1);
        lift_buf_append(b, *s == '\n' ? " " : s, 1);
    }
}

static void table(lift_buf *b, const rpt_table *t, bool header)
{
    if (t->nrows == 0)
        return;
    lift_buf_puts(b, "\n|");
    for (int c = 0; c < t->ncols; c++) {
        lift_buf_puts(b, " ");
        cell(b, header ? t->head[c] : " ");
        lift_buf_puts(b, " |");
    }
    lift_buf_puts(b, "\n|");
    for (int c = 0; c < t->ncols; c++)
        lift_buf_puts(b, c ? " ---: |" : " --- |");
    for (size_t r = 0; r < t->nrows; r++) {
        lift_buf_puts(b, "\n|");
        for (int c = 0; c < t->ncols; c++) {
            const char *v = t->cells[r * (size_t)t->ncols + (size_t)c];
            bool bold = c == 0 && *t->tags[r];
            lift_buf_puts(b, bold ? " **" : " ");
            cell(b, v);
            lift_buf_puts(b, bold ? "** |" : " |");
        }
    }
    lift_buf_puts(b, "\n");
}

void rpt_render_md(const lift_report *r, lift_buf *out)
{
    char as_of[LIFT_TIME_LEN], text[1024];
    lift_time_format(r->opts.as_of, as_of);
    lift_buf_printf(out, "# %s: lift report\n\nExperiment `%s`, phase %d, %s; as of %.16s UTC.\n",
                    r->name, r->key, r->phase, r->status, as_of);
    if (*r->hypothesis)
        lift_buf_printf(out, "\n> %s\n", r->hypothesis);
    rpt_srm_warning(r, text, sizeof text);
    if (*text)
        lift_buf_printf(out, "\n> **Warning. %s**\n", text);

    lift_buf_puts(out, "\n## Verdict\n\n");
    for (int v = 1; v < r->nvariants; v++) {
        rpt_outcome o = rpt_verdict(r, v, text, sizeof text);
        lift_buf_printf(out, "- **%s**: %s\n", rpt_outcome_name(o), text);
    }

    rpt_table t;
    lift_buf_puts(out, "\n## Exposure and power\n");
    rpt_power_table(r, &t);
    table(out, &t, false);
    rpt_table_fini(&t);

    lift_buf_puts(out, "\n## Metrics\n");
    for (size_t m = 0; m < r->nmetrics; m++) {
        lift_buf_printf(out, "\n### %s%s\n\n%s\n", r->metrics[m].name,
                        m == 0                    ? " (primary)"
                        : r->metrics[m].guardrail ? " (guardrail)"
                                                  : "",
                        r->metrics[m].description);
        rpt_metric_table(r, m, &t);
        table(out, &t, true);
        rpt_table_fini(&t);
    }
    for (size_t i = 0; i < r->opts.nsegments; i++) {
        lift_buf_printf(out, "\n## Segments: %s\n", r->opts.segments[i]);
        rpt_segment_table(r, r->opts.segments[i], &t);
        table(out, &t, true);
        rpt_table_fini(&t);
    }
    lift_buf_puts(out, "\n## Method\n\n");
    rpt_method_notes(r, &t);
    for (size_t i = 0; i < t.nrows; i++)
        lift_buf_printf(out, "- %s\n", t.cells[i]);
    rpt_table_fini(&t);
}
