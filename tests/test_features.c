/* The audio front ends (include/voce/features.h): Whisper's log-mel, NeMo's mel and
 * Kaldi's fbank against references computed with torch in float64 from the documented
 * algorithms (tests/ref/gen_frontend_refs.py) on every real recording and on synthetic
 * edge inputs; streaming in pushes of 1, 160, 511 and 4000 samples against offline; the
 * inputs the references refuse, silence, a clipped square wave and NaN samples.
 *
 * Tolerance, on every value: 1e-4 (Whisper, NeMo), 1e-3 (fbank). The references are
 * the exact (float64) values; voce computes in double up to the log, so it meets them
 * where a float32 run could not (torch's own float32 run is up to 3e-3 away in quiet
 * bands beside loud ones; precision.txt in the reference folder). */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/npy.h"
#include "harness.h"
#include "voce/features.h"

#define MAX_CASES 400

typedef struct {
    char name[128], kind_s[16], stem[96], status[16];
    int n_mels, opt;
    long frames, valid;
    voce_features_kind kind;
} fcase;

static fcase cases[MAX_CASES];
static int n_cases = -1;
static char missing_note[512];

static const char *ref_dir(void) { return vt_build_path(NULL, "frontend-ref"); }

static int load_cases(void)
{
    if (n_cases >= 0) return n_cases;
    char path[1200];
    snprintf(path, sizeof path, "%s/cases.txt", ref_dir());
    FILE *f = fopen(path, "r");
    if (!f) return n_cases = 0;
    fcase c;
    n_cases = 0;
    while (n_cases < MAX_CASES && fscanf(f, "%127s %15s %d %d %95s %15s %ld %ld", c.name, c.kind_s, &c.n_mels, &c.opt,
                                         c.stem, c.status, &c.frames, &c.valid) == 8) {
        c.kind = voce_features_kind_parse(c.kind_s);
        cases[n_cases++] = c;
    }
    fclose(f);
    snprintf(path, sizeof path, "%s/missing.txt", ref_dir());
    f = fopen(path, "r");
    if (f) {
        if (!fgets(missing_note, sizeof missing_note, f)) missing_note[0] = 0;
        missing_note[strcspn(missing_note, "\n")] = 0;
        fclose(f);
    }
    return n_cases;
}

#define NEED_CASES()                                                                                 \
    do {                                                                                             \
        if (load_cases() == 0)                                                                       \
            VT_SKIP("needs %s/cases.txt (written by tests/ref/gen_frontend_refs.py)", ref_dir());     \
    } while (0)

/* A float32 .npy of rank 1 or 2 under the reference directory; NULL (and a message) if
 * it cannot be read. rows x cols (rank 1: rows = n, cols = 1). */
static float *load_f32(const char *rel, int64_t *rows, int64_t *cols)
{
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", ref_dir(), rel);
    vc_tensor t;
    if (vc_npy_read(path, &t)) {
        printf("  cannot read %s: %s\n", path, voce_last_error());
        return NULL;
    }
    if (t.dtype != VOCE_DTYPE_F32 || t.rank < 1 || t.rank > 2) {
        printf("  %s: expected float32 of rank 1 or 2\n", path);
        free(t.data);
        return NULL;
    }
    *rows = t.dims[0];
    *cols = t.rank == 2 ? t.dims[1] : 1;
    return t.data;
}

static float *load_audio(const char *stem, size_t *n)
{
    char rel[256];
    int64_t r, c;
    snprintf(rel, sizeof rel, "audio/%s.npy", stem);
    float *x = load_f32(rel, &r, &c);
    *n = x ? (size_t)r : 0;
    return x;
}

static voce_features_config config_of(voce_features_kind kind, int n_mels, int opt)
{
    voce_features_config c = voce_features_config_default(kind);
    c.n_mels = n_mels;
    if (kind == VOCE_FEATURES_WHISPER) c.whisper_pad_30s = opt & 1;
    if (kind == VOCE_FEATURES_NEMO) c.nemo_normalize = opt & 1;
    c.magnitude = (opt >> 1) & 1; /* cases.txt: OPTION bit 1, magnitude spectrum */
    return c;
}

static const char *kind_name(voce_features_kind k)
{
    return k == VOCE_FEATURES_WHISPER ? "whisper"
           : k == VOCE_FEATURES_NEMO  ? "nemo"
           : k == VOCE_FEATURES_FBANK ? "fbank"
                                      : "?";
}

static double tolerance_of(voce_features_kind kind) { return kind == VOCE_FEATURES_FBANK ? 1e-3 : 1e-4; }

/* ---- comparison bookkeeping ---- */

typedef struct {
    double max_all;   /* largest |voce - ref| */
    long n_elems, n_cases;
} kind_stats;

static kind_stats kstats[4];

static struct {
    voce_features_kind kind;
    int n_mels, opt;
    kind_stats s;
} settings[16];
static int n_settings;

static void merge_stats(kind_stats *to, const kind_stats *one)
{
    to->max_all = fmax(to->max_all, one->max_all);
    to->n_elems += one->n_elems;
    to->n_cases += one->n_cases;
}

static int same_float(float a, float b) { return (isnan(a) && isnan(b)) || a == b; }

/* Compares got with ref (T x M) under the kind's tolerance; returns 0 if within, else
 * prints the worst element and returns 1. NaN matches NaN only. */
static int compare_ref(const fcase *c, const float *got, const float *ref, kind_stats *ks)
{
    int M = c->n_mels;
    long T = c->frames, bad = 0, worst_k = -1;
    double worst = 0, tol = tolerance_of(c->kind);
    for (long k = 0; k < T * M; k++) {
        double d = isnan(ref[k]) || isnan(got[k]) ? (same_float(ref[k], got[k]) ? 0 : INFINITY)
                                                  : fabs((double)got[k] - ref[k]);
        if (d > ks->max_all) ks->max_all = d;
        if (d > worst || worst_k < 0) { worst = d; worst_k = k; }
        if (!(d <= tol)) bad++;
    }
    ks->n_elems += T * M;
    ks->n_cases++;
    if (bad) {
        printf("  %s: %ld of %ld values off; worst frame %ld bin %ld: voce %.7g, reference %.7g (|diff| %.3g, "
               "tolerance %g)\n",
               c->name, bad, T * M, worst_k / M, worst_k % M, got[worst_k], ref[worst_k], worst, tol);
        return 1;
    }
    return 0;
}

/* The features of x by voce's offline path (a front end of its own); the status. */
static voce_status offline(voce_features_kind kind, int n_mels, int opt, const float *x, size_t n, float **out,
                           size_t *frames)
{
    voce_features_config cfg = config_of(kind, n_mels, opt);
    voce_features *fe = NULL;
    *out = NULL;
    *frames = 0;
    voce_status st = voce_features_create(&cfg, &fe);
    if (st == VOCE_OK) st = voce_features_compute(fe, x, n, out, frames);
    voce_features_destroy(fe);
    return st;
}

static int is_edge_stem(const char *stem)
{
    return !strcmp(stem, "nan") || !strcmp(stem, "nan_zeroed") || !strcmp(stem, "empty") || !strncmp(stem, "short", 5);
}

/* voce offline on the audio `stem` against reference c (its NAME.npy): 0 when within
 * the tolerance, else 1 with the worst element printed. */
static int run_reference(const fcase *c, const char *stem, kind_stats *ks)
{
    size_t n;
    float *x = load_audio(stem, &n);
    char rel[300];
    snprintf(rel, sizeof rel, "%s.npy", c->name);
    int64_t rows = 0, cols = 0;
    float *ref = c->frames ? load_f32(rel, &rows, &cols) : NULL;
    int bad = 0;
    if (!x || (c->frames && !ref)) {
        printf("  %s: reference files missing\n", c->name);
        bad = 1;
    }
    float *got = NULL;
    size_t frames = 0;
    voce_status st = bad ? VOCE_OK : offline(c->kind, c->n_mels, c->opt, x, n, &got, &frames);
    if (bad) {
    } else if (st != VOCE_OK || (long)frames != c->frames) {
        printf("  %s (audio %s): voce -> %s (%s), %zu frames; the reference has %ld\n", c->name, stem,
               voce_status_str(st), st ? voce_last_error() : "", frames, c->frames);
        bad = 1;
    } else if (frames) {
        bad = compare_ref(c, got, ref, ks);
    } else if (got) {
        printf("  %s: no frames but a buffer\n", c->name);
        bad = 1;
    }
    free(got), free(x), free(ref);
    return bad;
}

static const char *names[4] = {"", "whisper", "nemo", "fbank"};

/* Every reference on real speech, silence and the square wave: voce offline within
 * the tolerance. (The shortest inputs and NaN: test_edge_inputs.) */
static void test_offline_matches_reference(void)
{
    NEED_CASES();
    int failed = 0, run = 0;
    for (int ci = 0; ci < n_cases; ci++) {
        const fcase *c = &cases[ci];
        if (strcmp(c->status, "ok") || is_edge_stem(c->stem)) continue;
        CHECK_MSG(c->kind, "%s: unknown kind %s", c->name, c->kind_s);
        /* per setting too: kind, mel count, option */
        int slot = 0;
        while (slot < n_settings && !(settings[slot].kind == c->kind && settings[slot].n_mels == c->n_mels &&
                                      settings[slot].opt == c->opt))
            slot++;
        if (slot == n_settings && n_settings < 16) {
            settings[n_settings].kind = c->kind;
            settings[n_settings].n_mels = c->n_mels;
            settings[n_settings++].opt = c->opt;
        }
        kind_stats one;
        memset(&one, 0, sizeof one);
        int bad = run_reference(c, c->stem, &one);
        failed += bad;
        run++;
        merge_stats(&kstats[c->kind], &one);
        if (slot < 16) merge_stats(&settings[slot].s, &one);
    }
    for (int k = 0; k < n_settings; k++) {
        const kind_stats *s = &settings[k].s;
        int opt = settings[k].opt;
        printf("  %s %d %s%s: %ld references, max |voce - ref| %.3g\n", names[settings[k].kind],
               settings[k].n_mels,
               settings[k].kind == VOCE_FEATURES_WHISPER ? (opt & 1 ? "30 s padding" : "no padding")
               : settings[k].kind == VOCE_FEATURES_NEMO  ? (opt & 1 ? "normalised" : "not normalised")
                                                         : "",
               !(opt & 2) ? "" : settings[k].kind == VOCE_FEATURES_FBANK ? "magnitude" : ", magnitude", s->n_cases,
               s->max_all);
    }
    for (int k = 1; k <= 3; k++) {
        const kind_stats *s = &kstats[k];
        if (!s->n_cases) continue;
        printf("  %-7s offline, %ld references, %ld values: max |voce - ref| %.3g (tolerance %g)\n", names[k],
               s->n_cases, s->n_elems, s->max_all, tolerance_of((voce_features_kind)k));
    }
    printf("  %d references compared, %d differ\n", run, failed);
    CHECK(run >= 60);
    CHECK(kstats[VOCE_FEATURES_WHISPER].n_cases > 0 && kstats[VOCE_FEATURES_NEMO].n_cases > 0);
    CHECK(failed == 0);
}

/* The fbank references need torchaudio: say so when they are missing. */
static void test_fbank_references_present(void)
{
    NEED_CASES();
    int n = 0;
    for (int ci = 0; ci < n_cases; ci++) n += cases[ci].kind == VOCE_FEATURES_FBANK;
    if (!n) VT_SKIP("no fbank references: %s", missing_note[0] ? missing_note : "(none written)");
    CHECK(n >= 20);
}

static int has_status(const char *name, const char *status)
{
    for (int i = 0; i < n_cases; i++)
        if (!strcmp(cases[i].name, name) && !strcmp(cases[i].status, status)) return 1;
    return 0;
}

/* The shortest inputs, as defined for voce where the reference refuses them:
 *   Whisper without the 30 s padding, n < 201 samples (torch's reflect padding of 200
 *   needs 201): n / 160 frames, none below 160 samples; from 160 to 200 samples the
 *   input zero-extended to 201 (status zext201 in cases.txt);
 *   fbank, n < 400 (one 25 ms window; torchaudio raises, Kaldi gives no frames): none;
 *   NeMo takes anything (seq_len = n / 160; 0 or 1 valid frames come out as zeros).
 * NaN and infinite samples count as zeros: the output equals that of the same audio
 * with those samples set to 0, offline and streamed. Silence gives the floors exactly. */
static void test_edge_inputs(void)
{
    NEED_CASES();
    kind_stats ks[4];
    memset(ks, 0, sizeof ks);
    int run = 0, failed = 0, refused = 0;
    for (int ci = 0; ci < n_cases; ci++) {
        const fcase *c = &cases[ci];
        if (!is_edge_stem(c->stem) || !strcmp(c->stem, "nan")) continue;
        run++;
        if (!strcmp(c->status, "error")) {
            if (has_status(c->name, "zext201")) continue;
            size_t n;
            float *x = load_audio(c->stem, &n), *got = NULL;
            size_t frames = 7;
            voce_status st = x ? offline(c->kind, c->n_mels, c->opt, x, n, &got, &frames) : VOCE_ERR_IO;
            size_t want = c->kind == VOCE_FEATURES_WHISPER ? n / 160 : 0;
            if (st != VOCE_OK || frames != want || got) {
                printf("  %s (%zu samples; the reference refuses it): voce -> %s (%s), %zu frames, expected %zu\n",
                       c->name, n, voce_status_str(st), st ? voce_last_error() : "", frames, want);
                failed++;
            }
            refused++;
            free(x);
            free(got);
            continue;
        }
        /* ok and zext201: compare; nan_zeroed also against voce on the NaN audio */
        failed += run_reference(c, c->stem, &ks[c->kind]);
        if (!strcmp(c->stem, "nan_zeroed")) failed += run_reference(c, "nan", &ks[c->kind]);
    }
    printf("  %d edge references (%d refused by the reference), %d differ; max |voce - ref| whisper %.3g, nemo %.3g, "
           "fbank %.3g\n", run, refused, failed, ks[1].max_all, ks[2].max_all, ks[3].max_all);
    CHECK(run >= 30 && refused >= 6); /* Whisper 6, fbank 6 more when torchaudio made them */
    CHECK(failed == 0);

    /* silence: the floors, exactly as float32 computes them */
    float zeros[16000] = {0};
    static const struct {
        voce_features_kind kind;
        int opt;
        double value;
    } floors[] = {{VOCE_FEATURES_WHISPER, 0, -1.5},                 /* (log10(1e-10) + 4) / 4 */
                  {VOCE_FEATURES_NEMO, 0, -16.635532333438686},     /* ln(2^-24) */
                  {VOCE_FEATURES_NEMO, 1, 0.0},                     /* constant bins normalise to 0 */
                  {VOCE_FEATURES_FBANK, 0, -15.942385152878742}};   /* ln(FLT_EPSILON) */
    for (size_t k = 0; k < sizeof floors / sizeof floors[0]; k++) {
        float *y = NULL;
        size_t frames = 0;
        CHECK_OK(offline(floors[k].kind, 80, floors[k].opt, zeros, 16000, &y, &frames));
        size_t valid = floors[k].kind == VOCE_FEATURES_NEMO ? 100 : frames;
        double w = 0;
        for (size_t i = 0; i < valid * 80; i++) w = fmax(w, fabs(y[i] - floors[k].value));
        for (size_t i = valid * 80; i < frames * 80; i++) w = fmax(w, fabs(y[i])); /* NeMo's masked frames */
        free(y);
        CHECK_MSG(frames >= 98 && w < 2e-6, "%s (opt %d) on 1 s of zeros: %zu frames, max |y - %g| = %g",
                  names[floors[k].kind], floors[k].opt, frames, floors[k].value, w);
    }

    /* the largest finite samples: the double arithmetic does not overflow, so every
     * value is finite (a float32 power would be inf), NeMo normalised included */
    float *big = malloc(sizeof *big * 16000);
    CHECK(big);
    for (size_t i = 0; i < 16000; i++) big[i] = (i / 37) % 2 ? FLT_MAX : -FLT_MAX;
    for (size_t k = 0; k < sizeof floors / sizeof floors[0]; k++) {
        float *y = NULL;
        size_t frames = 0, bad = 0;
        CHECK_OK(offline(floors[k].kind, 80, floors[k].opt, big, 16000, &y, &frames));
        for (size_t i = 0; i < frames * 80; i++) bad += !isfinite(y[i]);
        free(y);
        CHECK_MSG(frames >= 98 && !bad, "%s (opt %d) on +-FLT_MAX samples: %zu of %zu values not finite",
                  names[floors[k].kind], floors[k].opt, bad, frames * 80);
    }
    free(big);

    /* infinities too count as zeros, and the stream treats them the same */
    size_t n;
    float *x = load_audio("nan_zeroed", &n), *nan = load_audio("nan", &n);
    CHECK(x && nan && n > 4000);
    float *inf = malloc(sizeof *inf * n);
    CHECK(inf);
    for (size_t i = 0; i < n; i++) inf[i] = isnan(nan[i]) ? (i % 2 ? INFINITY : -INFINITY) : nan[i];
    for (int kind = 1; kind <= 3; kind++) {
        float *a = NULL, *b = NULL;
        size_t fa = 0, fb = 0;
        voce_status sa = offline((voce_features_kind)kind, 80, 0, x, n, &a, &fa);
        voce_status sb = offline((voce_features_kind)kind, 80, 0, inf, n, &b, &fb);
        int same = sa == VOCE_OK && sb == VOCE_OK && fa == fb && fa > 0 && !memcmp(a, b, fa * 80 * sizeof(float));
        free(a), free(b);
        if (!same) {
            free(x), free(nan), free(inf);
            CHECK_MSG(0, "%s: infinite samples do not give the output of zeros", names[kind]);
        }
    }
    free(x), free(nan), free(inf);
}

/* ---- streaming ---- */

/* Pushes x in pieces of `piece` samples, pulling whatever is ready after each push,
 * then flushes and pulls the rest. *ready_before_flush: frames pulled before flush. */
static voce_status stream_all(voce_features *fe, const float *x, size_t n, size_t piece, float *out, size_t cap,
                              size_t *got, size_t *ready_before_flush)
{
    int M = voce_features_n_mels(fe);
    size_t k = 0, t;
    voce_status st;
    voce_features_reset(fe);
    for (size_t i = 0; i < n; i += piece) {
        if ((st = voce_features_push(fe, x + i, n - i < piece ? n - i : piece))) return st;
        do {
            t = 0;
            if ((st = voce_features_pull(fe, out + k * (size_t)M, cap - k, &t))) return st;
            k += t;
        } while (t && k < cap);
    }
    *ready_before_flush = k;
    if ((st = voce_features_flush(fe))) return st;
    do {
        t = 0;
        if ((st = voce_features_pull(fe, out + k * (size_t)M, cap - k, &t))) return st;
        k += t;
    } while (t && k < cap);
    *got = k;
    return VOCE_OK;
}

/* voce_features_finish normalises NeMo frames the caller holds as floats, so each log
 * carries up to half an ulp of rounding e into the normalised value z = (x - mean) /
 * sd: |finish - exact| <= max_e (2 + |z|) / sd (x's own e, the mean's, and the
 * deviation's), plus the float result's rounding. compute() keeps double logs and is
 * exact. Returns the largest |got - exact| / that bound over T x M values (raw: the
 * frames before finish); <= 1 is within. */
static double finish_excess(const float *raw, const float *got, const float *exact, size_t T, int M)
{
    double worst = 0;
    for (int m = 0; m < M; m++) {
        double sum = 0, sq = 0, max_e = 0;
        for (size_t t = 0; t < T; t++) sum += raw[t * (size_t)M + (size_t)m];
        double mean = sum / (double)T;
        for (size_t t = 0; t < T; t++) {
            double x = raw[t * (size_t)M + (size_t)m];
            sq += (x - mean) * (x - mean);
            max_e = fmax(max_e, 0.5 * (nextafterf(fabsf((float)x), INFINITY) - fabs(x)));
        }
        double sd = sqrt(sq / (double)(T - 1)) + 1e-5;
        for (size_t t = 0; t < T; t++) {
            size_t k = t * (size_t)M + (size_t)m;
            double bound = max_e * (2 + fabs(exact[k])) / sd + 1e-6;
            double d = isnan(got[k]) || isnan(exact[k]) ? INFINITY : fabs((double)got[k] - exact[k]);
            worst = fmax(worst, d / bound);
        }
    }
    return worst;
}

static double max_abs_diff(const float *a, const float *b, size_t n)
{
    double w = 0;
    for (size_t i = 0; i < n; i++) {
        double d = same_float(a[i], b[i]) ? 0 : isnan(a[i]) || isnan(b[i]) ? INFINITY : fabs((double)a[i] - b[i]);
        if (d > w) w = d;
    }
    return w;
}

/* Is there a Whisper reference with the 30 s of zeros for stem at n_mels? */
static int has_case(int n_mels, const char *stem)
{
    for (int i = 0; i < n_cases; i++)
        if (cases[i].kind == VOCE_FEATURES_WHISPER && cases[i].opt && cases[i].n_mels == n_mels &&
            !strcmp(cases[i].stem, stem))
            return 1;
    return 0;
}

/* Frames a stream of n samples gives before flush (docs/features.md, Streaming): those
 * whose samples have all arrived. Whisper's frame t reads samples 160 t - 200 ..
 * 160 t + 199, reflected about 0 (frame 0 needs sample 200); NeMo's the same span with
 * zeros before 0; fbank's 160 t .. 160 t + 399. Past the end only flush can tell. */
static size_t ready_before_end(voce_features_kind kind, size_t n, size_t frames)
{
    size_t k = 0;
    for (size_t t = 0; t < frames; t++) {
        size_t last = kind == VOCE_FEATURES_FBANK ? 160 * t + 399 : 160 * t + 199;
        if (kind == VOCE_FEATURES_WHISPER && 200 - (long)(160 * t) > (long)last) last = 200 - 160 * t;
        k += last < n;
    }
    return k;
}

/* Streaming gives the offline frames: Whisper after voce_features_finish on the whole
 * streamed block equals compute(); NeMo streams its valid frames (seq_len = n / 160,
 * unnormalised, unpadded), equal to the first n / 160 of compute() with
 * nemo_normalize = 0, and voce_features_finish normalises them as compute() does;
 * fbank's equal compute()'s. Frames come out as soon as their samples are in. */
static void test_streaming_equals_offline(void)
{
    NEED_CASES();
    static const size_t pieces[] = {1, 160, 511, 4000};
    static const struct {
        voce_features_kind kind;
        int n_mels;
    } fronts[] = {{VOCE_FEATURES_WHISPER, 80}, {VOCE_FEATURES_WHISPER, 128}, {VOCE_FEATURES_NEMO, 80},
                  {VOCE_FEATURES_NEMO, 128}, {VOCE_FEATURES_FBANK, 80}};
    double worst[4] = {0, 0, 0, 0}, nemo_norm_worst = 0, nemo_norm_excess = 0;
    int runs = 0, failed = 0;
    char done[MAX_CASES][96];
    int n_done = 0;
    for (int ci = 0; ci < n_cases; ci++) {
        const char *stem = cases[ci].stem;
        int seen = 0;
        for (int d = 0; d < n_done; d++) seen |= !strcmp(done[d], stem);
        if (seen) continue;
        snprintf(done[n_done++], sizeof done[0], "%s", stem);
        size_t n;
        float *x = load_audio(stem, &n);
        CHECK_MSG(x, "audio %s missing", stem);
        /* pieces of 1 sample on three inputs only (every sample a call) */
        int one_ok = !strcmp(stem, "jfk") || !strcmp(stem, "square") || !strncmp(stem, "short", 5) ||
                     !strcmp(stem, "librispeech_1089_134691_0000");
        /* VOCE_TEST_QUICK: of the recordings over 3 s, jfk only (they are all offline) */
        if (vt_quick() && n > 3 * 16000 && strcmp(stem, "jfk")) {
            free(x);
            continue;
        }
        for (size_t fi = 0; fi < sizeof fronts / sizeof fronts[0]; fi++) {
            voce_features_kind kind = fronts[fi].kind;
            int M = fronts[fi].n_mels;
            float *off = NULL;
            size_t n_off = 0;
            if (offline(kind, M, 0, x, n, &off, &n_off)) continue; /* refused inputs: test_edge_inputs */
            voce_features_config cfg = config_of(kind, M, 0);
            voce_features *fe = NULL;
            voce_status st = voce_features_create(&cfg, &fe);
            size_t cap = n_off + 64;
            float *s = malloc(sizeof *s * cap * (size_t)M);
            if (st || !s) {
                free(off), free(s), free(x), voce_features_destroy(fe);
                CHECK_OK(st);
                CHECK(s);
            }
            /* frames before NeMo's padding: those the stream must give */
            size_t want = n_off;
            if (kind == VOCE_FEATURES_NEMO) want = n / 160; /* seq_len: the valid frames */
            for (size_t pi = 0; pi < sizeof pieces / sizeof pieces[0]; pi++) {
                if (pieces[pi] == 1 && !one_ok) continue;
                size_t got = 0, early = 0;
                st = stream_all(fe, x, n, pieces[pi], s, cap, &got, &early);
                runs++;
                if (st) {
                    printf("  %s %d-mel, %s, pieces of %zu: %s (%s)\n", kind_name(kind), M, stem, pieces[pi],
                           voce_status_str(st), voce_last_error());
                    failed++;
                    continue;
                }
                if (kind == VOCE_FEATURES_WHISPER && got) voce_features_finish(fe, s, got);
                size_t cmp = kind == VOCE_FEATURES_NEMO ? (got < want ? got : want) : got;
                double d = max_abs_diff(s, off, cmp * (size_t)M);
                if (d > worst[kind]) worst[kind] = d;
                int bad_count = got != want;
                size_t early_want = ready_before_end(kind, n, want);
                int late = early != early_want;
                if (bad_count || d >= 1e-6 || late) {
                    printf("  %s %d-mel, %s, pieces of %zu: %zu frames streamed (%zu before flush), offline %zu "
                           "(%zu expected from the stream, %zu before flush); max |stream - offline| %.3g\n",
                           kind_name(kind), M, stem, pieces[pi], got, early, n_off, want, early_want, d);
                    if (d >= 1e-6) {
                        for (size_t k = 0; k < cmp * (size_t)M; k++)
                            if (!(fabs((double)s[k] - off[k]) < 1e-6) && !same_float(s[k], off[k])) {
                                printf("    first at frame %zu bin %zu: stream %.7g offline %.7g\n", k / (size_t)M,
                                       k % (size_t)M, s[k], off[k]);
                                break;
                            }
                    }
                    failed++;
                }
            }
            /* Whisper with the 30 s of zeros: flush appends them; finish on the whole
             * block gives compute()'s frames */
            if (kind == VOCE_FEATURES_WHISPER && has_case(M, stem)) {
                float *padded = NULL, *sp = NULL;
                size_t n_pad = 0, got = 0, early = 0;
                voce_features_config cp = config_of(kind, M, 1);
                voce_features *fp = NULL;
                st = voce_features_create(&cp, &fp);
                if (!st) st = offline(kind, M, 1, x, n, &padded, &n_pad);
                if (!st && !(sp = malloc(sizeof *sp * (n_pad + 64) * (size_t)M))) st = VOCE_ERR_NOMEM;
                for (size_t pi = 1; !st && pi < sizeof pieces / sizeof pieces[0]; pi++) {
                    st = stream_all(fp, x, n, pieces[pi], sp, n_pad + 64, &got, &early);
                    if (!st) st = voce_features_finish(fp, sp, got);
                    int count_ok = got == n_pad && got == (n + 480000) / 160;
                    double d = st || !count_ok ? INFINITY : max_abs_diff(sp, padded, n_pad * (size_t)M);
                    worst[kind] = fmax(worst[kind], d);
                    if (d >= 1e-6) {
                        printf("  whisper %d-mel with 30 s of zeros, %s, pieces of %zu: %s, %zu frames streamed, "
                               "offline %zu; max |stream - offline| %.3g\n", M, stem, pieces[pi],
                               voce_status_str(st), got, n_pad, d);
                        failed++;
                    }
                    runs++;
                }
                free(padded);
                free(sp);
                voce_features_destroy(fp);
            }
            /* NeMo with normalisation: voce_features_finish on the streamed block
             * normalises it as compute() does (over the valid frames) */
            if (kind == VOCE_FEATURES_NEMO && want > 1) {
                float *norm = NULL;
                size_t n_norm = 0, got = 0, early = 0;
                voce_features_config cn = config_of(kind, M, 1);
                voce_features *fn = NULL;
                st = voce_features_create(&cn, &fn);
                if (!st) st = offline(kind, M, 1, x, n, &norm, &n_norm);
                if (!st) st = stream_all(fn, x, n, 4000, s, cap, &got, &early);
                float *raw = st ? NULL : malloc(sizeof *raw * (got ? got : 1) * (size_t)M);
                if (raw) memcpy(raw, s, sizeof *raw * got * (size_t)M);
                if (!st) st = voce_features_finish(fn, s, got);
                int ok = !st && raw && got == want;
                double d = ok ? max_abs_diff(s, norm, want * (size_t)M) : INFINITY;
                double excess = ok ? finish_excess(raw, s, norm, want, M) : INFINITY;
                nemo_norm_worst = fmax(nemo_norm_worst, d);
                nemo_norm_excess = fmax(nemo_norm_excess, excess);
                if (!(excess <= 1)) {
                    printf("  nemo %d-mel normalised, %s: %s, %zu frames streamed, %zu valid; finish() vs "
                           "compute() %.3g, %.3g of the float-rounding bound\n", M, stem, voce_status_str(st), got,
                           want, d, excess);
                    failed++;
                }
                runs++;
                free(raw);
                free(norm);
                voce_features_destroy(fn);
            }
            free(s);
            free(off);
            voce_features_destroy(fe);
        }
        free(x);
    }
    /* the end of the audio at every position that matters to the frames before flush:
     * jfk cut to lengths around the frame grid */
    static const size_t lens[] = {199, 200, 201, 359, 360, 399, 400, 401, 559, 560, 16000, 16001, 16039, 16040, 16041,
                                  16159, 16199, 16200, 16201, 16239, 16240, 16399, 16400};
    size_t n_jfk;
    float *jfk = load_audio("jfk", &n_jfk);
    CHECK(jfk && n_jfk > 17000);
    for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
        for (size_t fi = 0; fi < sizeof fronts / sizeof fronts[0]; fi += 2) { /* 80 mels */
            voce_features_kind kind = fronts[fi].kind;
            float *off = NULL, *s = NULL;
            size_t n_off = 0, got = 0, early = 0, n = lens[li];
            voce_features_config cfg = config_of(kind, 80, 0);
            voce_features *fe = NULL;
            voce_status st = voce_features_create(&cfg, &fe);
            if (!st) st = offline(kind, 80, 0, jfk + 5000, n, &off, &n_off);
            size_t want = kind == VOCE_FEATURES_NEMO ? n / 160 : n_off;
            if (!st && !(s = malloc(sizeof *s * (n_off + 8) * 80))) st = VOCE_ERR_NOMEM;
            if (!st) st = stream_all(fe, jfk + 5000, n, li % 2 ? 160 : 511, s, n_off + 8, &got, &early);
            if (!st && kind == VOCE_FEATURES_WHISPER && got) st = voce_features_finish(fe, s, got);
            double d = st || got != want ? INFINITY : max_abs_diff(s, off, want * 80);
            size_t early_want = ready_before_end(kind, n, want);
            if (d >= 1e-6 || early != early_want) {
                printf("  %s, %zu samples: %s, %zu frames (%zu before flush; expected %zu, %zu before flush), max "
                       "|stream - offline| %.3g\n", kind_name(kind), n, voce_status_str(st), got, early, want,
                       early_want, d);
                failed++;
            }
            runs++;
            free(off), free(s);
            voce_features_destroy(fe);
        }
    }
    free(jfk);
    printf("  %d streamed runs: max |stream - offline| whisper %.3g, nemo %.3g, fbank %.3g; NeMo normalised by "
           "finish() on the streamed floats vs compute(): %.3g (%.2f of the float-rounding bound); %d differ\n",
           runs, worst[1], worst[2], worst[3], nemo_norm_worst, nemo_norm_excess, failed);
    CHECK(runs >= 100);
    CHECK(failed == 0);
}

int main(void)
{
    vt_run("offline_matches_reference", test_offline_matches_reference);
    vt_run("fbank_references_present", test_fbank_references_present);
    vt_run("streaming_equals_offline", test_streaming_equals_offline);
    vt_run("edge_inputs", test_edge_inputs);
    return vt_finish();
}
