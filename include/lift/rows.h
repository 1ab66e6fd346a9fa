/* The rows liftd stores: lift.events and lift.exposures as COPY (FORMAT csv) lines. Their
 * column layout is declared here, once; the ingest row writers, the writer's COPY
 * statements and its staging tables all expand it, and a test checks it against the
 * tables the migrations create.
 *
 * Each list is X-macro style: LIST(FIRST, NEXT) applies FIRST to the first column and
 * NEXT to every other, each as (name, SQL type). */
#ifndef LIFT_ROWS_H
#define LIFT_ROWS_H

#define LIFT_EVENT_ROW(FIRST, NEXT)                                                                \
    FIRST(event_id, text)                                                                          \
    NEXT(unit, text)                                                                               \
    NEXT(type, text)                                                                               \
    NEXT(value, float8)                                                                            \
    NEXT(currency, char(3))                                                                        \
    NEXT(ts, timestamptz)                                                                          \
    NEXT(props, jsonb)

#define LIFT_EXPOSURE_ROW(FIRST, NEXT)                                                             \
    FIRST(event_id, text)                                                                          \
    NEXT(unit, text)                                                                               \
    NEXT(experiment, text)                                                                         \
    NEXT(variant, text)                                                                            \
    NEXT(phase, integer)                                                                           \
    NEXT(ts, timestamptz)                                                                          \
    NEXT(attrs, jsonb)

#define LIFT_ROW_NAME_FIRST(name, type) #name
#define LIFT_ROW_NAME_NEXT(name, type)  ", " #name
#define LIFT_ROW_DEF_FIRST(name, type)  #name " " #type
#define LIFT_ROW_DEF_NEXT(name, type)   ", " #name " " #type

/* "event_id, unit, type, ...": a column list for COPY and INSERT. */
#define LIFT_EVENT_COLUMNS    LIFT_EVENT_ROW(LIFT_ROW_NAME_FIRST, LIFT_ROW_NAME_NEXT)
#define LIFT_EXPOSURE_COLUMNS LIFT_EXPOSURE_ROW(LIFT_ROW_NAME_FIRST, LIFT_ROW_NAME_NEXT)

/* "event_id text, unit text, ...": the same as column definitions. */
#define LIFT_EVENT_COLUMN_DEFS    LIFT_EVENT_ROW(LIFT_ROW_DEF_FIRST, LIFT_ROW_DEF_NEXT)
#define LIFT_EXPOSURE_COLUMN_DEFS LIFT_EXPOSURE_ROW(LIFT_ROW_DEF_FIRST, LIFT_ROW_DEF_NEXT)

#endif
