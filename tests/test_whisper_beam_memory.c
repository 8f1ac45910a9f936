/* What a Whisper beam search holds beside a greedy decode: its caches, once. On the
 * random-weight multilingual model of tests/ref/gen_whisper_layouts.py (our layout):
 * five beams fanned out from the prompt and reordered every step (sequences kept,
 * duplicated, swapped, rotated) must
 *   - read the encoder's cross-attention keys and values where the encoder left them
 *     (no copy per beam, nor one for the batch),
 *   - keep every self-attention cache in the buffer the fan-out made, through every
 *     reorder and through a reset and a second fan-out (the next window, or the
 *     temperature fallback): reordered where it lies, never copied whole,
 *   - leave the executor's own memory (arena and scratch) at most five times the
 *     greedy decode's,
 * and give each beam the logits its token sequence gets decoded alone (the reorder
 * moved the right rows). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/npy.h"
#include "harness.h"
#include "models/whisper/model.h"
#include "runtime/exec.h"
#include "runtime/program.h"

enum { BEAMS = 5, MAX_STEPS = 12, MAX_LEN = 8 + MAX_STEPS };

static const char *ref_root(void) { return vt_build_path("VOCE_WHISPER_LAYOUTS", "whisper-layouts"); }

static int open_model(voce_program **p, vc_whisper_model *m)
{
    char dir[1200], out[1200];
    snprintf(dir, sizeof dir, "%s/multi/voce", ref_root());
    snprintf(out, sizeof out, "%s", vt_tmp("whisper_beam_memory.voce"));
    voce_status st = vt_compile(dir, "whisper", out);
    if (!st) st = voce_program_open(out, NULL, p);
    voce_method_options mo = voce_method_options_default();
    mo.threads = 1;
    if (!st) st = vc_whisper_model_open(m, *p, &mo);
    if (st) vt_fail(__FILE__, __LINE__, "%s: %s", dir, voce_last_error());
    return st == VOCE_OK;
}

/* Where the decoder's input i lies now. */
static const void *input_data(const vc_whisper_model *m, int i)
{
    const vc_exec *x = vc_method_exec(m->dec);
    return x->vals[x->mg->graphs[0].in[i]].data;
}

static uint64_t exec_memory(const vc_whisper_model *m)
{
    const vc_exec *x = vc_method_exec(m->dec);
    return vc_exec_arena_bytes(x) + x->scratch_size;
}

/* The state inputs' buffers into where (NULL: check them against it); how many differ. */
static int state_buffers(const vc_whisper_model *m, const void **where, int check)
{
    voce_method *dec = m->dec;
    int moved = 0;
    for (size_t i = 0; i < voce_method_input_count(dec); i++) {
        voce_tensor_info info;
        if (voce_method_input_info(dec, i, &info) || info.state < 0) continue;
        if (check) moved += where[i] != input_data(m, (int)i);
        else where[i] = input_data(m, (int)i);
    }
    return moved;
}

/* A new sequence: the prompt, as a batch of 1. */
static voce_status prompt(vc_whisper_model *m, const int32_t *seq, int n, const float **logits)
{
    voce_status st = vc_whisper_model_reset(m);
    return st ? st : vc_whisper_model_decode(m, seq, n, logits);
}

/* Beam k's tokens decoded alone, one at a time after the prompt: its last logits. */
static voce_status alone(vc_whisper_model *m, const int32_t *seq, int np, const int32_t *toks, int n,
                         const float **logits)
{
    voce_status st = prompt(m, seq, np, logits);
    for (int i = 0; i < n && !st; i++) st = vc_whisper_model_decode(m, &toks[i], 1, logits);
    return st;
}

static void test_beams(void)
{
    char probe[1200];
    snprintf(probe, sizeof probe, "%s/multi/ref/mel.npy", ref_root());
    FILE *f = fopen(probe, "rb");
    if (!f) VT_SKIP("no Whisper references at %s (gen_whisper_layouts makes them)", probe);
    fclose(f);
    voce_program *p = NULL;
    vc_whisper_model m;
    if (!open_model(&p, &m)) {
        voce_program_close(p);
        return;
    }
    vc_tensor mel = {0};
    int32_t seq[3] = {m.tok.sot, m.tok.language_begin, m.tok.transcribe};
    int steps = vt_quick() ? 6 : MAX_STEPS, np = 3;
    size_t V = (size_t)m.d.n_vocab, n_in = voce_method_input_count(m.dec);
    const void **bufs = calloc(n_in, sizeof *bufs);
    float *beam_logits = malloc(sizeof(float) * BEAMS * V);
    int32_t hist[BEAMS][MAX_STEPS], tmp[BEAMS][MAX_STEPS];
    const float *logits;
    vt_read_npy(&mel, "%s/multi/ref/mel.npy", ref_root());
    voce_status st = bufs && beam_logits && mel.data ? VOCE_OK : VOCE_ERR_NOMEM;
    if (!st) st = vc_whisper_model_encode(&m, mel.data);
    /* greedy: the prompt and single steps */
    if (!st) st = prompt(&m, seq, np, &logits);
    for (int i = 0; i < steps && !st; i++) {
        int32_t t = (int32_t)(100 + 37 * i);
        st = vc_whisper_model_decode(&m, &t, 1, &logits);
    }
    uint64_t greedy = exec_memory(&m);
    for (int round = 0; round < 2 && !st; round++) {
        int fan[BEAMS] = {0};
        st = prompt(&m, seq, np, &logits);
        if (!st) st = vc_whisper_model_reorder(&m, fan, BEAMS);
        if (!st && round == 0) state_buffers(&m, bufs, 0);
        for (int i = 0; i < steps && !st; i++) {
            int32_t toks[BEAMS];
            for (int k = 0; k < BEAMS; k++) toks[k] = hist[k][i] = (int32_t)(200 + 53 * k + 11 * i + 7 * round);
            st = vc_whisper_model_decode_batch(&m, BEAMS, toks, 1, &logits);
            if (st || i == steps - 1) break;
            /* keep, duplicate, swap, rotate: the sources a beam search's update gives */
            static const int pattern[4][BEAMS] = {{0, 0, 1, 2, 2}, {1, 0, 2, 4, 3}, {4, 0, 1, 2, 3}, {2, 2, 2, 0, 1}};
            const int *src = pattern[(i + round) % 4];
            st = vc_whisper_model_reorder(&m, src, BEAMS);
            for (int k = 0; k < BEAMS; k++) memcpy(tmp[k], hist[src[k]], sizeof tmp[k]);
            memcpy(hist, tmp, sizeof hist);
            CHECK_MSG(!state_buffers(&m, bufs, 1), "round %d, step %d: a reorder moved a cache", round, i);
        }
        for (int l = 0; !st && l < m.n_cross; l++)
            CHECK_MSG(input_data(&m, (int)m.dec_cross[l]) == m.cross[l].data,
                      "round %d: the decoder reads a copy of cross K/V %d", round, l);
        uint64_t beams = exec_memory(&m);
        CHECK_MSG(beams <= BEAMS * greedy, "the executor holds %llu bytes for %d beams, %llu for one",
                  (unsigned long long)beams, BEAMS, (unsigned long long)greedy);
        if (!st) memcpy(beam_logits, logits, sizeof(float) * BEAMS * V);
        for (int k = 0; k < BEAMS && !st && !vt_failed(); k++) {
            st = alone(&m, seq, np, hist[k], steps, &logits);
            double d = st ? 1 : vt_rel_diff(beam_logits + (size_t)k * V, logits, V);
            CHECK_MSG(d < 1e-5, "round %d: beam %d's logits differ from its sequence's alone by %g", round, k, d);
        }
    }
    CHECK_OK(st);
    free(mel.data);
    free(bufs);
    free(beam_logits);
    vc_whisper_model_close(&m);
    voce_program_close(p);
}

int main(void)
{
    vt_run("beams", test_beams);
    return vt_finish();
}
