/* Real FFT of any length: a mixed-radix (2, 3, 4, 5) Stockham transform for smooth
 * lengths, Bluestein's chirp convolution over a power of two for the rest.
 *
 * An even-length real transform runs as a complex transform of half the length on the
 * samples packed as z[k] = x[2k] + i x[2k+1], then one pass splits the spectra of the
 * even and odd samples apart and combines them (half the work of a complex transform
 * of n). An odd length runs a complex transform of n with a zero imaginary part.
 *
 * Complex data is kept split (separate real and imaginary arrays) so that a pass loads
 * and stores whole vectors of real parts and of imaginary parts; only the first pass,
 * the packing and the final split shuffle. Everything runs in double: the
 * front ends take logs of bands that can be 1e-8 of a frame's energy, where a float
 * transform's rounding (about 1e-7 of the largest bin) would show. Stockham passes ping-pong between two buffers, so no bit reversal is needed. */
#include "fft.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "kernels/cpu/cpu.h"

/* Beyond this a plan's tables would be hundreds of megabytes; speech frames are a few
 * thousand samples. */
#define VC_FFT_MAX_N ((size_t)1 << 22)
#define MAX_STAGES 40

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define VC_FFT_X86 1
#else
#define VC_FFT_X86 0
#endif

static const double two_pi = 6.283185307179586476925286766559;

/* One Stockham pass of radix r over a transform of length r * m, repeated for s
 * interleaved sub-sequences: reads x[q + s (p + k m)], writes y[q + s (r p + j)]. */
typedef struct {
    int radix;
    size_t s, m;
    double *twr, *twi; /* [(j - 1) * m + p] = exp(-2 pi i j p / (r m)), j = 1 .. r - 1 */
    double *tw4;       /* s >= 4: the same, [p][j - 1][re x 4, im x 4], for whole-vector loads */
} fft_pass;

typedef struct cplan cplan;
struct cplan {
    size_t n;
    int npass;
    fft_pass pass[MAX_STAGES];
    /* Bluestein (npass == 0 and n > 1): chirp c_k = exp(-pi i k^2 / n), and the
     * transform of the conjugate chirp over L points, scaled by 1 / L. */
    size_t L;
    cplan *pow2;
    double *chr, *chi, *kr, *ki;
};

struct vc_fft {
    size_t n;
    cplan *c;          /* length n / 2 when n is even, else n */
    double *postr, *posti; /* even n: exp(-2 pi i k / n), k = 0 .. n / 2 */
    double *work;       /* for vc_fft_real */
    int avx2;           /* run the AVX2 + FMA build of the transform */
};

/* ---- passes ----
 *
 * Written on 4-double vectors (GCC/Clang vector extensions: one AVX register, two
 * SSE2 or NEON ones) so that
 * the code vectorises the same at -O2 under either compiler, with no intrinsics. A
 * pass with s >= 4 runs its butterflies four sub-sequences (q) at a time, all loads and
 * stores contiguous; the first pass (s == 1) runs four p at a time and transposes its
 * outputs into place. Tails of fewer than four run the same code on one lane. */

typedef double vd4 __attribute__((vector_size(32)));

/* GCC and clang warn that passing a 32-byte vector by value would change the ABI
 * between AVX and non-AVX builds; every function here that does so is static and
 * always inlined, so no call crosses that boundary. */
#if defined(__GNUC__)
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

#if defined(__clang__) || __GNUC__ >= 12
#define SHUF(a, b, i0, i1, i2, i3) __builtin_shufflevector(a, b, i0, i1, i2, i3)
#else
typedef long long vi4 __attribute__((vector_size(32)));
#define SHUF(a, b, i0, i1, i2, i3) __builtin_shuffle(a, b, (vi4){i0, i1, i2, i3})
#endif

#define INLINE static inline __attribute__((always_inline))
/* The loops over the r points of a butterfly must unroll, or the vectors spill. */
#define UNROLL _Pragma("GCC unroll 5")

INLINE vd4 ld(const double *p) { vd4 v; memcpy(&v, p, sizeof v); return v; }
INLINE void st(double *p, vd4 v) { memcpy(p, &v, sizeof v); }
INLINE vd4 splat(double x) { return (vd4){x, x, x, x}; }

/* In-place DFT of r points a[0 .. r-1] (real parts ar, imaginary ai), forward sign. */
INLINE void dft2(vd4 *ar, vd4 *ai)
{
    vd4 tr = ar[0] - ar[1], ti = ai[0] - ai[1];
    ar[0] += ar[1]; ai[0] += ai[1];
    ar[1] = tr; ai[1] = ti;
}

/* b1,2 = a0 - (a1 + a2) / 2 -/+ i (sqrt 3 / 2)(a1 - a2) */
INLINE void dft3(vd4 *ar, vd4 *ai)
{
    const double h = 0.86602540378443865;
    vd4 t1r = ar[1] + ar[2], t1i = ai[1] + ai[2];
    vd4 t2r = ar[0] - 0.5 * t1r, t2i = ai[0] - 0.5 * t1i;
    vd4 dr = h * (ar[1] - ar[2]), di = h * (ai[1] - ai[2]);
    ar[0] += t1r; ai[0] += t1i;
    ar[1] = t2r + di; ai[1] = t2i - dr;
    ar[2] = t2r - di; ai[2] = t2i + dr;
}

/* b1,3 = (a0 - a2) -/+ i (a1 - a3) */
INLINE void dft4(vd4 *ar, vd4 *ai)
{
    vd4 t0r = ar[0] + ar[2], t0i = ai[0] + ai[2], t1r = ar[0] - ar[2], t1i = ai[0] - ai[2];
    vd4 t2r = ar[1] + ar[3], t2i = ai[1] + ai[3], t3r = ar[1] - ar[3], t3i = ai[1] - ai[3];
    ar[0] = t0r + t2r; ai[0] = t0i + t2i;
    ar[2] = t0r - t2r; ai[2] = t0i - t2i;
    ar[1] = t1r + t3i; ai[1] = t1i - t3r;
    ar[3] = t1r - t3i; ai[3] = t1i + t3r;
}

/* With w = exp(-2 pi i / 5) = c1 - i s1 and w^2 = c2 - i s2, pairing the inputs
 * symmetric about 0 (a1 with a4, a2 with a3) halves the multiplications. */
INLINE void dft5(vd4 *ar, vd4 *ai)
{
    const double c1 = 0.30901699437494742, s1 = 0.95105651629515357;
    const double c2 = -0.80901699437494742, s2 = 0.58778525229247313;
    vd4 s14r = ar[1] + ar[4], s14i = ai[1] + ai[4], d14r = ar[1] - ar[4], d14i = ai[1] - ai[4];
    vd4 s23r = ar[2] + ar[3], s23i = ai[2] + ai[3], d23r = ar[2] - ar[3], d23i = ai[2] - ai[3];
    vd4 e1r = ar[0] + c1 * s14r + c2 * s23r, e1i = ai[0] + c1 * s14i + c2 * s23i;
    vd4 e2r = ar[0] + c2 * s14r + c1 * s23r, e2i = ai[0] + c2 * s14i + c1 * s23i;
    vd4 o1r = s1 * d14r + s2 * d23r, o1i = s1 * d14i + s2 * d23i;
    vd4 o2r = s2 * d14r - s1 * d23r, o2i = s2 * d14i - s1 * d23i;
    ar[0] += s14r + s23r; ai[0] += s14i + s23i;
    ar[1] = e1r + o1i; ai[1] = e1i - o1r;
    ar[4] = e1r - o1i; ai[4] = e1i + o1r;
    ar[2] = e2r + o2i; ai[2] = e2i - o2r;
    ar[3] = e2r - o2i; ai[3] = e2i + o2r;
}

INLINE void dft(const int r, vd4 *ar, vd4 *ai)
{
    switch (r) {
    case 2: dft2(ar, ai); break;
    case 3: dft3(ar, ai); break;
    case 4: dft4(ar, ai); break;
    default: dft5(ar, ai); break;
    }
}

/* a *= w, complex */
INLINE void twiddle(vd4 *ar, vd4 *ai, vd4 wr, vd4 wi)
{
    vd4 t = *ar * wr - *ai * wi;
    *ai = *ar * wi + *ai * wr;
    *ar = t;
}

/* One lane: the tails, and sizes below four. */
INLINE void pass_point(const int r, const fft_pass *ps, size_t p, size_t q, const double *restrict xr,
                       const double *restrict xi, double *restrict yr, double *restrict yi)
{
    const size_t s = ps->s, m = ps->m;
    vd4 ar[5], ai[5];
    UNROLL
    for (int k = 0; k < r; k++) {
        ar[k] = splat(xr[q + s * (p + (size_t)k * m)]);
        ai[k] = splat(xi[q + s * (p + (size_t)k * m)]);
    }
    dft(r, ar, ai);
    UNROLL
    for (int j = 1; j < r; j++)
        twiddle(&ar[j], &ai[j], splat(ps->twr[(size_t)(j - 1) * m + p]), splat(ps->twi[(size_t)(j - 1) * m + p]));
    UNROLL
    for (int j = 0; j < r; j++) {
        yr[q + s * ((size_t)r * p + (size_t)j)] = ar[j][0];
        yi[q + s * ((size_t)r * p + (size_t)j)] = ai[j][0];
    }
}

/* Writes b_j(p + l), j < r, l < 4, to y[r (p + l) + j]: a transpose of r x 4. */
INLINE void store_transposed(const int r, double *y, const vd4 *b)
{
    if (r == 4) {
        vd4 t0 = SHUF(b[0], b[1], 0, 4, 1, 5), t1 = SHUF(b[2], b[3], 0, 4, 1, 5);
        vd4 t2 = SHUF(b[0], b[1], 2, 6, 3, 7), t3 = SHUF(b[2], b[3], 2, 6, 3, 7);
        st(y, SHUF(t0, t1, 0, 1, 4, 5));
        st(y + 4, SHUF(t0, t1, 2, 3, 6, 7));
        st(y + 8, SHUF(t2, t3, 0, 1, 4, 5));
        st(y + 12, SHUF(t2, t3, 2, 3, 6, 7));
    } else if (r == 2) {
        st(y, SHUF(b[0], b[1], 0, 4, 1, 5));
        st(y + 4, SHUF(b[0], b[1], 2, 6, 3, 7));
    } else {
        UNROLL
        for (int l = 0; l < 4; l++)
            UNROLL
            for (int j = 0; j < r; j++) y[r * l + j] = b[j][l];
    }
}

INLINE void pass_radix(const int r, const fft_pass *ps, const double *restrict xr, const double *restrict xi,
                       double *restrict yr, double *restrict yi)
{
    const size_t s = ps->s, m = ps->m;
    const double *twr = ps->twr, *twi = ps->twi;
    vd4 ar[5], ai[5];
    if (s == 1) {
        size_t p = 0;
        for (; p + 4 <= m; p += 4) {
            UNROLL
            for (int k = 0; k < r; k++) {
                ar[k] = ld(xr + p + (size_t)k * m);
                ai[k] = ld(xi + p + (size_t)k * m);
            }
            dft(r, ar, ai);
            UNROLL
            for (int j = 1; j < r; j++)
                twiddle(&ar[j], &ai[j], ld(twr + (size_t)(j - 1) * m + p), ld(twi + (size_t)(j - 1) * m + p));
            store_transposed(r, yr + (size_t)r * p, ar);
            store_transposed(r, yi + (size_t)r * p, ai);
        }
        for (; p < m; p++) pass_point(r, ps, p, 0, xr, xi, yr, yi);
        return;
    }
    const size_t xs = s * m;
    for (size_t p = 0; p < m; p++) {
        const double *tw = ps->tw4 + p * 8 * (size_t)(r - 1);
        const double *x0r = xr + s * p, *x0i = xi + s * p;
        double *y0r = yr + s * (size_t)r * p, *y0i = yi + s * (size_t)r * p;
        size_t q = 0;
        for (; q + 4 <= s; q += 4) {
            UNROLL
            for (int k = 0; k < r; k++) {
                ar[k] = ld(x0r + q + (size_t)k * xs);
                ai[k] = ld(x0i + q + (size_t)k * xs);
            }
            dft(r, ar, ai);
            if (m > 1) { /* the last pass (m == 1) has only unit twiddles */
                UNROLL
                for (int j = 1; j < r; j++) twiddle(&ar[j], &ai[j], ld(tw + 8 * (j - 1)), ld(tw + 8 * (j - 1) + 4));
            }
            UNROLL
            for (int j = 0; j < r; j++) {
                st(y0r + q + (size_t)j * s, ar[j]);
                st(y0i + q + (size_t)j * s, ai[j]);
            }
        }
        for (; q < s; q++) pass_point(r, ps, p, q, xr, xi, yr, yi);
    }
}

/* ---- complex plans ---- */

static int smooth(size_t n)
{
    while (n % 2 == 0) n /= 2;
    while (n % 3 == 0) n /= 3;
    while (n % 5 == 0) n /= 5;
    return n == 1;
}

static void cplan_free(cplan *c)
{
    if (!c) return;
    for (int i = 0; i < c->npass; i++) {
        free(c->pass[i].twr);
        free(c->pass[i].twi);
        free(c->pass[i].tw4);
    }
    cplan_free(c->pow2);
    free(c->chr);
    free(c->chi);
    free(c->kr);
    free(c->ki);
    free(c);
}

/* exp(-2 pi i num / den) in double; num reduced first so that large products keep
 * their precision. */
static void unit(uint64_t num, uint64_t den, double *re, double *im)
{
    double a = -two_pi * (double)(num % den) / (double)den;
    *re = cos(a);
    *im = sin(a);
}

static voce_status mixed_radix_init(cplan *c)
{
    int radix[MAX_STAGES], k = 0;
    size_t n = c->n;
    /* Radix 4 first and wherever possible (fewest passes, and the first pass's
     * transpose is 4 x 4), so that every later pass has s a multiple of 4 and runs on
     * whole vectors; a single 2 left over goes last. */
    while (n % 4 == 0) { radix[k++] = 4; n /= 4; }
    while (n % 5 == 0) { radix[k++] = 5; n /= 5; }
    while (n % 3 == 0) { radix[k++] = 3; n /= 3; }
    while (n % 2 == 0) { radix[k++] = 2; n /= 2; }
    size_t s = 1;
    for (int i = 0; i < k; i++) {
        fft_pass *ps = &c->pass[i];
        size_t len = c->n / s, m = len / (size_t)radix[i];
        ps->radix = radix[i];
        ps->s = s;
        ps->m = m;
        size_t nt = (size_t)(radix[i] - 1) * m;
        ps->twr = malloc(nt * sizeof(double));
        ps->twi = malloc(nt * sizeof(double));
        c->npass = i + 1;
        if (!ps->twr || !ps->twi) return vc_error(VOCE_ERR_NOMEM, "fft: out of memory for %zu twiddles", nt);
        for (int j = 1; j < radix[i]; j++)
            for (size_t p = 0; p < m; p++) {
                double re, im;
                unit((uint64_t)j * p, len, &re, &im);
                ps->twr[(size_t)(j - 1) * m + p] = re;
                ps->twi[(size_t)(j - 1) * m + p] = im;
            }
        if (s >= 4) {
            ps->tw4 = malloc(nt * 8 * sizeof(double));
            if (!ps->tw4) return vc_error(VOCE_ERR_NOMEM, "fft: out of memory for %zu twiddles", nt);
            for (size_t p = 0; p < m; p++)
                for (int j = 1; j < radix[i]; j++)
                    for (int l = 0; l < 4; l++) {
                        double *t = ps->tw4 + (p * (size_t)(radix[i] - 1) + (size_t)(j - 1)) * 8;
                        t[l] = ps->twr[(size_t)(j - 1) * m + p];
                        t[4 + l] = ps->twi[(size_t)(j - 1) * m + p];
                    }
        }
        s *= (size_t)radix[i];
    }
    return VOCE_OK;
}

static voce_status cplan_create(size_t n, cplan **out);
static void run_passes_base(const cplan *c, double **xr, double **xi, double **yr, double **yi);

static voce_status bluestein_init(cplan *c)
{
    size_t n = c->n, L = 4; /* the vector loops over L need L >= 4 */
    while (L < 2 * n - 1) L *= 2;
    c->L = L;
    voce_status st = cplan_create(L, &c->pow2);
    if (st) return st;
    c->chr = malloc(n * sizeof(double));
    c->chi = malloc(n * sizeof(double));
    c->kr = malloc(L * sizeof(double));
    c->ki = malloc(L * sizeof(double));
    double *buf = calloc(4 * L, sizeof(double));
    if (!c->chr || !c->chi || !c->kr || !c->ki || !buf) {
        free(buf);
        return vc_error(VOCE_ERR_NOMEM, "fft: out of memory for a Bluestein plan of %zu", n);
    }
    double *br = buf, *bi = buf + L, *yr = buf + 2 * L, *yi = buf + 3 * L;
    /* c_k = exp(-pi i k^2 / n) = exp(-2 pi i (k^2 mod 2n) / (2n)); the kernel is
     * conj(c) at offsets -(n-1) .. n-1, wrapped around L. */
    for (size_t k = 0; k < n; k++) {
        double re, im;
        unit((uint64_t)k * k % (2 * n), 2 * n, &re, &im);
        c->chr[k] = re;
        c->chi[k] = im;
        br[k] = re;
        bi[k] = -im;
        if (k) { br[L - k] = re; bi[L - k] = -im; }
    }
    run_passes_base(c->pow2, &br, &bi, &yr, &yi); /* the kernel's transform, once */
    for (size_t k = 0; k < L; k++) {
        c->kr[k] = br[k] / (double)L;
        c->ki[k] = bi[k] / (double)L;
    }
    free(buf);
    return VOCE_OK;
}

static voce_status cplan_create(size_t n, cplan **out)
{
    *out = NULL;
    cplan *c = calloc(1, sizeof *c);
    if (!c) return vc_error(VOCE_ERR_NOMEM, "fft: out of memory");
    c->n = n;
    voce_status st = VOCE_OK;
    if (n > 1) st = smooth(n) ? mixed_radix_init(c) : bluestein_init(c);
    if (st) { cplan_free(c); return st; }
    *out = c;
    return VOCE_OK;
}

/* Values of scratch a complex plan needs beyond its two n-point buffers. */
static size_t cplan_work(const cplan *c)
{
    return c->pow2 ? 4 * c->L : 0; /* the power-of-two plan of Bluestein has only passes */
}

INLINE void run_passes(const cplan *c, double **xr, double **xi, double **yr, double **yi)
{
    for (int i = 0; i < c->npass; i++) {
        const fft_pass *ps = &c->pass[i];
        switch (ps->radix) {
        case 2: pass_radix(2, ps, *xr, *xi, *yr, *yi); break;
        case 3: pass_radix(3, ps, *xr, *xi, *yr, *yi); break;
        case 4: pass_radix(4, ps, *xr, *xi, *yr, *yi); break;
        default: pass_radix(5, ps, *xr, *xi, *yr, *yi); break;
        }
        double *t = *xr; *xr = *yr; *yr = t;
        t = *xi; *xi = *yi; *yi = t;
    }
}

/* Transforms (xr, xi) of c->n points; the result is in (xr, xi) on return (the pointers
 * are swapped with (yr, yi) as the passes ping-pong). Both pairs are clobbered. */
INLINE void cplan_run(const cplan *c, double **xr, double **xi, double **yr, double **yi, double *work)
{
    if (!c->pow2) { run_passes(c, xr, xi, yr, yi); return; }
    const size_t n = c->n, L = c->L;
    double *ar = work, *ai = work + L, *tr = work + 2 * L, *ti = work + 3 * L;
    const double *sr = *xr, *si = *xi;
    size_t k = 0;
    for (; k + 4 <= n; k += 4) {
        vd4 vr = ld(sr + k), vi = ld(si + k);
        twiddle(&vr, &vi, ld(c->chr + k), ld(c->chi + k));
        st(ar + k, vr);
        st(ai + k, vi);
    }
    for (; k < n; k++) {
        ar[k] = sr[k] * c->chr[k] - si[k] * c->chi[k];
        ai[k] = sr[k] * c->chi[k] + si[k] * c->chr[k];
    }
    memset(ar + n, 0, (L - n) * sizeof(double));
    memset(ai + n, 0, (L - n) * sizeof(double));
    double *pr = ar, *pi = ai, *qr = tr, *qi = ti;
    run_passes(c->pow2, &pr, &pi, &qr, &qi);
    /* Multiply by the kernel's transform and conjugate: the next forward transform of
     * the conjugate is the conjugated inverse transform. */
    for (k = 0; k < L; k += 4) { /* L is a power of two >= 4 */
        vd4 vr = ld(pr + k), vi = ld(pi + k);
        twiddle(&vr, &vi, ld(c->kr + k), ld(c->ki + k));
        st(pr + k, vr);
        st(pi + k, -vi);
    }
    run_passes(c->pow2, &pr, &pi, &qr, &qi);
    double *dr = *yr, *di = *yi;
    for (k = 0; k + 4 <= n; k += 4) {
        vd4 vr = ld(pr + k), vi = -ld(pi + k);
        twiddle(&vr, &vi, ld(c->chr + k), ld(c->chi + k));
        st(dr + k, vr);
        st(di + k, vi);
    }
    for (; k < n; k++) {
        double re = pr[k], im = -pi[k];
        dr[k] = re * c->chr[k] - im * c->chi[k];
        di[k] = re * c->chi[k] + im * c->chr[k];
    }
    double *t = *xr; *xr = *yr; *yr = t;
    t = *xi; *xi = *yi; *yi = t;
}

/* ---- real transforms ---- */

void vc_fft_destroy(vc_fft *f)
{
    if (!f) return;
    cplan_free(f->c);
    free(f->postr);
    free(f->posti);
    free(f->work);
    free(f);
}

size_t vc_fft_size(const vc_fft *f) { return f->n; }

size_t vc_fft_work_size(const vc_fft *f)
{
    /* two ping-pong buffers of c->n complex points, split */
    return 4 * f->c->n + cplan_work(f->c);
}

voce_status vc_fft_create(size_t n, vc_fft **out)
{
    if (!out) return vc_error(VOCE_ERR_INVALID_ARG, "fft: NULL output");
    *out = NULL;
    if (n < 1) return vc_error(VOCE_ERR_INVALID_ARG, "fft: length must be at least 1");
    if (n > VC_FFT_MAX_N)
        return vc_error(VOCE_ERR_INVALID_ARG, "fft: length %zu is larger than the limit %zu", n,
                        VC_FFT_MAX_N);
    vc_fft *f = calloc(1, sizeof *f);
    if (!f) return vc_error(VOCE_ERR_NOMEM, "fft: out of memory");
    f->n = n;
    voce_status st = cplan_create(n % 2 == 0 ? n / 2 : n, &f->c);
    if (st) { vc_fft_destroy(f); return st; }
    if (n % 2 == 0) {
        size_t h = n / 2;
        f->postr = malloc((h + 1) * sizeof(double));
        f->posti = malloc((h + 1) * sizeof(double));
        if (!f->postr || !f->posti) { vc_fft_destroy(f); return vc_error(VOCE_ERR_NOMEM, "fft: out of memory"); }
        for (size_t k = 0; k <= h; k++) {
            double re, im;
            unit(k, n, &re, &im);
            f->postr[k] = re;
            f->posti[k] = im;
        }
    }
    f->work = malloc(vc_fft_work_size(f) * sizeof(double));
    if (!f->work) { vc_fft_destroy(f); return vc_error(VOCE_ERR_NOMEM, "fft: out of memory"); }
    f->avx2 = vc_isa_active() >= VC_ISA_AVX2;
    *out = f;
    return VOCE_OK;
}

INLINE void real_transform(const vc_fft *f, const double *in, double *out, double *work)
{
    const cplan *c = f->c;
    const size_t h = c->n;
    double *xr = work, *xi = work + h, *yr = work + 2 * h, *yi = work + 3 * h;
    double *extra = work + 4 * h;
    if (f->n % 2) {
        for (size_t k = 0; k < h; k++) { xr[k] = in[k]; xi[k] = 0.0; }
        cplan_run(c, &xr, &xi, &yr, &yi, extra);
        for (size_t k = 0; k <= h / 2; k++) { out[2 * k] = xr[k]; out[2 * k + 1] = xi[k]; }
        return;
    }
    size_t k = 0;
    for (; k + 4 <= h; k += 4) { /* deinterleave: z_k = x_2k + i x_2k+1 */
        vd4 a = ld(in + 2 * k), b = ld(in + 2 * k + 4);
        st(xr + k, SHUF(a, b, 0, 2, 4, 6));
        st(xi + k, SHUF(a, b, 1, 3, 5, 7));
    }
    for (; k < h; k++) { xr[k] = in[2 * k]; xi[k] = in[2 * k + 1]; }
    cplan_run(c, &xr, &xi, &yr, &yi, extra);
    /* Z = FFT(z): the even samples' spectrum is E_k = (Z_k + conj Z_{h-k}) / 2, the odd
     * samples' O_k = (Z_k - conj Z_{h-k}) / 2i, and X_k = E_k + W^k O_k, W = exp(-2 pi i
     * / n). Bin h - k reuses them: E_{h-k} = conj E_k, O_{h-k} = conj O_k and W^{h-k} =
     * -conj W^k, so X_{h-k} = conj(E_k - W^k O_k); each pair (k, h - k) is done once. */
    out[0] = xr[0] + xi[0];
    out[1] = 0.0;
    out[2 * h] = xr[0] - xi[0];
    out[2 * h + 1] = 0.0;
    const double *wr = f->postr, *wi = f->posti;
    k = 1;
    for (; 2 * (k + 3) < h; k += 4) { /* blocks k .. k+3 and h-k-3 .. h-k do not meet */
        vd4 ar = ld(xr + k), ai = ld(xi + k);
        vd4 br = ld(xr + h - k - 3), bi = ld(xi + h - k - 3);
        br = SHUF(br, br, 3, 2, 1, 0); /* Z_{h-k}, Z_{h-k-1}, ... */
        bi = SHUF(bi, bi, 3, 2, 1, 0);
        vd4 er = 0.5 * (ar + br), ei = 0.5 * (ai - bi);
        vd4 tr = 0.5 * (ai + bi), ti = 0.5 * (br - ar); /* O_k */
        twiddle(&tr, &ti, ld(wr + k), ld(wi + k));
        vd4 pr = er + tr, pi = ei + ti;         /* X_k */
        vd4 qr = er - tr, qi = ti - ei;         /* X_{h-k} */
        st(out + 2 * k, SHUF(pr, pi, 0, 4, 1, 5));
        st(out + 2 * k + 4, SHUF(pr, pi, 2, 6, 3, 7));
        st(out + 2 * (h - k - 3), SHUF(qr, qi, 3, 7, 2, 6)); /* back in ascending order */
        st(out + 2 * (h - k - 3) + 4, SHUF(qr, qi, 1, 5, 0, 4));
    }
    for (; k <= h / 2; k++) {
        double ar = xr[k], ai = xi[k], br = xr[h - k], bi = xi[h - k];
        double er = 0.5 * (ar + br), ei = 0.5 * (ai - bi);
        double orr = 0.5 * (ai + bi), oi = 0.5 * (br - ar);
        double tr = orr * wr[k] - oi * wi[k], ti = orr * wi[k] + oi * wr[k];
        out[2 * (h - k)] = er - tr;
        out[2 * (h - k) + 1] = ti - ei;
        out[2 * k] = er + tr;
        out[2 * k + 1] = ei + ti;
    }
}

/* ---- the compiled entries ----
 *
 * The transform is written once and compiled twice on x86-64: for the baseline ISA
 * and for AVX2 + FMA, where a 4-double vector is one register (in SSE2's 16 registers
 * of two doubles the butterflies spill, about 7x slower). The plan records at creation
 * which one this CPU runs. */

static void run_passes_base(const cplan *c, double **xr, double **xi, double **yr, double **yi)
{
    run_passes(c, xr, xi, yr, yi);
}

static void real_base(const vc_fft *f, const double *in, double *out, double *work)
{
    real_transform(f, in, out, work);
}

#if VC_FFT_X86
__attribute__((target("avx2,fma"))) static void real_avx2(const vc_fft *f, const double *in, double *out,
                                                          double *work)
{
    real_transform(f, in, out, work);
}
#endif

void vc_fft_real(vc_fft *f, const double *in, double *out) { vc_fft_real_ws(f, in, out, f->work); }

void vc_fft_real_ws(const vc_fft *f, const double *in, double *out, double *work)
{
#if VC_FFT_X86
    if (f->avx2) {
        real_avx2(f, in, out, work);
        return;
    }
#endif
    real_base(f, in, out, work);
}
