/* liftd: the assignment and ingestion server (work in progress: see issue 4). */
#include <stdio.h>

int main(void)
{
    fprintf(stderr, "liftd: not built yet\n");
    return 1;
}
