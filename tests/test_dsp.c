/* The DSP building blocks of the audio front ends: the real FFT against numpy.fft.rfft
 * in double (random input, impulse, DC, Nyquist tone; smooth, prime and Bluestein
 * lengths), the windows against torch, the mel scales and filterbanks against Whisper's
 * mel_filters.npz and a numpy transcription of librosa.filters.mel, Kaldi's banks
 * against torchaudio's get_mel_banks (and a double transcription of it), and every
 * refusal. References: tests/ref/gen_dsp_refs.py. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audio/fft.h"
#include "audio/mel.h"
#include "audio/window.h"
#include "core/npy.h"
#include "harness.h"

static const char *ref_dir(void) { return vt_build_path(NULL, "dsp-ref"); }

static const char *ref_path(const char *name)
{
    static char path[1400];
    snprintf(path, sizeof path, "%s/%s", ref_dir(), name);
    return path;
}

static int ref_exists(const char *name)
{
    FILE *f = fopen(ref_path(name), "rb");
    if (f) fclose(f);
    return f != NULL;
}

/* A refusal: VOCE_ERR_INVALID_ARG with a message naming the culprit. Records a failure
 * and goes on, so that one test reports every refusal that is missing. */
#define REFUSED(expr, needle)                                                          \
    do {                                                                               \
        voce_status st_ = (expr);                                                      \
        if (st_ != VOCE_ERR_INVALID_ARG || !strstr(voce_last_error(), needle))         \
            vt_fail(__FILE__, __LINE__, "%s -> %s (%s), expected a refusal naming '%s'", \
                    #expr, voce_status_str(st_), voce_last_error(), needle);           \
    } while (0)

/* ---- FFT ---- */

/* as in gen_dsp_refs.py */
static const size_t fft_sizes[] = {1,   2,   3,   4,   5,   6,   7,   8,   10,  12,   14,
                                   16,  30,  60,  64,  97,  160, 194, 250, 256, 320,  375,
                                   400, 401, 480, 512, 802, 1000, 1021, 1024, 2048};

/* Largest |mine - ref| over all bins (as complex magnitudes), relative to max |ref|. */
static double fft_case(const char *kind, size_t n, double *abs_err)
{
    char name[64];
    vc_tensor in = {0}, ref = {0};
    snprintf(name, sizeof name, "fft_%s_%zu.in.npy", kind, n);
    if (vc_npy_read(ref_path(name), &in)) return -1;
    snprintf(name, sizeof name, "fft_%s_%zu.out.npy", kind, n);
    if (vc_npy_read(ref_path(name), &ref)) { free(in.data); return -1; }
    double rel = -2;
    vc_fft *f = NULL;
    double *x = malloc(n * sizeof(double)), *out = malloc((n / 2 + 1) * 2 * sizeof(double));
    if (in.dtype == VOCE_DTYPE_F32 && ref.dtype == VOCE_DTYPE_F64 && vc_numel(&in) == (int64_t)n &&
        vc_numel(&ref) == (int64_t)(n / 2 + 1) * 2 && x && out && vc_fft_create(n, &f) == VOCE_OK) {
        for (size_t j = 0; j < n; j++) x[j] = ((const float *)in.data)[j];
        vc_fft_real(f, x, out);
        const double *r = ref.data;
        double maxabs = 0, err = 0;
        for (size_t k = 0; k <= n / 2; k++) {
            maxabs = fmax(maxabs, hypot(r[2 * k], r[2 * k + 1]));
            err = fmax(err, hypot(out[2 * k] - r[2 * k], out[2 * k + 1] - r[2 * k + 1]));
        }
        *abs_err = err;
        rel = err / (maxabs > 0 ? maxabs : 1);
    }
    vc_fft_destroy(f);
    free(x);
    free(out);
    free(in.data);
    free(ref.data);
    return rel;
}

static void test_fft_vs_numpy(void)
{
    if (!ref_exists("fft_rand_400.in.npy")) VT_SKIP("needs %s (gen_dsp_refs)", ref_path("fft_rand_400.in.npy"));
    static const char *kinds[] = {"rand", "impulse", "dc", "nyq"};
    printf("  n     max |err| / max |X| (rand, impulse, dc, nyquist)\n");
    for (size_t i = 0; i < sizeof fft_sizes / sizeof fft_sizes[0]; i++) {
        size_t n = fft_sizes[i];
        double rel[4];
        for (int k = 0; k < 4; k++) {
            double abs_err = 0;
            rel[k] = fft_case(kinds[k], n, &abs_err);
            CHECK_MSG(rel[k] >= 0, "fft %s n=%zu: reference unreadable or plan failed (%s)", kinds[k], n,
                      voce_last_error());
            CHECK_MSG(rel[k] <= 1e-13, "fft %s n=%zu: error %.3g of max |X| (abs %.3g)", kinds[k], n,
                      rel[k], abs_err);
        }
        printf("  %-5zu %.2e %.2e %.2e %.2e\n", n, rel[0], rel[1], rel[2], rel[3]);
    }
}

/* Work-buffer variant, reuse of a plan, and the sizes it reports. */
static void test_fft_plan(void)
{
    static const size_t sizes[] = {400, 401, 97, 2, 1, 15, 802};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        size_t n = sizes[i];
        vc_fft *f = NULL;
        CHECK_OK(vc_fft_create(n, &f));
        CHECK(vc_fft_size(f) == n);
        size_t nw = vc_fft_work_size(f);
        double *x = malloc(n * sizeof(double)), *a = malloc((n + 2) * sizeof(double));
        double *b = malloc((n + 2) * sizeof(double)), *w = malloc(nw * sizeof(double));
        int ok = x && a && b && w;
        if (ok) {
            for (size_t j = 0; j < n; j++) x[j] = sin(0.37 * (double)j * (double)j + 1.0);
            vc_fft_real(f, x, a);
            for (size_t j = 0; j < nw; j++) w[j] = NAN; /* a work buffer need not be clean */
            vc_fft_real_ws(f, x, b, w);
            ok = memcmp(a, b, (n / 2 + 1) * 2 * sizeof(double)) == 0;
            vc_fft_real(f, x, b); /* again: a plan keeps no state between runs */
            ok = ok && memcmp(a, b, (n / 2 + 1) * 2 * sizeof(double)) == 0;
        }
        free(x);
        free(a);
        free(b);
        free(w);
        vc_fft_destroy(f);
        CHECK_MSG(ok, "n=%zu: vc_fft_real_ws or a second run differs from the first run", n);
    }
    vc_fft_destroy(NULL);
}

static void test_fft_refusals(void)
{
    vc_fft *f = (vc_fft *)&f;
    REFUSED(vc_fft_create(0, &f), "at least 1");
    CHECK(f == NULL);
    REFUSED(vc_fft_create((size_t)1 << 30, &f), "limit");
    REFUSED(vc_fft_create(SIZE_MAX, &f), "limit");
    REFUSED(vc_fft_create(16, NULL), "NULL");
}

/* ---- windows ---- */

static void test_windows(void)
{
    static const struct { const char *name; vc_window_kind kind; } wins[] = {
        {"hann", VC_WINDOW_HANN_PERIODIC},       {"hann_symmetric", VC_WINDOW_HANN_SYMMETRIC},
        {"hamming", VC_WINDOW_HAMMING_PERIODIC}, {"hamming_symmetric", VC_WINDOW_HAMMING_SYMMETRIC},
        {"povey", VC_WINDOW_POVEY},              {"rectangular", VC_WINDOW_RECTANGULAR},
    };
    static const size_t sizes[] = {1, 2, 3, 16, 400, 401, 512};
    if (!ref_exists("win_povey_400.npy")) VT_SKIP("needs %s (gen_dsp_refs)", ref_path("win_povey_400.npy"));
    int missing = 0;
    double worst = 0;
    for (size_t i = 0; i < sizeof wins / sizeof wins[0]; i++) {
        CHECK(vc_window_parse(wins[i].name) == wins[i].kind);
        for (size_t j = 0; j < sizeof sizes / sizeof sizes[0]; j++) {
            char name[64];
            size_t n = sizes[j];
            snprintf(name, sizeof name, "win_%s_%zu.npy", wins[i].name, n);
            if (!ref_exists(name)) { missing++; continue; } /* torch absent */
            vc_tensor ref;
            CHECK_OK(vc_npy_read(ref_path(name), &ref));
            double w[512];
            vc_window(wins[i].kind, n, w);
            double err = 0;
            int shape_ok = ref.dtype == VOCE_DTYPE_F64 && vc_numel(&ref) == (int64_t)n;
            for (size_t k = 0; shape_ok && k < n; k++) err = fmax(err, fabs(w[k] - ((double *)ref.data)[k]));
            free(ref.data);
            CHECK_MSG(shape_ok, "%s: reference has the wrong shape or dtype", name);
            CHECK_MSG(err <= 1e-15, "%s: max error %.3g", name, err);
            worst = fmax(worst, err);
        }
    }
    printf("  windows: max abs error %.2e%s\n", worst, missing ? " (torch windows missing: skipped)" : "");
    CHECK(vc_window_parse("hanning") == 0);
    CHECK(vc_window_parse("") == 0);
    CHECK(vc_window_parse(NULL) == 0);
}

/* ---- mel ---- */

static void test_mel_scale(void)
{
    if (!ref_exists("mel_scale.npy")) VT_SKIP("needs %s (gen_dsp_refs)", ref_path("mel_scale.npy"));
    vc_tensor t;
    CHECK_OK(vc_npy_read(ref_path("mel_scale.npy"), &t));
    const double *r = t.data;
    int64_t rows = t.dims[0];
    int ok = t.dtype == VOCE_DTYPE_F64 && t.rank == 2 && t.dims[1] == 3;
    double err = 0, back = 0;
    for (int64_t i = 0; ok && i < rows; i++) {
        double hz = r[3 * i];
        double s = vc_hz_to_mel(hz, VC_MEL_SLANEY), h = vc_hz_to_mel(hz, VC_MEL_HTK);
        err = fmax(err, fmax(fabs(s - r[3 * i + 1]), fabs(h - r[3 * i + 2])));
        back = fmax(back, fabs(vc_mel_to_hz(s, VC_MEL_SLANEY) - hz) / fmax(hz, 1.0));
        back = fmax(back, fabs(vc_mel_to_hz(h, VC_MEL_HTK) - hz) / fmax(hz, 1.0));
    }
    free(t.data);
    CHECK(ok);
    CHECK_MSG(err <= 1e-9, "hz_to_mel differs from librosa by %.3g", err);
    CHECK_MSG(back <= 1e-12, "mel_to_hz(hz_to_mel(f)) differs from f by %.3g (relative)", back);
    CHECK(fabs(vc_hz_to_mel(1000.0, VC_MEL_SLANEY) - 15.0) < 1e-12); /* where the log part starts */
}

/* Max |mine - ref| of a [n_mels][n_fft / 2 + 1] table; -1 on a shape mismatch. */
static double table_diff(const float *mine, const vc_tensor *ref, int n_mels, int n_bins)
{
    if (ref->rank != 2 || ref->dims[0] != n_mels || ref->dims[1] != n_bins) return -1;
    double err = 0;
    for (int64_t i = 0; i < (int64_t)n_mels * n_bins; i++)
        err = fmax(err, fabs((double)mine[i] - vc_get_f64(ref, i)));
    return err;
}

static void test_mel_whisper(void)
{
    const char *npz = vt_data("models/whisper-assets/mel_filters.npz");
    if (!npz) VT_SKIP("needs models/whisper-assets/mel_filters.npz under VOCE_TEST_DATA");
    if (!ref_exists("whisper_mel_80.npy")) VT_SKIP("needs %s (gen_dsp_refs)", ref_path("whisper_mel_80.npy"));
    static const int mels[] = {80, 128};
    for (int i = 0; i < 2; i++) {
        char name[64];
        snprintf(name, sizeof name, "whisper_mel_%d.npy", mels[i]);
        vc_tensor ref;
        CHECK_OK(vc_npy_read(ref_path(name), &ref));
        float *mine = malloc((size_t)mels[i] * 201 * sizeof(float));
        double err = -1;
        if (mine &&
            vc_mel_filters(16000, 400, mels[i], 0.0, 0.0, VC_MEL_SLANEY, VC_MEL_NORM_SLANEY, mine) == VOCE_OK)
            err = table_diff(mine, &ref, mels[i], 201);
        free(mine);
        free(ref.data);
        CHECK_MSG(err >= 0, "mel_%d: %s", mels[i], voce_last_error());
        CHECK_MSG(err < 1e-6, "mel_%d differs from mel_filters.npz by %.3g", mels[i], err);
        printf("  mel_filters.npz mel_%d: max abs diff %.2e\n", mels[i], err);
    }
}

static void test_mel_librosa(void)
{
    FILE *f = fopen(ref_path("mel_cases.txt"), "r");
    if (!f) VT_SKIP("needs %s (gen_dsp_refs)", ref_path("mel_cases.txt"));
    int k, sr, n_fft, n_mels, cases = 0;
    double lo, hi, worst = 0;
    char scale[16], norm[16];
    while (fscanf(f, "%d %d %d %d %lf %lf %15s %15s", &k, &sr, &n_fft, &n_mels, &lo, &hi, scale,
                  norm) == 8) {
        char name[64];
        snprintf(name, sizeof name, "mel_%d.npy", k);
        vc_tensor ref;
        if (vc_npy_read(ref_path(name), &ref)) { fclose(f); CHECK_OK(VOCE_ERR_IO); }
        int n_bins = n_fft / 2 + 1;
        float *mine = malloc((size_t)n_mels * (size_t)n_bins * sizeof(float));
        double err = -1;
        if (mine && vc_mel_filters(sr, n_fft, n_mels, lo, hi,
                                   strcmp(scale, "htk") == 0 ? VC_MEL_HTK : VC_MEL_SLANEY,
                                   strcmp(norm, "slaney") == 0 ? VC_MEL_NORM_SLANEY : VC_MEL_NORM_NONE,
                                   mine) == VOCE_OK)
            err = table_diff(mine, &ref, n_mels, n_bins);
        free(mine);
        free(ref.data);
        if (err < 0 || err >= 1e-6) fclose(f);
        CHECK_MSG(err >= 0, "mel case %d: %s", k, voce_last_error());
        CHECK_MSG(err < 1e-6, "mel case %d (sr %d, n_fft %d, %d mels, %g..%g Hz, %s, norm %s): %.3g", k, sr,
                  n_fft, n_mels, lo, hi, scale, norm, err);
        worst = fmax(worst, err);
        cases++;
    }
    fclose(f);
    CHECK_MSG(cases >= 5, "only %d mel cases read", cases);
    printf("  librosa transcription: %d cases, max abs diff %.2e\n", cases, worst);
}

static void test_mel_kaldi(void)
{
    FILE *f = fopen(ref_path("kaldi_cases.txt"), "r");
    if (!f) VT_SKIP("needs %s (gen_dsp_refs)", ref_path("kaldi_cases.txt"));
    int k, sr, n_fft, n_mels, cases = 0, ta = 0;
    double low, high, worst = 0, worst_ta = 0;
    while (fscanf(f, "%d %d %d %d %lf %lf", &k, &sr, &n_fft, &n_mels, &low, &high) == 6) {
        int n_bins = n_fft / 2 + 1;
        float *mine = malloc((size_t)n_mels * (size_t)n_bins * sizeof(float));
        voce_status st = mine ? vc_mel_kaldi(sr, n_fft, n_mels, low, high, mine) : VOCE_ERR_NOMEM;
        /* the double transcription, then torchaudio's banks when present: those are
         * computed in float32 (mel values near 2000 carry 1e-4 of rounding, over
         * triangles some 30 mel wide), hence the looser bound */
        double err[2] = {-1, -1};
        for (int r = 0; r < 2 && st == VOCE_OK; r++) {
            char name[64];
            snprintf(name, sizeof name, r ? "kaldi_%d.ta.npy" : "kaldi_%d.npy", k);
            if (r && !ref_exists(name)) break;
            vc_tensor ref;
            if (vc_npy_read(ref_path(name), &ref) == VOCE_OK) {
                err[r] = table_diff(mine, &ref, n_mels, n_bins);
                free(ref.data);
            }
        }
        free(mine);
        int ok = st == VOCE_OK && err[0] >= 0 && err[0] < 1e-6 && (err[1] == -1 || err[1] < 5e-5);
        if (!ok) fclose(f);
        CHECK_MSG(st == VOCE_OK, "Kaldi case %d: %s", k, voce_last_error());
        CHECK_MSG(ok, "Kaldi case %d (sr %d, n_fft %d, %d mels, %g..%g Hz): %.3g vs double, %.3g vs torchaudio",
                  k, sr, n_fft, n_mels, low, high, err[0], err[1]);
        worst = fmax(worst, err[0]);
        if (err[1] >= 0) { ta++; worst_ta = fmax(worst_ta, err[1]); }
        cases++;
    }
    fclose(f);
    CHECK_MSG(cases >= 4, "only %d Kaldi cases read", cases);
    printf("  Kaldi banks: %d cases, max abs diff %.2e vs double transcription", cases, worst);
    if (ta) printf(", %.2e vs torchaudio (float32) in %d\n", worst_ta, ta);
    else printf("; torchaudio not installed\n");
}

static void test_mel_refusals(void)
{
    /* big enough for every request below that is wrongly accepted with sane sizes */
    float *buf = calloc(128 * 513, sizeof(float));
    CHECK(buf);
#define MEL(sr, nfft, nm, lo, hi) vc_mel_filters(sr, nfft, nm, lo, hi, VC_MEL_SLANEY, VC_MEL_NORM_SLANEY, buf)
    REFUSED(MEL(16000, 400, 0, 0, 8000), "n_mels");
    REFUSED(MEL(16000, 400, 1 << 20, 0, 0), "n_mels");
    REFUSED(MEL(16000, 400, 80, 0, 8001), "fmax");
    REFUSED(MEL(16000, 400, 80, 4000, 4000), "fmin");
    REFUSED(MEL(16000, 400, 80, 5000, 4000), "fmin");
    REFUSED(MEL(16000, 400, 80, -1, 4000), "fmin");
    REFUSED(MEL(16000, 400, 80, NAN, 4000), "fmin");
    REFUSED(MEL(16000, 0, 80, 0, 0), "n_fft");
    REFUSED(MEL(16000, 1 << 30, 80, 0, 0), "n_fft");
    REFUSED(MEL(0, 400, 80, 0, 0), "sample rate");
    REFUSED(MEL(-16000, 400, 80, 0, 0), "sample rate");
    REFUSED(vc_mel_filters(16000, 400, 80, 0, 0, (vc_mel_scale)7, VC_MEL_NORM_NONE, buf), "scale");
    REFUSED(vc_mel_filters(16000, 400, 80, 0, 0, VC_MEL_HTK, (vc_mel_norm)5, buf), "normalisation");
    REFUSED(vc_mel_filters(16000, 400, 80, 0, 0, VC_MEL_HTK, VC_MEL_NORM_NONE, NULL), "NULL");
#undef MEL
    REFUSED(vc_mel_kaldi(16000, 401, 80, 20, 0, buf), "odd");
    REFUSED(vc_mel_kaldi(16000, 512, 80, 20, 9000, buf), "high");
    REFUSED(vc_mel_kaldi(16000, 512, 80, 20, -7990, buf), "low"); /* high = 10 Hz < low */
    REFUSED(vc_mel_kaldi(16000, 512, 80, 8000, 0, buf), "low");
    REFUSED(vc_mel_kaldi(16000, 512, 0, 20, 0, buf), "n_mels");
    REFUSED(vc_mel_kaldi(16000, 512, 80, 20, 0, NULL), "NULL");
    free(buf);
}

int main(void)
{
    vt_run("fft_vs_numpy", test_fft_vs_numpy);
    vt_run("fft_plan", test_fft_plan);
    vt_run("fft_refusals", test_fft_refusals);
    vt_run("windows", test_windows);
    vt_run("mel_scale", test_mel_scale);
    vt_run("mel_whisper", test_mel_whisper);
    vt_run("mel_librosa", test_mel_librosa);
    vt_run("mel_kaldi", test_mel_kaldi);
    vt_run("mel_refusals", test_mel_refusals);
    return vt_finish();
}
