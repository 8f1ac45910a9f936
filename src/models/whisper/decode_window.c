/* The decoder object, language detection, one decode, and transcribe.py's temperature
 * fallback over a window (decode.h). */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "models/whisper/decode_int.h"

voce_status vc_whisper_reserve(vc_whisper_decoder *d, vc_whisper_buf *buf, size_t n, size_t size)
{
    if (size && n > (SIZE_MAX / 2) / size) return vc_error(VOCE_ERR_NOMEM, "decoder buffer of %zu x %zu bytes", n, size);
    size_t need = n * size;
    if (need <= buf->cap && buf->p) return VOCE_OK;
    size_t cap = need + need / 2 + 64; /* text grows token by token */
    void *p = realloc(buf->p, cap);
    if (!p) return vc_error(VOCE_ERR_NOMEM, "out of memory for a decoder buffer of %zu bytes", cap);
    buf->p = p;
    buf->cap = cap;
    d->allocations++;
    return VOCE_OK;
}

static voce_status check_id(const char *name, int32_t id, int32_t below, int may_be_none)
{
    if ((may_be_none && id == -1) || (id >= 0 && id < below)) return VOCE_OK;
    return vc_error(VOCE_ERR_INVALID_ARG, "whisper vocabulary: %s is %d, outside [0, %d)%s", name, (int)id,
                    (int)below, may_be_none ? " and not -1" : "");
}

static voce_status check_lm(const vc_whisper_lm *lm)
{
    if (!lm->reset || !lm->step || !lm->reorder)
        return vc_error(VOCE_ERR_INVALID_ARG, "whisper decoder: the model needs reset, step and reorder callbacks");
    if (lm->n_vocab < 2 || lm->n_text_ctx < 8 || lm->n_text_ctx > 65536 || lm->n_audio_ctx < 1)
        return vc_error(VOCE_ERR_INVALID_ARG, "whisper decoder: n_vocab %d, n_text_ctx %d (8 to 65536), n_audio_ctx %d",
                        lm->n_vocab, lm->n_text_ctx, lm->n_audio_ctx);
    return VOCE_OK;
}

static voce_status check_vocab(const vc_whisper_vocab *v, const vc_whisper_lm *lm)
{
    int32_t ts = v->timestamp_begin;
    voce_status st = check_id("timestamp_begin", ts, lm->n_vocab, 0);
    const struct { const char *name; int32_t id; int none; } ids[] = {
        {"eot", v->eot, 0}, {"sot", v->sot, 0}, {"sot_prev", v->sot_prev, 0}, {"sot_lm", v->sot_lm, 0},
        {"translate", v->translate, 0}, {"transcribe", v->transcribe, 0}, {"no_timestamps", v->no_timestamps, 0},
        {"no_speech", v->no_speech, 1}, {"blank", v->blank, 1}};
    for (size_t i = 0; !st && i < sizeof ids / sizeof ids[0]; i++) st = check_id(ids[i].name, ids[i].id, ts, ids[i].none);
    if (st) return st;
    if (v->n_languages < 0 || (v->n_languages && (v->lang_begin < 0 || v->lang_begin > ts - v->n_languages)))
        return vc_error(VOCE_ERR_INVALID_ARG, "whisper vocabulary: %d language tokens from %d do not fit below %d",
                        v->n_languages, (int)v->lang_begin, (int)ts);
    if (v->n_non_speech < 0 || (v->n_non_speech && !v->non_speech) || !v->token_bytes)
        return vc_error(VOCE_ERR_INVALID_ARG, "whisper vocabulary: needs token_bytes and a non_speech list");
    for (int i = 0; i < v->n_non_speech; i++)
        if (v->non_speech[i] < 0 || v->non_speech[i] >= lm->n_vocab)
            return check_id("a non_speech token", v->non_speech[i], lm->n_vocab, 0);
    return VOCE_OK;
}

voce_status vc_whisper_decoder_create(const vc_whisper_vocab *vocab, const vc_whisper_lm *lm,
                                      const char *zlib_soname, vc_whisper_decoder **out)
{
    *out = NULL;
    voce_status st = check_lm(lm);
    if (!st) st = check_vocab(vocab, lm);
    if (st) return st;
    vc_whisper_decoder *d = calloc(1, sizeof *d);
    size_t n_ns = (size_t)vocab->n_non_speech;
    if (d) d->non_speech = malloc((n_ns ? n_ns : 1) * sizeof *d->non_speech);
    if (!d || !d->non_speech) {
        free(d);
        return vc_error(VOCE_ERR_NOMEM, "out of memory for a whisper decoder");
    }
    d->vocab = *vocab;
    if (n_ns) memcpy(d->non_speech, vocab->non_speech, n_ns * sizeof *d->non_speech);
    d->vocab.non_speech = d->non_speech;
    d->lm = *lm;
    vc_whisper_zlib_load(&d->zlib, zlib_soname);
    *out = d;
    return VOCE_OK;
}

void vc_whisper_decoder_free(vc_whisper_decoder *d)
{
    if (!d) return;
    vc_whisper_buf *bufs[] = {&d->b_seq, &d->b_seq_next, &d->b_logits, &d->b_sot_logits, &d->b_sums,
                              &d->b_src, &d->b_n_new, &d->b_heads, &d->b_work, &d->b_suppress, &d->b_mask,
                              &d->b_cands, &d->b_order, &d->b_fin, &d->b_fin_len, &d->b_fin_score,
                              &d->b_lang, &d->b_tokens, &d->b_raw, &d->b_text, &d->b_compress};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++) free(bufs[i]->p);
    vc_whisper_zlib_unload(&d->zlib);
    free(d->non_speech);
    free(d);
}

const char *vc_whisper_decoder_zlib(const vc_whisper_decoder *d)
{
    return d->zlib.lib ? NULL : d->zlib.why;
}

int vc_whisper_decoder_allocations(const vc_whisper_decoder *d)
{
    return d->allocations;
}

voce_status vc_whisper_detect_language(vc_whisper_decoder *d, int *language, double *probs)
{
    const vc_whisper_vocab *v = &d->vocab;
    if (!v->n_languages)
        return vc_error(VOCE_ERR_UNSUPPORTED, "this model has no language tokens (English-only): no language to detect");
    voce_status st = vc_whisper_reserve(d, &d->b_sot_logits, (size_t)d->lm.n_vocab, sizeof(float));
    if (st) return st;
    float *row = d->b_sot_logits.p;
    const int32_t *heads[1] = {&v->sot};
    int n_new[1] = {1};
    st = d->lm.reset(d->lm.user);
    if (!st) st = d->lm.step(d->lm.user, 1, heads, n_new, row);
    if (st) return st;
    /* every other token masked: the softmax over the language tokens alone */
    const float *lang = row + v->lang_begin;
    for (int i = 0; i < v->n_languages; i++)
        if (isnan(lang[i]) || lang[i] == INFINITY)
            return vc_error(VOCE_ERR_INVALID_ARG, "the model's logit for language %d after <|startoftranscript|> is %s", i,
                            isnan(lang[i]) ? "NaN" : "+inf");
    int best = vc_whisper_argmax(lang, v->n_languages);
    if (lang[best] == -INFINITY)
        return vc_error(VOCE_ERR_INVALID_ARG, "the model gives every language -inf after <|startoftranscript|>");
    double lse = vc_whisper_lse(lang, v->n_languages);
    for (int i = 0; probs && i < v->n_languages; i++) probs[i] = exp((double)lang[i] - lse);
    *language = best;
    return VOCE_OK;
}

/* The language given, or detected (its probabilities into d->b_lang). */
static voce_status resolve_language(vc_whisper_decoder *d, const vc_whisper_options *o, int *language,
                                    const double **probs)
{
    *probs = NULL;
    *language = d->vocab.n_languages ? o->language : -1;
    if (*language >= 0 || !d->vocab.n_languages) return VOCE_OK;
    voce_status st = vc_whisper_reserve(d, &d->b_lang, (size_t)d->vocab.n_languages, sizeof(double));
    if (!st) st = vc_whisper_detect_language(d, language, d->b_lang.p);
    if (!st) *probs = d->b_lang.p;
    return st;
}

static voce_status run_attempt(vc_whisper_decoder *d, const vc_whisper_options *o, double t, int language,
                               int attempt, vc_whisper_result *res)
{
    vc_whisper_run r;
    memset(&r, 0, sizeof r);
    r.o = o;
    r.temperature = t;
    r.language = language;
    return vc_whisper_run_decode(d, &r, attempt, res);
}

voce_status vc_whisper_decode(vc_whisper_decoder *d, const vc_whisper_options *o, double temperature,
                              vc_whisper_result *res)
{
    memset(res, 0, sizeof *res);
    voce_status st = vc_whisper_check_options(d, o, temperature);
    int language;
    const double *probs;
    if (!st) st = resolve_language(d, o, &language, &probs);
    if (!st) st = run_attempt(d, o, temperature, language, 0, res);
    if (st) return st;
    res->language_probs = probs;
    res->attempts = 1;
    return VOCE_OK;
}

/* decode_with_fallback's options for temperature k: beam search only at 0, best_of only
 * above it. */
static vc_whisper_options attempt_options(const vc_whisper_options *o, int k)
{
    vc_whisper_options a = *o;
    if (o->temperatures[k] > 0) {
        a.beam_size = 0;
        a.patience = NAN;
    } else {
        a.best_of = 0;
    }
    return a;
}

static voce_status check_schedule(const vc_whisper_decoder *d, const vc_whisper_options *o)
{
    if (o->n_temperatures < 1 || o->n_temperatures > VC_WHISPER_MAX_TEMPERATURES)
        return vc_error(VOCE_ERR_INVALID_ARG, "%d temperatures: 1 to %d", o->n_temperatures,
                        VC_WHISPER_MAX_TEMPERATURES);
    for (int k = 0; k < o->n_temperatures; k++) {
        vc_whisper_options a = attempt_options(o, k);
        voce_status st = vc_whisper_check_options(d, &a, o->temperatures[k]);
        if (st) return vc_error_prefix(st, "temperature %d (%g): ", k, o->temperatures[k]);
    }
    return VOCE_OK;
}

/* Too repetitive or too improbable, and not silence: try the next temperature. */
static int needs_fallback(const vc_whisper_options *o, const vc_whisper_result *r)
{
    int low_logprob = !isnan(o->logprob_threshold) && r->avg_logprob < o->logprob_threshold;
    int fallback = (!isnan(o->compression_ratio_threshold) && r->compression_ratio > o->compression_ratio_threshold) ||
                   low_logprob;
    if (!isnan(o->no_speech_threshold) && r->no_speech_prob > o->no_speech_threshold && low_logprob) fallback = 0;
    return fallback;
}

/* transcribe()'s "no voice activity" check (note: "not above", where the fallback's
 * silence test says "below"). */
static int should_skip(const vc_whisper_options *o, const vc_whisper_result *r)
{
    if (isnan(o->no_speech_threshold)) return 0;
    int skip = r->no_speech_prob > o->no_speech_threshold;
    if (!isnan(o->logprob_threshold) && r->avg_logprob > o->logprob_threshold) skip = 0;
    return skip;
}

voce_status vc_whisper_decode_window(vc_whisper_decoder *d, const vc_whisper_options *o, vc_whisper_result *res)
{
    memset(res, 0, sizeof *res);
    int language;
    const double *probs;
    voce_status st = check_schedule(d, o);
    if (!st) st = resolve_language(d, o, &language, &probs);
    if (st) return st;
    int k = 0;
    for (; k < o->n_temperatures; k++) {
        vc_whisper_options a = attempt_options(o, k);
        st = run_attempt(d, &a, o->temperatures[k], language, k, res);
        if (st) return st;
        if (!needs_fallback(o, res)) break;
    }
    res->attempts = k < o->n_temperatures ? k + 1 : k;
    res->language_probs = probs;
    res->skip = should_skip(o, res);
    return VOCE_OK;
}
