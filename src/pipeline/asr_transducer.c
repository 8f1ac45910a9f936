/* voce_asr_transcribe for NeMo transducer and CTC programs (docs/transducer.md, "API
 * and command line"): the parameters that apply, VAD gating as for Whisper, and the
 * runner's tokens, words and segments as a voce_transcript. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "asr_internal.h"
#include "core/error.h"
#include "models/transducer/beam.h"
#include "models/transducer/chunk.h"
#include "transcript.h"
#include "voce/audio.h"

/* The defaults of voce_transcribe_params are Whisper's; a value that differs from them
 * asks for something a greedy transducer cannot do, and is refused rather than ignored.
 * Settings of Whisper's fallback, beams and sampling that cannot change a greedy decode
 * are ignored (docs/transducer.md lists each). */
/* The beam size asked for: the default (0) and 1 decode greedily, as NeMo's default
 * does; a size above 1 runs NeMo's beam search (models/transducer/beam.h). */
static int beam_of(const voce_transcribe_params *p) { return p->beam_size > 1 ? p->beam_size : 1; }

static voce_status check_params(const voce_asr *a, const voce_transcribe_params *p)
{
    const char *l = p->language;
    if (l && *l && strcmp(l, "auto"))
        return vc_error(VOCE_ERR_UNSUPPORTED, "a transducer program transcribes the language it hears and cannot be "
                        "told one ('%s' given): leave the language at auto", l);
    if (p->task != VOCE_TASK_TRANSCRIBE)
        return vc_error(VOCE_ERR_UNSUPPORTED, "a transducer program cannot translate: only task transcribe");
    if (p->beam_size < 0 || p->best_of < 0)
        return vc_error(VOCE_ERR_INVALID_ARG, "beam_size and best_of must not be negative");
    if (beam_of(p) > 1 && a->td.model.kind == VC_TD_CTC)
        return vc_error(VOCE_ERR_UNSUPPORTED, "a CTC program decodes greedily: beam search (beam size %d) is for TDT "
                        "and RNN-T programs", p->beam_size);
    if (beam_of(p) > VC_TD_MAX_BEAM)
        return vc_error(VOCE_ERR_INVALID_ARG, "beam size %d is above %d", p->beam_size, VC_TD_MAX_BEAM);
    if (p->temperature != 0.0f)
        return vc_error(VOCE_ERR_UNSUPPORTED, "a transducer program decodes greedily: temperature %g (sampling) is "
                        "not available", (double)p->temperature);
    if (p->initial_prompt && *p->initial_prompt)
        return vc_error(VOCE_ERR_UNSUPPORTED, "a transducer program takes no prompt (a Whisper feature)");
    if (p->vad == 1 && !a->vad)
        return vc_error(VOCE_ERR_INVALID_ARG, "VAD gating asked for, but the recognizer was opened "
                        "without a VAD model (voce_asr_config.vad_model)");
    return VOCE_OK;
}

/* s with a space before it, as Whisper's words and segments read ("with its leading
 * space, as decoded"); the writers strip it. */
static voce_status spaced(const char *s, char **out, size_t *len)
{
    *len = strlen(s) + 1;
    *out = malloc(*len + 1);
    if (!*out) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    (*out)[0] = ' ';
    memcpy(*out + 1, s, *len);
    return VOCE_OK;
}

static void add_segment(vc_transcript_builder *b, const vc_td_transcript *t, const vc_td_rseg *s, const gate *g)
{
    vc_segment_info info = {vc_asr_map_time(g, s->start, 0), vc_asr_map_time(g, s->end, 1), 0, 0.0f, s->avg_logprob,
                            0.0f, 0.0f};
    vc_transcript_begin_segment(b, &info);
    char *text;
    size_t len;
    if (!spaced(s->text, &text, &len)) vc_transcript_set_segment_text(b, text, len);
    free(text);
    for (int k = s->first_token; k < s->first_token + s->n_tokens; k++) {
        const vc_td_rtoken *x = &t->tokens[k];
        vc_transcript_add_token(b, x->id, x->text, strlen(x->text), vc_asr_map_time(g, x->start, 0),
                                vc_asr_map_time(g, x->end, 1), expf(x->logprob), x->logprob);
    }
    for (int k = s->first_word; k < s->first_word + s->n_words; k++) {
        const vc_td_rword *w = &t->words[k];
        if (spaced(w->text, &text, &len)) return;
        vc_transcript_add_word(b, text, len, vc_asr_map_time(g, w->start, 0), vc_asr_map_time(g, w->end, 1),
                               w->probability);
        free(text);
    }
}

static voce_status build(const vc_td_transcript *t, const gate *g, double duration, const voce_transcribe_params *p,
                         voce_transcript **out)
{
    vc_transcript_builder b;
    vc_transcript_builder_init(&b);
    vc_transcript_set_language(&b, NULL, NULL, 0.0f); /* no language identification */
    vc_transcript_set_task(&b, VOCE_TASK_TRANSCRIBE);
    vc_transcript_set_duration(&b, duration);
    vc_transcript_set_word_timestamps(&b, p->word_timestamps);
    vc_transcript_set_text(&b, t->text ? t->text : "", t->text ? strlen(t->text) : 0);
    for (int i = 0; i < t->n_segs; i++) add_segment(&b, t, &t->segs[i], g);
    return vc_transcript_finish(&b, out);
}

voce_status vc_asr_transcribe_transducer(voce_asr *asr, const float *samples, size_t n,
                                         const voce_transcribe_params *p, voce_transcript **out)
{
    voce_status st = check_params(asr, p);
    if (st) return st;
    gate g = {0};
    int use_vad = asr->vad && (p->vad == 1 || (p->vad < 0 && n > 30 * (size_t)VC_ASR_SAMPLE_RATE));
    if (use_vad && (st = vc_asr_gate_audio(asr->vad, samples, n, &g))) {
        free(g.pcm);
        free(g.p);
        return st;
    }
    /* progress as Whisper gives it: for input longer than one of its 30 s windows */
    int long_input = n > 30 * (size_t)VC_ASR_SAMPLE_RATE;
    vc_td_run_params rp = {long_input ? p->progress : NULL, p->abort, p->user_data, 0.0, 0.0, beam_of(p)};
    vc_td_transcript t;
    memset(&t, 0, sizeof t);
    if (!use_vad || g.n > 0) st = vc_td_transcribe(&asr->td, use_vad ? g.pcm : samples, use_vad ? g.n : n, &rp, &t);
    if (!st) st = build(&t, use_vad ? &g : NULL, (double)n / VC_ASR_SAMPLE_RATE, p, out);
    vc_td_transcript_free(&t);
    free(g.pcm);
    free(g.p);
    return st;
}

/* ---- a file read in pieces (docs/transducer.md, "Long audio") ---- */

typedef struct file_source {
    const char *path;
    voce_audio *a;
} file_source;

static voce_status file_rewind(void *ctx)
{
    file_source *f = ctx;
    voce_audio_close(f->a);
    f->a = NULL;
    voce_audio_options o = voce_audio_options_default();
    o.sample_rate = VC_ASR_SAMPLE_RATE;
    return voce_audio_open(f->path, &o, &f->a);
}

static voce_status file_read(void *ctx, float *out, size_t max, size_t *n)
{
    return voce_audio_read(((file_source *)ctx)->a, out, max, n);
}

int vc_asr_regular_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* Whether the file lasts more than 30 s (progress is reported for those, as for
 * Whisper); a length the file does not state counts as long. */
static int long_file(voce_audio *a)
{
    voce_audio_info info;
    voce_audio_info_get(a, &info);
    return info.frames < 0 || info.source_rate <= 0 || (double)info.frames / info.source_rate > 30.0;
}

voce_status vc_asr_transcribe_transducer_file(voce_asr *asr, const char *path, const voce_transcribe_params *p,
                                              voce_transcript **out)
{
    voce_status st = check_params(asr, p);
    if (st) return st;
    file_source f = {path, NULL};
    vc_td_source src = {&f, file_rewind, file_read};
    if ((st = file_rewind(&f))) return st;
    vc_td_run_params rp = {long_file(f.a) ? p->progress : NULL, p->abort, p->user_data, 0.0, 0.0, beam_of(p)};
    vc_td_transcript t;
    size_t n = 0;
    st = vc_td_transcribe_source(&asr->td, &src, &rp, &t, &n);
    voce_audio_close(f.a);
    if (!st) st = build(&t, NULL, (double)n / VC_ASR_SAMPLE_RATE, p, out);
    vc_td_transcript_free(&t);
    return st;
}
