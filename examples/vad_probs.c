/* Speech probability over time with a compiled Silero VAD program, using only the
 * public API. A small, complete example of the runtime:
 *
 *   voce compile silero_vad.onnx --fix sr=16000 -o silero.voce
 *   vad_probs silero.voce speech.wav
 *
 * Prints one line per 0.25 s: time, probability and a bar. The WAV must be 16-bit PCM
 * mono at 16 kHz (the audio front end with every format and resampling comes with the
 * VAD command, `voce vad`). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "voce/voce.h"

#define WINDOW 512  /* samples per window at 16 kHz */
#define CONTEXT 64  /* v5/v6 models see the end of the previous window first */

static float *read_wav16(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    unsigned char h[12], ck[8];
    float *out = NULL;
    if (!f || fread(h, 1, 12, f) != 12 || memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4)) goto done;
    while (fread(ck, 1, 8, f) == 8) {
        uint32_t len = ck[4] | ck[5] << 8 | ck[6] << 16 | (uint32_t)ck[7] << 24;
        if (memcmp(ck, "data", 4)) { fseek(f, len + (len & 1), SEEK_CUR); continue; }
        *n = len / 2;
        out = malloc(sizeof *out * (*n + 1));
        for (size_t i = 0; out && i < *n; i++) {
            unsigned char s[2];
            if (fread(s, 1, 2, f) != 2) { *n = i; break; }
            out[i] = (int16_t)(s[0] | s[1] << 8) / 32768.0f;
        }
        break;
    }
done:
    if (f) fclose(f);
    return out;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: vad_probs SILERO.voce AUDIO.wav\n");
        return 2;
    }
    size_t n = 0;
    float *pcm = read_wav16(argv[2], &n);
    if (!pcm) { fprintf(stderr, "vad_probs: cannot read %s as 16-bit PCM WAV\n", argv[2]); return 1; }

    voce_program *prog = NULL;
    voce_method *vad = NULL;
    size_t i_in, i_state, o_prob, o_state;
    if (voce_program_open(argv[1], NULL, &prog) || voce_method_create(prog, NULL, NULL, &vad) ||
        voce_method_find_input(vad, "input", &i_in) || voce_method_find_input(vad, "state", &i_state) ||
        voce_method_find_output(vad, "output", &o_prob) || voce_method_find_output(vad, "stateN", &o_state)) {
        fprintf(stderr, "vad_probs: %s\n", voce_last_error());
        return 1;
    }
    float x[CONTEXT + WINDOW] = {0}, state[2 * 128] = {0}, peak = 0;
    voce_tensor tx = {VOCE_DTYPE_F32, 2, {1, CONTEXT + WINDOW}, x, sizeof x};
    voce_tensor ts = {VOCE_DTYPE_F32, 3, {2, 1, 128}, state, sizeof state};
    for (size_t w = 0; (w + 1) * WINDOW <= n; w++) {
        memmove(x, x + WINDOW, sizeof(float) * CONTEXT);
        memcpy(x + CONTEXT, pcm + w * WINDOW, sizeof(float) * WINDOW);
        voce_tensor prob, next;
        if (voce_method_set_input(vad, i_in, &tx) || voce_method_set_input(vad, i_state, &ts) ||
            voce_method_execute(vad) || voce_method_output(vad, o_prob, &prob) ||
            voce_method_output(vad, o_state, &next)) {
            fprintf(stderr, "vad_probs: %s\n", voce_last_error());
            return 1;
        }
        memcpy(state, next.data, sizeof state);
        float p = *(const float *)prob.data;
        if (p > peak) peak = p;
        if ((w + 1) % 8 == 0) { /* 8 windows = 0.256 s */
            printf("%7.2f s  %.3f  %.*s\n", (w + 1) * WINDOW / 16000.0, peak, (int)(peak * 40), "########################################");
            peak = 0;
        }
    }
    voce_method_destroy(vad);
    voce_program_close(prog);
    free(pcm);
    return 0;
}
