/* Test fixture for `make tsan`: lets Criterion start under ThreadSanitizer.
 *
 * Criterion (through BoxFort) maps its shared arena at an address it draws with rand_r()
 * from [0x200000000000, 0x7f0000000000), at the same address in every test process. Under
 * TSan nearly all of that range is TSan's own (shadow, metadata, reserved), so every draw
 * fails and Criterion stops with "Could not initialize inheritable arena" (Criterion issue
 * #274). In a TSan build this rand_r (which only Criterion calls) draws from
 * [0x566000000000, 0x567f00000000) instead: application memory for TSan on x86-64, above
 * where the kernel loads position-independent executables (0x555555554000 plus at most
 * 2^28 pages of randomization) and their heap. Outside TSan builds this file is empty. */
#include <stdlib.h>

extern int lift_tsan_fixture; /* keeps the file a translation unit in other builds */

#if defined(__has_feature)
#if __has_feature(thread_sanitizer)

int rand_r(unsigned *seed)
{
    unsigned x = *seed ? *seed : 2463534242u; /* xorshift32 */
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *seed = x;
    /* BoxFort maps at 0x200000000000 + (r & 0x3fffff) * 16 MiB. */
    return (int)(0x366000u + x % 0x1f00u);
}

#endif
#endif
