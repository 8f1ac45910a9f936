/* Decoding options: defaults, the checks of decoding.py's _verify_options and ours, the
 * initial tokens and the suppress list (DecodingTask.__init__). */
#include <math.h>
#include <string.h>

#include "core/error.h"
#include "models/whisper/decode_int.h"

vc_whisper_options vc_whisper_options_default(void)
{
    /* The literals of transcribe()'s default, not multiples of 0.2 (0.2 * 3 != 0.6). */
    static const double temperatures[] = {0.0, 0.2, 0.4, 0.6, 0.8, 1.0};
    static const int32_t non_speech[] = {-1};
    vc_whisper_options o;
    memset(&o, 0, sizeof o);
    o.task = VC_WHISPER_TRANSCRIBE;
    o.language = -1;
    o.n_temperatures = (int)(sizeof temperatures / sizeof temperatures[0]);
    memcpy(o.temperatures, temperatures, sizeof temperatures);
    o.patience = NAN;
    o.length_penalty = NAN;
    o.suppress_tokens = non_speech;
    o.n_suppress_tokens = 1;
    o.suppress_blank = 1;
    o.max_initial_timestamp = 1.0;
    o.compression_ratio_threshold = 2.4;
    o.logprob_threshold = -1.0;
    o.no_speech_threshold = 0.6;
    return o;
}

int vc_whisper_sample_len(const vc_whisper_decoder *d, const vc_whisper_options *o)
{
    return o->sample_len ? o->sample_len : d->lm.n_text_ctx / 2;
}

int vc_whisper_max_candidates(const vc_whisper_options *o)
{
    /* `patience or 1.0`, then Python's round(): halves go to even (round(2.5) == 2). */
    double patience = isnan(o->patience) || o->patience == 0 ? 1.0 : o->patience;
    double m = nearbyint((double)o->beam_size * patience);
    return m > VC_WHISPER_MAX_CANDIDATES ? VC_WHISPER_MAX_CANDIDATES + 1 : m < 0 ? -1 : (int)m;
}

static voce_status check_tokens(const vc_whisper_decoder *d, const char *what, const int32_t *t, int n)
{
    if (n < 0 || (n > 0 && !t)) return vc_error(VOCE_ERR_INVALID_ARG, "%s: %d tokens at %p", what, n, (const void *)t);
    for (int i = 0; i < n; i++) {
        if (t[i] < 0 || t[i] >= d->lm.n_vocab)
            return vc_error(VOCE_ERR_INVALID_ARG, "%s token %d is %d, outside the vocabulary [0, %d)", what,
                            i, (int)t[i], d->lm.n_vocab);
        if (t[i] == d->vocab.eot)
            return vc_error(VOCE_ERR_INVALID_ARG, "%s token %d is <|endoftext|> (%d)", what, i, (int)t[i]);
    }
    return VOCE_OK;
}

static voce_status check_suppress(const vc_whisper_decoder *d, const vc_whisper_options *o)
{
    if (o->n_suppress_tokens < 0 || (o->n_suppress_tokens > 0 && !o->suppress_tokens))
        return vc_error(VOCE_ERR_INVALID_ARG, "suppress_tokens: %d tokens at %p", o->n_suppress_tokens,
                        (const void *)o->suppress_tokens);
    for (int i = 0; i < o->n_suppress_tokens; i++) {
        int32_t t = o->suppress_tokens[i];
        if (t < -1 || t >= d->lm.n_vocab)
            return vc_error(VOCE_ERR_INVALID_ARG,
                            "suppress_tokens[%d] is %d: not -1 (the non-speech tokens) nor in [0, %d)", i,
                            (int)t, d->lm.n_vocab);
    }
    return VOCE_OK;
}

/* What _verify_options refuses, what BeamSearchDecoder asserts, and values decoding.py
 * would crash or loop on. */
static voce_status check_search(const vc_whisper_options *o, double t)
{
    if (!isfinite(t) || t < 0) return vc_error(VOCE_ERR_INVALID_ARG, "temperature %g: not a number >= 0", t);
    if (o->beam_size < 0 || o->beam_size > VC_WHISPER_MAX_GROUP)
        return vc_error(VOCE_ERR_INVALID_ARG, "beam_size %d: 1 to %d, or 0 for none", o->beam_size,
                        VC_WHISPER_MAX_GROUP);
    if (o->best_of < 0 || o->best_of > VC_WHISPER_MAX_GROUP)
        return vc_error(VOCE_ERR_INVALID_ARG, "best_of %d: 1 to %d, or 0 for none", o->best_of,
                        VC_WHISPER_MAX_GROUP);
    if (o->beam_size && o->best_of)
        return vc_error(VOCE_ERR_INVALID_ARG, "beam_size (%d) and best_of (%d) can't be given together",
                        o->beam_size, o->best_of);
    if (t == 0 && o->best_of)
        return vc_error(VOCE_ERR_INVALID_ARG, "best_of (%d) with greedy decoding (temperature 0) is not compatible",
                        o->best_of);
    if (!isnan(o->patience) && !o->beam_size)
        return vc_error(VOCE_ERR_INVALID_ARG, "patience (%g) requires beam_size", o->patience);
    if (!isnan(o->length_penalty) && !(o->length_penalty >= 0 && o->length_penalty <= 1))
        return vc_error(VOCE_ERR_INVALID_ARG, "length_penalty (alpha) %g: should be between 0 and 1",
                        o->length_penalty);
    if (o->beam_size) {
        int m = vc_whisper_max_candidates(o);
        if (!isfinite(o->patience) && !isnan(o->patience))
            return vc_error(VOCE_ERR_INVALID_ARG, "patience %g is not finite", o->patience);
        if (m <= 0 || m > VC_WHISPER_MAX_CANDIDATES)
            return vc_error(VOCE_ERR_INVALID_ARG,
                            "beam_size %d with patience %g wants round(beam_size * patience) = %d finished "
                            "sequences: 1 to %d", o->beam_size, o->patience, m, VC_WHISPER_MAX_CANDIDATES);
    }
    if (o->sample_len < 0) return vc_error(VOCE_ERR_INVALID_ARG, "sample_len %d < 0", o->sample_len);
    return VOCE_OK;
}

static voce_status check_task(const vc_whisper_decoder *d, const vc_whisper_options *o)
{
    if (o->task != VC_WHISPER_TRANSCRIBE && o->task != VC_WHISPER_TRANSLATE && o->task != VC_WHISPER_TASK_NONE)
        return vc_error(VOCE_ERR_INVALID_ARG, "task %d: not transcribe, translate or none", (int)o->task);
    if (d->vocab.n_languages && (o->language < -1 || o->language >= d->vocab.n_languages))
        return vc_error(VOCE_ERR_INVALID_ARG, "language %d: -1 (detect) or 0 to %d", o->language,
                        d->vocab.n_languages - 1);
    double m = o->max_initial_timestamp;
    if (!isnan(m) && !(m >= 0 && m <= 1e6))
        return vc_error(VOCE_ERR_INVALID_ARG, "max_initial_timestamp %g s: 0 (none) to 1e6", m);
    return VOCE_OK;
}

voce_status vc_whisper_check_options(const vc_whisper_decoder *d, const vc_whisper_options *o, double t)
{
    voce_status st = check_search(o, t);
    if (!st) st = check_task(d, o);
    if (!st) st = check_tokens(d, "prompt", o->prompt, o->n_prompt);
    if (!st) st = check_tokens(d, "prefix", o->prefix, o->n_prefix);
    if (!st) st = check_suppress(d, o);
    if (st) return st;
    int sot_index, n = vc_whisper_initial_tokens(d, o, 0, NULL, &sot_index);
    if (n > d->lm.n_text_ctx)
        return vc_error(VOCE_ERR_INVALID_ARG,
                        "%d initial tokens (prompt %d, prefix %d after their cuts) exceed the model's "
                        "context of %d", n, o->n_prompt, o->n_prefix, d->lm.n_text_ctx);
    return VOCE_OK;
}

/* decoding.py cuts the prefix to prefix[-(n_ctx // 2 - sample_len):], a Python slice:
 * the last k tokens for k > 0, all of them for k == 0 (the default sample_len), and all
 * but the first -k for k < 0. */
static void prefix_part(const vc_whisper_decoder *d, const vc_whisper_options *o, int *from, int *count)
{
    int n = o->n_prefix, k = d->lm.n_text_ctx / 2 - vc_whisper_sample_len(d, o);
    int skip = k > 0 ? (n > k ? n - k : 0) : k == 0 ? 0 : (-k < n ? -k : n);
    *from = skip;
    *count = n - skip;
}

static int put(int32_t *out, int n, int32_t t)
{
    if (out) out[n] = t;
    return n + 1;
}

int vc_whisper_initial_tokens(const vc_whisper_decoder *d, const vc_whisper_options *o, int language,
                              int32_t *out, int *sot_index)
{
    const vc_whisper_vocab *v = &d->vocab;
    int n = 0;
    if (o->n_prompt > 0) {
        int keep = d->lm.n_text_ctx / 2 - 1; /* prompt_tokens[-(n_ctx // 2 - 1):] */
        int from = o->n_prompt > keep ? o->n_prompt - keep : 0;
        n = put(out, n, v->sot_prev);
        for (int i = from; i < o->n_prompt; i++) n = put(out, n, o->prompt[i]);
    }
    *sot_index = n;
    n = put(out, n, v->sot);
    if (v->n_languages) {
        n = put(out, n, v->lang_begin + (language < 0 ? 0 : language));
        n = put(out, n, o->task == VC_WHISPER_TRANSLATE ? v->translate : v->transcribe);
    }
    if (o->without_timestamps) n = put(out, n, v->no_timestamps);
    int from, count;
    prefix_part(d, o, &from, &count);
    for (int i = 0; i < count; i++) n = put(out, n, o->prefix[from + i]);
    return n;
}

int vc_whisper_suppress_list(const vc_whisper_decoder *d, const vc_whisper_options *o, int32_t *out,
                             uint8_t *mask)
{
    const vc_whisper_vocab *v = &d->vocab;
    if (o->n_suppress_tokens == 0) return -1;
    memset(mask, 0, (size_t)d->lm.n_vocab);
    for (int i = 0; i < o->n_suppress_tokens; i++) {
        if (o->suppress_tokens[i] >= 0) mask[o->suppress_tokens[i]] = 1;
        else
            for (int j = 0; j < v->n_non_speech; j++) mask[d->non_speech[j]] = 1;
    }
    /* decoding.py always adds these; the no-speech probability is read separately */
    const int32_t always[] = {v->transcribe, v->translate, v->sot, v->sot_prev, v->sot_lm, v->no_speech};
    for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
        if (always[i] >= 0) mask[always[i]] = 1;
    int n = 0;
    for (int t = 0; t < d->lm.n_vocab; t++)
        if (mask[t]) out[n++] = t;
    return n;
}
