/* Long audio with NeMo transducer and CTC programs (src/models/transducer/chunk.c,
 * docs/transducer.md "Long audio"), against tests/ref/gen_transducer_long.py:
 *  - windows_tdt, windows_ctc: 23.5 s in windows of a chunk of a few seconds (the
 *    reference picks one across whose borders the decode carries a TDT jump or a CTC
 *    token's run, every decision 2e-3 ahead)
 *    and 1.6 s of context on the random-weight test models: each window's kept encoder frames (CTC: log-probs)
 *    within 1e-3 relative of PyTorch's encoder on the same windows, and the decode across
 *    the borders (prediction state, TDT skips, CTC repeats carried on) equal to NeMo's
 *    greedy decode of PyTorch's kept frames side by side: the tokens, and their times
 *    (offsets x 0.08 s, those of the whole input), which never go back; the TDT decode
 *    in onnx-asr's layout too (its fused decoder_joint keeps state differently);
 *  - parts: a model whose outputs depend on nearby audio only (the reference's "local"
 *    TDT) on 20 s parts of speech padded with silence: the transcript of the parts
 *    joined (60 s, in windows of the default 20 s + 4 s, the borders in the silence)
 *    is the parts' transcripts one after the other, each token time shifted by its
 *    part's start; read from a WAV file (streamed, never whole) it is the same;
 *  - sizes: chunk and context settings refused with their reasons. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/npy.h"
#include "harness.h"
#include "models/transducer/chunk.h"
#include "voce/asr.h"
#include "voce/audio.h"

static char refs[1024], layouts[1024];

static int find_refs(void)
{
    snprintf(refs, sizeof refs, "%s", vt_build_path("VOCE_TRANSDUCER_LONG", "transducer-long"));
    snprintf(layouts, sizeof layouts, "%s", vt_build_path("VOCE_TRANSDUCER_LAYOUTS", "transducer-layouts"));
    char p[1200];
    snprintf(p, sizeof p, "%s/local/ref/parts.json", refs);
    FILE *f = fopen(p, "rb");
    if (f) fclose(f);
    snprintf(p, sizeof p, "%s/tdt/sherpa/tokens.txt", layouts);
    FILE *g = fopen(p, "rb");
    if (g) fclose(g);
    return f && g && vt_data("audio/jfk.wav");
}

static const char *compile_dir(const char *dir, const char *family, const char *name)
{
    static char out[1200];
    snprintf(out, sizeof out, "%s", vt_tmp(name));
    return vt_compile(dir, family, out) ? NULL : out;
}

static float *read_jfk(size_t *n)
{
    voce_audio_options o = voce_audio_options_default();
    o.sample_rate = 16000;
    float *pcm = NULL;
    int rate = 0;
    if (voce_audio_read_file(vt_data("audio/jfk.wav"), &o, &pcm, n, &rate)) return NULL;
    return pcm;
}

/* jfk.wav, 1.5 s of zeros, jfk.wav backwards at half level (the reference's LONG_INPUT). */
static float *long_input(size_t *n)
{
    size_t k = 0;
    float *jfk = read_jfk(&k);
    float *pcm = jfk ? calloc(2 * k + 24000, sizeof *pcm) : NULL;
    if (pcm) {
        memcpy(pcm, jfk, k * sizeof *pcm);
        for (size_t i = 0; i < k; i++) pcm[k + 24000 + i] = 0.5f * jfk[k - 1 - i];
        *n = 2 * k + 24000;
    }
    free(jfk);
    return pcm;
}

/* ---- windows: kept frames and the decode against PyTorch ---- */

/* The kept frames of window c against the reference's [D][T'] (CTC [T'][V + 1]). */
static double window_diff(const vc_td_chunker *c, const vc_tensor *ref, int ctc)
{
    size_t W = (size_t)c->width, n = (size_t)c->n, T = ctc ? 0 : (size_t)ref->dims[1];
    float *want = malloc(sizeof(float) * W * n);
    if (!want) return INFINITY;
    const float *r = ref->data;
    for (size_t j = 0; j < n; j++)
        for (size_t d = 0; d < W; d++)
            want[ctc ? j * W + d : d * n + j] = ctc ? r[((size_t)c->first + j) * W + d] : r[d * T + (size_t)c->first + j];
    double diff = vt_rel_diff(c->kept, want, W * n);
    free(want);
    return diff;
}

static void check_windows(vc_td_runner *r, const float *pcm, size_t n, const char *model, int ctc, const double *sz)
{
    vc_tensor kept = {0};
    if (!vt_read_npy(&kept, "%s/windows/%s/kept.npy", refs, model)) return;
    int64_t ref_frames = kept.dims[ctc ? 0 : 1];
    vc_td_pcm_source mem;
    vc_td_source src = vc_td_source_of_pcm(&mem, pcm, n);
    vc_td_chunker c;
    voce_status st = vc_td_chunker_open(&c, r, &src, sz[0], sz[1]);
    if (st) vt_fail(__FILE__, __LINE__, "%s: %s", model, voce_last_error());
    double worst = 0;
    int64_t next = 0;
    while (!st && !c.done && !vt_failed()) {
        if ((st = vc_td_chunker_next(&c))) vt_fail(__FILE__, __LINE__, "%s window %d: %s", model, c.windows, voce_last_error());
        else if (c.first != next || c.first + c.n > ref_frames)
            vt_fail(__FILE__, __LINE__, "%s window %d: frames %lld + %d, expected from %lld of %lld", model, c.windows,
                    (long long)c.first, c.n, (long long)next, (long long)ref_frames);
        else {
            double d = window_diff(&c, &kept, ctc);
            worst = fmax(worst, d);
            if (!(d < 1e-3)) vt_fail(__FILE__, __LINE__, "%s window %d: kept frames %.3g from PyTorch's", model, c.windows, d);
            next = c.first + c.n;
        }
    }
    if (!vt_failed() && next != ref_frames)
        vt_fail(__FILE__, __LINE__, "%s: the windows kept %lld frames, PyTorch %lld", model, (long long)next, (long long)ref_frames);
    printf("  %s: %d windows, %lld frames kept, within %.2g of PyTorch\n", model, c.windows, (long long)next, worst);
    if (!st) vc_td_chunker_close(&c);
    free(kept.data);
}

static void check_decode(vc_td_runner *r, const float *pcm, size_t n, const char *model, const double *sz)
{
    vc_tensor tok = {0}, off = {0};
    if (!vt_read_npy(&tok, "%s/windows/%s/tokens.npy", refs, model) ||
        !vt_read_npy(&off, "%s/windows/%s/offsets.npy", refs, model)) {
        free(tok.data);
        return;
    }
    vc_td_run_params p = {0};
    p.chunk_seconds = sz[0];
    p.context_seconds = sz[1];
    vc_td_transcript t;
    if (vc_td_transcribe(r, pcm, n, &p, &t)) {
        vt_fail(__FILE__, __LINE__, "%s: %s", model, voce_last_error());
        free(tok.data), free(off.data);
        return;
    }
    const int64_t *want = tok.data, *o = off.data;
    int same = t.n_tokens == (int)tok.dims[0], i = 0;
    for (; same && i < t.n_tokens; i++) {
        const vc_td_rtoken *k = &t.tokens[i];
        same = k->id == want[i] && fabs(k->start - (double)o[2 * i] * 0.08) < 1e-9 &&
               fabs(k->end - (double)o[2 * i + 1] * 0.08) < 1e-9;
        if (!same) vt_fail(__FILE__, __LINE__, "%s token %d: %d at %.2f-%.2f s, reference %lld at %.2f-%.2f s", model, i,
                           k->id, k->start, k->end, (long long)want[i], o[2 * i] * 0.08, o[2 * i + 1] * 0.08);
        if (same && i && k->start < t.tokens[i - 1].start)
            vt_fail(__FILE__, __LINE__, "%s token %d starts at %.2f s, before its predecessor", model, i, k->start);
    }
    if (t.n_tokens != (int)tok.dims[0])
        vt_fail(__FILE__, __LINE__, "%s: %d tokens, the reference %lld", model, t.n_tokens, (long long)tok.dims[0]);
    printf("  %s: %d tokens across the windows as the reference, last at %.2f s\n", model, t.n_tokens,
           t.n_tokens ? t.tokens[t.n_tokens - 1].start : 0.0);
    vc_td_transcript_free(&t);
    free(tok.data);
    free(off.data);
}

static void windows_of(const char *model, const char *layout)
{
    if (!find_refs()) VT_SKIP("needs audio/jfk.wav, %s and %s (gen_transducer_layouts, gen_transducer_long)", layouts, refs);
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/%s/%s", layouts, model, layout);
    int ctc = !strcmp(model, "ctc"), sherpa = !strcmp(layout, "sherpa");
    const char *path = compile_dir(dir, ctc ? "ctc" : "transducer", ctc ? "long-ctc.voce" : sherpa ? "long-tdt.voce"
                                                                                              : "long-tdt-asr.voce");
    CHECK_MSG(path, "compile %s: %s", dir, voce_last_error());
    vc_tensor sizes = {0};
    if (!vt_read_npy(&sizes, "%s/windows/%s/sizes.npy", refs, model)) return;
    const double *sz = sizes.data; /* the chunk and context the reference chose */
    size_t n = 0;
    float *pcm = long_input(&n);
    voce_program *prog = NULL;
    vc_td_runner r;
    memset(&r, 0, sizeof r);
    voce_method_options mo = voce_method_options_default();
    mo.threads = 1;
    voce_status st = pcm ? voce_program_open(path, NULL, &prog) : VOCE_ERR_NOMEM;
    if (!st) st = vc_td_runner_open(&r, prog, &mo);
    if (st) vt_fail(__FILE__, __LINE__, "%s: %s", model, voce_last_error());
    if (!st && sherpa) check_windows(&r, pcm, n, model, ctc, sz); /* onnx-asr: the same encoder */
    if (!st && !vt_failed()) check_decode(&r, pcm, n, model, sz);
    if (!st) vc_td_runner_close(&r);
    voce_program_close(prog);
    free(pcm);
    free(sizes.data);
}

static void test_windows_tdt(void) { windows_of("tdt", "sherpa"); }
static void test_windows_ctc(void) { windows_of("ctc", "sherpa"); }
/* onnx-asr's fused decoder_joint takes its new state from an evaluation: across windows too */
static void test_windows_tdt_onnx_asr(void)
{
    if (vt_quick()) VT_SKIP("VOCE_TEST_QUICK: the sherpa layout covers the windows");
    windows_of("tdt", "onnx-asr");
}

/* ---- parts: the long input's transcript is its parts' ---- */

#define PART_S 20
#define PAD_S 4.5

/* The reference's parts: 4.5 s of zeros, then jfk.wav forwards, backwards, forwards at
 * a quarter of its level, zeros to 20 s. */
static float *parts(int n_parts, size_t *n)
{
    size_t k = 0, len = (size_t)PART_S * 16000, pad = (size_t)(PAD_S * 16000);
    float *jfk = read_jfk(&k);
    float *pcm = jfk && pad + k <= len ? calloc(len * (size_t)n_parts, sizeof *pcm) : NULL;
    for (int p = 0; pcm && p < n_parts; p++)
        for (size_t i = 0; i < k; i++)
            pcm[(size_t)p * len + pad + i] = p == 0 ? jfk[i] : p == 1 ? jfk[k - 1 - i] : 0.25f * jfk[i];
    *n = len * (size_t)n_parts;
    free(jfk);
    return pcm;
}

typedef struct flat {
    int n;
    int32_t id[4096];
    double start[4096], end[4096];
} flat;

static void flatten(const voce_transcript *t, flat *f)
{
    f->n = 0;
    for (size_t s = 0; s < t->n_segments; s++)
        for (size_t k = 0; k < t->segments[s].n_tokens && f->n < 4096; k++, f->n++) {
            f->id[f->n] = t->segments[s].tokens[k].id;
            f->start[f->n] = t->segments[s].tokens[k].start;
            f->end[f->n] = t->segments[s].tokens[k].end;
        }
}

/* The text without its spaces (the parts' texts joined may differ from the whole's
 * only in the space SentencePiece puts between them). */
static void squeeze(const char *s, char *out, size_t cap)
{
    size_t n = 0;
    for (; *s && n + 1 < cap; s++)
        if (*s != ' ') out[n++] = *s;
    out[n] = 0;
}

static int write_wav(const char *path, const float *pcm, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    uint32_t data = (uint32_t)(n * 4), riff = 36 + data, fmt = 16, rate = 16000, bps = 64000;
    uint16_t tag = 3, ch = 1, align = 4, bits = 32;
    int ok = fwrite("RIFF", 1, 4, f) == 4 && fwrite(&riff, 4, 1, f) && fwrite("WAVEfmt ", 1, 8, f) == 8 &&
             fwrite(&fmt, 4, 1, f) && fwrite(&tag, 2, 1, f) && fwrite(&ch, 2, 1, f) && fwrite(&rate, 4, 1, f) &&
             fwrite(&bps, 4, 1, f) && fwrite(&align, 2, 1, f) && fwrite(&bits, 2, 1, f) &&
             fwrite("data", 1, 4, f) == 4 && fwrite(&data, 4, 1, f) && fwrite(pcm, 4, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* The whole's tokens are the parts' in order, each time shifted by its part's start,
 * and never going back. */
static void check_joined(const flat *whole, flat *part, int n_parts, const char *what)
{
    int i = 0;
    for (int p = 0; p < n_parts && !vt_failed(); p++)
        for (int k = 0; k < part[p].n && !vt_failed(); k++, i++) {
            double shift = (double)p * PART_S;
            if (i >= whole->n || whole->id[i] != part[p].id[k] || fabs(whole->start[i] - (part[p].start[k] + shift)) > 1e-6 ||
                fabs(whole->end[i] - (part[p].end[k] + shift)) > 1e-6)
                vt_fail(__FILE__, __LINE__, "%s token %d: %d at %.2f-%.2f s; part %d token %d: %d at %.2f-%.2f s + %.0f s",
                        what, i, i < whole->n ? whole->id[i] : -1, i < whole->n ? whole->start[i] : -1.0,
                        i < whole->n ? whole->end[i] : -1.0, p, k, part[p].id[k], part[p].start[k], part[p].end[k], shift);
            if (!vt_failed() && i && whole->start[i] < whole->start[i - 1])
                vt_fail(__FILE__, __LINE__, "%s token %d starts at %.2f s, before its predecessor", what, i, whole->start[i]);
        }
    if (!vt_failed() && i != whole->n) vt_fail(__FILE__, __LINE__, "%s: %d tokens, the parts %d", what, whole->n, i);
}

static void test_parts(void)
{
    if (!find_refs()) VT_SKIP("needs audio/jfk.wav, %s and %s (gen_transducer_layouts, gen_transducer_long)", layouts, refs);
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/local/sherpa", refs);
    const char *path = compile_dir(dir, "transducer", "long-local.voce");
    CHECK_MSG(path, "compile %s: %s", dir, voce_last_error());
    int n_parts = vt_quick() ? 2 : 3;
    size_t n = 0, len = (size_t)PART_S * 16000;
    float *pcm = parts(n_parts, &n);
    voce_asr_config cfg = voce_asr_config_default();
    cfg.threads = 1;
    voce_asr *asr = NULL;
    static flat part[3], whole, file;
    char text[8192] = "", joined[8192] = "", sq[8192];
    voce_status st = pcm ? voce_asr_open(path, &cfg, &asr) : VOCE_ERR_NOMEM;
    voce_transcribe_params p = voce_transcribe_params_default();
    for (int k = 0; !st && k < n_parts; k++) {
        voce_transcript *t = NULL;
        if (!(st = voce_asr_transcribe(asr, pcm + (size_t)k * len, len, &p, &t))) {
            flatten(t, &part[k]);
            squeeze(t->text, sq, sizeof sq);
            snprintf(joined + strlen(joined), sizeof joined - strlen(joined), "%s", sq);
            CHECK_MSG(part[k].n >= 10, "part %d: %d tokens; the reference's parts have more", k, part[k].n);
        }
        voce_transcript_free(t);
    }
    voce_transcript *t = NULL;
    if (!st) st = voce_asr_transcribe(asr, pcm, n, &p, &t);
    if (st) vt_fail(__FILE__, __LINE__, "%s", voce_last_error());
    if (t) {
        flatten(t, &whole);
        squeeze(t->text, text, sizeof text);
        check_joined(&whole, part, n_parts, "in memory");
        if (!vt_failed()) CHECK_MSG(!strcmp(text, joined), "text \"%s\", the parts' \"%s\"", t->text, joined);
        printf("  %d parts of %d, %d, %d tokens: the whole's %d tokens are theirs\n", n_parts, part[0].n, part[1].n,
               n_parts > 2 ? part[2].n : 0, whole.n);
    }
    voce_transcript_free(t);
    t = NULL;
    const char *wav = vt_tmp("long-parts.wav");
    if (!vt_failed() && asr) {
        CHECK_MSG(write_wav(wav, pcm, n), "cannot write %s", wav);
        if (voce_asr_transcribe_file(asr, wav, &p, &t)) vt_fail(__FILE__, __LINE__, "%s: %s", wav, voce_last_error());
        if (t) {
            flatten(t, &file);
            check_joined(&file, part, n_parts, "from the file");
            CHECK_MSG(fabs(t->duration - (double)n / 16000) < 1e-9, "file: duration %.3f s", t->duration);
        }
        voce_transcript_free(t);
    }
    voce_asr_close(asr);
    free(pcm);
}

/* ---- settings refused ---- */

static void test_sizes(void)
{
    if (!find_refs()) VT_SKIP("needs audio/jfk.wav, %s and %s", layouts, refs);
    char dir[1200];
    snprintf(dir, sizeof dir, "%s/ctc/sherpa", layouts);
    const char *path = compile_dir(dir, "ctc", "long-sizes.voce");
    CHECK_MSG(path, "compile %s: %s", dir, voce_last_error());
    voce_program *prog = NULL;
    vc_td_runner r;
    CHECK_OK(voce_program_open(path, NULL, &prog));
    if (vc_td_runner_open(&r, prog, NULL)) {
        vt_fail(__FILE__, __LINE__, "%s", voce_last_error());
        voce_program_close(prog);
        return;
    }
    size_t n = 16000 * 30;
    float *pcm = calloc(n, sizeof *pcm);
    vc_td_transcript t;
    vc_td_run_params p = {0};
    p.chunk_seconds = 10, p.context_seconds = -1;
    voce_status st = pcm ? vc_td_transcribe(&r, pcm, n, &p, &t) : VOCE_ERR_NOMEM;
    if (st != VOCE_ERR_INVALID_ARG || !strstr(voce_last_error(), "must be >= 0"))
        vt_fail(__FILE__, __LINE__, "context -1: %s (%s)", voce_status_str(st), st ? voce_last_error() : "");
    if (!st) vc_td_transcript_free(&t);
    p.chunk_seconds = 390, p.context_seconds = 10; /* a 410 s window */
    size_t big = (size_t)16000 * 420;
    float *pcm2 = !vt_failed() ? calloc(big, sizeof *pcm2) : NULL;
    st = pcm2 ? vc_td_transcribe(&r, pcm2, big, &p, &t) : VOCE_OK;
    if (pcm2 && (st != VOCE_ERR_INVALID_ARG || !strstr(voce_last_error(), "5000 frames")))
        vt_fail(__FILE__, __LINE__, "a 410 s window: %s (%s)", voce_status_str(st), st ? voce_last_error() : "");
    if (pcm2 && !st) vc_td_transcript_free(&t);
    free(pcm2);
    free(pcm);
    vc_td_runner_close(&r);
    voce_program_close(prog);
}

int main(void)
{
    vt_run("windows_tdt", test_windows_tdt);
    vt_run("windows_ctc", test_windows_ctc);
    vt_run("windows_tdt_onnx_asr", test_windows_tdt_onnx_asr);
    vt_run("parts", test_parts);
    vt_run("sizes", test_sizes);
    return vt_finish();
}
