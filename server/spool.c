/* The exposure spool file: append, read back in order, truncate when replayed. */
#include "spool.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lift/files.h"
#include "lift/log.h"

struct lift_spool {
    pthread_mutex_t lock;
    int fd;
    int lock_fd;     /* dir/liftd.lock, flock()ed for the process's life */
    size_t size;     /* bytes in the file */
    size_t replayed; /* bytes already committed from its start */
    bool ok;
    char path[1100];
    lift_metrics *m;
};

static void publish(lift_spool *s)
{
    atomic_store_explicit(&s->m->spool_pending_bytes, (long)(s->size - s->replayed),
                          memory_order_relaxed);
    atomic_store_explicit(&s->m->spool_ok, s->ok, memory_order_relaxed);
}

/* Takes dir/liftd.lock (flock, released by the kernel when the process ends, even on a
 * crash) and writes our pid into it. Two processes sharing a spool would replay and cut
 * each other's rows, so the second one is refused, naming the first. */
static int lock_folder(const char *dir, lift_err *err)
{
    char path[1100], pid[32] = "";
    snprintf(path, sizeof path, "%s/liftd.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (fd < 0) {
        lift_err_set(err, LIFT_EIO, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        lift_err_set(err, LIFT_EIO,
                     "spool folder %s is in use by another liftd (pid %s); give each liftd its "
                     "own --spool-dir (LIFT_SPOOL_DIR)",
                     dir, *pid ? pid : "unknown");
        close(fd);
        return -1;
    }
    int len = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(fd, 0) != 0 || pwrite(fd, pid, (size_t)len, 0) != len)
        lift_log(LIFT_LOG_WARN, "spool lock %s: cannot write the pid: %s", path, strerror(errno));
    return fd;
}

lift_spool *lift_spool_open(const char *dir, lift_metrics *m, lift_err *err)
{
    lift_spool *s = calloc(1, sizeof *s);
    if (!s) {
        lift_err_set(err, LIFT_ENOMEM, "out of memory");
        return NULL;
    }
    snprintf(s->path, sizeof s->path, "%s/exposures.csv", dir);
    if (lift_mkdir_p(dir, 0750) != 0) {
        lift_err_set(err, LIFT_EIO,
                     "cannot create spool folder %s: %s (set --spool-dir or LIFT_SPOOL_DIR to "
                     "a folder liftd may write)",
                     dir, strerror(errno));
        free(s);
        return NULL;
    }
    if ((s->lock_fd = lock_folder(dir, err)) < 0) {
        free(s);
        return NULL;
    }
    s->fd = open(s->path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
    struct stat st;
    if (s->fd < 0 || fstat(s->fd, &st) != 0) {
        lift_err_set(err, LIFT_EIO, "cannot open spool %s: %s", s->path, strerror(errno));
        if (s->fd >= 0)
            close(s->fd);
        close(s->lock_fd);
        free(s);
        return NULL;
    }
    pthread_mutex_init(&s->lock, NULL);
    s->size = (size_t)st.st_size;
    s->ok = true;
    s->m = m;
    publish(s);
    if (s->size)
        lift_log(LIFT_LOG_INFO,
                 "spool path=%s pending_bytes=%zu (replayed when the database is "
                 "reachable)",
                 s->path, s->size);
    return s;
}

void lift_spool_close(lift_spool *s)
{
    if (!s)
        return;
    close(s->fd);
    close(s->lock_fd);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

bool lift_spool_append(lift_spool *s, const char *rows, size_t len, size_t nrows)
{
    pthread_mutex_lock(&s->lock);
    size_t done = 0;
    int failure = 0;
    while (done < len) {
        ssize_t w = write(s->fd, rows + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            failure = w < 0 ? errno : ENOSPC;
            break;
        }
        done += (size_t)w;
    }
    if (failure) {
        /* A torn last row would poison the replay: cut back to the last whole row. */
        if (ftruncate(s->fd, (off_t)s->size) != 0)
            lift_log(LIFT_LOG_ERROR, "spool path=%s cannot cut back a partial write: %s", s->path,
                     strerror(errno));
        atomic_fetch_add_explicit(&s->m->spool_errors, 1, memory_order_relaxed);
        atomic_fetch_add_explicit(&s->m->dropped_rows, nrows, memory_order_relaxed);
        if (s->ok)
            lift_log(LIFT_LOG_ERROR,
                     "spool path=%s write failed: %s; exposures are being dropped until it "
                     "takes writes again",
                     s->path, strerror(failure));
        s->ok = false;
    } else {
        if (!s->ok)
            lift_log(LIFT_LOG_INFO, "spool path=%s writes succeed again", s->path);
        s->ok = true;
        s->size += len;
        atomic_fetch_add_explicit(&s->m->spooled_rows, nrows, memory_order_relaxed);
    }
    publish(s);
    pthread_mutex_unlock(&s->lock);
    return !failure;
}

size_t lift_spool_read(lift_spool *s, lift_buf *out, size_t max)
{
    pthread_mutex_lock(&s->lock);
    size_t want = s->size - s->replayed, got = 0;
    if (want > max)
        want = max;
    size_t start = out->len;
    lift_buf_append(out, "", 0);
    char *tmp = want ? malloc(want) : NULL;
    if (tmp) {
        ssize_t r = pread(s->fd, tmp, want, (off_t)s->replayed);
        /* Whole rows only: stop after the last newline read. */
        while (r > 0 && tmp[r - 1] != '\n')
            r--;
        if (r > 0) {
            lift_buf_append(out, tmp, (size_t)r);
            got = (size_t)r;
        }
        free(tmp);
    }
    if (out->failed) {
        out->len = start;
        got = 0;
    }
    pthread_mutex_unlock(&s->lock);
    return got;
}

void lift_spool_done(lift_spool *s, size_t n)
{
    pthread_mutex_lock(&s->lock);
    s->replayed += n;
    if (s->replayed >= s->size && ftruncate(s->fd, 0) == 0)
        s->size = s->replayed = 0;
    publish(s);
    pthread_mutex_unlock(&s->lock);
}

size_t lift_spool_pending(lift_spool *s)
{
    pthread_mutex_lock(&s->lock);
    size_t n = s->size - s->replayed;
    pthread_mutex_unlock(&s->lock);
    return n;
}

bool lift_spool_ok(lift_spool *s)
{
    pthread_mutex_lock(&s->lock);
    bool ok = s->ok;
    pthread_mutex_unlock(&s->lock);
    return ok;
}
