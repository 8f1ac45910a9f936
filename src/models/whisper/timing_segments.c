/* timing.py's find_alignment (path jumps to word times) and add_word_timestamps (the
 * duration heuristics and the segment boundaries). */
#include "models/whisper/timing.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

static const char SENTENCE_END[] = ".\xe3\x80\x82!\xef\xbc\x81?\xef\xbc\x9f"; /* .。!！?？ */

/* Python's max(a, b) and min(a, b): the first unless the second is strictly beyond. */
static double py_max(double a, double b) { return b > a ? b : a; }
static double py_min(double a, double b) { return b < a ? b : a; }

double vc_whisper_round2(double x)
{
    if (!(fabs(x) < 1e13)) return x; /* beyond any time; x * 100 must stay exact in k */
    double k = floor(x * 100.0);
    /* make k the floor of the exact product: fma rounds x * 100 - k once, keeping its sign */
    if (fma(x, 100.0, -k) < 0.0) k -= 1.0;
    else if (fma(x, 100.0, -(k + 1.0)) >= 0.0) k += 1.0;
    double above_half = fma(x, 100.0, -(k + 0.5));
    if (above_half > 0.0 || (above_half == 0.0 && fmod(k, 2.0) != 0.0)) k += 1.0;
    double r = k / 100.0; /* correctly rounded: the double nearest to the decimal */
    return r == 0.0 ? copysign(0.0, x) : r;
}

static voce_status check_text(const vc_whisper_text *t)
{
    if (!t || t->n < 0 || (t->n > 0 && (!t->tokens || !t->probs || !t->bytes)))
        return vc_error(VOCE_ERR_INVALID_ARG,
                        "whisper timing: NULL text tokens, probabilities or bytes callback");
    for (int i = 0; i < t->n; i++) {
        if (t->tokens[i] < 0 || t->tokens[i] >= t->eot)
            return vc_error(VOCE_ERR_INVALID_ARG,
                            "whisper timing: token %d at %d is not a text token (eot is %d)",
                            (int)t->tokens[i], i, (int)t->eot);
        if (!(t->probs[i] >= 0.0f && t->probs[i] <= 1.0f))
            return vc_error(VOCE_ERR_INVALID_ARG,
                            "whisper timing: probability %g of token %d at %d is not in [0, 1]",
                            t->probs[i], (int)t->tokens[i], i);
    }
    return VOCE_OK;
}

/* The DTW path's first frame in each row of the matrix: rows [0, n_rows). */
static voce_status row_starts(const float *matrix, int n_rows, int k, int32_t *starts)
{
    size_t cells = (size_t)n_rows * k, steps = (size_t)n_rows + k - 1;
    float *x = malloc(cells * sizeof *x);
    int32_t *path = malloc(2 * steps * sizeof *path);
    if (!x || !path) {
        free(x);
        free(path);
        return vc_error(VOCE_ERR_NOMEM, "whisper timing: no memory for a %d x %d DTW", n_rows, k);
    }
    for (size_t i = 0; i < cells; i++) x[i] = -matrix[i];
    int len = 0;
    voce_status st = vc_whisper_dtw(x, n_rows, k, path, path + steps, &len);
    for (int e = 0; !st && e < len; e++)
        if (e == 0 || path[e] != path[e - 1]) starts[path[e]] = path[steps + e];
    free(x);
    free(path);
    return st;
}

voce_status vc_whisper_find_alignment(const vc_whisper_timing_params *p,
                                      const vc_whisper_attention *a, int n_sot, int num_frames,
                                      const vc_whisper_text *t, vc_whisper_words *out)
{
    if (!out) return vc_error(VOCE_ERR_INVALID_ARG, "whisper timing: NULL output");
    memset(out, 0, sizeof *out);
    voce_status st = check_text(t);
    if (st || t->n == 0) return st;
    if (!a || a->n_rows != n_sot + t->n + 2)
        return vc_error(VOCE_ERR_SHAPE,
                        "whisper timing: %d attention rows for an sot sequence of %d and %d text "
                        "tokens (expected %d: sot, <|notimestamps|>, text, <|endoftext|>)",
                        a ? a->n_rows : 0, n_sot, t->n, n_sot + t->n + 2);
    int k = vc_whisper_timing_frames(p, num_frames), n_rows = t->n + 1;
    float *matrix = malloc((size_t)n_rows * (k > 0 ? k : 1) * sizeof *matrix);
    int32_t *starts = malloc((size_t)n_rows * sizeof *starts);
    int32_t *seq = malloc(((size_t)t->n + 1) * sizeof *seq);
    if (!matrix || !starts || !seq) {
        st = vc_error(VOCE_ERR_NOMEM, "whisper timing: no memory for %d tokens", t->n);
        goto done;
    }
    if ((st = vc_whisper_alignment_matrix(p, a, n_sot, num_frames, matrix))) goto done;
    if ((st = row_starts(matrix, n_rows, k, starts))) goto done;
    memcpy(seq, t->tokens, (size_t)t->n * sizeof *seq);
    seq[t->n] = t->eot;
    if ((st = vc_whisper_split_words(seq, t->n + 1, t->eot, t->split, t->bytes, t->bytes_ctx, out)))
        goto done;
    /* the last word holds <|endoftext|>: it only closes the one before */
    out->n = out->n > 1 ? out->n - 1 : 0;
    double fps = vc_whisper_frames_per_second(p);
    for (int i = 0; i < out->n; i++) {
        vc_whisper_word *w = &out->w[i];
        w->start = starts[w->token_begin] / fps;
        w->end = starts[w->token_end] / fps;
        double sum = 0.0;
        for (int j = w->token_begin; j < w->token_end; j++) sum += t->probs[j];
        w->probability = sum / (w->token_end - w->token_begin);
    }
done:
    free(matrix);
    free(starts);
    free(seq);
    if (st) vc_whisper_words_free(out);
    return st;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* np.median of the non-zero word durations, capped at 0.7; 0 when there are none. */
static voce_status median_duration(const vc_whisper_words *w, double *median, int *any)
{
    double *d = malloc((w->n ? (size_t)w->n : 1) * sizeof *d);
    if (!d) return vc_error(VOCE_ERR_NOMEM, "whisper timing: no memory for %d durations", w->n);
    int n = 0;
    for (int i = 0; i < w->n; i++)
        if (w->w[i].end - w->w[i].start != 0.0) d[n++] = w->w[i].end - w->w[i].start;
    qsort(d, (size_t)n, sizeof *d, cmp_double);
    double m = n == 0 ? 0.0 : n % 2 ? d[n / 2] : (d[n / 2 - 1] + d[n / 2]) / 2.0;
    free(d);
    *median = py_min(0.7, m);
    *any = n > 0;
    return VOCE_OK;
}

/* Words at sentence ends no longer than max_dur: the end mark's own end is pulled in,
 * or the start of the word after it pushed out. */
static void clamp_sentence_ends(vc_whisper_words *w, double max_dur)
{
    for (int i = 1; i < w->n; i++) {
        vc_whisper_word *x = &w->w[i], *before = &w->w[i - 1];
        if (x->end - x->start <= max_dur) continue;
        if (vc_whisper_text_in(x->text, x->len, SENTENCE_END)) x->end = x->start + max_dur;
        else if (vc_whisper_text_in(before->text, before->len, SENTENCE_END))
            x->start = x->end - max_dur;
    }
}

/* The first and last word of one segment against the pause before it and the segment's
 * own times; moves the segment's times to the words' where those are kept. */
static void fit_segment(vc_whisper_word *w, int n, vc_whisper_segment *seg, double median,
                        double *last_speech)
{
    double max_dur = median * 2;
    vc_whisper_word *first = &w[0], *last = &w[n - 1];
    if (first->end - *last_speech > median * 4 &&
        (first->end - first->start > max_dur || (n > 1 && w[1].end - first->start > max_dur * 2))) {
        if (n > 1 && w[1].end - w[1].start > max_dur) {
            double boundary = py_max(w[1].end / 2, w[1].end - max_dur);
            first->end = w[1].start = boundary;
        }
        first->start = py_max(0, first->end - max_dur);
    }
    if (seg->start < first->end && seg->start - 0.5 > first->start)
        first->start = py_max(0, py_min(first->end - median, seg->start));
    else
        seg->start = first->start;
    if (seg->end > last->start && seg->end + 0.5 < last->end)
        last->end = py_max(last->start + median, seg->end);
    else
        seg->end = last->end;
    *last_speech = seg->end;
}

static voce_status check_segments(const vc_whisper_text *t, const vc_whisper_segment *segs,
                                  int n_segs)
{
    if (n_segs < 0 || (n_segs > 0 && !segs))
        return vc_error(VOCE_ERR_INVALID_ARG, "whisper timing: NULL or negative segment list");
    int64_t sum = 0;
    for (int i = 0; i < n_segs; i++) {
        if (segs[i].n_tokens < 0 || !isfinite(segs[i].start) || !isfinite(segs[i].end))
            return vc_error(VOCE_ERR_INVALID_ARG,
                            "whisper timing: segment %d has %d tokens, start %g, end %g", i,
                            segs[i].n_tokens, segs[i].start, segs[i].end);
        sum += segs[i].n_tokens;
    }
    if (t && sum != t->n)
        return vc_error(VOCE_ERR_INVALID_ARG,
                        "whisper timing: the segments hold %lld tokens, the text %d",
                        (long long)sum, t->n);
    return VOCE_OK;
}

voce_status vc_whisper_add_word_timestamps(const vc_whisper_timing_params *p,
                                           const vc_whisper_attention *a, int n_sot,
                                           int num_frames, int64_t seek,
                                           const vc_whisper_text *t, vc_whisper_segment *segs,
                                           int n_segs, double last_speech,
                                           vc_whisper_words *out)
{
    if (!out) return vc_error(VOCE_ERR_INVALID_ARG, "whisper timing: NULL output");
    memset(out, 0, sizeof *out);
    voce_status st = check_segments(t, segs, n_segs);
    if (st) return st;
    if (!p || seek < 0 || seek > ((int64_t)1 << 40) || !isfinite(last_speech))
        return vc_error(VOCE_ERR_INVALID_ARG, "whisper timing: bad params, seek %lld or last speech %g",
                        (long long)seek, last_speech);
    for (int i = 0; i < n_segs; i++) segs[i].word_begin = segs[i].word_end = 0;
    if (n_segs == 0) return VOCE_OK;
    vc_whisper_words al;
    if ((st = vc_whisper_find_alignment(p, a, n_sot, num_frames, t, &al))) return st;
    double median = 0.0;
    int any = 0;
    if ((st = median_duration(&al, &median, &any))) goto fail;
    if (any) clamp_sentence_ends(&al, median * 2);
    if ((st = vc_whisper_merge_punctuations(&al, p->prepend_punctuations, p->append_punctuations)))
        goto fail;

    /* Python: seek * HOP_LENGTH / SAMPLE_RATE, the product exact below 2^53 */
    double offset = (double)seek * p->hop_length / p->sample_rate;
    int n = 0, next = 0;
    for (int s = 0; s < n_segs; s++) {
        int saved = 0, first = n;
        for (; next < al.n && saved < segs[s].n_tokens; next++) {
            vc_whisper_word x = al.w[next];
            saved += x.token_end - x.token_begin;
            if (x.len == 0) continue;
            x.start = vc_whisper_round2(offset + x.start);
            x.end = vc_whisper_round2(offset + x.end);
            al.w[n++] = x; /* n <= next: filtering in place */
        }
        segs[s].word_begin = first;
        segs[s].word_end = n;
        if (n > first) fit_segment(al.w + first, n - first, &segs[s], median, &last_speech);
    }
    al.n = n;
    *out = al;
    return VOCE_OK;
fail:
    vc_whisper_words_free(&al);
    return st;
}
