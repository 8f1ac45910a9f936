/* The transcript builder, and the one block of memory a finished transcript lives in. */
#include "transcript.h"

#include <stdalign.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/error.h"

#define NONE SIZE_MAX

/* What the block holds before the arrays; pub first, so a voce_transcript * is one. */
typedef struct transcript_block {
    voce_transcript pub;
    voce_asr_task task;
    int word_timestamps;
    const char *language_name;
    const int32_t *seek;
} transcript_block;

void vc_transcript_builder_init(vc_transcript_builder *b)
{
    memset(b, 0, sizeof *b);
    b->text = b->language = b->language_name = NONE;
    b->language_probability = 1.0f;
}

void vc_transcript_builder_free(vc_transcript_builder *b)
{
    free(b->seg);
    free(b->tok);
    free(b->word);
    vc_strbuf_free(&b->strings);
    vc_strbuf_free(&b->token_bytes);
    vc_transcript_builder_init(b);
}

/* ---- the first failure sticks ---- */

static voce_status fail(vc_transcript_builder *b, voce_status st)
{
    if (!b->error) {
        b->error = st;
        snprintf(b->why, sizeof b->why, "%s", voce_last_error());
    }
    return st;
}

/* VOCE_OK when b can take another call. */
static voce_status usable(const vc_transcript_builder *b)
{
    if (!b) return vc_error(VOCE_ERR_INVALID_ARG, "transcript builder is NULL");
    return b->error;
}

static voce_status need_segment(vc_transcript_builder *b, const char *call)
{
    if (b->n_seg) return VOCE_OK;
    return fail(b, vc_error(VOCE_ERR_STATE, "%s before vc_transcript_begin_segment", call));
}

static voce_status need_text(vc_transcript_builder *b, const char *text, size_t len,
                             const char *what)
{
    if (text || !len) return VOCE_OK;
    return fail(b, vc_error(VOCE_ERR_INVALID_ARG, "%s: NULL text of %zu bytes", what, len));
}

static voce_status out_of_memory(vc_transcript_builder *b)
{
    return fail(b, vc_error(VOCE_ERR_NOMEM, "out of memory building a transcript"));
}

/* Room for one more element in *arr (of *cap, elem bytes each). */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
    if (n < *cap) return 1;
    size_t cap2 = *cap ? *cap * 2 : 16;
    if (cap2 > SIZE_MAX / elem) return 0;
    void *p = realloc(*arr, cap2 * elem);
    if (!p) return 0;
    *arr = p;
    *cap = cap2;
    return 1;
}

/* Appends text, repaired, and a NUL to strings; its offset, or NONE when out of memory. */
static size_t add_string(vc_transcript_builder *b, const char *text, size_t len)
{
    size_t at = b->strings.len;
    vc_strbuf_utf8(&b->strings, text ? text : "", text ? len : 0);
    vc_strbuf_putc(&b->strings, 0);
    return b->strings.failed ? NONE : at;
}

/* ---- the whole transcript ---- */

voce_status vc_transcript_set_language(vc_transcript_builder *b, const char *code,
                                       const char *name, float probability)
{
    voce_status st = usable(b);
    if (st) return st;
    b->language = add_string(b, code, code ? strlen(code) : 0);
    b->language_name = name ? add_string(b, name, strlen(name)) : NONE;
    if (b->strings.failed) return out_of_memory(b);
    b->language_probability = probability;
    return VOCE_OK;
}

voce_status vc_transcript_set_task(vc_transcript_builder *b, voce_asr_task task)
{
    voce_status st = usable(b);
    if (st) return st;
    if (task != VOCE_TASK_TRANSCRIBE && task != VOCE_TASK_TRANSLATE)
        return fail(b, vc_error(VOCE_ERR_INVALID_ARG, "transcript task %d is not one of voce_asr_task",
                                (int)task));
    b->task = task;
    return VOCE_OK;
}

voce_status vc_transcript_set_duration(vc_transcript_builder *b, double seconds)
{
    voce_status st = usable(b);
    if (st) return st;
    b->duration = seconds;
    return VOCE_OK;
}

voce_status vc_transcript_set_word_timestamps(vc_transcript_builder *b, int on)
{
    voce_status st = usable(b);
    if (st) return st;
    b->word_timestamps = on != 0;
    return VOCE_OK;
}

voce_status vc_transcript_set_text(vc_transcript_builder *b, const char *text, size_t len)
{
    voce_status st = usable(b);
    if (st) return st;
    if (need_text(b, text, len, "vc_transcript_set_text")) return b->error;
    b->text = add_string(b, text, len);
    return b->text == NONE ? out_of_memory(b) : VOCE_OK;
}

/* ---- segments ---- */

/* The open segment's text from its tokens' bytes, unless it was set. */
static void close_segment(vc_transcript_builder *b)
{
    if (!b->n_seg) return;
    vc_tb_segment *s = &b->seg[b->n_seg - 1];
    if (s->text != NONE) return;
    size_t from = 0, n = 0;
    if (s->n_tokens) {
        const vc_tb_token *first = &b->tok[s->first_token];
        const vc_tb_token *last = &b->tok[s->first_token + s->n_tokens - 1];
        from = first->bytes;
        n = last->bytes + last->n_bytes - from;
    }
    s->text = add_string(b, n ? b->token_bytes.data + from : "", n);
    if (s->text == NONE) out_of_memory(b);
}

voce_status vc_transcript_begin_segment(vc_transcript_builder *b, const vc_segment_info *info)
{
    voce_status st = usable(b);
    if (st) return st;
    if (!info)
        return fail(b, vc_error(VOCE_ERR_INVALID_ARG, "vc_transcript_begin_segment: info is NULL"));
    close_segment(b);
    if (b->error) return b->error;
    if (!grow((void **)&b->seg, &b->cap_seg, b->n_seg, sizeof *b->seg)) return out_of_memory(b);
    vc_tb_segment *s = &b->seg[b->n_seg++];
    memset(s, 0, sizeof *s);
    s->info = *info;
    s->text = NONE;
    s->first_token = b->n_tok;
    return VOCE_OK;
}

voce_status vc_transcript_set_segment_info(vc_transcript_builder *b, const vc_segment_info *info)
{
    voce_status st = usable(b);
    if (st) return st;
    if (need_segment(b, "vc_transcript_set_segment_info")) return b->error;
    if (!info)
        return fail(b, vc_error(VOCE_ERR_INVALID_ARG, "vc_transcript_set_segment_info: info is NULL"));
    b->seg[b->n_seg - 1].info = *info;
    return VOCE_OK;
}

voce_status vc_transcript_set_segment_text(vc_transcript_builder *b, const char *text, size_t len)
{
    voce_status st = usable(b);
    if (st) return st;
    if (need_segment(b, "vc_transcript_set_segment_text")) return b->error;
    if (need_text(b, text, len, "vc_transcript_set_segment_text")) return b->error;
    size_t at = add_string(b, text, len);
    if (at == NONE) return out_of_memory(b);
    b->seg[b->n_seg - 1].text = at;
    return VOCE_OK;
}

voce_status vc_transcript_add_token(vc_transcript_builder *b, int32_t id, const char *text,
                                    size_t len, double start, double end, float probability,
                                    float logprob)
{
    voce_status st = usable(b);
    if (st) return st;
    if (need_segment(b, "vc_transcript_add_token")) return b->error;
    if (need_text(b, text, len, "vc_transcript_add_token")) return b->error;
    if (!grow((void **)&b->tok, &b->cap_tok, b->n_tok, sizeof *b->tok)) return out_of_memory(b);
    size_t at = b->token_bytes.len;
    vc_strbuf_append(&b->token_bytes, text ? text : "", text ? len : 0);
    if (b->token_bytes.failed) return out_of_memory(b);
    b->tok[b->n_tok++] = (vc_tb_token){.id = id, .start = start, .end = end,
                                       .probability = probability, .logprob = logprob,
                                       .bytes = at, .n_bytes = len};
    b->seg[b->n_seg - 1].n_tokens++;
    return VOCE_OK;
}

voce_status vc_transcript_add_word(vc_transcript_builder *b, const char *text, size_t len,
                                   double start, double end, float probability)
{
    voce_status st = usable(b);
    if (st) return st;
    if (need_segment(b, "vc_transcript_add_word")) return b->error;
    if (need_text(b, text, len, "vc_transcript_add_word")) return b->error;
    if (!grow((void **)&b->word, &b->cap_word, b->n_word, sizeof *b->word)) return out_of_memory(b);
    size_t at = add_string(b, text, len);
    if (at == NONE) return out_of_memory(b);
    b->word[b->n_word++] = (vc_tb_word){.start = start, .end = end, .probability = probability,
                                        .text = at};
    b->seg[b->n_seg - 1].n_words++;
    return VOCE_OK;
}

/* ---- finishing: one block ---- */

/* The transcript's text as the segments' texts joined, appended to strings. */
static void join_segment_texts(vc_transcript_builder *b)
{
    size_t total = 0;
    for (size_t i = 0; i < b->n_seg; i++) total += strlen(b->strings.data + b->seg[i].text);
    if (!vc_strbuf_reserve(&b->strings, total + 1)) return;
    b->text = b->strings.len;
    for (size_t i = 0; i < b->n_seg; i++) {
        const char *s = b->strings.data + b->seg[i].text; /* stable: the room is reserved */
        vc_strbuf_append(&b->strings, s, strlen(s));
    }
    vc_strbuf_putc(&b->strings, 0);
}

static size_t align_up(size_t n)
{
    const size_t a = alignof(max_align_t);
    return (n + a - 1) & ~(a - 1);
}

typedef struct block_layout {
    size_t segments, tokens, words, seek, strings, token_texts, total;
} block_layout;

/* Offsets of each array in the block; 0 when the sizes overflow. */
static int plan_block(const vc_transcript_builder *b, block_layout *l)
{
    const size_t big = SIZE_MAX / 8; /* six such terms cannot overflow the sum */
    if (b->n_seg > big / sizeof(voce_segment) || b->n_tok > big / sizeof(voce_token) ||
        b->n_word > big / sizeof(voce_word) || b->strings.len > big ||
        b->token_bytes.len > big - b->n_tok)
        return 0;
    l->segments = align_up(sizeof(transcript_block));
    l->tokens = align_up(l->segments + b->n_seg * sizeof(voce_segment));
    l->words = align_up(l->tokens + b->n_tok * sizeof(voce_token));
    l->seek = align_up(l->words + b->n_word * sizeof(voce_word));
    l->strings = l->seek + b->n_seg * sizeof(int32_t);
    l->token_texts = l->strings + b->strings.len;
    l->total = l->token_texts + b->token_bytes.len + b->n_tok;
    return 1;
}

static void fill_block(const vc_transcript_builder *b, const block_layout *l, char *mem)
{
    transcript_block *tb = (transcript_block *)mem;
    voce_segment *segs = (voce_segment *)(mem + l->segments);
    voce_token *toks = (voce_token *)(mem + l->tokens);
    voce_word *words = (voce_word *)(mem + l->words);
    int32_t *seek = (int32_t *)(mem + l->seek);
    char *strings = mem + l->strings;
    char *tt = mem + l->token_texts;
    memcpy(strings, b->strings.data, b->strings.len);

    for (size_t i = 0; i < b->n_tok; i++) {
        const vc_tb_token *t = &b->tok[i];
        if (t->n_bytes) memcpy(tt, b->token_bytes.data + t->bytes, t->n_bytes);
        toks[i] = (voce_token){.id = t->id, .text = tt, .start = t->start, .end = t->end,
                               .probability = t->probability, .logprob = t->logprob};
        tt += t->n_bytes;
        *tt++ = 0;
    }
    for (size_t i = 0; i < b->n_word; i++)
        words[i] = (voce_word){.text = strings + b->word[i].text, .start = b->word[i].start,
                               .end = b->word[i].end, .probability = b->word[i].probability};
    size_t first_word = 0;
    for (size_t i = 0; i < b->n_seg; i++) {
        const vc_tb_segment *s = &b->seg[i];
        segs[i] = (voce_segment){
            .id = (int)i, .start = s->info.start, .end = s->info.end,
            .text = strings + s->text, .tokens = toks + s->first_token, .n_tokens = s->n_tokens,
            .words = b->word_timestamps ? words + first_word : NULL,
            .n_words = b->word_timestamps ? s->n_words : 0,
            .avg_logprob = s->info.avg_logprob, .no_speech_prob = s->info.no_speech_prob,
            .compression_ratio = s->info.compression_ratio, .temperature = s->info.temperature};
        seek[i] = s->info.seek;
        first_word += s->n_words;
    }
    *tb = (transcript_block){
        .pub = {.text = strings + b->text, .language = strings + b->language,
                .language_probability = b->language_probability, .duration = b->duration,
                .segments = segs, .n_segments = b->n_seg},
        .task = b->task, .word_timestamps = b->word_timestamps,
        .language_name = b->language_name == NONE ? NULL : strings + b->language_name,
        .seek = seek};
}

/* Reports the recorded failure and empties the builder. */
static voce_status give_up(vc_transcript_builder *b)
{
    voce_status st = vc_error(b->error, "%s", b->why);
    vc_transcript_builder_free(b);
    return st;
}

voce_status vc_transcript_finish(vc_transcript_builder *b, voce_transcript **out)
{
    if (!b || !out) return vc_error(VOCE_ERR_INVALID_ARG, "vc_transcript_finish: NULL argument");
    *out = NULL;
    close_segment(b);
    if (!b->error && b->text == NONE) join_segment_texts(b);
    if (!b->error && b->language == NONE) b->language = add_string(b, "", 0);
    if (!b->error && b->strings.failed) out_of_memory(b);
    if (b->error) return give_up(b);
    block_layout l = {0};
    if (!plan_block(b, &l)) {
        fail(b, vc_error(VOCE_ERR_NOMEM, "transcript of %zu segments and %zu tokens is too large",
                         b->n_seg, b->n_tok));
        return give_up(b);
    }
    char *mem = malloc(l.total);
    if (!mem) {
        out_of_memory(b);
        return give_up(b);
    }
    fill_block(b, &l, mem);
    vc_transcript_builder_free(b);
    *out = (voce_transcript *)mem;
    return VOCE_OK;
}

void voce_transcript_free(voce_transcript *t) { free(t); }

/* ---- the hidden fields ---- */

static const transcript_block *block_of(const voce_transcript *t)
{
    return (const transcript_block *)t; /* pub is the first member */
}

voce_asr_task vc_transcript_task(const voce_transcript *t) { return block_of(t)->task; }

const char *vc_transcript_language_name(const voce_transcript *t)
{
    return block_of(t)->language_name;
}

int vc_transcript_word_timestamps(const voce_transcript *t) { return block_of(t)->word_timestamps; }

int32_t vc_transcript_seek(const voce_transcript *t, size_t segment)
{
    return segment < t->n_segments ? block_of(t)->seek[segment] : 0;
}
