/* The allocation policy, in one place.
 *  - liftd, and every library it links (common, core, db, stats, server), handles a failed
 *    allocation: the call fails with LIFT_ENOMEM (a lift_buf records it as `failed`), the
 *    request gets a 500 or 503, and the server goes on.
 *  - The batch tools (liftctl, the report builder, the simulator) have nothing better to do
 *    than stop: they allocate through these wrappers, which print "out of memory" and
 *    abort() (jq's jv_mem_alloc does the same), so no NULL is ever passed on. */
#ifndef LIFT_XALLOC_H
#define LIFT_XALLOC_H

#include <stddef.h>

void *lift_xmalloc(size_t size);
void *lift_xcalloc(size_t n, size_t size);
void *lift_xrealloc(void *p, size_t size);
char *lift_xstrdup(const char *s); /* NULL is copied as "" */

#endif
