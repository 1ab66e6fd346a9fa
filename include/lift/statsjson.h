/* The stats engine's JSON contract (docs/statistics.md, liftctl stats): requests in,
 * results out. Reports write their results with the same functions. */
#ifndef LIFT_STATSJSON_H
#define LIFT_STATSJSON_H

#include <stddef.h>

#include "lift/err.h"
#include "lift/stats.h"
#include "lift/text.h"

/* A parsed request; `analysis` points into storage the request owns. */
typedef struct lift_stats_request {
    lift_analysis analysis;
    const char **variants; /* names, control first */
    struct json_t *doc;    /* keeps the strings alive */
    void *storage;
} lift_stats_request;

/* Parses and validates a request. LIFT_EINVAL with err naming the field
 * ("metrics[1].data[0].sum_sq: missing") for anything malformed. */
int lift_statsjson_parse(const char *text, size_t len, lift_stats_request *req, lift_err *err);
void lift_statsjson_fini(lift_stats_request *req); /* safe on a zeroed request */

/* Writes the whole result document {"decisions": [...], "srm": ..., "settings": ...,
 * "results": [...]}. */
void lift_statsjson_write(lift_jw *w, const lift_analysis *a, const char *const *variants,
                          const lift_analysis_out *out);

/* The pieces, for documents that embed them: the SRM object (or null), the settings
 * object, and one result object. */
void lift_statsjson_write_srm(lift_jw *w, const lift_analysis_out *out);
void lift_statsjson_write_settings(lift_jw *w, const lift_analysis *a);
void lift_statsjson_write_result(lift_jw *w, const lift_analysis *a, const char *const *variants,
                                 const lift_result *r);
/* The decisions array [{"variant", "outcome", "summary", "days_left", "reasons": [{"code",
 * "metric", "text"}]}], one per treatment: the object every report leads with. */
void lift_statsjson_write_decisions(lift_jw *w, const lift_analysis *a, const char *const *variants,
                                    const lift_analysis_out *out);

/* "proportion", "mean", "ratio"; "none", "holm", "bh"; and back (-1 for another name). */
const char *lift_kind_name(lift_kind k);
const char *lift_correction_name(lift_correction c);
int lift_kind_parse(const char *name);
int lift_correction_parse(const char *name);

#endif
