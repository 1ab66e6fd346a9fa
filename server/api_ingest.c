/* POST /v1/events and /v1/exposures: check the batch, hand it to the writer, answer 202
 * only after it is committed (the connection is suspended meanwhile). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "access.h"
#include "http.h"
#include "ingest.h"

/* The writer's thread calls this after COMMIT (or failure): wake the connection; MHD then
 * calls the handler again, which answers from the job. */
static void job_done(lift_job *job)
{
    lift_http_request *req = job->arg;
    atomic_store(&req->job_state, JOB_DONE);
    MHD_resume_connection(req->conn);
}

static enum MHD_Result answer(lift_http_request *req)
{
    lift_job *job = &req->job;
    if (job->status != 202)
        return lift_http_error(req, (unsigned)job->status,
                               job->status == 503 ? "unavailable" : "database_error", job->message,
                               NULL);
    lift_buf b;
    lift_buf_init(&b);
    lift_buf_printf(&b, "{\"accepted\":%ld,\"duplicates\":%ld}", job->accepted, job->duplicates);
    return lift_http_json(req, MHD_HTTP_ACCEPTED, &b);
}

static enum MHD_Result ingest(lift_http_request *req, lift_table table)
{
    lift_app *app = req->app;
    if (atomic_load(&req->job_state) == JOB_DONE) {
        /* MHD has resumed the connection: only now may shutdown stop the daemon. */
        lift_http_release(req);
        return answer(req);
    }
    /* The snapshot is pinned from the key check to the end of parsing: client keys and
     * the experiments of exposures come from it. */
    lift_pin pin;
    const lift_config *cfg = lift_snapshot_enter(app->snaps, &pin);
    lift_caller who;
    enum MHD_Result refused;
    if (!lift_access(req, cfg, true, &who, &refused)) {
        lift_snapshot_leave(app->snaps, &pin);
        return refused;
    }
    const char *problem = NULL, *code = NULL;
    unsigned status = 0;
    if (!lift_http_json_content(req))
        status = MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, code = "unsupported_media_type",
        problem = "send the batch as Content-Type: application/json";
    else if (atomic_load(&app->stopping))
        status = MHD_HTTP_SERVICE_UNAVAILABLE, code = "unavailable",
        problem = "liftd is shutting down; retry later";
    else if (!lift_writer_up(app->writer))
        status = MHD_HTTP_SERVICE_UNAVAILABLE, code = "unavailable",
        problem = "the database is unavailable; retry later";
    if (problem) {
        lift_snapshot_leave(app->snaps, &pin);
        return lift_http_error(req, status, code, problem,
                               status == MHD_HTTP_UNSUPPORTED_MEDIA_TYPE ? "Content-Type" : NULL);
    }

    lift_job *job = &req->job;
    lift_err err;
    lift_buf_init(&job->rows);
    job->table = table;
    int rc;
    const char *body = req->body.data ? req->body.data : "";
    lift_ingest in = {lift_time_now(), app->opts->max_batch, app->pseudo, cfg, who.client};
    if (table == LIFT_TABLE_EVENTS)
        rc = lift_ingest_events(&in, body, req->body.len, &job->rows, &job->nrows, &err);
    else
        rc = cfg ? lift_ingest_exposures(&in, body, req->body.len, &job->rows, &job->nrows, &err)
                 : lift_err_set(&err, LIFT_EUNAVAIL, "no experiment config loaded yet");
    lift_snapshot_leave(app->snaps, &pin);
    if (rc == LIFT_EPERM)
        return lift_http_error(req, MHD_HTTP_FORBIDDEN, "event_type_not_allowed", err.msg,
                               err.field);
    if (rc == LIFT_EUNAVAIL)
        return lift_http_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready", err.msg, NULL);
    if (rc != LIFT_OK)
        return lift_http_error(
            req, rc == LIFT_EINVAL ? MHD_HTTP_BAD_REQUEST : MHD_HTTP_INTERNAL_SERVER_ERROR,
            rc == LIFT_EINVAL ? "invalid_batch" : "internal", err.msg, err.field);
    if (job->nrows == 0) {
        job->status = 202;
        return answer(req);
    }
    /* Count the suspension before looking at `stopping` once more: shutdown sets stopping,
     * then waits for the count to reach 0, so either it waits for us or we see it. */
    atomic_fetch_add(&app->suspended, 1);
    req->counted = true;
    if (atomic_load(&app->stopping)) {
        lift_http_release(req);
        return lift_http_error(req, MHD_HTTP_SERVICE_UNAVAILABLE, "unavailable",
                               "liftd is shutting down; retry later", NULL);
    }
    /* Suspend before submitting: the writer may finish (and resume) at once. */
    job->done = job_done;
    job->arg = req;
    atomic_store(&req->job_state, JOB_WAITING);
    MHD_suspend_connection(req->conn);
    if (lift_writer_submit(app->writer, job, &err) != LIFT_OK) {
        job->status = 503;
        snprintf(job->message, sizeof job->message, "%.190s", err.msg);
        job_done(job);
    }
    return MHD_YES;
}

enum MHD_Result lift_api_events(lift_http_request *req)
{
    return ingest(req, LIFT_TABLE_EVENTS);
}

enum MHD_Result lift_api_exposures(lift_http_request *req)
{
    return ingest(req, LIFT_TABLE_EXPOSURES);
}
