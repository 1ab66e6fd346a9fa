/* liftctl explain: for every experiment, why this shopper is in it or not. The reasons
 * come from lift_assign_explain, the same gates and hashes as the assignment itself
 * (core/assign.c), so the explanation cannot drift from what liftd serves. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "lift/assign.h"
#include "lift/text.h"
#include "lift/xalloc.h"
#include "request.h"

static const char USAGE[] =
    "usage: liftctl explain --unit U [--attr NAME=VALUE]... [--experiment KEY]\n"
    "                       [--config FILE.json] [--at TIME] [--no-consent] [--json]\n"
    "Says, for every experiment (drafts and stopped ones too), whether the shopper is in it\n"
    "and why: its status and time window, a QA override, a running holdout that holds the\n"
    "shopper out, the shopper's position in the layer against the experiment's range, the\n"
    "audience condition that fails, and the bucketing hash against coverage and the\n"
    "variants' ranges. Reasons are checked in that order. The same evaluation as\n"
    "liftctl assign and liftd (the shopper gets exactly the experiments marked \"in\").\n"
    "--json prints one object per experiment.\n";

static const char *status_name(lift_status s)
{
    return s == LIFT_STATUS_RUNNING ? "running" : s == LIFT_STATUS_DRAFT ? "draft" : "stopped";
}

/* `country in ["DE","AT"]` */
static void describe_cond(lift_buf *b, const lift_cond *c)
{
    lift_buf_printf(b, "%.*s %s ", (int)c->attr_len, c->attr, lift_op_name(c->op));
    if (c->op == LIFT_OP_EXISTS) {
        lift_buf_puts(b, c->exists ? "true" : "false");
        return;
    }
    bool list = c->op == LIFT_OP_IN || c->op == LIFT_OP_NIN;
    if (list)
        lift_buf_puts(b, "[");
    for (size_t i = 0; i < c->nvalues; i++) {
        const lift_cond_value *v = &c->values[i];
        if (i)
            lift_buf_puts(b, ",");
        if (v->is_num)
            lift_buf_json_num(b, v->num);
        else if (v->is_bool)
            lift_buf_puts(b, v->truth ? "true" : "false");
        else
            lift_buf_json_str(b, v->str, v->len);
    }
    if (list)
        lift_buf_puts(b, "]");
}

/* What the shopper sent for the condition's attribute. */
static void describe_attr(lift_buf *b, const lift_cond *c, const lift_request *req)
{
    for (size_t i = 0; i < req->nattrs; i++)
        if (req->attrs[i].name_len == c->attr_len &&
            !memcmp(req->attrs[i].name, c->attr, c->attr_len)) {
            lift_buf_printf(b, "%.*s=", (int)c->attr_len, c->attr);
            lift_buf_json_str(b, req->attrs[i].value, req->attrs[i].value_len);
            return;
        }
    lift_buf_printf(b, "no %.*s attribute", (int)c->attr_len, c->attr);
}

/* One line of text for experiment e. */
static void describe(lift_buf *b, const lift_config *cfg, const lift_experiment *e,
                     const lift_explanation *x, const lift_request *req)
{
    const char *layer = e->layer >= 0 ? cfg->layers[e->layer].name : NULL;
    switch (x->why) {
    case LIFT_WHY_IN: {
        const double *r = e->ranges[x->variant];
        lift_buf_printf(b, "in: %s (variant %d): hash %.4f is in its range [%.4g, %.4g)",
                        e->variants[x->variant].key, x->variant, x->hash, r[0], r[1]);
        break;
    }
    case LIFT_WHY_OVERRIDE:
        lift_buf_printf(b, "in: %s by QA override (served, no exposure logged)",
                        e->variants[x->variant].key);
        break;
    case LIFT_WHY_NO_CONSENT:
        lift_buf_printf(b, "not in: no consent; served the control %s, nothing logged",
                        e->variants[x->variant].key);
        break;
    case LIFT_WHY_STATUS:
        lift_buf_printf(b, "not in: the experiment is %s", status_name(e->status));
        break;
    case LIFT_WHY_NOT_STARTED:
    case LIFT_WHY_ENDED: {
        char t[LIFT_TIME_LEN];
        lift_time_format(x->why == LIFT_WHY_ENDED ? e->end : e->start, t);
        lift_buf_printf(b, "not in: %s %s",
                        x->why == LIFT_WHY_ENDED ? "it ended at" : "it starts at", t);
        break;
    }
    case LIFT_WHY_HELD_OUT: {
        const lift_experiment *h = &cfg->experiments[x->holdout];
        lift_buf_printf(b, "not in: held out by %s (its control %s gets no other experiment)",
                        h->key, h->variants[h->control].key);
        break;
    }
    case LIFT_WHY_LAYER:
        lift_buf_printf(b, "not in: position %.4f in layer %s is outside its range [%.4g, %.4g)",
                        x->layer_hash, layer, e->layer_lo, e->layer_hi);
        break;
    case LIFT_WHY_AUDIENCE: {
        const lift_cond *c = &e->conds[x->condition];
        lift_buf_printf(b, "not in: audience condition %d of %zu fails: ", x->condition + 1,
                        e->nconds);
        describe_cond(b, c);
        lift_buf_puts(b, " (");
        describe_attr(b, c, req);
        lift_buf_puts(b, ")");
        break;
    }
    case LIFT_WHY_COVERAGE:
        lift_buf_printf(b, "not in: coverage %g%%: hash %.4f is in none of the variants' ranges (",
                        100 * e->coverage, x->hash);
        for (int v = 0; v < e->nvariants; v++)
            lift_buf_printf(b, "%s%s [%.4g, %.4g)", v ? ", " : "", e->variants[v].key,
                            e->ranges[v][0], e->ranges[v][1]);
        lift_buf_puts(b, ")");
        break;
    }
    if (layer && x->why != LIFT_WHY_LAYER && x->layer_hash >= 0)
        lift_buf_printf(b, "; layer %s position %.4f in [%.4g, %.4g)", layer, x->layer_hash,
                        e->layer_lo, e->layer_hi);
}

static void json_line(lift_buf *b, const lift_config *cfg, const lift_experiment *e,
                      const lift_explanation *x, const lift_request *req)
{
    lift_jw w;
    lift_jw_init(&w, b, false);
    lift_jw_obj(&w);
    lift_jw_key(&w, "experiment");
    lift_jw_str(&w, e->key);
    lift_jw_key(&w, "in");
    lift_jw_bool(&w, x->why == LIFT_WHY_IN || x->why == LIFT_WHY_OVERRIDE);
    lift_jw_key(&w, "reason");
    lift_jw_str(&w, lift_why_name(x->why));
    lift_jw_key(&w, "variant");
    if (x->variant >= 0)
        lift_jw_str(&w, e->variants[x->variant].key);
    else
        lift_jw_null(&w);
    if (x->hash >= 0)
        lift_jw_key_num(&w, "hash", x->hash);
    if (x->layer_hash >= 0)
        lift_jw_key_num(&w, "layer_position", x->layer_hash);
    if (x->why == LIFT_WHY_AUDIENCE) {
        lift_buf cond;
        lift_buf_init(&cond);
        describe_cond(&cond, &e->conds[x->condition]);
        lift_jw_key(&w, "condition");
        lift_jw_str(&w, cond.data);
        lift_buf_fini(&cond);
    }
    if (x->why == LIFT_WHY_HELD_OUT)
        lift_jw_key_str(&w, "holdout", cfg->experiments[x->holdout].key);
    lift_buf tmp;
    lift_buf_init(&tmp);
    describe(&tmp, cfg, e, x, req);
    lift_jw_key(&w, "text");
    lift_jw_str(&w, tmp.data);
    lift_buf_fini(&tmp);
    lift_jw_end(&w);
}

int cmd_explain(int argc, char **argv)
{
    static const struct option opts[] = {CLI_SHOPPER_OPTIONS,
                                         {"json", no_argument, NULL, 'j'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool json = false;
    cli_shopper sh;
    cli_shopper_init(&sh);
    const lift_request *req = &sh.req;
    int c, rc;
    while ((c = cli_getopt(argc, argv, opts, "explain")) != -1) {
        if ((rc = cli_shopper_option(&sh, c, optarg, "explain")) >= 0) {
            if (rc != CLI_OK)
                return rc;
        } else if (c == 'j') {
            json = true;
        } else if (c == 'h') {
            fputs(USAGE, stdout);
            return CLI_OK;
        } else {
            return CLI_USAGE;
        }
    }
    if (cli_extra_args(argc, argv, "explain") != CLI_OK)
        return CLI_USAGE;
    if (!sh.unit) {
        fputs(USAGE, stderr);
        return CLI_USAGE;
    }
    lift_config *cfg = cli_shopper_config(&sh, "explain", &rc);
    if (!cfg)
        return rc;
    lift_explanation *x = lift_xcalloc(cfg->nexperiments + 1, sizeof *x);
    lift_err err;
    if (lift_assign_explain(cfg, req, x, &err) != LIFT_OK) {
        rc = cli_fail(CLI_USAGE, "explain", "%s", err.msg);
    } else {
        if (!json) {
            char at[LIFT_TIME_LEN];
            lift_time_format(req->now, at);
            printf("%s at %s, consent %s, %zu attribute%s, config version %lld:\n", sh.unit, at,
                   req->consent ? "yes" : "no", req->nattrs, req->nattrs == 1 ? "" : "s",
                   (long long)cfg->version);
        }
        lift_buf b;
        lift_buf_init(&b);
        for (size_t i = 0; i < cfg->nexperiments; i++) {
            if (req->only >= 0 && (int)i != req->only)
                continue;
            const lift_experiment *e = &cfg->experiments[i];
            lift_buf_reset(&b);
            if (json) {
                json_line(&b, cfg, e, &x[i], req);
                puts(b.data);
            } else {
                describe(&b, cfg, e, &x[i], req);
                printf("  %-20s %s\n", e->key, b.data);
            }
        }
        if (cfg->nexperiments == 0 && !json)
            printf("  (no experiments)\n");
        lift_buf_fini(&b);
    }
    free(x);
    lift_config_free(cfg);
    return rc;
}
