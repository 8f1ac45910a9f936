/* The speech-recognition API (include/voce/asr.h): a program's family picks the runner
 * (Whisper, or a NeMo transducer / CTC model: asr_transducer.c), the caller's parameters
 * become the runner's, an optional VAD gates the audio, and the result becomes a
 * voce_transcript.
 *
 * VAD gating: the speech segments the VAD finds are cut out and joined (the silence
 * between them dropped), the joined audio is transcribed, and every time in the result
 * is mapped back to the original audio through the table of pieces. A transcript of
 * audio with no speech is empty: Whisper is never asked to find words in silence. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asr_internal.h"
#include "core/error.h"
#include "core/utf8.h"
#include "models/whisper/transcribe.h"
#include "transcript.h"
#include "voce/asr.h"
#include "voce/audio.h"
#include "voce/vad.h"

#define SAMPLE_RATE VC_ASR_SAMPLE_RATE

voce_asr_config voce_asr_config_default(void)
{
    voce_asr_config c;
    memset(&c, 0, sizeof c);
    c.memory_limit = (uint64_t)4 << 30;
    return c;
}

/* openai-whisper's command line decodes with 5 beams. */
#define WHISPER_DEFAULT_BEAM 5

voce_transcribe_params voce_transcribe_params_default(void)
{
    voce_transcribe_params p;
    memset(&p, 0, sizeof p);
    p.beam_size = 0; /* the family's default */
    p.patience = 1.0f;
    p.best_of = 5;
    p.length_penalty = -1.0f;
    p.temperature_increment = 0.2f;
    p.compression_ratio_threshold = 2.4f;
    p.logprob_threshold = -1.0f;
    p.no_speech_threshold = 0.6f;
    p.condition_on_previous_text = 1;
    p.timestamps = 1;
    p.vad = -1;
    return p;
}

voce_status voce_asr_open(const char *path, const voce_asr_config *config, voce_asr **out)
{
    if (!path || !out) return vc_error(VOCE_ERR_INVALID_ARG, "voce_asr_open needs a path and out");
    *out = NULL;
    voce_asr_config def = voce_asr_config_default();
    if (!config) config = &def;
    voce_asr *a = calloc(1, sizeof *a);
    if (!a) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    voce_status st = voce_program_open(path, NULL, &a->prog);
    const char *family = NULL;
    size_t len;
    if (!st && voce_program_meta_string(a->prog, "voce.family", &family, &len))
        st = vc_error(VOCE_ERR_FORMAT, "%s is not a speech-recognition program (no voce.family); compile "
                      "one with voce compile --family whisper, transducer or ctc", path);
    if (!st && strcmp(family, "whisper") && strcmp(family, "transducer"))
        st = vc_error(VOCE_ERR_UNSUPPORTED, "%s is a '%s' program, not a speech recognizer (known: whisper, "
                      "transducer)", path, family);
    voce_method_options mo = voce_method_options_default();
    mo.threads = config->threads;
    mo.memory_limit = config->memory_limit;
    if (!st) a->transducer = !strcmp(family, "transducer");
    if (!st && a->transducer) st = vc_td_runner_open(&a->td, a->prog, &mo);
    else if (!st) st = vc_whisper_runner_open(&a->whisper, a->prog, &mo);
    if (!st && config->vad_model) {
        voce_vad_config vc = voce_vad_config_default();
        st = voce_vad_open(config->vad_model, &vc, &a->vad);
    }
    if (st) {
        voce_asr_close(a);
        return st;
    }
    *out = a;
    return VOCE_OK;
}

void voce_asr_close(voce_asr *asr)
{
    if (!asr) return;
    if (asr->whisper.dec) vc_whisper_runner_close(&asr->whisper);
    if (asr->td.fe) vc_td_runner_close(&asr->td);
    voce_vad_close(asr->vad);
    voce_program_close(asr->prog);
    free(asr);
}

int voce_asr_sample_rate(const voce_asr *asr) { return asr ? SAMPLE_RATE : 0; }
const char *voce_asr_family(const voce_asr *asr) { return asr ? asr->transducer ? "transducer" : "whisper" : NULL; }

size_t voce_asr_language_count(const voce_asr *asr)
{
    return asr && !asr->transducer && asr->whisper.model.multilingual ? (size_t)asr->whisper.model.tok.n_languages : 0;
}

const char *voce_asr_language(const voce_asr *asr, size_t index)
{
    return index < voce_asr_language_count(asr) ? vc_whisper_language_code((int)index) : NULL;
}

/* ---- parameters ---- */

static voce_status language_of(const voce_asr *a, const char *name, int *index)
{
    *index = -1;
    if (!name || !*name || !strcmp(name, "auto")) return VOCE_OK;
    voce_status st = vc_whisper_language_find(name, index);
    if (st) return st;
    if (!a->whisper.model.multilingual) {
        if (*index == 0) {
            *index = -1; /* English is all an English-only model speaks: nothing to force */
            return VOCE_OK;
        }
        return vc_error(VOCE_ERR_UNSUPPORTED, "this is an English-only model: it cannot transcribe "
                        "'%s'", name);
    }
    if (*index >= a->whisper.model.tok.n_languages)
        return vc_error(VOCE_ERR_UNSUPPORTED, "the model knows %d languages; '%s' is not among them",
                        a->whisper.model.tok.n_languages, name);
    return VOCE_OK;
}

static voce_status check_params(const voce_asr *a, const voce_transcribe_params *p)
{
    if (p->task != VOCE_TASK_TRANSCRIBE && p->task != VOCE_TASK_TRANSLATE)
        return vc_error(VOCE_ERR_INVALID_ARG, "task %d is neither transcribe nor translate", (int)p->task);
    if (p->task == VOCE_TASK_TRANSLATE && !a->whisper.model.multilingual)
        return vc_error(VOCE_ERR_UNSUPPORTED, "this is an English-only model: it cannot translate");
    if (!(p->temperature >= 0 && p->temperature <= 1) || !(p->temperature_increment >= 0))
        return vc_error(VOCE_ERR_INVALID_ARG, "temperature must be in [0, 1] and its increment >= 0");
    if (p->beam_size < 0 || p->best_of < 0)
        return vc_error(VOCE_ERR_INVALID_ARG, "beam_size and best_of must not be negative");
    if (p->vad == 1 && !a->vad)
        return vc_error(VOCE_ERR_INVALID_ARG, "VAD gating asked for, but the recognizer was opened "
                        "without a VAD model (voce_asr_config.vad_model)");
    return VOCE_OK;
}

/* A float parameter as the decimal it was written as (0.1f -> 0.1, not 0.100000001): the
 * shortest decimal that reads back to the same float. openai-whisper's numbers are those
 * decimals in double, and the rules compare with them (a result at temperature 0.5 does
 * not reset the prompt; 0.4f + 0.1f in double would be above 0.5). */
static double decimal_of(float f)
{
    char buf[32];
    for (int digits = 1; digits < 9 && isfinite(f); digits++) {
        snprintf(buf, sizeof buf, "%.*g", digits, (double)f);
        double d = strtod(buf, NULL);
        if ((float)d == f) return d;
    }
    return f;
}

/* The fallback temperatures as transcribe.py's command line makes them:
 * np.arange(start, 1.0 + 1e-6, step), whose values are start, start + step, then
 * start + k * ((start + step) - start) (numpy's fill). step 0: start alone. */
static void temperature_schedule(double start, double step, vc_whisper_options *o)
{
    int n = step > 0 ? (int)ceil((1.0 + 1e-6 - start) / step) : 1;
    if (n < 1) n = 1;
    if (n > VC_WHISPER_MAX_TEMPERATURES) n = VC_WHISPER_MAX_TEMPERATURES;
    double delta = (start + step) - start;
    for (int k = 0; k < n; k++) o->temperatures[k] = k == 0 ? start : k == 1 ? start + step : start + k * delta;
    o->n_temperatures = n;
}

static voce_status run_params(const voce_asr *a, const voce_transcribe_params *p, vc_whisper_run_params *r)
{
    voce_status st = check_params(a, p);
    if (st) return st;
    *r = vc_whisper_run_params_default();
    vc_whisper_options *o = &r->decode;
    if ((st = language_of(a, p->language, &o->language))) return st;
    o->task = p->task == VOCE_TASK_TRANSLATE ? VC_WHISPER_TRANSLATE : VC_WHISPER_TRANSCRIBE;
    temperature_schedule(decimal_of(p->temperature), decimal_of(p->temperature_increment), o);
    int beam = p->beam_size ? p->beam_size : WHISPER_DEFAULT_BEAM;
    o->beam_size = beam > 1 ? beam : 0;
    o->patience = o->beam_size ? p->patience : NAN;
    o->best_of = p->best_of;
    o->length_penalty = p->length_penalty < 0 ? NAN : p->length_penalty;
    o->without_timestamps = !p->timestamps;
    o->compression_ratio_threshold = decimal_of(p->compression_ratio_threshold);
    o->logprob_threshold = decimal_of(p->logprob_threshold);
    o->no_speech_threshold = decimal_of(p->no_speech_threshold);
    o->seed = p->seed;
    r->condition_on_previous_text = p->condition_on_previous_text;
    r->initial_prompt = p->initial_prompt;
    r->word_timestamps = p->word_timestamps;
    r->progress = p->progress;
    r->abort = p->abort;
    r->user = p->user_data;
    return VOCE_OK;
}

/* ---- VAD gating: pieces of speech joined, times mapped back ---- */

voce_status vc_asr_gate_audio(voce_vad *vad, const float *pcm, size_t n, gate *g)
{
    voce_vad_segment *seg = NULL;
    size_t n_seg = 0, total = 0;
    voce_status st = voce_vad_segments(vad, pcm, n, &seg, &n_seg);
    if (st) return st;
    for (size_t i = 0; i < n_seg; i++) total += (size_t)(seg[i].end - seg[i].start);
    g->pcm = malloc(sizeof(float) * (total ? total : 1));
    g->p = malloc(sizeof *g->p * (n_seg ? n_seg : 1));
    if (!g->pcm || !g->p) {
        free(seg);
        return vc_error(VOCE_ERR_NOMEM, "out of memory");
    }
    for (size_t i = 0; i < n_seg; i++) {
        size_t len = (size_t)(seg[i].end - seg[i].start);
        memcpy(g->pcm + g->n, pcm + seg[i].start, len * sizeof(float));
        g->p[g->n_p++] = (piece){(double)g->n / SAMPLE_RATE, (double)seg[i].start / SAMPLE_RATE,
                                 (double)len / SAMPLE_RATE};
        g->n += len;
    }
    free(seg);
    return VOCE_OK;
}

/* A time in the joined audio, in the original: within the piece it falls in (a time on
 * the border of two pieces belongs to the earlier one when it is an end). Whisper may
 * give times past the end of the audio it was given (its windows are 30 s long): those
 * end with the last piece. */
double vc_asr_map_time(const gate *g, double t, int is_end)
{
    if (!g || !g->n_p) return t;
    size_t i = 0;
    while (i + 1 < g->n_p && (is_end ? t > g->p[i + 1].joined : t >= g->p[i + 1].joined)) i++;
    double off = t - g->p[i].joined;
    return g->p[i].original + (off < g->p[i].length ? off : g->p[i].length);
}

/* ---- the result ---- */

/* transcribe()'s "text": the kept tokens below the timestamps decoded at once, as
 * tokenizer.decode does it: other special tokens by name (a language token in the text
 * shows, as it does in openai-whisper's), and a character whose bytes straddle two
 * segments whole. */
static voce_status whole_text(const vc_whisper_runner *r, const vc_whisper_transcript *w, vc_transcript_builder *b)
{
    int32_t *ids = malloc(sizeof *ids * (size_t)(w->n_tok + 1));
    if (!ids) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    size_t n = 0;
    for (int i = 0; i < w->n_seg; i++)
        for (int k = 0; k < w->seg[i].n_tok; k++) {
            int32_t id = w->tokens[w->seg[i].tok_begin + k];
            if (id < r->model.tok.timestamp_begin) ids[n++] = id;
        }
    char *text = NULL;
    size_t len = 0;
    voce_status st = vc_bpe_decode_alloc(r->model.bpe, ids, n, &text, &len);
    free(ids);
    if (!st) st = vc_transcript_set_text(b, text, len);
    free(text);
    return st;
}

static voce_status build(const voce_asr *a, const vc_whisper_transcript *w, const gate *g, double duration,
                         const voce_transcribe_params *p, voce_transcript **out)
{
    const vc_whisper_runner *r = &a->whisper;
    vc_transcript_builder b;
    vc_transcript_builder_init(&b);
    int lang = w->language;
    vc_transcript_set_language(&b, lang >= 0 ? vc_whisper_language_code(lang) : "en",
                               lang >= 0 ? vc_whisper_language_name(lang) : "english", (float)w->language_prob);
    vc_transcript_set_task(&b, p->task);
    vc_transcript_set_duration(&b, duration);
    vc_transcript_set_word_timestamps(&b, p->word_timestamps);
    voce_status st = whole_text(r, w, &b);
    if (st) {
        vc_transcript_builder_free(&b);
        return st;
    }
    for (int i = 0; i < w->n_seg; i++) {
        const vc_whisper_seg *s = &w->seg[i];
        vc_segment_info info = {vc_asr_map_time(g, s->start, 0), vc_asr_map_time(g, s->end, 1), (int32_t)s->seek,
                                s->temperature, s->avg_logprob, s->compression_ratio, s->no_speech_prob};
        vc_transcript_begin_segment(&b, &info);
        for (int k = 0; k < s->n_tok; k++) {
            int32_t id = w->tokens[s->tok_begin + k];
            const char *bytes = "";
            size_t len = 0;
            if (id < r->model.tok.eot) vc_bpe_token_bytes(r->model.bpe, id, &bytes, &len);
            vc_transcript_add_token(&b, id, bytes, len, info.start, info.end, NAN, NAN);
        }
        for (int k = 0; k < s->n_words; k++) {
            const vc_whisper_word *x = &w->words[s->word_begin + k];
            vc_transcript_add_word(&b, x->text, x->len, vc_asr_map_time(g, x->start, 0), vc_asr_map_time(g, x->end, 1),
                                   (float)x->probability);
        }
    }
    return vc_transcript_finish(&b, out);
}

voce_status voce_asr_transcribe(voce_asr *asr, const float *samples, size_t n, const voce_transcribe_params *params,
                                voce_transcript **out)
{
    if (!asr || !out || (!samples && n)) return vc_error(VOCE_ERR_INVALID_ARG, "voce_asr_transcribe: bad arguments");
    *out = NULL;
    voce_transcribe_params def = voce_transcribe_params_default();
    if (!params) params = &def;
    if (asr->transducer) return vc_asr_transcribe_transducer(asr, samples, n, params, out);
    vc_whisper_run_params rp;
    voce_status st = run_params(asr, params, &rp);
    if (st) return st;
    gate g = {0};
    int use_vad = asr->vad && (params->vad == 1 || (params->vad < 0 && n > 30 * (size_t)SAMPLE_RATE));
    if (use_vad && (st = vc_asr_gate_audio(asr->vad, samples, n, &g))) return st;
    vc_whisper_transcript w;
    memset(&w, 0, sizeof w);
    if (!use_vad || g.n > 0) st = vc_whisper_transcribe(&asr->whisper, use_vad ? g.pcm : samples, use_vad ? g.n : n,
                                                        &rp, &w);
    if (!st) st = build(asr, &w, use_vad ? &g : NULL, (double)n / SAMPLE_RATE, params, out);
    vc_whisper_transcript_free(&w);
    free(g.pcm);
    free(g.p);
    return st;
}

voce_status voce_asr_transcribe_file(voce_asr *asr, const char *path, const voce_transcribe_params *params,
                                     voce_transcript **out)
{
    if (!asr || !path || !out) return vc_error(VOCE_ERR_INVALID_ARG, "voce_asr_transcribe_file: bad arguments");
    *out = NULL;
    voce_transcribe_params def = voce_transcribe_params_default();
    if (!params) params = &def;
    if (asr->transducer && (!asr->vad || params->vad == 0) && vc_asr_regular_file(path))
        return vc_asr_transcribe_transducer_file(asr, path, params, out); /* streamed, read twice */
    voce_audio_options o = voce_audio_options_default();
    o.sample_rate = SAMPLE_RATE;
    float *pcm = NULL;
    size_t n = 0;
    int rate = 0;
    voce_status st = voce_audio_read_file(path, &o, &pcm, &n, &rate);
    if (st) return st;
    st = voce_asr_transcribe(asr, pcm, n, params, out);
    free(pcm);
    return st;
}
