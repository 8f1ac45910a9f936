/* Transcripts as JSON: "json" holds what openai-whisper's transcribe() returns (and its
 * writer dumps); "verbose_json" is shaped like OpenAI's transcription response. */
#include <string.h>

#include "core/json.h"
#include "core/utf8.h"
#include "transcript.h"

/* The members both shapes give a segment, in whisper's order. */
static void segment_fields(vc_jsonw *w, const voce_transcript *t, size_t i)
{
    const voce_segment *s = &t->segments[i];
    vc_jsonw_key(w, "id");
    vc_jsonw_int(w, s->id);
    vc_jsonw_key(w, "seek");
    vc_jsonw_int(w, vc_transcript_seek(t, i));
    vc_jsonw_key(w, "start");
    vc_jsonw_double(w, s->start);
    vc_jsonw_key(w, "end");
    vc_jsonw_double(w, s->end);
    vc_jsonw_key(w, "text");
    vc_jsonw_string(w, s->text);
    vc_jsonw_key(w, "tokens");
    vc_jsonw_begin_array(w);
    for (size_t k = 0; k < s->n_tokens; k++) vc_jsonw_int(w, s->tokens[k].id);
    vc_jsonw_end_array(w);
    vc_jsonw_key(w, "temperature");
    vc_jsonw_float(w, s->temperature);
    vc_jsonw_key(w, "avg_logprob");
    vc_jsonw_float(w, s->avg_logprob);
    vc_jsonw_key(w, "compression_ratio");
    vc_jsonw_float(w, s->compression_ratio);
    vc_jsonw_key(w, "no_speech_prob");
    vc_jsonw_float(w, s->no_speech_prob);
}

/* s without leading and trailing white space (str.strip()), repaired as text. */
static void stripped_string(vc_jsonw *w, const char *s, vc_strbuf *scratch)
{
    scratch->len = 0;
    vc_strbuf_utf8(scratch, s ? s : "", s ? strlen(s) : 0);
    if (scratch->failed) {
        w->out.failed = 1;
        vc_jsonw_string(w, "");
        return;
    }
    size_t a, b;
    vc_utf8_strip(scratch->data, scratch->len, &a, &b);
    vc_jsonw_string_n(w, scratch->data + a, b - a);
}

static void write_plain(vc_jsonw *w, const voce_transcript *t)
{
    int words = vc_transcript_word_timestamps(t);
    vc_jsonw_begin_object(w);
    vc_jsonw_key(w, "text");
    vc_jsonw_string(w, t->text);
    vc_jsonw_key(w, "segments");
    vc_jsonw_begin_array(w);
    for (size_t i = 0; i < t->n_segments; i++) {
        const voce_segment *s = &t->segments[i];
        vc_jsonw_begin_object(w);
        segment_fields(w, t, i);
        if (words) {
            vc_jsonw_key(w, "words");
            vc_jsonw_begin_array(w);
            for (size_t k = 0; k < s->n_words; k++) {
                vc_jsonw_begin_object(w);
                vc_jsonw_key(w, "word");
                vc_jsonw_string(w, s->words[k].text);
                vc_jsonw_key(w, "start");
                vc_jsonw_double(w, s->words[k].start);
                vc_jsonw_key(w, "end");
                vc_jsonw_double(w, s->words[k].end);
                vc_jsonw_key(w, "probability");
                vc_jsonw_float(w, s->words[k].probability);
                vc_jsonw_end_object(w);
            }
            vc_jsonw_end_array(w);
        }
        vc_jsonw_end_object(w);
    }
    vc_jsonw_end_array(w);
    vc_jsonw_key(w, "language");
    vc_jsonw_string(w, t->language);
    vc_jsonw_end_object(w);
}

/* OpenAI names the language in English, in lower case; a translation's is "english". */
static const char *language_name(const voce_transcript *t)
{
    if (vc_transcript_task(t) == VOCE_TASK_TRANSLATE) return "english";
    const char *name = vc_transcript_language_name(t);
    return name ? name : t->language;
}

static void write_verbose(vc_jsonw *w, const voce_transcript *t, vc_strbuf *scratch)
{
    vc_jsonw_begin_object(w);
    vc_jsonw_key(w, "task");
    vc_jsonw_string(w, vc_transcript_task(t) == VOCE_TASK_TRANSLATE ? "translate" : "transcribe");
    vc_jsonw_key(w, "language");
    vc_jsonw_string(w, language_name(t));
    vc_jsonw_key(w, "duration");
    vc_jsonw_double(w, t->duration);
    vc_jsonw_key(w, "text");
    stripped_string(w, t->text, scratch);
    vc_jsonw_key(w, "segments");
    vc_jsonw_begin_array(w);
    for (size_t i = 0; i < t->n_segments; i++) {
        vc_jsonw_begin_object(w);
        segment_fields(w, t, i);
        vc_jsonw_end_object(w);
    }
    vc_jsonw_end_array(w);
    if (vc_transcript_word_timestamps(t)) {
        vc_jsonw_key(w, "words");
        vc_jsonw_begin_array(w);
        for (size_t i = 0; i < t->n_segments; i++) {
            const voce_segment *s = &t->segments[i];
            for (size_t k = 0; k < s->n_words; k++) {
                vc_jsonw_begin_object(w);
                vc_jsonw_key(w, "word");
                stripped_string(w, s->words[k].text, scratch);
                vc_jsonw_key(w, "start");
                vc_jsonw_double(w, s->words[k].start);
                vc_jsonw_key(w, "end");
                vc_jsonw_double(w, s->words[k].end);
                vc_jsonw_end_object(w);
            }
        }
        vc_jsonw_end_array(w);
    }
    vc_jsonw_end_object(w);
}

voce_status vc_transcript_write_json(const voce_transcript *t, int verbose, char **out, size_t *len)
{
    vc_jsonw w;
    vc_jsonw_init(&w, 1);
    vc_strbuf scratch = {0};
    if (verbose) write_verbose(&w, t, &scratch);
    else write_plain(&w, t);
    vc_strbuf_free(&scratch);
    if (!w.misuse) vc_strbuf_putc(&w.out, '\n'); /* a text file's last line ends */
    return vc_jsonw_finish(&w, out, len);
}
