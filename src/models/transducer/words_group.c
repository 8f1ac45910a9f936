/* NeMo's word grouping (get_words_offsets for a SentencePiece tokenizer with the word
 * delimiter " "), as transducer_decode_ref.py's word_offsets: a token whose piece
 * carries "▁" starts a word unless it is punctuation; punctuation joins the word being
 * built or extends the previous one. */
#include <stdlib.h>
#include <string.h>

#include "core/error.h"
#include "decode.h"

typedef struct grouping {
    const vc_td_model *m;
    const vc_td_hyp *h;
    int *start, *end;
    char **text;            /* each token's decoded text */
    int *punct;             /* the text is one supported punctuation character */
    int32_t *built;         /* tokens of the word being built */
    int n_built, prev_i;
    vc_td_word *words;
    int n_words;
} grouping;

static voce_status close_word(grouping *g, int s, int e)
{
    char *t = NULL;
    vc_td_hyp one = {.n = g->n_built, .tokens = g->built};
    voce_status st = vc_td_text(g->m, &one, &t);
    if (st) return st;
    vc_td_word *w = &g->words[g->n_words++];
    w->text = t;
    w->start_offset = s;
    w->end_offset = e;
    w->first_token = g->prev_i;
    return VOCE_OK;
}

static voce_status append_punct(vc_td_word *w, const char *text, int end)
{
    size_t a = strlen(w->text), b = strlen(text);
    if (a && w->text[a - 1] == ' ') a--;
    char *t = realloc(w->text, a + b + 1);
    if (!t) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    memcpy(t + a, text, b + 1);
    w->text = t;
    w->end_offset = end;
    return VOCE_OK;
}

static voce_status step(grouping *g, int i)
{
    const char *text = g->text[i], *piece = g->m->pieces[g->h->tokens[i]];
    int cur_punct = g->punct[i] && strcmp(text, " ");
    int j = i, next_punct = 0, found = 0;
    while (!found && j < g->h->n - 1) {
        j++;
        found = strcmp(g->text[j], " ") != 0 && g->text[j][0];
        next_punct = found && g->punct[j];
    }
    int starts = strcmp(piece, text) || (!strcmp(text, " ") && !next_punct);
    voce_status st = VOCE_OK;
    if (starts && !cur_punct) {
        if (g->n_built) st = close_word(g, g->start[g->prev_i], g->end[i - 1]);
        g->n_built = 0;
        if (strcmp(text, " ")) {
            g->built[g->n_built++] = g->h->tokens[i];
            g->prev_i = i;
        }
    } else if (cur_punct && !g->n_built && g->n_words) {
        st = append_punct(&g->words[g->n_words - 1], text, g->end[i]);
    } else if (cur_punct && g->n_built) {
        const char *lp = g->m->pieces[g->built[g->n_built - 1]];
        if (!strcmp(lp, " ") || !strcmp(lp, "_") || !strcmp(lp, "\xe2\x96\x81")) g->n_built--;
        g->built[g->n_built++] = g->h->tokens[i];
    } else {
        if (!g->n_built) g->prev_i = i;
        g->built[g->n_built++] = g->h->tokens[i];
    }
    return st;
}

static voce_status group(grouping *g)
{
    int n = g->h->n;
    voce_status st = vc_td_token_offsets(g->m, g->h, g->start, g->end);
    if (!st) st = vc_td_token_texts(g->m, g->h, g->text, g->punct);
    for (int i = 0; i < n && !st; i++) st = step(g, i);
    if (st || !n) return st;
    if (!g->n_words) return g->n_built ? close_word(g, g->start[0], g->end[n - 1]) : VOCE_OK;
    g->words[0].start_offset = g->start[0];
    return g->n_built ? close_word(g, g->start[g->prev_i], g->end[n - 1]) : VOCE_OK;
}

voce_status vc_td_words(const vc_td_model *m, const vc_td_hyp *h, vc_td_word **words, int *n_words)
{
    size_t n = (size_t)h->n + 1;
    grouping g = {.m = m, .h = h};
    g.start = malloc(n * sizeof(int));
    g.end = malloc(n * sizeof(int));
    g.text = calloc(n, sizeof(char *));
    g.punct = calloc(n, sizeof(int));
    g.built = malloc(n * sizeof(int32_t));
    g.words = calloc(n, sizeof(vc_td_word));
    voce_status st = g.start && g.end && g.text && g.punct && g.built && g.words ? group(&g)
                                                                                 : vc_error(VOCE_ERR_NOMEM, "out of memory");
    double sec = m->window_stride * m->subsampling;
    for (int i = 0; i < g.n_words; i++) {
        g.words[i].start = g.words[i].start_offset * sec;
        g.words[i].end = g.words[i].end_offset * sec;
    }
    for (int i = 0; g.text && i < h->n; i++) free(g.text[i]);
    free(g.start), free(g.end), free(g.text), free(g.punct), free(g.built);
    if (st) {
        vc_td_words_free(g.words, g.n_words);
        return st;
    }
    *words = g.words;
    *n_words = g.n_words;
    return VOCE_OK;
}
