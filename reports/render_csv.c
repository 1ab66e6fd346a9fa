/* The CSV report: one row per metric x treatment x segment (the whole experiment first).
 * absolute_lo .. relative_hi are the marginal intervals; shown_* are those at ci_level, which
 * agree with `significant` and `label` under a correction or for a guardrail. Each row
 * leads with its treatment's decision and ends with the decision's reason codes. */
#include <math.h>
#include <string.h>

#include "lift/statsjson.h"
#include "model.h"

static void field(lift_buf *b, const char *s)
{
    lift_buf_csv_field(b, s, strlen(s));
    lift_buf_puts(b, ",");
}

static void number(lift_buf *b, double x, bool last)
{
    if (isfinite(x))
        lift_buf_json_num(b, x);
    lift_buf_puts(b, last ? "\n" : ",");
}

static void row(lift_buf *b, const lift_report *r, size_t m, int s, int v)
{
    const lift_result *res = rpt_result(r, m, s, v);
    const lift_comparison *c = &res->cmp;
    const lift_decision *d = &r->out.decisions[v - 1];
    field(b, lift_outcome_name(d->outcome));
    field(b, r->metrics[m].key);
    field(b, s < 0 ? "" : r->segments[s].attr);
    field(b, s < 0 ? "" : r->segments[s].value);
    field(b, r->variants[v]);
    field(b, lift_kind_name(r->metrics[m].kind));
    field(b, lift_test_status_name(c->status));
    number(b, c->control.n, false);
    number(b, c->control.n > 0 ? c->control.mean : (double)NAN, false);
    number(b, c->treatment.n, false);
    number(b, c->treatment.n > 0 ? c->treatment.mean : (double)NAN, false);
    const lift_estimate *e[] = {&c->abs, &c->rel};
    for (int k = 0; k < 2; k++) {
        number(b, e[k]->valid ? e[k]->estimate : (double)NAN, false);
        number(b, e[k]->valid ? e[k]->lo : (double)NAN, false);
        number(b, e[k]->valid ? e[k]->hi : (double)NAN, false);
    }
    number(b, c->rel.valid ? c->rel.p_value : (double)NAN, false);
    number(b, res->p_adjusted, false);
    lift_buf_puts(b, res->significant ? "true," : "false,");
    field(b, lift_label_name(res->label));
    field(b, lift_role_name(r->metrics[m].role));
    number(b, res->ci_level, false);
    const lift_interval *ci[] = {&res->abs_ci, &res->rel_ci};
    for (int k = 0; k < 2; k++) {
        number(b, e[k]->valid ? ci[k]->lo : (double)NAN, false);
        number(b, e[k]->valid ? ci[k]->hi : (double)NAN, false);
    }
    lift_buf codes;
    lift_buf_init(&codes);
    for (size_t k = 0; k < d->nreasons; k++)
        lift_buf_printf(&codes, "%s%s", k ? ";" : "", lift_reason_name(d->reasons[k].code));
    lift_buf_csv_field(b, codes.data ? codes.data : "", codes.len);
    lift_buf_puts(b, "\n");
    lift_buf_fini(&codes);
}

void rpt_render_csv(const lift_report *r, lift_buf *out)
{
    lift_buf_puts(out,
                  "decision,metric,segment_attribute,segment_value,variant,type,status,control_n,"
                  "control_mean,treatment_n,treatment_mean,absolute,absolute_lo,"
                  "absolute_hi,relative,relative_lo,relative_hi,p_value,p_value_adjusted,"
                  "significant,label,role,ci_level,shown_absolute_lo,shown_absolute_hi,"
                  "shown_relative_lo,shown_relative_hi,decision_reasons\n");
    for (int s = -1; s < (int)r->nsegments; s++)
        for (size_t m = 0; m < r->nmetrics; m++)
            for (int v = 1; v < r->nvariants; v++)
                row(out, r, m, s, v);
}
