/* NeMo's transducer beam search (src/models/transducer/beam.c) against the Python
 * reference tests/ref/transducer_beam_ref.py (fixture beam_facts.json):
 *   - hashed lattices (a joint both sides compute alike from a hash of the tokens): the
 *     best hypothesis's tokens, frames and durations identical, its score within 1e-5,
 *     the joint evaluations equal; among them cases where beam search finds a better
 *     path than greedy (so a search that degrades to greedy fails) and frames NeMo's
 *     loop would never leave (our bound on evaluations);
 *   - the TDT and RNN-T test models (sherpa and onnx-asr layouts) on the reference
 *     encoder output: beams 1, 2, 4, tokens identical, score within 1e-4, the text;
 *     beam 1 equals the greedy decode where NeMo's beam 1 does;
 *   - bad arguments. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/mapfile.h"
#include "core/npy.h"
#include "harness.h"
#include "models/transducer/beam.h"
#include "models/transducer/transcribe.h"
#include "voce/audio.h"
#include "text/json.h"

static vc_json facts;
static int have_facts;

static int load_facts(void)
{
    if (have_facts) return 1;
    char path[1200];
    snprintf(path, sizeof path, "%s/beam_facts.json", vt_build_path("VOCE_TRANSDUCER_BEAM", "transducer-beam"));
    vc_mapfile mf;
    if (vc_mapfile_open(path, &mf)) return 0;
    voce_status st = vc_json_parse(mf.data, mf.size, path, &facts);
    vc_mapfile_close(&mf);
    if (st) vt_fail(__FILE__, __LINE__, "%s: %s", path, voce_last_error());
    return have_facts = st == VOCE_OK;
}

static const vc_json_node *member(const vc_json_node *n, const char *key)
{
    return n ? vc_json_member(&facts, n, key) : NULL;
}

static double num(const vc_json_node *n)
{
    return n && n->type == VC_JSON_NUMBER ? strtod(facts.buf + n->str, NULL) : NAN;
}

static int integer(const vc_json_node *n)
{
    int64_t v = -1;
    return vc_json_int(&facts, n, -1000000, 1000000, &v) ? (int)v : -1;
}

/* An array of ints equal to v[0..n)? */
static int same_ints(const vc_json_node *a, const int32_t *v, int n)
{
    int i = 0;
    for (const vc_json_node *e = a ? vc_json_child(&facts, a) : NULL; e; e = vc_json_next(&facts, e), i++)
        if (i >= n || integer(e) != v[i]) return 0;
    return a && i == n;
}

static int json_ints(const vc_json_node *a, int *v, int max)
{
    int i = 0;
    for (const vc_json_node *e = a ? vc_json_child(&facts, a) : NULL; e && i < max; e = vc_json_next(&facts, e))
        v[i++] = integer(e);
    return i;
}

/* The best hypothesis of the reference ("best": tokens, frames, durations, score,
 * logprobs) against ours; what differs is reported under `what`. */
static int same_best(const char *what, const vc_json_node *best, const vc_td_hyp *h, double score, double tol)
{
    double want = num(member(best, "score")), lp_diff = 0;
    int i = 0;
    for (const vc_json_node *e = vc_json_child(&facts, member(best, "logprobs")); e && i < h->n;
         e = vc_json_next(&facts, e), i++)
        lp_diff = fmax(lp_diff, fabs(num(e) - h->logprobs[i]));
    int ok = same_ints(member(best, "tokens"), h->tokens, h->n) && same_ints(member(best, "frames"), h->frames, h->n) &&
             same_ints(member(best, "durations"), h->durations, h->n);
    if (!ok) {
        vt_fail(__FILE__, __LINE__, "%s: the best hypothesis differs (%d tokens, score %.6f; the reference %.6f)", what,
                h->n, score, want);
        return 0;
    }
    if (!(fabs(score - want) <= tol) || !(lp_diff <= tol)) {
        vt_fail(__FILE__, __LINE__, "%s: score %.7f vs %.7f, token log-probs differ by %.3g", what, score, want, lp_diff);
        return 0;
    }
    return 1;
}

/* ---- hashed lattices (transducer_beam_ref.HashLattice) ---- */

static uint64_t splitmix64(uint64_t x)
{
    uint64_t z = x + 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

typedef struct hlat {
    uint64_t seed, s;
    int n_tok, n_dur, peak;
    float bias, z[32];
} hlat;

static voce_status hl_start(void *c) { return ((hlat *)c)->s = splitmix64(((hlat *)c)->seed), VOCE_OK; }
static voce_status hl_predict(void *c, int k)
{
    hlat *l = c;
    l->s = splitmix64(l->s ^ (uint64_t)(k + 1));
    return VOCE_OK;
}
static voce_status hl_joint(void *c, int t, const float **z)
{
    hlat *l = c;
    uint64_t base = splitmix64(l->s ^ ((uint64_t)(t + 1) * 0x100000001B3ull));
    for (int i = 0; i < l->n_tok + l->n_dur; i++) {
        float u = (float)(splitmix64(base + (uint64_t)i) >> 40) / (float)(1 << 24);
        l->z[i] = u * 8.0f - 4.0f;
    }
    l->z[l->n_tok - 1] += l->bias;
    if (t == l->peak) {
        l->z[0] += 60.0f;
        if (l->n_dur) l->z[l->n_tok] += 60.0f;
    }
    *z = l->z;
    return VOCE_OK;
}
static voce_status hl_save(void *c, void *s) { return memcpy(s, &((hlat *)c)->s, sizeof(uint64_t)), VOCE_OK; }
static voce_status hl_restore(void *c, const void *s) { return memcpy(&((hlat *)c)->s, s, sizeof(uint64_t)), VOCE_OK; }

/* One reference case: beam search identical; returns 1 when it also differs from greedy
 * (and greedy agrees with the reference's). */
static int lattice_case(const vc_json_node *c, int index)
{
    hlat l;
    memset(&l, 0, sizeof l);
    int durs[8], frames = integer(member(c, "frames")), beam = integer(member(c, "beam"));
    l.seed = (uint64_t)integer(member(c, "seed"));
    l.n_tok = integer(member(c, "n_tokens"));
    l.n_dur = json_ints(member(c, "durations"), durs, 8);
    l.peak = integer(member(c, "peak_frame"));
    l.bias = (float)num(member(c, "blank_bias"));
    if (l.n_tok < 3 || l.n_tok + l.n_dur > 32 || frames < 1) {
        vt_fail(__FILE__, __LINE__, "lattice case %d: bad sizes", index);
        return 0;
    }
    vc_td_beam_steps s = {{&l, hl_start, hl_predict, hl_joint, frames, l.n_tok - 1, 10, l.n_dur, durs}, &l,
                          sizeof(uint64_t), hl_save, hl_restore};
    vc_td_hyp h = {0}, g = {0};
    double score = 0;
    char what[96];
    snprintf(what, sizeof what, "lattice %d (%s, seed %d, beam %d)", index, l.n_dur ? "tdt" : "rnnt", (int)l.seed, beam);
    voce_status st = vc_td_beam_search(&s, beam, &h, &score);
    int beats = 0;
    if (st) vt_fail(__FILE__, __LINE__, "%s: %s", what, voce_last_error());
    else if (same_best(what, member(c, "best"), &h, score, 1e-5)) {
        int evals = integer(member(member(c, "stats"), "evaluations"));
        if (h.evaluations != evals) vt_fail(__FILE__, __LINE__, "%s: %d evaluations, the reference %d", what, h.evaluations, evals);
        if (vc_td_greedy_transducer(&s.steps, &g) || !same_ints(member(c, "greedy_tokens"), g.tokens, g.n))
            vt_fail(__FILE__, __LINE__, "%s: greedy differs from the reference's", what);
        int differs = g.n != h.n || memcmp(g.tokens, h.tokens, sizeof *g.tokens * (size_t)h.n);
        if (differs != (member(c, "differs_from_greedy")->type == VC_JSON_TRUE))
            vt_fail(__FILE__, __LINE__, "%s: beam %s greedy, not as the reference", what, differs ? "differs from" : "equals");
        beats = differs && beam > 1 && score > num(member(c, "greedy_path_score")) + 1e-3;
    }
    vc_td_hyp_free(&h);
    vc_td_hyp_free(&g);
    return beats;
}

static void test_lattices(void)
{
    if (!load_facts()) VT_SKIP("no beam_facts.json (tests/ref/transducer_beam_ref.py makes it)");
    int n = 0, beats = 0, bounded = 0;
    for (const vc_json_node *c = vc_json_child(&facts, member(vc_json_root(&facts), "lattices")); c;
         c = vc_json_next(&facts, c), n++) {
        beats += lattice_case(c, n);
        bounded += integer(member(c, "peak_frame")) >= 0;
    }
    printf("  %d lattices, %d where beam search beats greedy, %d at the evaluation bound\n", n, beats, bounded);
    CHECK_MSG(n >= 10 && beats >= 3 && bounded >= 2, "%d cases, %d beating greedy, %d bounded", n, beats, bounded);
}

/* ---- the test models ---- */

static void beams_of(const char *model, vc_td_model *m, const vc_json_node *mf)
{
    vc_td_hyp g = {0};
    CHECK_OK(vc_td_decode(m, &g));
    CHECK_MSG(same_ints(member(mf, "greedy_tokens"), g.tokens, g.n), "%s: greedy differs from the reference", model);
    for (const vc_json_node *b = vc_json_child(&facts, member(mf, "beams")); b; b = vc_json_next(&facts, b)) {
        size_t kl;
        const char *k = vc_json_key(&facts, b, &kl);
        int beam = atoi(k);
        vc_td_hyp h = {0};
        double score = 0;
        char what[160], *text = NULL;
        snprintf(what, sizeof what, "%s beam %d", model, beam);
        voce_status st = vc_td_beam_decode(m, beam, &h, &score);
        if (st) vt_fail(__FILE__, __LINE__, "%s: %s", what, voce_last_error());
        else if (same_best(what, member(b, "best"), &h, score, 1e-4) && !vc_td_text(m, &h, &text)) {
            size_t len = 0;
            const char *want = vc_json_string(&facts, member(b, "text"), &len);
            if (!want || strlen(text) != len || memcmp(text, want, len))
                vt_fail(__FILE__, __LINE__, "%s: text \"%s\"", what, text);
            int same = g.n == h.n && !memcmp(g.tokens, h.tokens, sizeof *g.tokens * (size_t)h.n);
            if (same != (member(b, "equals_greedy")->type == VC_JSON_TRUE))
                vt_fail(__FILE__, __LINE__, "%s: %s greedy, unlike NeMo's", what, same ? "equals" : "differs from");
            printf("  %s: %d tokens (greedy %d), score %.4f (reference %.4f), %d evaluations\n", what, h.n, g.n, score,
                   num(member(member(b, "best"), "score")), h.evaluations);
        }
        free(text);
        vc_td_hyp_free(&h);
    }
    vc_td_hyp_free(&g);
}

static void run_model(const char *model, const char *layout)
{
    if (!load_facts()) VT_SKIP("no beam_facts.json (tests/ref/transducer_beam_ref.py makes it)");
    if (vt_quick() && strcmp(layout, "sherpa")) VT_SKIP("VOCE_TEST_QUICK: %s/%s", model, layout);
    const char *root = vt_build_path("VOCE_TRANSDUCER_LAYOUTS", "transducer-layouts");
    char dir[1200], out[1200];
    snprintf(dir, sizeof dir, "%s/%s/%s", root, model, layout);
    snprintf(out, sizeof out, "%s", vt_tmp("beam.voce"));
    const vc_json_node *mf = member(member(vc_json_root(&facts), "models"), model);
    CHECK_MSG(mf != NULL, "beam_facts.json has no model %s", model);
    CHECK_OK(vt_compile(dir, "transducer", out));
    voce_program *prog = NULL;
    vc_td_model m;
    vc_tensor enc = {0}, len = {0};
    CHECK_OK(voce_program_open(out, NULL, &prog));
    voce_status st = vc_td_model_open(&m, prog, NULL);
    if (st) voce_program_close(prog);
    CHECK_OK(st);
    /* the reference's encoder output, so that the decoders alone are compared */
    if (vt_read_npy(&enc, "%s/%s/ref/encoder_out.npy", root, model) &&
        vt_read_npy(&len, "%s/%s/ref/encoder_len.npy", root, model)) {
        m.enc_out = enc.data;
        m.n_total = (int)enc.dims[2];
        m.n_frames = (int)((const int64_t *)len.data)[0];
        char what[128];
        snprintf(what, sizeof what, "%s/%s", model, layout);
        beams_of(what, &m, mf);
    }
    free(enc.data);
    free(len.data);
    vc_td_model_close(&m);
    voce_program_close(prog);
}

static void test_tdt_sherpa(void) { run_model("tdt", "sherpa"); }
static void test_tdt_onnx_asr(void) { run_model("tdt", "onnx-asr"); }
static void test_rnnt_sherpa(void) { run_model("rnnt", "sherpa"); }
static void test_rnnt_onnx_asr(void) { run_model("rnnt", "onnx-asr"); }

static void count_progress(double fraction, void *user) { (void)fraction, ++*(int *)user; }

/* jfk.wav through the runner with beam 4: in one pass, the beam reference's text; in
 * windows of 2 s with 4 s of context (long input's path, where the decoder reaches the
 * windows as it goes), a transcript whose token times increase. Windows see less
 * context than one pass, so their text is not compared. */
static void test_runner_windows(void)
{
    const char *wav = vt_data("audio/jfk.wav");
    if (!load_facts() || !wav) VT_SKIP("needs beam_facts.json and audio/jfk.wav");
    if (vt_quick()) VT_SKIP("VOCE_TEST_QUICK: the encoder over jfk.wav twice");
    const vc_json_node *b = member(member(member(member(vc_json_root(&facts), "models"), "tdt"), "beams"), "4");
    size_t wl = 0, n = 0;
    const char *want = vc_json_string(&facts, member(b, "text"), &wl);
    char dir[1200], out[1200];
    snprintf(dir, sizeof dir, "%s/tdt/sherpa", vt_build_path("VOCE_TRANSDUCER_LAYOUTS", "transducer-layouts"));
    snprintf(out, sizeof out, "%s", vt_tmp("beam-runner.voce"));
    CHECK(want != NULL);
    CHECK_OK(vt_compile(dir, "transducer", out));
    int rate = 0;
    float *pcm = NULL;
    voce_audio_options o = voce_audio_options_default();
    o.sample_rate = 16000;
    CHECK_OK(voce_audio_read_file(wav, &o, &pcm, &n, &rate));
    voce_program *prog = NULL;
    vc_td_runner r;
    voce_status st = voce_program_open(out, NULL, &prog);
    if (!st && (st = vc_td_runner_open(&r, prog, NULL))) {
        voce_program_close(prog);
        prog = NULL;
    }
    if (st) vt_fail(__FILE__, __LINE__, "the TDT program: %s", voce_last_error());
    for (int windows = 0; windows < 2 && !st; windows++) {
        int calls = 0;
        vc_td_run_params rp;
        memset(&rp, 0, sizeof rp);
        rp.beam_size = 4;
        rp.progress = count_progress;
        rp.user = &calls;
        if (windows) rp.chunk_seconds = 2.0, rp.context_seconds = 4.0;
        vc_td_transcript t;
        const char *what = windows ? "windows" : "one pass";
        if ((st = vc_td_transcribe(&r, pcm, n, &rp, &t))) {
            vt_fail(__FILE__, __LINE__, "%s: %s", what, voce_last_error());
            break;
        }
        int rising = t.n_tokens > 10;
        for (int i = 1; i < t.n_tokens; i++) rising = rising && t.tokens[i].start >= t.tokens[i - 1].start;
        if (!windows && (strlen(t.text) != wl || memcmp(t.text, want, wl)))
            vt_fail(__FILE__, __LINE__, "%s: \"%s\", the reference \"%s\"", what, t.text, want);
        if (!rising || (windows && calls < 4) || t.tokens[t.n_tokens - 1].end > (double)n / 16000 + 0.4)
            vt_fail(__FILE__, __LINE__, "%s: %d tokens, %d progress calls, times rising %d", what, t.n_tokens, calls,
                    rising);
        printf("  %s: %d tokens, %d progress calls\n", what, t.n_tokens, calls);
        vc_td_transcript_free(&t);
    }
    if (prog) {
        vc_td_runner_close(&r);
        voce_program_close(prog);
    }
    free(pcm);
}

static void test_bad_arguments(void)
{
    hlat l = {.seed = 1, .n_tok = 5, .peak = -1};
    int durs[2] = {0, 0};
    vc_td_beam_steps s = {{&l, hl_start, hl_predict, hl_joint, 3, 4, 10, 0, NULL}, &l, sizeof(uint64_t), hl_save,
                          hl_restore};
    vc_td_hyp h = {0};
    CHECK_ERR(vc_td_beam_search(&s, 0, &h, NULL), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "beam size 0") != NULL);
    CHECK_ERR(vc_td_beam_search(&s, VC_TD_MAX_BEAM + 1, &h, NULL), VOCE_ERR_INVALID_ARG);
    s.steps.n_durations = 2;
    s.steps.durations = durs;
    l.n_dur = 2;
    CHECK_ERR(vc_td_beam_search(&s, 2, &h, NULL), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "duration above 0") != NULL);
    s.steps.n_durations = 0;
    s.save = NULL;
    CHECK_ERR(vc_td_beam_search(&s, 2, &h, NULL), VOCE_ERR_INVALID_ARG);
    /* no frames: the empty hypothesis */
    s.save = hl_save;
    s.steps.n_frames = 0;
    CHECK_OK(vc_td_beam_search(&s, 3, &h, NULL));
    CHECK(h.n == 0);
    vc_td_hyp_free(&h);
    float dummy = 0;
    vc_td_model ctc = {.kind = VC_TD_CTC, .enc_out = &dummy};
    CHECK_ERR(vc_td_beam_decode(&ctc, 4, &h, NULL), VOCE_ERR_UNSUPPORTED);
    CHECK(strstr(voce_last_error(), "CTC") != NULL);
}

int main(void)
{
    vt_run("lattices", test_lattices);
    vt_run("tdt_sherpa", test_tdt_sherpa);
    vt_run("tdt_onnx_asr", test_tdt_onnx_asr);
    vt_run("rnnt_sherpa", test_rnnt_sherpa);
    vt_run("rnnt_onnx_asr", test_rnnt_onnx_asr);
    vt_run("runner_windows", test_runner_windows);
    vt_run("bad_arguments", test_bad_arguments);
    if (have_facts) vc_json_free(&facts);
    return vt_finish();
}
