/* Double to shortest-ish decimal text: Grisu2 (F. Loitsch, "Printing floating-point numbers
 * quickly and accurately with integers", PLDI 2010). The digits always read back as the
 * same double; they are the shortest such digits for all but a fraction of a percent of
 * values (then one digit longer). printf("%.17g") plus strtod checks, which this replaces,
 * cost 0.5 us a number: a report writes tens of thousands. */
#include "lift/text.h"

#include <stdint.h>
#include <string.h>

/* A floating-point number f * 2^e with a 64-bit significand. */
typedef struct diy {
    uint64_t f;
    int e;
} diy;

/* 10^k ~ f * 2^e for k = -348, -340, ..., 340, f normalized (top bit set), rounded to
 * nearest. Generated exactly with Python's fractions (see the commit adding this file). */
static const diy cached[] = {
    {0xfa8fd5a0081c0288ULL, -1220}, {0xbaaee17fa23ebf76ULL, -1193}, {0x8b16fb203055ac76ULL, -1166},
    {0xcf42894a5dce35eaULL, -1140}, {0x9a6bb0aa55653b2dULL, -1113}, {0xe61acf033d1a45dfULL, -1087},
    {0xab70fe17c79ac6caULL, -1060}, {0xff77b1fcbebcdc4fULL, -1034}, {0xbe5691ef416bd60cULL, -1007},
    {0x8dd01fad907ffc3cULL, -980},  {0xd3515c2831559a83ULL, -954},  {0x9d71ac8fada6c9b5ULL, -927},
    {0xea9c227723ee8bcbULL, -901},  {0xaecc49914078536dULL, -874},  {0x823c12795db6ce57ULL, -847},
    {0xc21094364dfb5637ULL, -821},  {0x9096ea6f3848984fULL, -794},  {0xd77485cb25823ac7ULL, -768},
    {0xa086cfcd97bf97f4ULL, -741},  {0xef340a98172aace5ULL, -715},  {0xb23867fb2a35b28eULL, -688},
    {0x84c8d4dfd2c63f3bULL, -661},  {0xc5dd44271ad3cdbaULL, -635},  {0x936b9fcebb25c996ULL, -608},
    {0xdbac6c247d62a584ULL, -582},  {0xa3ab66580d5fdaf6ULL, -555},  {0xf3e2f893dec3f126ULL, -529},
    {0xb5b5ada8aaff80b8ULL, -502},  {0x87625f056c7c4a8bULL, -475},  {0xc9bcff6034c13053ULL, -449},
    {0x964e858c91ba2655ULL, -422},  {0xdff9772470297ebdULL, -396},  {0xa6dfbd9fb8e5b88fULL, -369},
    {0xf8a95fcf88747d94ULL, -343},  {0xb94470938fa89bcfULL, -316},  {0x8a08f0f8bf0f156bULL, -289},
    {0xcdb02555653131b6ULL, -263},  {0x993fe2c6d07b7facULL, -236},  {0xe45c10c42a2b3b06ULL, -210},
    {0xaa242499697392d3ULL, -183},  {0xfd87b5f28300ca0eULL, -157},  {0xbce5086492111aebULL, -130},
    {0x8cbccc096f5088ccULL, -103},  {0xd1b71758e219652cULL, -77},   {0x9c40000000000000ULL, -50},
    {0xe8d4a51000000000ULL, -24},   {0xad78ebc5ac620000ULL, 3},     {0x813f3978f8940984ULL, 30},
    {0xc097ce7bc90715b3ULL, 56},    {0x8f7e32ce7bea5c70ULL, 83},    {0xd5d238a4abe98068ULL, 109},
    {0x9f4f2726179a2245ULL, 136},   {0xed63a231d4c4fb27ULL, 162},   {0xb0de65388cc8ada8ULL, 189},
    {0x83c7088e1aab65dbULL, 216},   {0xc45d1df942711d9aULL, 242},   {0x924d692ca61be758ULL, 269},
    {0xda01ee641a708deaULL, 295},   {0xa26da3999aef774aULL, 322},   {0xf209787bb47d6b85ULL, 348},
    {0xb454e4a179dd1877ULL, 375},   {0x865b86925b9bc5c2ULL, 402},   {0xc83553c5c8965d3dULL, 428},
    {0x952ab45cfa97a0b3ULL, 455},   {0xde469fbd99a05fe3ULL, 481},   {0xa59bc234db398c25ULL, 508},
    {0xf6c69a72a3989f5cULL, 534},   {0xb7dcbf5354e9beceULL, 561},   {0x88fcf317f22241e2ULL, 588},
    {0xcc20ce9bd35c78a5ULL, 614},   {0x98165af37b2153dfULL, 641},   {0xe2a0b5dc971f303aULL, 667},
    {0xa8d9d1535ce3b396ULL, 694},   {0xfb9b7cd9a4a7443cULL, 720},   {0xbb764c4ca7a44410ULL, 747},
    {0x8bab8eefb6409c1aULL, 774},   {0xd01fef10a657842cULL, 800},   {0x9b10a4e5e9913129ULL, 827},
    {0xe7109bfba19c0c9dULL, 853},   {0xac2820d9623bf429ULL, 880},   {0x80444b5e7aa7cf85ULL, 907},
    {0xbf21e44003acdd2dULL, 933},   {0x8e679c2f5e44ff8fULL, 960},   {0xd433179d9c8cb841ULL, 986},
    {0x9e19db92b4e31ba9ULL, 1013},  {0xeb96bf6ebadf77d9ULL, 1039},  {0xaf87023b9bf0ee6bULL, 1066}};

static diy multiply(diy x, diy y)
{
    /* The upper 64 bits of the 128-bit product, rounded; 32-bit halves keep it portable. */
    const uint64_t m32 = 0xFFFFFFFFu;
    uint64_t a = x.f >> 32, b = x.f & m32, c = y.f >> 32, d = y.f & m32;
    uint64_t ac = a * c, bc = b * c, ad = a * d, bd = b * d;
    uint64_t mid = (bd >> 32) + (ad & m32) + (bc & m32) + (1u << 31);
    return (diy){ac + (ad >> 32) + (bc >> 32) + (mid >> 32), x.e + y.e + 64};
}

static diy normalize(diy x, int top)
{
    while (!(x.f >> top & 1)) {
        x.f <<= 1;
        x.e--;
    }
    x.f <<= 63 - top;
    x.e -= 63 - top;
    return x;
}

/* The cached power c = 10^-k that brings w's exponent into [-60, -32]: then the integral
 * part of w * c fits in 32 bits. Returns k. */
static int cached_power(int e, diy *c)
{
    double dk = (-61 - e) * 0.30102999566398114 + 347; /* log10(2); kept positive */
    int k = (int)dk;
    if (k != dk)
        k++;
    int index = (k >> 3) + 1;
    *c = cached[index];
    return -(-348 + index * 8);
}

static const uint64_t pow10[] = {1ULL,
                                 10ULL,
                                 100ULL,
                                 1000ULL,
                                 10000ULL,
                                 100000ULL,
                                 1000000ULL,
                                 10000000ULL,
                                 100000000ULL,
                                 1000000000ULL,
                                 10000000000ULL,
                                 100000000000ULL,
                                 1000000000000ULL,
                                 10000000000000ULL,
                                 100000000000000ULL,
                                 1000000000000000ULL,
                                 10000000000000000ULL,
                                 100000000000000000ULL,
                                 1000000000000000000ULL,
                                 10000000000000000000ULL};

/* Moves the last digit down while that stays within the boundaries and gets closer to w. */
static void round_weed(char *buf, int len, uint64_t delta, uint64_t rest, uint64_t ten_kappa,
                       uint64_t wp_w)
{
    while (rest < wp_w && delta - rest >= ten_kappa &&
           (rest + ten_kappa < wp_w || wp_w - rest > rest + ten_kappa - wp_w)) {
        buf[len - 1]--;
        rest += ten_kappa;
    }
}

/* Digits of mp (the upper boundary) until within delta of it; *k gets the exponent. */
static int digits(diy w, diy mp, uint64_t delta, char *buf, int *k)
{
    const int shift = -mp.e;
    const uint64_t one = 1ULL << shift, wp_w = mp.f - w.f;
    uint32_t p1 = (uint32_t)(mp.f >> shift);
    uint64_t p2 = mp.f & (one - 1);
    int kappa = 1, len = 0;
    while (kappa < 10 && p1 >= pow10[kappa])
        kappa++;
    while (kappa > 0) {
        uint32_t d = (uint32_t)(p1 / pow10[kappa - 1]);
        p1 %= (uint32_t)pow10[kappa - 1];
        if (d || len)
            buf[len++] = (char)('0' + d);
        kappa--;
        uint64_t rest = ((uint64_t)p1 << shift) + p2;
        if (rest <= delta) {
            *k += kappa;
            round_weed(buf, len, delta, rest, pow10[kappa] << shift, wp_w);
            return len;
        }
    }
    for (;;) {
        p2 *= 10;
        delta *= 10;
        char d = (char)(p2 >> shift);
        if (d || len)
            buf[len++] = (char)('0' + d);
        p2 &= one - 1;
        kappa--;
        if (p2 < delta) {
            *k += kappa;
            round_weed(buf, len, delta, p2, one, -kappa < 20 ? wp_w * pow10[-kappa] : 0);
            return len;
        }
    }
}

/* The digits of a positive finite v and the decimal exponent: v ~ digits * 10^k. */
static int grisu2(double v, char *buf, int *k)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int biased = (int)(bits >> 52 & 0x7FF);
    uint64_t frac = bits & ((1ULL << 52) - 1);
    diy x = biased ? (diy){frac | 1ULL << 52, biased - 1075} : (diy){frac, -1074};
    /* Boundaries: halfway to the neighbours (the lower one is closer at a power of 2). */
    diy plus = normalize((diy){(x.f << 1) + 1, x.e - 1}, 53);
    diy minus = x.f == 1ULL << 52 ? (diy){(x.f << 2) - 1, x.e - 2} : (diy){(x.f << 1) - 1, x.e - 1};
    minus.f <<= minus.e - plus.e;
    minus.e = plus.e;
    diy c;
    *k = cached_power(plus.e, &c);
    diy w = multiply(normalize(x, 52), c);
    diy wp = multiply(plus, c), wm = multiply(minus, c);
    wm.f++; /* stay strictly inside the rounding interval */
    wp.f--;
    return digits(w, wp, wp.f - wm.f, buf, k);
}

size_t lift_dtoa(double v, char *out)
{
    char *p = out;
    if (v == 0) {
        memcpy(out, "0", 2);
        return 1;
    }
    if (v < 0) {
        *p++ = '-';
        v = -v;
    }
    char d[24];
    int k, len = grisu2(v, d, &k);
    int kk = len + k; /* v = 0.d1d2... * 10^kk */
    if (kk > -6 && kk <= 21) {
        /* Plain notation, as JavaScript prints numbers. */
        if (kk <= 0) {
            memcpy(p, "0.", 2);
            memset(p + 2, '0', (size_t)-kk);
            memcpy(p + 2 - kk, d, (size_t)len);
            p += 2 - kk + len;
        } else if (kk >= len) {
            memcpy(p, d, (size_t)len);
            memset(p + len, '0', (size_t)(kk - len));
            p += kk;
        } else {
            memcpy(p, d, (size_t)kk);
            p[kk] = '.';
            memcpy(p + kk + 1, d + kk, (size_t)(len - kk));
            p += len + 1;
        }
    } else {
        /* d1.d2d3...e(+|-)x */
        *p++ = d[0];
        if (len > 1) {
            *p++ = '.';
            memcpy(p, d + 1, (size_t)(len - 1));
            p += len - 1;
        }
        int x = kk - 1;
        *p++ = 'e';
        *p++ = x < 0 ? '-' : '+';
        if (x < 0)
            x = -x;
        if (x >= 100)
            *p++ = (char)('0' + x / 100);
        if (x >= 10)
            *p++ = (char)('0' + x / 10 % 10);
        *p++ = (char)('0' + x % 10);
    }
    *p = '\0';
    return (size_t)(p - out);
}
