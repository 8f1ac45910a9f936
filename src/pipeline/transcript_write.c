/* Transcripts as text files: txt, srt, vtt and tsv by the rules of openai-whisper's
 * writers (whisper/utils.py), and the format names. docs/transcripts.md has the rules. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/error.h"
#include "core/strbuf.h"
#include "core/utf8.h"
#include "transcript.h"

/* Words in one subtitle at most, and characters in one of its lines, before whisper's
 * writers break it (their defaults without --max_line_width / --max_words_per_line). */
#define WORDS_PER_SUBTITLE 1000
#define LINE_WIDTH 1000

static const char *const format_names[] = {"txt", "srt", "vtt", "tsv", "json", "verbose_json"};

voce_status voce_transcript_format_parse(const char *name, voce_transcript_format *out)
{
    if (!out) return vc_error(VOCE_ERR_INVALID_ARG, "voce_transcript_format_parse: out is NULL");
    for (size_t i = 0; name && i < sizeof format_names / sizeof format_names[0]; i++) {
        if (strcmp(name, format_names[i]) == 0) {
            *out = (voce_transcript_format)i;
            return VOCE_OK;
        }
    }
    return vc_error(VOCE_ERR_INVALID_ARG,
                    "unknown transcript format '%s' (expected txt, srt, vtt, tsv, json or verbose_json)",
                    name ? name : "(null)");
}

/* ---- times ---- */

/* Python's round(seconds * 1000.0): whole milliseconds, halves to even. Refuses what
 * whisper's format_timestamp asserts against (negative) and what it cannot print. */
static voce_status to_ms(double seconds, const char *what, size_t segment, int64_t *ms)
{
    if (!(seconds >= 0.0 && seconds <= 9.0e12)) /* 9e15 ms: still exact in a double */
        return vc_error(VOCE_ERR_INVALID_ARG,
                        "transcript segment %zu: %s time %g s is not a number of seconds from 0 to 9e12",
                        segment, what, seconds);
    double x = seconds * 1000.0; /* rounded to a double first, as Python does */
    double whole = floor(x);
    double frac = x - whole;
    int64_t m = (int64_t)whole;
    if (frac > 0.5 || (frac == 0.5 && (m & 1))) m++;
    *ms = m;
    return VOCE_OK;
}

/* [HH:]MM:SS<marker>mmm: hours when asked for or when there are any. */
static void put_timestamp(vc_strbuf *out, int64_t ms, int always_hours, char marker)
{
    int64_t hours = ms / 3600000;
    ms -= hours * 3600000;
    int minutes = (int)(ms / 60000);
    ms -= minutes * 60000;
    int seconds = (int)(ms / 1000);
    ms -= seconds * 1000;
    if (always_hours || hours > 0) vc_strbuf_printf(out, "%02lld:", (long long)hours);
    vc_strbuf_printf(out, "%02d:%02d%c%03d", minutes, seconds, marker, (int)ms);
}

/* ---- text pieces ---- */

/* s repaired (core/utf8.h) into scratch, and the bounds of its str.strip(). */
static const char *clean(vc_strbuf *scratch, const char *s, size_t *begin, size_t *end)
{
    scratch->len = 0;
    vc_strbuf_utf8(scratch, s ? s : "", s ? strlen(s) : 0);
    if (scratch->failed) {
        *begin = *end = 0;
        return "";
    }
    vc_utf8_strip(scratch->data, scratch->len, begin, end);
    return scratch->data;
}

/* s with "-->" written "->" (one pass, left to right: Python's str.replace), so that a
 * cue's text cannot hold the time separator. */
static void put_cue_text(vc_strbuf *out, const char *s, size_t n)
{
    size_t from = 0;
    for (size_t i = 0; i + 3 <= n;) {
        if (memcmp(s + i, "-->", 3) == 0) {
            vc_strbuf_append(out, s + from, i - from);
            vc_strbuf_puts(out, "->");
            i += 3;
            from = i;
        } else {
            i++;
        }
    }
    vc_strbuf_append(out, s + from, n - from);
}

/* ---- txt, tsv ---- */

static voce_status write_txt(const voce_transcript *t, vc_strbuf *out, vc_strbuf *scratch)
{
    for (size_t i = 0; i < t->n_segments; i++) {
        size_t a, b;
        const char *s = clean(scratch, t->segments[i].text, &a, &b);
        vc_strbuf_append(out, s + a, b - a);
        vc_strbuf_putc(out, '\n');
    }
    return VOCE_OK;
}

static voce_status write_tsv(const voce_transcript *t, vc_strbuf *out, vc_strbuf *scratch)
{
    vc_strbuf_puts(out, "start\tend\ttext\n");
    for (size_t i = 0; i < t->n_segments; i++) {
        const voce_segment *seg = &t->segments[i];
        int64_t start, end;
        voce_status st = to_ms(seg->start, "start", i, &start);
        if (!st) st = to_ms(seg->end, "end", i, &end);
        if (st) return st;
        vc_strbuf_printf(out, "%lld\t%lld\t", (long long)start, (long long)end);
        size_t a, b;
        const char *s = clean(scratch, seg->text, &a, &b);
        /* tabs as whisper does; line breaks too, so that a row stays one line */
        for (size_t k = a; k < b; k++) {
            char c = s[k];
            vc_strbuf_putc(out, c == '\t' || c == '\n' || c == '\r' ? ' ' : c);
        }
        vc_strbuf_putc(out, '\n');
    }
    return VOCE_OK;
}

/* ---- srt, vtt ---- */

typedef struct cue_writer {
    vc_strbuf *out;
    int srt;      /* else vtt */
    int number;   /* cues written (SRT numbers them from 1) */
} cue_writer;

static voce_status put_cue(cue_writer *c, double start, double end, size_t segment,
                           const char *text, size_t n)
{
    int64_t a, b;
    voce_status st = to_ms(start, "start", segment, &a);
    if (!st) st = to_ms(end, "end", segment, &b);
    if (st) return st;
    c->number++;
    if (c->srt) vc_strbuf_printf(c->out, "%d\n", c->number);
    put_timestamp(c->out, a, c->srt, c->srt ? ',' : '.');
    vc_strbuf_puts(c->out, " --> ");
    put_timestamp(c->out, b, c->srt, c->srt ? ',' : '.');
    vc_strbuf_putc(c->out, '\n');
    put_cue_text(c->out, text, n);
    vc_strbuf_puts(c->out, "\n\n");
    return VOCE_OK;
}

/* One cue per segment, from its text. */
static voce_status cues_from_segments(const voce_transcript *t, cue_writer *c, vc_strbuf *scratch)
{
    for (size_t i = 0; i < t->n_segments; i++) {
        size_t a, b;
        const char *s = clean(scratch, t->segments[i].text, &a, &b);
        voce_status st = put_cue(c, t->segments[i].start, t->segments[i].end, i, s + a, b - a);
        if (st) return st;
    }
    return VOCE_OK;
}

/* A subtitle being gathered from words. */
typedef struct subtitle {
    vc_strbuf text;
    size_t words, line_len, segment;
    double start, end;
} subtitle;

static voce_status flush_subtitle(cue_writer *c, subtitle *sub)
{
    voce_status st = VOCE_OK;
    if (sub->words)
        st = put_cue(c, sub->start, sub->end, sub->segment, sub->text.data ? sub->text.data : "",
                     sub->text.len);
    sub->text.len = 0;
    sub->words = 0;
    return st;
}

/* One word into the subtitle, as whisper's iterate_subtitles does with its defaults: a
 * segment (and every WORDS_PER_SUBTITLE words of one) starts a new subtitle; a line
 * longer than LINE_WIDTH characters continues on a new line; the first word of a line
 * loses its surrounding white space. */
static voce_status add_word(cue_writer *c, subtitle *sub, const voce_word *w, size_t segment,
                            size_t index_in_segment, vc_strbuf *scratch)
{
    scratch->len = 0;
    vc_strbuf_utf8(scratch, w->text ? w->text : "", w->text ? strlen(w->text) : 0);
    if (scratch->failed) return VOCE_OK; /* reported by the caller's buffer check */
    const char *s = scratch->data;
    size_t n = scratch->len;
    size_t len = vc_utf8_length(s, n);
    int seg_break = index_in_segment % WORDS_PER_SUBTITLE == 0 && sub->words > 0;
    if (sub->line_len > 0 && sub->line_len + len <= LINE_WIDTH && !seg_break) {
        vc_strbuf_append(&sub->text, s, n);
        sub->line_len += len;
    } else {
        size_t a, b;
        vc_utf8_strip(s, n, &a, &b);
        if (seg_break) {
            voce_status st = flush_subtitle(c, sub);
            if (st) return st;
        } else if (sub->line_len > 0) {
            vc_strbuf_putc(&sub->text, '\n');
        }
        vc_strbuf_append(&sub->text, s + a, b - a);
        sub->line_len = vc_utf8_length(s + a, b - a);
    }
    if (sub->words++ == 0) {
        sub->start = w->start;
        sub->segment = segment;
    }
    sub->end = w->end;
    return VOCE_OK;
}

static voce_status cues_from_words(const voce_transcript *t, cue_writer *c, vc_strbuf *scratch)
{
    subtitle sub = {{0}, 0, 0, 0, 0.0, 0.0};
    voce_status st = VOCE_OK;
    for (size_t i = 0; i < t->n_segments && !st; i++) {
        const voce_segment *seg = &t->segments[i];
        for (size_t j = 0; j < seg->n_words && !st; j++)
            st = add_word(c, &sub, &seg->words[j], i, j, scratch);
    }
    if (!st) st = flush_subtitle(c, &sub);
    if (!st && sub.text.failed) c->out->failed = 1;
    vc_strbuf_free(&sub.text);
    return st;
}

static voce_status write_subtitles(const voce_transcript *t, int srt, vc_strbuf *out,
                                   vc_strbuf *scratch)
{
    cue_writer c = {out, srt, 0};
    if (!srt) vc_strbuf_puts(out, "WEBVTT\n\n");
    /* whisper's writers take words when the segments have them (word timestamps on) */
    if (vc_transcript_word_timestamps(t)) return cues_from_words(t, &c, scratch);
    return cues_from_segments(t, &c, scratch);
}

/* ---- the public entry ---- */

voce_status voce_transcript_write(const voce_transcript *t, voce_transcript_format format,
                                  char **out, size_t *len)
{
    if (!out) return vc_error(VOCE_ERR_INVALID_ARG, "voce_transcript_write: out is NULL");
    *out = NULL;
    if (len) *len = 0;
    if (!t) return vc_error(VOCE_ERR_INVALID_ARG, "voce_transcript_write: transcript is NULL");
    if (t->n_segments && !t->segments)
        return vc_error(VOCE_ERR_INVALID_ARG, "voce_transcript_write: %zu segments but no array",
                        t->n_segments);
    if (format == VOCE_FORMAT_JSON || format == VOCE_FORMAT_VERBOSE_JSON)
        return vc_transcript_write_json(t, format == VOCE_FORMAT_VERBOSE_JSON, out, len);

    vc_strbuf text = {0}, scratch = {0};
    voce_status st;
    switch (format) {
    case VOCE_FORMAT_TXT: st = write_txt(t, &text, &scratch); break;
    case VOCE_FORMAT_SRT: st = write_subtitles(t, 1, &text, &scratch); break;
    case VOCE_FORMAT_VTT: st = write_subtitles(t, 0, &text, &scratch); break;
    case VOCE_FORMAT_TSV: st = write_tsv(t, &text, &scratch); break;
    default:
        st = vc_error(VOCE_ERR_INVALID_ARG,
                      "voce_transcript_write: format %d is not a voce_transcript_format", (int)format);
    }
    if (!st && scratch.failed) text.failed = 1;
    vc_strbuf_free(&scratch);
    if (st) {
        vc_strbuf_free(&text);
        return st;
    }
    st = vc_strbuf_take(&text, out, len);
    if (st) return vc_error(VOCE_ERR_NOMEM, "out of memory writing a transcript as %s",
                            format_names[format]);
    return VOCE_OK;
}
