/* Files and folders: the few operations liftd and liftctl share. */
#ifndef LIFT_FILES_H
#define LIFT_FILES_H

#include <sys/types.h>

/* mkdir -p: creates dir and any missing parents (parents 0755, dir itself `mode`). 0 when
 * dir exists afterwards, else -1 with errno set (from the folder that failed). */
int lift_mkdir_p(const char *dir, mode_t mode);

#endif
