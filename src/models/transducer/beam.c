/* NeMo's beam search for TDT and RNN-T (beam.h); the rules are those of
 * tests/ref/transducer_beam_ref.py's module doc, in its order and with its rounding:
 * TDT scores are float32 sums (NeMo adds a Python float to a float32 tensor), RNN-T
 * scores float64 sums of float32 log-probabilities.
 *
 * Hypotheses are values in ordered lists (the order decides ties, as Python's lists
 * do); their tokens are nodes of a tree shared by all (a hypothesis names its last
 * node); their prediction states are reference-counted slots. */
#include "beam.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

typedef struct node {
    int32_t parent, token, frame, duration, len;
    float logprob;
    uint64_t hash;          /* of the token sequence ending here */
} node;

typedef struct bhyp {
    double score;           /* TDT: a float32 value */
    int node;               /* its last token, -1: none yet */
    int last_frame;         /* TDT: the frame it is to be expanded at */
    int slot;               /* its prediction state, or its parent's while pending >= 0 */
    int pending;            /* the token that state has not consumed yet, or -1 */
} bhyp;

typedef struct hlist {
    bhyp *v;
    int n, cap;
} hlist;

typedef struct search {
    const vc_td_beam_steps *s;
    int V, beam, beam_k, dk, zero, min_nonzero, max_pops;
    node *nodes;
    int n_nodes, cap_nodes;
    unsigned char *states;
    int *refs, *free_slots;
    int n_slots, n_free, cap_slots;
    float *lp, *dlp, *sums;
    int *tk, *dtk, *order;
    int evaluations;
} search;

/* ---- storage ---- */

static voce_status grow(void **p, int *cap, int need, size_t size)
{
    if (need <= *cap) return VOCE_OK;
    int c = *cap ? *cap : 64;
    while (c < need) c *= 2;
    void *q = realloc(*p, (size_t)c * size);
    if (!q) return vc_error(VOCE_ERR_NOMEM, "beam search: out of memory for %d entries", c);
    *p = q;
    *cap = c;
    return VOCE_OK;
}

static voce_status push(hlist *l, bhyp h)
{
    voce_status st = grow((void **)&l->v, &l->cap, l->n + 1, sizeof *l->v);
    if (!st) l->v[l->n++] = h;
    return st;
}

static voce_status new_node(search *se, int parent, int token, int frame, int duration, float lp, int *out)
{
    voce_status st = grow((void **)&se->nodes, &se->cap_nodes, se->n_nodes + 1, sizeof *se->nodes);
    if (st) return st;
    node *n = &se->nodes[se->n_nodes];
    uint64_t h = parent < 0 ? 0x9E3779B97F4A7C15ull : se->nodes[parent].hash;
    n->parent = parent;
    n->token = token;
    n->frame = frame;
    n->duration = duration;
    n->logprob = lp;
    n->len = parent < 0 ? 1 : se->nodes[parent].len + 1;
    n->hash = (h ^ (uint64_t)(token + 1)) * 0x100000001B3ull;
    *out = se->n_nodes++;
    return VOCE_OK;
}

static int seq_len(const search *se, int n) { return n < 0 ? 0 : se->nodes[n].len; }

static int same_tokens(const search *se, int a, int b)
{
    if (seq_len(se, a) != seq_len(se, b)) return 0;
    if (a >= 0 && se->nodes[a].hash != se->nodes[b].hash) return 0;
    for (; a != b; a = se->nodes[a].parent, b = se->nodes[b].parent)
        if (se->nodes[a].token != se->nodes[b].token) return 0;
    return 1;
}

static unsigned char *state_of(search *se, int slot) { return se->states + (size_t)slot * se->s->state_size; }

static voce_status new_slot(search *se, int *out)
{
    if (se->n_free) {
        *out = se->free_slots[--se->n_free];
    } else {
        int c1 = se->cap_slots, c2 = se->cap_slots, c3 = se->cap_slots;
        voce_status st = grow((void **)&se->refs, &c1, se->n_slots + 1, sizeof *se->refs);
        if (!st) st = grow((void **)&se->free_slots, &c2, se->n_slots + 1, sizeof *se->free_slots);
        if (!st) st = grow((void **)&se->states, &c3, se->n_slots + 1, se->s->state_size);
        if (st) return st;
        se->cap_slots = c3;
        *out = se->n_slots++;
    }
    se->refs[*out] = 1;
    return VOCE_OK;
}

static void unref(search *se, int slot)
{
    if (--se->refs[slot] == 0) se->free_slots[se->n_free++] = slot;
}

static void drop_all(search *se, hlist *l)
{
    for (int i = 0; i < l->n; i++) unref(se, l->v[i].slot);
    l->n = 0;
}

/* ---- the model's steps ---- */

/* Give h its own state: its parent's advanced by the pending token. */
static voce_status make_ready(search *se, bhyp *h)
{
    if (h->pending < 0) return VOCE_OK;
    const vc_td_beam_steps *s = se->s;
    int slot;
    voce_status st = new_slot(se, &slot);
    if (st) return st;
    st = s->restore(s->state_ctx, state_of(se, h->slot));
    if (!st) st = s->steps.predict(s->steps.ctx, h->pending);
    if (!st) st = s->save(s->state_ctx, state_of(se, slot));
    unref(se, h->slot);
    h->slot = slot;
    h->pending = -1;
    return st;
}

/* log_softmax of n logits, each rounded to float32. */
static void log_softmax(const float *z, int n, float *out)
{
    double m = z[0], sum = 0;
    for (int i = 1; i < n; i++) m = z[i] > m ? z[i] : m;
    for (int i = 0; i < n; i++) sum += exp((double)z[i] - m);
    double lse = m + log(sum);
    for (int i = 0; i < n; i++) out[i] = (float)((double)z[i] - lse);
}

/* The joint for h at frame t: token log-probs into se->lp (and durations into se->dlp).
 * The state is saved again after it: an evaluation may complete it (onnx-asr). */
static voce_status evaluate(search *se, bhyp *h, int t)
{
    const vc_td_beam_steps *s = se->s;
    const float *z;
    voce_status st = make_ready(se, h);
    if (!st) st = s->restore(s->state_ctx, state_of(se, h->slot));
    if (!st) st = s->steps.joint(s->steps.ctx, t, &z);
    if (st) return st;
    se->evaluations++;
    log_softmax(z, se->V + 1, se->lp);
    if (s->steps.n_durations) log_softmax(z + se->V + 1, s->steps.n_durations, se->dlp);
    return s->save(s->state_ctx, state_of(se, h->slot));
}

/* The k largest of x[0..n) into idx, largest first; equal values: lower index first. */
static void top_k(const float *x, int n, int k, int *idx)
{
    int have = 0;
    for (int i = 0; i < n; i++) {
        if (have == k && !(x[i] > x[idx[k - 1]])) continue;
        int j = have < k ? have++ : k - 1;
        while (j > 0 && x[i] > x[idx[j - 1]]) {
            idx[j] = idx[j - 1];
            j--;
        }
        idx[j] = i;
    }
}

/* ---- list operations with Python's semantics ---- */

/* Remove and return the first hypothesis of the best score. */
static bhyp take_best(hlist *l)
{
    int b = 0;
    for (int i = 1; i < l->n; i++)
        if (l->v[i].score > l->v[b].score) b = i;
    bhyp h = l->v[b];
    memmove(l->v + b, l->v + b + 1, sizeof *l->v * (size_t)(l->n - b - 1));
    l->n--;
    return h;
}

static double best_score(const hlist *l)
{
    double m = l->v[0].score;
    for (int i = 1; i < l->n; i++) m = l->v[i].score > m ? l->v[i].score : m;
    return m;
}

/* A stable sort by score (descending when desc), or by score / (tokens + 1). */
static double key(const search *se, const bhyp *h, int norm)
{
    return norm ? h->score / (seq_len(se, h->node) + 1) : h->score;
}

static void sort_list(const search *se, hlist *l, int desc, int norm)
{
    for (int i = 1; i < l->n; i++) {
        bhyp h = l->v[i];
        double k = key(se, &h, norm);
        int j = i;
        while (j > 0 && (desc ? key(se, &l->v[j - 1], norm) < k : key(se, &l->v[j - 1], norm) > k)) {
            l->v[j] = l->v[j - 1];
            j--;
        }
        l->v[j] = h;
    }
}

/* Keep the first n, dropping the rest. */
static void truncate_list(search *se, hlist *l, int n)
{
    for (int i = n; i < l->n; i++) unref(se, l->v[i].slot);
    if (l->n > n) l->n = n;
}

/* The stop test: at least `beam` of kept above m -> kept = those, ascending; 1 if so. */
static int stop_above(search *se, hlist *kept, double m)
{
    int above = 0;
    for (int i = 0; i < kept->n; i++) above += kept->v[i].score > m;
    if (above < se->beam) return 0;
    int w = 0;
    for (int i = 0; i < kept->n; i++) {
        if (kept->v[i].score > m) kept->v[w++] = kept->v[i];
        else unref(se, kept->v[i].slot);
    }
    kept->n = w;
    sort_list(se, kept, 0, 0);
    return 1;
}

/* Our bound on a frame's evaluations: the `beam` best of kept, ascending. */
static void guard(search *se, hlist *kept)
{
    sort_list(se, kept, 1, 0);
    truncate_list(se, kept, se->beam);
    sort_list(se, kept, 0, 0);
}

static float logaddexp32(double a, double b)
{
    double x = (float)a, y = (float)b, m = x > y ? x : y;
    return (float)(m + log1p(exp(-fabs(x - y))));
}

/* TDT: hypotheses with the same tokens and last frame fold into the best of them. */
static void merge_duplicates(search *se, hlist *kept)
{
    sort_list(se, kept, 1, 0);
    int w = 0;
    for (int i = 0; i < kept->n; i++) {
        bhyp *h = &kept->v[i];
        int j = 0;
        while (j < w && !(kept->v[j].last_frame == h->last_frame && same_tokens(se, kept->v[j].node, h->node))) j++;
        if (j < w) {
            kept->v[j].score = logaddexp32(kept->v[j].score, h->score);
            unref(se, h->slot);
        } else {
            kept->v[w++] = *h;
        }
    }
    kept->n = w;
}

/* ---- the searches ---- */

static voce_status rnnt_frame(search *se, int t, hlist *kept, hlist *hyps)
{
    hlist tmp = *hyps;
    *hyps = *kept;
    *kept = tmp;
    kept->n = 0;
    voce_status st = VOCE_OK;
    for (int pops = 1; !st; pops++) {
        bhyp b = take_best(hyps);
        if ((st = evaluate(se, &b, t))) {
            unref(se, b.slot);
            break;
        }
        top_k(se->lp, se->V, se->beam_k, se->tk);
        for (int i = 0; i < se->beam_k && !st; i++) {
            int k = se->tk[i], n;
            st = new_node(se, b.node, k, t, 1, se->lp[k], &n);
            if (!st) st = push(hyps, (bhyp){b.score + (double)se->lp[k], n, 0, b.slot, k});
            if (!st) se->refs[b.slot]++;
        }
        b.score += (double)se->lp[se->V];
        if (!st) st = push(kept, b);
        else unref(se, b.slot);
        if (st || stop_above(se, kept, best_score(hyps))) break;
        if (pops >= se->max_pops) {
            guard(se, kept);
            break;
        }
    }
    drop_all(se, hyps);
    return st;
}

/* TDT: the token and blank extensions of b (rules 3 and 4). */
static voce_status tdt_extend(search *se, const bhyp *b, int t, hlist *kept, hlist *hyps)
{
    const vc_td_steps *s = &se->s->steps;
    int bk = se->beam_k, nd = s->n_durations;
    top_k(se->lp, se->V, bk, se->tk);
    top_k(se->dlp, nd, se->dk, se->dtk);
    for (int i = 0; i < se->dk; i++)
        for (int j = 0; j < bk; j++) se->sums[i * bk + j] = se->dlp[se->dtk[i]] + se->lp[se->tk[j]];
    top_k(se->sums, se->dk * bk, bk, se->order);
    float base = (float)b->score;
    voce_status st = VOCE_OK;
    for (int i = 0; i < bk && !st; i++) {
        int o = se->order[i], k = se->tk[o % bk], d = s->durations[se->dtk[o / bk]], n;
        float score = base + se->sums[o];
        st = new_node(se, b->node, k, t, d, se->lp[k], &n);
        if (!st) st = push(d ? kept : hyps, (bhyp){score, n, b->last_frame + d, b->slot, k});
        if (!st) se->refs[b->slot]++;
    }
    for (int i = 0; i < se->dk && !st; i++) {
        int di = se->dtk[i];
        if (di == se->zero) {
            if (se->dk != 1) continue;
            di = se->min_nonzero;
        }
        float with_blank = base + se->lp[se->V];
        float score = with_blank + se->dlp[di];
        st = push(kept, (bhyp){score, b->node, b->last_frame + s->durations[di], b->slot, b->pending});
        if (!st) se->refs[b->slot]++;
    }
    return st;
}

static voce_status tdt_frame(search *se, int t, hlist *kept, hlist *hyps)
{
    int w = 0;
    hyps->n = 0;
    voce_status st = VOCE_OK;
    for (int i = 0; i < kept->n && !st; i++) {
        bhyp h = kept->v[i];
        if (h.last_frame == t) st = push(hyps, h);
        else if (h.last_frame > t) kept->v[w++] = h;
        else unref(se, h.slot);
    }
    kept->n = w;
    for (int pops = 1; hyps->n && !st; pops++) {
        bhyp b = take_best(hyps);
        st = evaluate(se, &b, t);
        if (!st) st = tdt_extend(se, &b, t, kept, hyps);
        unref(se, b.slot);
        if (st) break;
        merge_duplicates(se, kept);
        if (!hyps->n) {
            sort_list(se, kept, 1, 0);
            truncate_list(se, kept, se->beam);
        } else if (stop_above(se, kept, best_score(hyps))) {
            break;
        } else if (pops >= se->max_pops) {
            guard(se, kept);
            break;
        }
    }
    drop_all(se, hyps);
    return st;
}

/* NeMo's BeamRNNTInfer.greedy_search (beam 1): at most 5 evaluations a frame. */
static voce_status rnnt_beam1(search *se, bhyp *best)
{
    const vc_td_steps *s = &se->s->steps;
    voce_status st = s->start(s->ctx);
    for (int t = 0; t < s->n_frames && !st; t++)
        for (int i = 0; i < 5 && !st; i++) {
            const float *z;
            if ((st = s->joint(s->ctx, t, &z))) break;
            se->evaluations++;
            log_softmax(z, se->V + 1, se->lp);
            int k = 0;
            for (int j = 1; j <= se->V; j++) k = se->lp[j] > se->lp[k] ? j : k;
            if (k == se->V) break;
            st = new_node(se, best->node, k, t, 1, se->lp[k], &best->node);
            best->score += (double)se->lp[k];
            if (!st) st = s->predict(s->ctx, k);
        }
    return st;
}

static voce_status search_all(search *se, bhyp *best)
{
    const vc_td_beam_steps *s = se->s;
    *best = (bhyp){0.0, -1, 0, -1, -1};
    if (!s->steps.n_durations && se->beam == 1) return rnnt_beam1(se, best);
    hlist kept = {0}, hyps = {0};
    voce_status st = new_slot(se, &best->slot);
    if (!st) st = s->steps.start(s->steps.ctx);
    if (!st) st = s->save(s->state_ctx, state_of(se, best->slot));
    if (!st) st = push(&kept, *best);
    for (int t = 0; t < s->steps.n_frames && !st; t++)
        st = s->steps.n_durations ? tdt_frame(se, t, &kept, &hyps) : rnnt_frame(se, t, &kept, &hyps);
    if (!st && kept.n) {
        sort_list(se, &kept, 1, 1);
        *best = kept.v[0];
    }
    free(kept.v);
    free(hyps.v);
    return st;
}

/* The tokens of node n into h. */
static voce_status fill(const search *se, int n, vc_td_hyp *h)
{
    int len = seq_len(se, n);
    vc_td_hyp_free(h);
    h->tokens = malloc(sizeof *h->tokens * (size_t)(len + 1));
    h->frames = malloc(sizeof *h->frames * (size_t)(len + 1));
    h->durations = malloc(sizeof *h->durations * (size_t)(len + 1));
    h->logprobs = malloc(sizeof *h->logprobs * (size_t)(len + 1));
    if (!h->tokens || !h->frames || !h->durations || !h->logprobs)
        return vc_error(VOCE_ERR_NOMEM, "beam search: out of memory for %d tokens", len);
    h->n = h->cap = len;
    for (int i = len - 1; i >= 0; i--, n = se->nodes[n].parent) {
        const node *x = &se->nodes[n];
        h->tokens[i] = x->token;
        h->frames[i] = x->frame;
        h->durations[i] = x->duration;
        h->logprobs[i] = x->logprob;
    }
    h->evaluations = se->evaluations;
    return VOCE_OK;
}

static voce_status check(const vc_td_beam_steps *s, int beam)
{
    const vc_td_steps *p = &s->steps;
    if (beam < 1 || beam > VC_TD_MAX_BEAM)
        return vc_error(VOCE_ERR_INVALID_ARG, "beam size %d is outside 1 .. %d", beam, VC_TD_MAX_BEAM);
    if (p->blank < 2 || p->max_symbols < 1 || p->n_frames < 0 || p->n_durations < 0 ||
        (p->n_durations && !p->durations) || !s->save || !s->restore || !s->state_size)
        return vc_error(VOCE_ERR_INVALID_ARG, "transducer beam search: bad sizes (%d tokens with the blank)",
                        p->blank + 1);
    int nonzero = 0;
    for (int i = 0; i < p->n_durations; i++) {
        if (p->durations[i] < 0) return vc_error(VOCE_ERR_INVALID_ARG, "TDT duration %d", p->durations[i]);
        nonzero += p->durations[i] > 0;
    }
    if (p->n_durations && !nonzero)
        return vc_error(VOCE_ERR_INVALID_ARG, "TDT beam search needs a duration above 0");
    return VOCE_OK;
}

static void setup(search *se, const vc_td_beam_steps *s, int beam)
{
    const vc_td_steps *p = &s->steps;
    se->s = s;
    se->V = p->blank;
    se->beam = beam < se->V ? beam : se->V;
    se->beam_k = se->beam < se->V - 1 ? se->beam : se->V - 1;
    se->dk = se->beam < p->n_durations ? se->beam : p->n_durations;
    se->zero = se->min_nonzero = -1;
    for (int i = 0; i < p->n_durations; i++) {
        if (p->durations[i] == 0 && se->zero < 0) se->zero = i;
        if (p->durations[i] > 0 && (se->min_nonzero < 0 || p->durations[i] < p->durations[se->min_nonzero]))
            se->min_nonzero = i;
    }
    se->max_pops = VC_TD_BEAM_POPS * beam * p->max_symbols;
}

voce_status vc_td_beam_search(const vc_td_beam_steps *s, int beam, vc_td_hyp *h, double *score)
{
    voce_status st = check(s, beam);
    if (st) return st;
    search se;
    memset(&se, 0, sizeof se);
    setup(&se, s, beam);
    int nd = s->steps.n_durations;
    se.lp = malloc(sizeof(float) * (size_t)(se.V + 1));
    se.dlp = malloc(sizeof(float) * (size_t)(nd + 1));
    se.sums = malloc(sizeof(float) * (size_t)(se.beam_k * (se.dk + 1) + 1));
    se.tk = malloc(sizeof(int) * (size_t)(se.beam_k + 1));
    se.dtk = malloc(sizeof(int) * (size_t)(se.dk + 1));
    se.order = malloc(sizeof(int) * (size_t)(se.beam_k + 1));
    if (!se.lp || !se.dlp || !se.sums || !se.tk || !se.dtk || !se.order)
        st = vc_error(VOCE_ERR_NOMEM, "beam search: out of memory");
    bhyp best;
    if (!st) st = search_all(&se, &best);
    if (!st) st = fill(&se, best.node, h);
    if (!st && score) *score = best.score;
    free(se.nodes), free(se.states), free(se.refs), free(se.free_slots);
    free(se.lp), free(se.dlp), free(se.sums), free(se.tk), free(se.dtk), free(se.order);
    return st;
}

/* ---- a model's prediction state ---- */

static size_t state_floats(const vc_td_model *m) { return 2 * (size_t)m->pred_layers * (size_t)m->pred_hidden; }

/* sherpa: the LSTM state and the prediction output g; onnx-asr: the state before the
 * last token, that token, and the state after it when an evaluation has made it. */
static size_t model_state_size(const vc_td_model *m)
{
    size_t n = state_floats(m);
    return m->onnx_asr ? 2 * sizeof(int32_t) + 2 * n * sizeof(float) : (n + (size_t)m->pred_hidden) * sizeof(float);
}

static voce_status model_save(void *ctx, void *state)
{
    vc_td_model *m = ctx;
    unsigned char *p = state;
    size_t n = state_floats(m) * sizeof(float);
    if (m->onnx_asr) {
        int32_t hdr[2] = {m->last, m->next_valid};
        memcpy(p, hdr, sizeof hdr);
        memcpy(p + sizeof hdr, m->state, n);
        memcpy(p + sizeof hdr + n, m->next, n);
    } else {
        memcpy(p, m->state, n);
        memcpy(p + n, m->g, (size_t)m->pred_hidden * sizeof(float));
    }
    return VOCE_OK;
}

static voce_status model_restore(void *ctx, const void *state)
{
    vc_td_model *m = ctx;
    const unsigned char *p = state;
    size_t n = state_floats(m) * sizeof(float);
    if (m->onnx_asr) {
        int32_t hdr[2];
        memcpy(hdr, p, sizeof hdr);
        m->last = hdr[0];
        m->next_valid = hdr[1];
        memcpy(m->state, p + sizeof hdr, n);
        memcpy(m->next, p + sizeof hdr + n, n);
    } else {
        memcpy(m->state, p, n);
        memcpy(m->g, p + n, (size_t)m->pred_hidden * sizeof(float));
    }
    return VOCE_OK;
}

static voce_status step_start(void *m) { return vc_td_model_start(m); }
static voce_status step_predict(void *m, int k) { return vc_td_model_predict(m, k); }
static voce_status step_joint(void *m, int t, const float **z) { return vc_td_model_joint(m, t, z); }

vc_td_beam_steps vc_td_beam_steps_of(const vc_td_steps *s, vc_td_model *m)
{
    vc_td_beam_steps b = {*s, m, model_state_size(m), model_save, model_restore};
    return b;
}

voce_status vc_td_beam_decode(vc_td_model *m, int beam, vc_td_hyp *h, double *score)
{
    if (!m->enc_out) return vc_error(VOCE_ERR_STATE, "transducer: decoding before encoding");
    if (m->kind == VC_TD_CTC)
        return vc_error(VOCE_ERR_UNSUPPORTED, "beam search is for TDT and RNN-T programs; a CTC program decodes "
                        "greedily (beam size 1)");
    vc_td_steps s = {m, step_start, step_predict, step_joint, m->n_frames, m->blank, m->max_symbols,
                     m->kind == VC_TD_TDT ? m->n_durations : 0, m->durations};
    vc_td_beam_steps b = vc_td_beam_steps_of(&s, m);
    return vc_td_beam_search(&b, beam, h, score);
}
