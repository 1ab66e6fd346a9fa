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
            bool bold = c == 0 && (!strcmp(t->tags[r], "win") || !strcmp(t->tags[r], "loss"));
            lift_buf_puts(b, bold ? " **" : " ");
            cell(b, v);
            lift_buf_puts(b, bold ? "** |" : " |");
        }
    }
    lift_buf_puts(b, "\n");
}

void rpt_render_md(const lift_report *r, lift_buf *out)
{
    char as_of[LIFT_TIME_LEN], text[2048];
    lift_time_format(r->opts.as_of, as_of);
    lift_buf_printf(out, "# %s: lift report\n\nExperiment `%s`, phase %d, %s; as of %.16s UTC. ",
                    r->name, r->key, r->phase, r->status, as_of);
    if (r->opts.sequential)
        lift_buf_printf(out, "Sequential testing on (always-valid, N* = %.0f).\n", r->opts.tuning);
    else
        lift_buf_puts(out, "Fixed-horizon testing (read at the planned sample and duration).\n");
    if (*r->hypothesis)
        lift_buf_printf(out, "\n> %s\n", r->hypothesis);

    lift_buf_puts(out, "\n## Decision\n");
    for (size_t i = 0; i < r->out.ndecisions; i++) {
        const lift_decision *d = &r->out.decisions[i];
        lift_buf_printf(out, "\n**%s: %s**. ", r->variants[d->variant],
                        rpt_outcome_label(d->outcome));
        cell(out, d->summary);
        lift_buf_puts(out, "\n\n");
        for (size_t k = 0; k < d->nreasons; k++) {
            lift_buf_printf(out, "- `%s` ", lift_reason_name(d->reasons[k].code));
            cell(out, d->reasons[k].text);
            lift_buf_puts(out, "\n");
        }
    }

    rpt_table t;
    lift_buf_puts(out, "\n## Money\n\n");
    for (int v = 1; v < r->nvariants; v++) {
        rpt_money_text(r, v, text, sizeof text);
        lift_buf_printf(out, "%s\n\n", text);
        if (r->revenue < 0)
            break;
    }
    rpt_money_table(r, &t);
    table(out, &t, true);
    rpt_table_fini(&t);

    lift_buf_puts(out, "\n## Health\n");
    rpt_health_table(r, &t);
    table(out, &t, true);
    rpt_table_fini(&t);

    lift_buf_puts(out, "\n## Power and duration\n");
    rpt_power_table(r, &t);
    table(out, &t, true);
    rpt_table_fini(&t);

    lift_buf_puts(out, "\n## Metrics\n");
    for (size_t m = 0; m < r->nmetrics; m++) {
        char role[64];
        rpt_role_text(&r->metrics[m], role, sizeof role);
        lift_buf_printf(out, "\n### %s %s\n\n%s\n", r->metrics[m].name, role,
                        r->metrics[m].description);
        rpt_metric_table(r, m, &t);
        table(out, &t, true);
        rpt_table_fini(&t);
    }
    for (size_t i = 0; i < r->opts.nsegments; i++) {
        lift_buf_printf(out, "\n## Segments: %s\n\nCorrected within this breakdown (%s).\n",
                        r->opts.segments[i], rpt_correction_text(r->opts.correction));
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
