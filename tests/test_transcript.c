/* Transcripts: the builder (src/pipeline/transcript.h) and voce_transcript_write in every
 * format, byte for byte against tests/ref/transcript_ref.py (openai-whisper's writer rules
 * on Python strings); format names; refusals; the JSON writer's numbers and misuse; and
 * every allocation failing in turn (with the test linked with --wrap=malloc/realloc),
 * which must fail cleanly and, under ASan, leak nothing. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "core/utf8.h"
#include "harness.h"
#include "pipeline/transcript.h"
#include "voce/asr.h"

/* ---- allocation failure injection (linked with -Wl,--wrap=malloc,--wrap=realloc) ---- */

static long alloc_calls;      /* allocations seen since the count was reset */
static long fail_at = -1;     /* the one to refuse (0-based); -1: none */
static int wrapped;           /* the wrappers are linked in */

#ifdef VT_WRAP_MALLOC
void *__real_malloc(size_t n);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_realloc(void *p, size_t n);

void *__wrap_malloc(size_t n)
{
    wrapped = 1;
    if (alloc_calls++ == fail_at) return NULL;
    return __real_malloc(n);
}

void *__wrap_realloc(void *p, size_t n)
{
    wrapped = 1;
    if (alloc_calls++ == fail_at) return NULL;
    return __real_realloc(p, n);
}
#endif

/* ---- the case file ---- */

static const char *case_dir(void) { return vt_build_path(NULL, "transcript-cases"); }

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (n < cap - 1) break;
        cap *= 2;
        char *p = realloc(buf, cap);
        if (!p) { free(buf); buf = NULL; }
        else buf = p;
    }
    fclose(f);
    if (buf) { buf[n] = 0; *len = n; }
    return buf;
}

/* "x<hex>" into bytes (out holds strlen(s) / 2 bytes); -1 for "-" (not set). */
static long unhex(const char *s, char *out)
{
    if (strcmp(s, "-") == 0) return -1;
    if (s[0] != 'x') return -2;
    long n = 0;
    for (const char *p = s + 1; p[0] && p[1]; p += 2) {
        unsigned v;
        if (sscanf(p, "%2x", &v) != 1) return -2;
        out[n++] = (char)v;
    }
    return n;
}

/* Feeds one line of the case file to the builder. */
static voce_status case_line(vc_transcript_builder *b, char *line, char *scratch)
{
    char kind[16], s[65536];
    if (sscanf(line, "%15s", kind) != 1) return VOCE_ERR_FORMAT;
    if (strcmp(kind, "meta") == 0) {
        char task[16], lang[64], name[64];
        int words;
        double duration, prob;
        if (sscanf(line, "meta %15s %d %lf %63s %63s %lf %65535s", task, &words, &duration, lang,
                   name, &prob, s) != 7)
            return VOCE_ERR_FORMAT;
        vc_transcript_set_task(b, strcmp(task, "translate") == 0 ? VOCE_TASK_TRANSLATE : VOCE_TASK_TRANSCRIBE);
        vc_transcript_set_word_timestamps(b, words);
        vc_transcript_set_duration(b, duration);
        char code[64], nm[64];
        long nc = unhex(lang, code), nn = unhex(name, nm);
        if (nc >= 0) code[nc] = 0;
        if (nn >= 0) nm[nn] = 0;
        if (nc >= 0 || nn >= 0) vc_transcript_set_language(b, nc >= 0 ? code : NULL, nn >= 0 ? nm : NULL, (float)prob);
        long nt = unhex(s, scratch);
        if (nt >= 0) vc_transcript_set_text(b, scratch, (size_t)nt);
        return b->error;
    }
    if (strcmp(kind, "segment") == 0) {
        vc_segment_info info;
        double t, lp, cr, ns;
        int seek;
        if (sscanf(line, "segment %lf %lf %d %lf %lf %lf %lf %65535s", &info.start, &info.end, &seek,
                   &t, &lp, &cr, &ns, s) != 8)
            return VOCE_ERR_FORMAT;
        info.seek = seek;
        info.temperature = (float)t;
        info.avg_logprob = (float)lp;
        info.compression_ratio = (float)cr;
        info.no_speech_prob = (float)ns;
        vc_transcript_begin_segment(b, &info);
        long nt = unhex(s, scratch);
        if (nt >= 0) vc_transcript_set_segment_text(b, scratch, (size_t)nt);
        return b->error;
    }
    if (strcmp(kind, "token") == 0) {
        long long id;
        double start, end, p, lp;
        if (sscanf(line, "token %lld %lf %lf %lf %lf %65535s", &id, &start, &end, &p, &lp, s) != 6)
            return VOCE_ERR_FORMAT;
        long n = unhex(s, scratch);
        if (n < 0) return VOCE_ERR_FORMAT;
        return vc_transcript_add_token(b, (int32_t)id, scratch, (size_t)n, start, end, (float)p, (float)lp);
    }
    if (strcmp(kind, "word") == 0) {
        double start, end, p;
        if (sscanf(line, "word %lf %lf %lf %65535s", &start, &end, &p, s) != 4) return VOCE_ERR_FORMAT;
        long n = unhex(s, scratch);
        if (n < 0) return VOCE_ERR_FORMAT;
        return vc_transcript_add_word(b, scratch, (size_t)n, start, end, (float)p);
    }
    return VOCE_ERR_FORMAT;
}

/* One case of the file, from its "case" line to its "end": the name and the text after. */
typedef struct case_text {
    char name[64];
    char *first;    /* the line after "case NAME" */
    char *next;     /* after "end" */
} case_text;

static int next_case(char *at, case_text *c)
{
    if (!at || sscanf(at, "case %63s", c->name) != 1) return 0;
    c->first = strchr(at, '\n');
    if (!c->first) return 0;
    c->first++;
    char *e = strstr(c->first, "\nend\n");
    if (!e && strncmp(c->first, "end\n", 4) == 0) e = c->first - 1;
    if (!e) return 0;
    c->next = e + 5;
    return 1;
}

/* Builds the transcript a case describes. */
static voce_status build_case(const case_text *c, voce_transcript **out)
{
    vc_transcript_builder b;
    vc_transcript_builder_init(&b);
    char *scratch = malloc(65536);
    if (!scratch) return VOCE_ERR_NOMEM;
    voce_status st = VOCE_OK;
    for (char *line = c->first; line < c->next - 4 && !st;) {
        char *nl = strchr(line, '\n');
        char saved = *nl;
        *nl = 0;
        st = case_line(&b, line, scratch);
        *nl = saved;
        line = nl + 1;
    }
    free(scratch);
    if (st) {
        vc_transcript_builder_free(&b);
        return st;
    }
    return vc_transcript_finish(&b, out);
}

static const char *const ext[] = {"txt", "srt", "vtt", "tsv", "json", "verbose_json"};

/* Where two texts first differ, printed with some context. */
static void show_difference(const char *what, const char *got, size_t ng, const char *want, size_t nw)
{
    size_t i = 0;
    while (i < ng && i < nw && got[i] == want[i]) i++;
    size_t from = i > 40 ? i - 40 : 0;
    printf("  %s: %zu bytes, expected %zu; first difference at byte %zu\n", what, ng, nw, i);
    printf("    got:      \"%.*s\"\n", (int)((ng - from) < 100 ? ng - from : 100), got + from);
    printf("    expected: \"%.*s\"\n", (int)((nw - from) < 100 ? nw - from : 100), want + from);
}

static char *cases_text(void)
{
    char path[1200];
    snprintf(path, sizeof path, "%s/cases.txt", case_dir());
    size_t n;
    return read_file(path, &n);
}

static void test_reference_outputs(void)
{
    char *all = cases_text();
    if (!all) VT_SKIP("needs %s/cases.txt (tests/ref/transcript_ref.py)", case_dir());
    case_text c;
    int n_cases = 0, bad = 0;
    for (char *at = all; next_case(at, &c); at = c.next) {
        n_cases++;
        voce_transcript *t = NULL;
        if (build_case(&c, &t)) {
            printf("  %s: building failed: %s\n", c.name, voce_last_error());
            bad++;
            continue;
        }
        for (int f = 0; f < 6; f++) {
            char path[1200], what[128];
            snprintf(path, sizeof path, "%s/%s.%s", case_dir(), c.name, ext[f]);
            snprintf(what, sizeof what, "%s.%s", c.name, ext[f]);
            size_t nw = 0, ng = 0;
            char *want = read_file(path, &nw), *got = NULL;
            if (!want) {
                printf("  %s: missing\n", path);
                bad++;
                continue;
            }
            if (voce_transcript_write(t, (voce_transcript_format)f, &got, &ng)) {
                printf("  %s: %s\n", what, voce_last_error());
                bad++;
            } else if (ng != nw || memcmp(got, want, nw) != 0 || strlen(got) != ng) {
                show_difference(what, got, ng, want, nw);
                bad++;
            }
            free(got);
            free(want);
        }
        voce_transcript_free(t);
    }
    free(all);
    printf("  %d transcripts x 6 formats compared\n", n_cases);
    CHECK(n_cases >= 9);
    CHECK(bad == 0);
}

/* ---- the builder's structure ---- */

static void test_builder_fields(void)
{
    vc_transcript_builder b;
    vc_transcript_builder_init(&b);
    vc_segment_info s = {.start = 1.0, .end = 2.0, .seek = 100};
    CHECK_OK(vc_transcript_set_language(&b, "en", "english", 0.5f));
    CHECK_OK(vc_transcript_set_word_timestamps(&b, 1));
    CHECK_OK(vc_transcript_begin_segment(&b, &s));
    /* "é" split over two tokens: raw in the tokens, whole in the segment text */
    CHECK_OK(vc_transcript_add_token(&b, 7, " caf\xc3", 5, 1.0, 1.5, 0.25f, -1.5f));
    CHECK_OK(vc_transcript_add_token(&b, 8, "\xa9", 1, 1.5, 2.0, 0.75f, -0.5f));
    CHECK_OK(vc_transcript_add_word(&b, " caf\xc3\xa9", 6, 1.0, 2.0, 0.5f));
    s.start = 2.0;
    s.end = 3.0;
    CHECK_OK(vc_transcript_begin_segment(&b, &s));
    s.end = 3.5;
    CHECK_OK(vc_transcript_set_segment_info(&b, &s));
    voce_transcript *t = NULL;
    CHECK_OK(vc_transcript_finish(&b, &t));
    int ok = t->n_segments == 2 && strcmp(t->text, " caf\xc3\xa9") == 0 &&
             strcmp(t->language, "en") == 0 && t->language_probability == 0.5f &&
             t->segments[0].id == 0 && t->segments[1].id == 1 &&
             strcmp(t->segments[0].text, " caf\xc3\xa9") == 0 && t->segments[0].n_tokens == 2 &&
             strcmp(t->segments[0].tokens[0].text, " caf\xc3") == 0 &&
             strcmp(t->segments[0].tokens[1].text, "\xa9") == 0 &&
             t->segments[0].tokens[1].id == 8 && t->segments[0].tokens[1].logprob == -0.5f &&
             t->segments[0].n_words == 1 && strcmp(t->segments[0].words[0].text, " caf\xc3\xa9") == 0 &&
             t->segments[1].words != NULL && t->segments[1].n_words == 0 &&
             t->segments[1].n_tokens == 0 && strcmp(t->segments[1].text, "") == 0 &&
             t->segments[1].end == 3.5 && vc_transcript_seek(t, 1) == 100 &&
             strcmp(vc_transcript_language_name(t), "english") == 0 &&
             vc_transcript_task(t) == VOCE_TASK_TRANSCRIBE;
    voce_transcript_free(t);
    CHECK(ok);
    /* the builder is empty and usable again; without word timestamps words are NULL */
    CHECK(b.n_seg == 0 && b.error == VOCE_OK);
    CHECK_OK(vc_transcript_begin_segment(&b, &s));
    CHECK_OK(vc_transcript_finish(&b, &t));
    ok = t->segments[0].words == NULL && t->segments[0].n_words == 0 &&
         strcmp(t->language, "") == 0 && vc_transcript_language_name(t) == NULL;
    voce_transcript_free(t);
    CHECK(ok);
}

static void test_builder_refusals(void)
{
    vc_transcript_builder b;
    vc_transcript_builder_init(&b);
    CHECK_ERR(vc_transcript_add_token(&b, 1, "x", 1, 0, 0, 1, 0), VOCE_ERR_STATE);
    CHECK(strstr(voce_last_error(), "vc_transcript_add_token before vc_transcript_begin_segment"));
    /* the failure sticks: later calls return it, finish reports it with its message */
    vc_segment_info s = {0};
    CHECK_ERR(vc_transcript_begin_segment(&b, &s), VOCE_ERR_STATE);
    voce_transcript dummy, *t = &dummy;
    CHECK_ERR(vc_transcript_finish(&b, &t), VOCE_ERR_STATE);
    CHECK(t == NULL && strstr(voce_last_error(), "before vc_transcript_begin_segment"));
    CHECK_OK(vc_transcript_begin_segment(&b, &s)); /* finish emptied it */
    CHECK_ERR(vc_transcript_add_word(&b, NULL, 3, 0, 0, 0), VOCE_ERR_INVALID_ARG);
    vc_transcript_builder_free(&b);
    CHECK_ERR(vc_transcript_set_task(&b, (voce_asr_task)7), VOCE_ERR_INVALID_ARG);
    vc_transcript_builder_free(&b);
    vc_transcript_builder_free(&b); /* twice is harmless */
    CHECK_ERR(vc_transcript_begin_segment(NULL, &s), VOCE_ERR_INVALID_ARG);
    CHECK_ERR(vc_transcript_begin_segment(&b, NULL), VOCE_ERR_INVALID_ARG);
    vc_transcript_builder_free(&b);
    CHECK_ERR(vc_transcript_finish(&b, NULL), VOCE_ERR_INVALID_ARG);
    voce_transcript_free(NULL);
}

/* ---- names and refusals of the writer ---- */

static void test_format_names(void)
{
    voce_transcript_format f;
    for (int i = 0; i < 6; i++) {
        f = (voce_transcript_format)99;
        CHECK_OK(voce_transcript_format_parse(ext[i], &f));
        CHECK(f == (voce_transcript_format)i);
    }
    CHECK(VOCE_FORMAT_TXT == 0 && VOCE_FORMAT_VERBOSE_JSON == 5);
    const char *bad[] = {"xml", "", "SRT", "json ", "verbose", "text"};
    for (int i = 0; i < 6; i++) {
        CHECK_ERR(voce_transcript_format_parse(bad[i], &f), VOCE_ERR_INVALID_ARG);
        char want[64];
        snprintf(want, sizeof want, "unknown transcript format '%s'", bad[i]);
        CHECK_MSG(strstr(voce_last_error(), want) && strstr(voce_last_error(), "verbose_json"),
                  "message: %s", voce_last_error());
    }
    CHECK_ERR(voce_transcript_format_parse(NULL, &f), VOCE_ERR_INVALID_ARG);
    CHECK_ERR(voce_transcript_format_parse("txt", NULL), VOCE_ERR_INVALID_ARG);
}

static voce_transcript *one_segment(double start, double end, int with_word)
{
    vc_transcript_builder b;
    vc_transcript_builder_init(&b);
    vc_segment_info s = {.start = start, .end = end};
    vc_transcript_set_word_timestamps(&b, with_word);
    vc_transcript_begin_segment(&b, &s);
    vc_transcript_add_token(&b, 1, " hi", 3, start, end, 1, 0);
    if (with_word) vc_transcript_add_word(&b, " hi", 3, start, end, 1);
    voce_transcript *t = NULL;
    return vc_transcript_finish(&b, &t) ? NULL : t;
}

static void test_write_refusals(void)
{
    char *out = (char *)"x";
    size_t len = 7;
    voce_transcript *t = one_segment(0.0, 1.0, 0);
    CHECK(t);
    CHECK_ERR(voce_transcript_write(NULL, VOCE_FORMAT_TXT, &out, &len), VOCE_ERR_INVALID_ARG);
    CHECK(out == NULL && len == 0);
    CHECK_ERR(voce_transcript_write(t, VOCE_FORMAT_TXT, NULL, &len), VOCE_ERR_INVALID_ARG);
    CHECK_ERR(voce_transcript_write(t, (voce_transcript_format)6, &out, &len), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "format 6"));
    CHECK_OK(voce_transcript_write(t, VOCE_FORMAT_SRT, &out, NULL));
    free(out);
    voce_transcript_free(t);

    /* times a subtitle cannot show: refused, naming the segment; JSON writes them */
    const double bad[] = {-0.001, NAN, INFINITY, 9.1e12};
    for (int i = 0; i < 4; i++) {
        for (int w = 0; w < 2; w++) {
            t = one_segment(0.5, bad[i], w);
            CHECK(t);
            voce_transcript_format fs[] = {VOCE_FORMAT_SRT, VOCE_FORMAT_VTT, VOCE_FORMAT_TSV};
            for (int f = 0; f < 3; f++) {
                out = (char *)"x";
                CHECK_ERR(voce_transcript_write(t, fs[f], &out, &len), VOCE_ERR_INVALID_ARG);
                CHECK(out == NULL);
                CHECK_MSG(strstr(voce_last_error(), "segment 0: end time"), "%s", voce_last_error());
            }
            CHECK_OK(voce_transcript_write(t, VOCE_FORMAT_JSON, &out, &len));
            free(out);
            CHECK_OK(voce_transcript_write(t, VOCE_FORMAT_TXT, &out, &len));
            free(out);
            voce_transcript_free(t);
        }
    }
    /* the largest time allowed, and -0 */
    t = one_segment(-0.0, 9.0e12, 0);
    CHECK(t);
    CHECK_OK(voce_transcript_write(t, VOCE_FORMAT_SRT, &out, &len));
    CHECK_MSG(strcmp(out, "1\n00:00:00,000 --> 2500000000:00:00,000\nhi\n\n") == 0, "%s", out);
    free(out);
    voce_transcript_free(t);
}

/* ---- the JSON writer on its own ---- */

static void test_json_numbers(void)
{
    struct { double v; int is_float; const char *want; } cases[] = {
        {0.0, 0, "0.0"}, {-0.0, 0, "-0.0"}, {1.0, 0, "1.0"}, {0.1, 0, "0.1"},
        {1e16, 0, "1e+16"}, {9999999999999998.0, 0, "9999999999999998.0"},
        {0.0001, 0, "0.0001"}, {0.00001, 0, "1e-05"}, {123.456, 0, "123.456"},
        {5e-324, 0, "5e-324"}, {1.7976931348623157e308, 0, "1.7976931348623157e+308"},
        {1.0 / 3.0, 0, "0.3333333333333333"}, {-2.5e-7, 0, "-2.5e-07"},
        {NAN, 0, "null"}, {INFINITY, 0, "null"}, {-INFINITY, 1, "null"},
        {(float)0.1, 1, "0.1"}, {(float)-0.2860786020755768, 1, "-0.2860786"},
        {(float)3.4028234663852886e38, 1, "3.4028235e+38"}, {(float)1e-45, 1, "1e-45"},
        {16777216.0, 1, "16777216.0"}, {(float)1e16, 1, "1e+16"}, {0.5, 1, "0.5"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[VC_JSONW_NUMBER_MAX];
        size_t n = vc_jsonw_format_number(cases[i].v, cases[i].is_float, buf);
        CHECK_MSG(strcmp(buf, cases[i].want) == 0 && n == strlen(buf), "%.17g (%s): %s, expected %s",
                  cases[i].v, cases[i].is_float ? "float" : "double", buf, cases[i].want);
    }
}

static void test_json_writer(void)
{
    vc_jsonw w;
    vc_jsonw_init(&w, 0);
    vc_jsonw_begin_object(&w);
    vc_jsonw_key(&w, "a\"b");
    vc_jsonw_string_n(&w, "x\0y\x1f\xff\xe2\x82\\/\x7f", 10);
    vc_jsonw_key(&w, "n");
    vc_jsonw_begin_array(&w);
    vc_jsonw_int(&w, INT64_MIN);
    vc_jsonw_bool(&w, 1);
    vc_jsonw_null(&w);
    vc_jsonw_string(&w, NULL);
    vc_jsonw_begin_object(&w);
    vc_jsonw_end_object(&w);
    vc_jsonw_begin_array(&w);
    vc_jsonw_end_array(&w);
    vc_jsonw_end_array(&w);
    vc_jsonw_end_object(&w);
    char *out;
    size_t len;
    CHECK_OK(vc_jsonw_finish(&w, &out, &len));
    const char *want = "{\"a\\\"b\":\"x\\u0000y\\u001f\xef\xbf\xbd\xef\xbf\xbd\\\\/\x7f\","
                       "\"n\":[-9223372036854775808,true,null,null,{},[]]}";
    int same = strcmp(out, want) == 0 && len == strlen(want);
    if (!same) printf("  got %s\n", out);
    free(out);
    CHECK(same);

    /* misuse is reported once, at the end */
    struct { const char *what; int steps; } bad[] = {
        {"a value without a key in an object", 1}, {"a key in an array", 2},
        {"a key without a value", 3}, {"an unclosed object or array", 4},
        {"a second top-level value", 5}, {"no value", 6}, {"an array end without its begin", 7},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        vc_jsonw_init(&w, 1);
        switch (bad[i].steps) {
        case 1: vc_jsonw_begin_object(&w); vc_jsonw_int(&w, 1); vc_jsonw_end_object(&w); break;
        case 2: vc_jsonw_begin_array(&w); vc_jsonw_key(&w, "k"); vc_jsonw_end_array(&w); break;
        case 3: vc_jsonw_begin_object(&w); vc_jsonw_key(&w, "k"); vc_jsonw_end_object(&w); break;
        case 4: vc_jsonw_begin_array(&w); break;
        case 5: vc_jsonw_int(&w, 1); vc_jsonw_int(&w, 2); break;
        case 6: break;
        case 7: vc_jsonw_begin_object(&w); vc_jsonw_end_array(&w); break;
        }
        out = (char *)"x";
        CHECK_ERR(vc_jsonw_finish(&w, &out, &len), VOCE_ERR_INTERNAL);
        CHECK_MSG(strstr(voce_last_error(), bad[i].what), "%s: %s", bad[i].what, voce_last_error());
    }
    vc_jsonw_init(&w, 1);
    for (int d = 0; d < VC_JSONW_MAX_DEPTH + 1; d++) vc_jsonw_begin_array(&w);
    CHECK_ERR(vc_jsonw_finish(&w, &out, &len), VOCE_ERR_INTERNAL);
    CHECK(strstr(voce_last_error(), "nesting"));
}

static void test_utf8(void)
{
    /* Python's decode(errors="replace") counts of U+FFFD, one per maximal subpart */
    struct { const char *in; size_t n; const char *want; } cases[] = {
        {"\xe2\x82", 2, "\xef\xbf\xbd"},
        {"\xf0\x80\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xf4\x8f\xbf\xbf", 4, "\xf4\x8f\xbf\xbf"},
        {"\xed\x9f\xbf\xed\xa0\x80", 6, "\xed\x9f\xbf\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"\xe0\xa0\x80\xe0\x9f\x80", 6, "\xe0\xa0\x80\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
        {"a\xf1\x80\x80z", 5, "a\xef\xbf\xbdz"},
        {"\xc1\xbf\xc2\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xc2\x80"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        size_t n = vc_utf8_sanitize(cases[i].in, cases[i].n, out);
        CHECK_MSG(n == strlen(cases[i].want) && memcmp(out, cases[i].want, n) == 0, "case %zu", i);
    }
    size_t a, b;
    vc_utf8_strip("\xe3\x80\x80 x\xc2\xa0y \xc2\x85", 11, &a, &b);
    CHECK(a == 4 && b == 8);
    vc_utf8_strip(" \t ", 3, &a, &b);
    CHECK(a == b);
    CHECK(vc_utf8_length("a\xc3\xa9\xf0\x9f\x98\x80", 7) == 3);
}

/* ---- every allocation failing in turn ---- */

static void test_allocation_failures(void)
{
    char *all = cases_text();
    if (!all) VT_SKIP("needs %s/cases.txt", case_dir());
    case_text c;
    char *at = all;
    while (next_case(at, &c) && strcmp(c.name, "words") != 0) at = c.next;
    if (strcmp(c.name, "words") != 0) {
        free(all);
        CHECK_MSG(0, "case 'words' not found");
    }
    alloc_calls = 0;
    voce_transcript *t = NULL;
    voce_status st = build_case(&c, &t);
    voce_transcript_free(t);
    if (!wrapped) {
        free(all);
        VT_SKIP("malloc is not wrapped in this build (-Wl,--wrap=malloc)");
    }
    CHECK_OK(st);
    long n_build = alloc_calls;
    int failures = 0, completed = 0;
    for (long k = 0; k < n_build + 1; k++) {
        alloc_calls = 0;
        fail_at = k;
        t = NULL;
        st = build_case(&c, &t);
        fail_at = -1;
        if (st == VOCE_OK) completed++;
        else if (st == VOCE_ERR_NOMEM) failures++;
        else printf("  failing allocation %ld: %s\n", k, voce_last_error());
        CHECK(st == VOCE_OK || st == VOCE_ERR_NOMEM);
        CHECK((st == VOCE_OK) == (t != NULL));
        voce_transcript_free(t);
    }
    /* the test's own scratch allocation fails too (NOMEM without the builder) */
    CHECK(failures == n_build && completed == 1);

    CHECK_OK(build_case(&c, &t));
    for (int f = 0; f < 6; f++) {
        char *out = NULL, *ref = NULL;
        size_t len, ref_len;
        CHECK_OK(voce_transcript_write(t, (voce_transcript_format)f, &ref, &ref_len));
        alloc_calls = 0;
        CHECK_OK(voce_transcript_write(t, (voce_transcript_format)f, &out, &len));
        free(out);
        long n_write = alloc_calls;
        for (long k = 0; k < n_write; k++) {
            alloc_calls = 0;
            fail_at = k;
            out = (char *)"x";
            st = voce_transcript_write(t, (voce_transcript_format)f, &out, &len);
            fail_at = -1;
            CHECK_MSG(st == VOCE_ERR_NOMEM && out == NULL, "%s, allocation %ld: %s", ext[f], k,
                      voce_status_str(st));
            CHECK(strstr(voce_last_error(), "out of memory"));
        }
        free(ref);
    }
    voce_transcript_free(t);
    free(all);
    printf("  %ld allocations building, each refused in turn\n", n_build);
}

int main(void)
{
    vt_run("reference_outputs", test_reference_outputs);
    vt_run("builder_fields", test_builder_fields);
    vt_run("builder_refusals", test_builder_refusals);
    vt_run("format_names", test_format_names);
    vt_run("write_refusals", test_write_refusals);
    vt_run("json_numbers", test_json_numbers);
    vt_run("json_writer", test_json_writer);
    vt_run("utf8", test_utf8);
    vt_run("allocation_failures", test_allocation_failures);
    return vt_finish();
}
