/* The HTML report: one self-contained file (inline CSS and SVG, no scripts, no external
 * assets) with the decision first, then the money, the health panel, power and duration,
 * three plots, the tables and the method notes. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "model.h"
#include "svg.h"

static const char *const colors[] = {"#6b7280", "#2563eb", "#d97706",
                                     "#7c3aed", "#059669", "#db2777"};
#define COLOR(v) colors[(v) % (int)(sizeof colors / sizeof *colors)]

static const char CSS[] =
    "body{font:15px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#111827;"
    "max-width:1100px;margin:24px auto;padding:0 16px}"
    "h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid "
    "#e5e7eb;padding-bottom:4px}h3{font-size:16px;margin:18px 0 4px}"
    ".sub{color:#6b7280}.hyp{font-style:italic;color:#374151}"
    ".banner{padding:10px 14px;border-radius:6px;margin:12px 0;font-weight:600}"
    ".bad{background:#fee2e2;color:#991b1b;border:1px solid #fca5a5}"
    ".warn{background:#fef3c7;color:#92400e;border:1px solid #fcd34d}"
    ".decision{padding:10px 14px;border-radius:6px;margin:8px 0;border-left:6px solid #9ca3af;"
    "background:#f9fafb;font-weight:600}.decision.ship{border-color:#16a34a;background:#f0fdf4}"
    ".decision.rollback,.decision.invalid{border-color:#dc2626;background:#fef2f2}"
    ".decision.no_effect{border-color:#6b7280}"
    ".decision.keep_running{border-color:#d97706;background:#fffbeb}"
    ".reasons{font-weight:400;margin:6px 0 0;padding-left:20px}.reasons code{font-size:12px}"
    ".money p{margin:6px 0;font-size:16px}"
    "table.health td:nth-child(3){text-align:left}tr.warn td{background:#fffbeb}"
    ".tag{font-size:12px;text-transform:uppercase;letter-spacing:.05em;font-weight:700;"
    "margin-right:8px}"
    "table{border-collapse:collapse;margin:6px 0 10px;font-size:14px}"
    "th,td{padding:4px 10px;border-bottom:1px solid #e5e7eb;text-align:right}"
    "th:first-child,td:first-child{text-align:left}th{background:#f3f4f6;font-weight:600}"
    "tr.win td{background:#f0fdf4}tr.loss td{background:#fef2f2}"
    "td:last-child{font-weight:600}table.health td{font-weight:400}"
    "table.kv td{text-align:left}table.seg td:nth-child(2),table.seg td:nth-child(3){"
    "text-align:left}"
    "svg{display:block;margin:8px 0}svg text{font:12px system-ui,sans-serif;fill:#374151}"
    "svg .title{font-weight:600;font-size:13px}svg .axis{stroke:#9ca3af}"
    "svg .grid{stroke:#eef0f3}svg .zero{stroke:#111827;stroke-dasharray:4 3}"
    ".legend span{display:inline-block;margin-right:14px}"
    ".legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}"
    "ul.notes li{margin:4px 0}footer{margin-top:30px;color:#9ca3af;font-size:12px}";

static void esc(lift_buf *b, const char *s)
{
    svg_esc(b, s);
}

static void table(lift_buf *b, const rpt_table *t, bool header, const char *cls)
{
    if (t->nrows == 0)
        return;
    lift_buf_printf(b, "<table class=\"%s\">", cls);
    if (header) {
        lift_buf_puts(b, "<tr>");
        for (int c = 0; c < t->ncols; c++) {
            lift_buf_puts(b, "<th>");
            esc(b, t->head[c]);
            lift_buf_puts(b, "</th>");
        }
        lift_buf_puts(b, "</tr>");
    }
    for (size_t r = 0; r < t->nrows; r++) {
        lift_buf_printf(b, "<tr class=\"%s\">", t->tags[r]);
        for (int c = 0; c < t->ncols; c++) {
            lift_buf_puts(b, c == 0 && !header ? "<th>" : "<td>");
            esc(b, t->cells[r * (size_t)t->ncols + (size_t)c]);
            lift_buf_puts(b, c == 0 && !header ? "</th>" : "</td>");
        }
        lift_buf_puts(b, "</tr>");
    }
    lift_buf_puts(b, "</table>\n");
}

static void legend(lift_buf *b, const lift_report *r, int from)
{
    lift_buf_puts(b, "<div class=\"legend\">");
    for (int v = from; v < r->nvariants; v++) {
        lift_buf_printf(b, "<span><i style=\"background:%s\"></i>", COLOR(v));
        esc(b, r->variants[v]);
        lift_buf_puts(b, "</span>");
    }
    lift_buf_puts(b, "</div>\n");
}

/* Horizontal gridlines/ticks on a y scale, labelled as percentages or counts. */
static void y_axis(lift_buf *b, const svg_scale *y, double x0, double x1, bool pct)
{
    double ticks[12];
    int n = svg_ticks(y->d0, y->d1, ticks, 12);
    for (int i = 0; i < n; i++) {
        double py = svg_at(y, ticks[i]);
        char label[32];
        if (pct)
            svg_pct_tick(ticks[i], n > 1 ? ticks[1] - ticks[0] : 1, label, sizeof label);
        else
            snprintf(label, sizeof label, "%.0f", ticks[i]);
        lift_buf_printf(b, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>",
                        x0, x1, py, py);
        svg_text(b, x0 - 6, py + 4, "", "end", label);
    }
}

/* Date labels under a day axis: a handful, evenly spaced. */
static void day_axis(lift_buf *b, const lift_report *r, const svg_scale *x, double y)
{
    size_t step = r->ndays > 8 ? (r->ndays + 5) / 6 : 1;
    for (size_t d = 0; d < r->ndays; d += step) {
        char day[LIFT_TIME_LEN];
        lift_time_format(r->days[d].day, day);
        day[10] = '\0';
        svg_text(b, svg_at(x, (double)d), y, "", "middle", day + 5);
    }
}

/* Forest plot: relative lift with its CI, per metric and treatment. */
static void forest(lift_buf *b, const lift_report *r)
{
    const double W = 900, L = 250, R = 110, ROW = 26, TOP = 30;
    size_t rows = r->nmetrics * (size_t)(r->nvariants - 1);
    double lo = 0, hi = 0;
    for (size_t m = 0; m < r->nmetrics; m++)
        for (int v = 1; v < r->nvariants; v++) {
            const lift_result *res = rpt_result(r, m, -1, v);
            if (res->cmp.rel.valid) {
                lo = fmin(lo, res->rel_ci.lo);
                hi = fmax(hi, res->rel_ci.hi);
            }
        }
    /* One interval that spans hundreds of percent (a rare event, a small sample) would
     * squeeze every other row to a dot: the axis stops at +-100% and arrows mark the
     * intervals that go on. */
    lo = fmax(lo, -1);
    hi = fmin(hi, 1);
    double pad = (hi - lo) * 0.08 + 1e-3;
    svg_scale x = {lo - pad, hi + pad, L, W - R};
    double H = TOP + ROW * (double)rows + 30;
    lift_buf_printf(b,
                    "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" role=\"img\">"
                    "<title>Relative lift with the intervals of each result's call</title>",
                    W, H, W);
    svg_text(b, L, 16, "title", "start",
             "Relative lift by metric (bars: the intervals that agree with each call)");
    double ticks[12];
    int nt = svg_ticks(x.d0, x.d1, ticks, 12);
    for (int i = 0; i < nt; i++) {
        double px = svg_at(&x, ticks[i]);
        char label[32];
        svg_pct_tick(ticks[i], nt > 1 ? ticks[1] - ticks[0] : 1, label, sizeof label);
        lift_buf_printf(b, "<line class=\"grid\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\"/>",
                        px, px, TOP - 6, H - 24);
        svg_text(b, px, H - 8, "", "middle", label);
    }
    double zx = svg_at(&x, 0);
    lift_buf_printf(b, "<line class=\"zero\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\"/>", zx,
                    zx, TOP - 6, H - 24);
    size_t i = 0;
    for (size_t m = 0; m < r->nmetrics; m++)
        for (int v = 1; v < r->nvariants; v++, i++) {
            const lift_result *res = rpt_result(r, m, -1, v);
            const lift_estimate *e = &res->cmp.rel;
            double y = TOP + ROW * ((double)i + 0.5);
            char label[200];
            snprintf(label, sizeof label, "%s%s%s", r->metrics[m].name,
                     r->nvariants > 2 ? ", " : "", r->nvariants > 2 ? r->variants[v] : "");
            svg_text(b, L - 10, y + 4, "", "end", label);
            if (!e->valid) {
                svg_text(b, zx + 8, y + 4, "", "start", lift_test_status_name(res->cmp.status));
                continue;
            }
            const char *c = res->label == LIFT_LABEL_WIN    ? "#16a34a"
                            : res->label == LIFT_LABEL_LOSS ? "#dc2626"
                                                            : "#6b7280";
            const lift_interval *ci = &res->rel_ci;
            double x0 = svg_at(&x, fmax(ci->lo, x.d0)), x1 = svg_at(&x, fmin(ci->hi, x.d1));
            double xe = svg_at(&x, fmin(fmax(e->estimate, x.d0), x.d1));
            lift_buf_printf(b,
                            "<line x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\" stroke=\"%s\" "
                            "stroke-width=\"3\"/><circle cx=\"%.1f\" cy=\"%.1f\" r=\"5\" "
                            "fill=\"%s\"/>",
                            x0, x1, y, y, c, xe, y, c);
            if (ci->lo < x.d0)
                lift_buf_printf(b, "<path d=\"M%.1f %.1fl8 -5v10z\" fill=\"%s\"/>", x0, y, c);
            if (ci->hi > x.d1)
                lift_buf_printf(b, "<path d=\"M%.1f %.1fl-8 -5v10z\" fill=\"%s\"/>", x1, y, c);
            svg_text(b, W - R + 12, y + 4, "", "start", lift_label_name(res->label));
        }
    lift_buf_puts(b, "</svg>\n");
}

/* Cumulative relative lift of the primary metric by day of first exposure, with its CI. */
static void cumulative(lift_buf *b, const lift_report *r)
{
    const double W = 900, H = 300, L = 70, R = 20, T = 30, B = 40;
    /* The y range ignores the first fifth of the days, whose wide intervals would flatten
     * everything else; what goes beyond is clipped. */
    double lo = 0, hi = 0;
    for (size_t d = r->ndays / 5; d < r->ndays; d++)
        for (int v = 1; v < r->nvariants; v++)
            if (r->days[d].rel[v].valid) {
                lo = fmin(lo, r->days[d].rel[v].lo);
                hi = fmax(hi, r->days[d].rel[v].hi);
            }
    double pad = (hi - lo) * 0.1 + 1e-3;
    svg_scale x = {0, r->ndays > 1 ? (double)r->ndays - 1 : 1, L, W - R};
    svg_scale y = {lo - pad, hi + pad, H - B, T};
    lift_buf_printf(b,
                    "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" role=\"img\"><title>"
                    "Cumulative relative lift of the primary metric</title>"
                    "<defs><clipPath id=\"plot\"><rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" "
                    "height=\"%.0f\"/></clipPath></defs>",
                    W, H, W, L, T, W - L - R, H - T - B);
    char title[200];
    snprintf(title, sizeof title,
             "Cumulative relative lift in %s, by day of first exposure (%.4g%% %s band)",
             r->metrics[0].name, 100 * (1 - r->series_level),
             r->opts.sequential ? "always-valid" : "fixed-horizon");
    svg_text(b, L, 16, "title", "start", title);
    y_axis(b, &y, L, W - R, true);
    day_axis(b, r, &x, H - B + 18);
    double zy = svg_at(&y, 0);
    lift_buf_printf(b, "<line class=\"zero\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\"/>", L,
                    W - R, zy, zy);
    lift_buf_puts(b, "<g clip-path=\"url(#plot)\">");
    for (int v = 1; v < r->nvariants; v++) {
        lift_buf_printf(b, "<polygon fill=\"%s\" fill-opacity=\"0.15\" points=\"", COLOR(v));
        for (size_t d = 0; d < r->ndays; d++)
            if (r->days[d].rel[v].valid)
                lift_buf_printf(b, "%.1f,%.1f ", svg_at(&x, (double)d),
                                svg_at(&y, r->days[d].rel[v].hi));
        for (size_t d = r->ndays; d-- > 0;)
            if (r->days[d].rel[v].valid)
                lift_buf_printf(b, "%.1f,%.1f ", svg_at(&x, (double)d),
                                svg_at(&y, r->days[d].rel[v].lo));
        lift_buf_printf(b,
                        "\"/><polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" "
                        "points=\"",
                        COLOR(v));
        for (size_t d = 0; d < r->ndays; d++)
            if (r->days[d].rel[v].valid)
                lift_buf_printf(b, "%.1f,%.1f ", svg_at(&x, (double)d),
                                svg_at(&y, r->days[d].rel[v].estimate));
        lift_buf_puts(b, "\"/>");
    }
    lift_buf_puts(b, "</g></svg>\n");
    legend(b, r, 1);
}

/* Shoppers first exposed per day, per variant. */
static void daily(lift_buf *b, const lift_report *r)
{
    const double W = 900, H = 240, L = 70, R = 20, T = 30, B = 40;
    double hi = 1;
    for (size_t d = 0; d < r->ndays; d++)
        for (int v = 0; v < r->nvariants; v++)
            hi = fmax(hi, (double)r->days[d].units[v]);
    svg_scale x = {0, r->ndays > 1 ? (double)r->ndays - 1 : 1, L, W - R};
    svg_scale y = {0, hi * 1.08, H - B, T};
    lift_buf_printf(b,
                    "<svg viewBox=\"0 0 %.0f %.0f\" width=\"%.0f\" role=\"img\"><title>Daily "
                    "exposures per variant</title>",
                    W, H, W);
    svg_text(b, L, 16, "title", "start", "Shoppers first exposed per day");
    y_axis(b, &y, L, W - R, false);
    day_axis(b, r, &x, H - B + 18);
    for (int v = 0; v < r->nvariants; v++) {
        lift_buf_printf(b, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"",
                        COLOR(v));
        for (size_t d = 0; d < r->ndays; d++)
            lift_buf_printf(b, "%.1f,%.1f ", svg_at(&x, (double)d),
                            svg_at(&y, (double)r->days[d].units[v]));
        lift_buf_puts(b, "\"/>");
    }
    lift_buf_puts(b, "</svg>\n");
    legend(b, r, 0);
}

/* A table's tag as a CSS class: labels and statuses. */
static void section(lift_buf *out, const char *title)
{
    lift_buf_puts(out, "<h2>");
    esc(out, title);
    lift_buf_puts(out, "</h2>\n");
}

static void decisions(lift_buf *out, const lift_report *r)
{
    static const char *const classes[] = {"ship", "rollback", "keep_running", "no_effect",
                                          "invalid"};
    section(out, "Decision");
    for (size_t i = 0; i < r->out.ndecisions; i++) {
        const lift_decision *d = &r->out.decisions[i];
        lift_buf_printf(out, "<div class=\"decision %s\"><span class=\"tag\">%s</span> ",
                        classes[d->outcome], rpt_outcome_label(d->outcome));
        esc(out, d->summary);
        lift_buf_puts(out, "<ul class=\"reasons\">");
        for (size_t k = 0; k < d->nreasons; k++) {
            lift_buf_printf(out, "<li><code>%s</code> ", lift_reason_name(d->reasons[k].code));
            esc(out, d->reasons[k].text);
            lift_buf_puts(out, "</li>");
        }
        lift_buf_puts(out, "</ul></div>\n");
    }
}

static void money(lift_buf *out, const lift_report *r)
{
    char text[2048];
    rpt_table t;
    section(out, *r->currency ? "Money" : "Money (no currency: no event carries a value)");
    lift_buf_puts(out, "<div class=\"money\">");
    for (int v = 1; v < r->nvariants; v++) {
        rpt_money_text(r, v, text, sizeof text);
        lift_buf_puts(out, "<p>");
        esc(out, text);
        lift_buf_puts(out, "</p>");
        if (r->revenue < 0)
            break;
    }
    lift_buf_puts(out, "</div>\n");
    rpt_money_table(r, &t);
    table(out, &t, true, "");
    rpt_table_fini(&t);
}

void rpt_render_html(const lift_report *r, lift_buf *out)
{
    char as_of[LIFT_TIME_LEN];
    lift_time_format(r->opts.as_of, as_of);
    lift_buf_puts(out, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                       "<meta name=\"viewport\" content=\"width=device-width,initial-scale=1\">"
                       "<title>");
    esc(out, r->name);
    lift_buf_printf(out, ": lift report</title><style>%s</style></head><body>\n<h1>", CSS);
    esc(out, r->name);
    lift_buf_puts(out, "</h1><div class=\"sub\">Experiment <code>");
    esc(out, r->key);
    lift_buf_printf(
        out, "</code>, phase %d, %s; as of %.16s UTC; %s</div>\n", r->phase, r->status, as_of,
        r->opts.sequential ? "sequential testing (always-valid)" : "fixed-horizon testing");
    if (*r->hypothesis) {
        lift_buf_puts(out, "<p class=\"hyp\">");
        esc(out, r->hypothesis);
        lift_buf_puts(out, "</p>\n");
    }
    decisions(out, r);
    money(out, r);
    rpt_table t;
    section(out, "Health");
    rpt_health_table(r, &t);
    table(out, &t, true, "health");
    rpt_table_fini(&t);
    section(out, "Power and duration");
    rpt_power_table(r, &t);
    table(out, &t, true, "");
    rpt_table_fini(&t);

    section(out, "Lift by metric");
    forest(out, r);
    section(out, "Over time");
    cumulative(out, r);
    daily(out, r);

    section(out, "Metrics");
    for (size_t m = 0; m < r->nmetrics; m++) {
        char role[64];
        rpt_role_text(&r->metrics[m], role, sizeof role);
        lift_buf_puts(out, "<h3>");
        esc(out, r->metrics[m].name);
        lift_buf_puts(out, " <small>");
        esc(out, role);
        lift_buf_puts(out, "</small></h3><div class=\"sub\">");
        esc(out, r->metrics[m].description);
        lift_buf_puts(out, "</div>\n");
        rpt_metric_table(r, m, &t);
        table(out, &t, true, "");
        rpt_table_fini(&t);
    }
    for (size_t i = 0; i < r->opts.nsegments; i++) {
        char title[256];
        snprintf(title, sizeof title, "Segments: %s (corrected within this breakdown: %s)",
                 r->opts.segments[i], rpt_correction_text(r->opts.correction));
        section(out, title);
        rpt_segment_table(r, r->opts.segments[i], &t);
        table(out, &t, true, "seg");
        rpt_table_fini(&t);
    }
    lift_buf_puts(out, "<h2>Method</h2><ul class=\"notes\">");
    rpt_method_notes(r, &t);
    for (size_t i = 0; i < t.nrows; i++) {
        lift_buf_puts(out, "<li>");
        esc(out, t.cells[i]);
        lift_buf_puts(out, "</li>");
    }
    rpt_table_fini(&t);
    char generated[LIFT_TIME_LEN];
    lift_time_format(r->generated_at, generated);
    lift_buf_printf(out, "</ul><footer>Generated by lift at %.19s UTC.</footer></body></html>\n",
                    generated);
}
