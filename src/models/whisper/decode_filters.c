/* The logit filters of decoding.py, in its order: SuppressBlank, SuppressTokens,
 * ApplyTimestampRules. Each masks tokens with -inf in one sequence's row of logits. */
#include <math.h>

#include "models/whisper/decode_int.h"

static void mask_range(float *row, int from, int to)
{
    for (int t = from; t < to; t++) row[t] = -INFINITY;
}

/* Timestamps come in pairs (a segment's start and end) except the last before EOT:
 * after one timestamp only another timestamp or EOT (nothing below eot), after two in
 * a row (or one at the very start) no timestamp. Timestamps never go back, and a
 * segment is never empty: after a closing pair the next must be later than the last. */
static void pairing_rules(const vc_whisper_decoder *d, const vc_whisper_run *r, int k, float *row)
{
    const int32_t ts = d->vocab.timestamp_begin;
    const int32_t *s = r->seq + (size_t)k * r->cap + r->sample_begin;
    int n = r->len - r->sample_begin;
    int last_ts = n >= 1 && s[n - 1] >= ts;
    int penultimate_ts = n < 2 || s[n - 2] >= ts;
    if (last_ts) {
        if (penultimate_ts) mask_range(row, ts, d->lm.n_vocab);
        else mask_range(row, 0, d->vocab.eot);
    }
    int i = n - 1;
    while (i >= 0 && s[i] < ts) i--;
    if (i >= 0) {
        /* after a lone closing timestamp the next may repeat it (it opens the next segment) */
        int32_t upto = last_ts && !penultimate_ts ? s[i] : s[i] + 1;
        mask_range(row, ts, upto < d->lm.n_vocab ? upto : d->lm.n_vocab);
    }
}

/* If the timestamps together are likelier than the likeliest other token, a timestamp it
 * is. log_softmax's normaliser cancels on both sides, so this compares logsumexp of the
 * timestamp logits with the largest other logit, in double. */
static void timestamp_mass(const vc_whisper_decoder *d, float *row)
{
    const int32_t ts = d->vocab.timestamp_begin;
    double text = -INFINITY;
    for (int t = 0; t < ts; t++)
        if (row[t] > text) text = row[t];
    double stamps = vc_whisper_lse(row + ts, d->lm.n_vocab - ts);
    if (stamps > text) mask_range(row, 0, ts);
}

static void timestamp_rules(const vc_whisper_decoder *d, const vc_whisper_run *r, int k, float *row)
{
    const int32_t ts = d->vocab.timestamp_begin;
    row[d->vocab.no_timestamps] = -INFINITY;
    pairing_rules(d, r, k, row);
    if (r->len == r->sample_begin) {
        mask_range(row, 0, ts); /* the text starts with a timestamp */
        if (r->max_initial >= 0) {
            long last = (long)ts + r->max_initial;
            if (last + 1 < d->lm.n_vocab) mask_range(row, (int)(last + 1), d->lm.n_vocab);
        }
    }
    timestamp_mass(d, row);
}

void vc_whisper_filter_row(const vc_whisper_decoder *d, const vc_whisper_run *r, int k, float *row)
{
    const vc_whisper_options *o = r->o;
    if (o->suppress_blank && r->len == r->sample_begin) {
        if (d->vocab.blank >= 0) row[d->vocab.blank] = -INFINITY;
        row[d->vocab.eot] = -INFINITY;
    }
    for (int i = 0; i < r->n_suppress; i++) row[r->suppress[i]] = -INFINITY;
    if (!o->without_timestamps) timestamp_rules(d, r, k, row);
}
