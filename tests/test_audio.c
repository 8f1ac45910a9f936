/* Audio input: voce's WAV parser on synthesised files of every encoding, channel count
 * and chunk layout, and on hostile ones; real WAV and FLAC files against facts computed
 * independently (numpy on the raw bytes, sox's decoder); libsndfile formats; raw PCM
 * from pipes; the libsoxr resampler's aliasing, passband, delay and streaming; the
 * messages when the run-time libraries are missing; memory that does not grow with the
 * length of the input.
 *
 * Expected samples are computed here from the rules in docs/audio.md (integer scaling,
 * float mixdown from channel 0 upward divided by the channel count), written out again
 * rather than taken from the library, and checked for exact equality. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include "audio/reader.h"
#include "audio/resample.h"
#include "audio/sndfile.h"
#include "harness.h"
#include "voce/audio.h"

#define PI 3.14159265358979323846

/* ---- byte buffers and WAV files, written from the RIFF/WAVE layout ---- */

typedef struct bytes {
    unsigned char *p;
    size_t n, cap;
} bytes;

static void put(bytes *b, const void *d, size_t n)
{
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap < b->n + n) cap *= 2;
        unsigned char *p = realloc(b->p, cap);
        if (!p) abort();
        b->p = p;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void put_le(bytes *b, uint64_t v, int nbytes)
{
    unsigned char t[8];
    for (int i = 0; i < nbytes; i++) t[i] = (unsigned char)(v >> (8 * i));
    put(b, t, (size_t)nbytes);
}

static void put_id(bytes *b, const char *id) { put(b, id, 4); }

static void riff_begin(bytes *b)
{
    put_id(b, "RIFF");
    put_le(b, 0, 4);
    put_id(b, "WAVE");
}

/* Patch the RIFF size (not that readers trust it). */
static void riff_end(bytes *b)
{
    uint32_t size = (uint32_t)(b->n - 8);
    for (int i = 0; i < 4; i++) b->p[4 + i] = (unsigned char)(size >> (8 * i));
}

/* A chunk with its size field, its bytes and the pad byte after an odd size. */
static void chunk(bytes *b, const char *id, const void *d, size_t n)
{
    put_id(b, id);
    put_le(b, n, 4);
    put(b, d, n);
    if (n & 1) put_le(b, 0, 1);
}

typedef struct fmtspec {
    unsigned tag;           /* 1 PCM, 3 float, 0xFFFE extensible, others */
    unsigned sub;           /* extensible: the sub-format's tag */
    unsigned channels;
    unsigned rate;
    unsigned bits;
    int block_align;        /* 0: channels * bits / 8 */
    int size;               /* 0: 16, 18 for float, 40 for extensible */
    unsigned valid_bits;    /* extensible; 0: bits */
} fmtspec;

static void fmt_chunk(bytes *b, const fmtspec *f)
{
    static const unsigned char tail[14] = {0, 0, 0, 0, 0x10, 0, 0x80, 0, 0, 0xAA, 0, 0x38, 0x9B, 0x71};
    bytes c = {0};
    unsigned ba = f->block_align ? (unsigned)f->block_align : f->channels * f->bits / 8;
    put_le(&c, f->tag, 2);
    put_le(&c, f->channels, 2);
    put_le(&c, f->rate, 4);
    put_le(&c, (uint64_t)f->rate * ba, 4);
    put_le(&c, ba, 2);
    put_le(&c, f->bits, 2);
    int size = f->size ? f->size : f->tag == 0xFFFE ? 40 : f->tag == 3 ? 18 : 16;
    if (size >= 18) put_le(&c, size >= 40 ? 22 : (unsigned)size - 18, 2);
    if (size >= 40) {
        put_le(&c, f->valid_bits ? f->valid_bits : f->bits, 2);
        put_le(&c, 0, 4);       /* channel mask */
        put_le(&c, f->sub, 2);
        put(&c, tail, sizeof tail);
    }
    while (c.n < (size_t)size) put_le(&c, 0, 1);
    chunk(b, "fmt ", c.p, (size_t)size);
    free(c.p);
}

/* A data chunk whose size field may lie. */
static void data_chunk(bytes *b, const void *d, size_t n, uint32_t size_field)
{
    put_id(b, "data");
    put_le(b, size_field, 4);
    put(b, d, n);
}

static int write_file(const char *path, const void *d, size_t n)
{
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int ok = n == 0 || fwrite(d, 1, n, f) == n;
    return fclose(f) == 0 && ok;
}

/* ---- sample encodings: values, bytes and expected floats, from the rules ---- */

enum { K_U8, K_S16, K_S24, K_S32, K_F32, K_F64, N_KINDS };
static const char *kind_name[N_KINDS] = {"pcm8", "pcm16", "pcm24", "pcm32", "float32", "float64"};
static const unsigned kind_bits[N_KINDS] = {8, 16, 24, 32, 32, 64};

/* Deterministic value for channel c, frame i: extremes on the first frames, then a
 * pseudo-random walk over the whole range. Integers are raw codes (u8 unsigned). */
static double sample_value(int kind, int c, int i)
{
    static const double lo[N_KINDS] = {0, -32768, -8388608, -2147483648.0, -1, -1};
    static const double hi[N_KINDS] = {255, 32767, 8388607, 2147483647.0, 1, 1};
    if (i == 0) return c % 2 ? hi[kind] : lo[kind];
    if (i == 1) return c % 2 ? lo[kind] : hi[kind];
    uint64_t h = (uint64_t)i * 1000003u + (uint64_t)c * 7919u + (uint64_t)kind * 104729u;
    h ^= h >> 13;
    h *= 0x9E3779B97F4A7C15ull;
    h ^= h >> 29;
    double u = (double)(h % 1000000007ull) / 1000000006.0;  /* [0, 1] */
    if (kind >= K_F32) return (u * 2 - 1) * 0.999;
    return floor(lo[kind] + u * (hi[kind] - lo[kind]) + 0.5);
}

static void encode(bytes *b, int kind, double v)
{
    switch (kind) {
    case K_U8: put_le(b, (uint64_t)v, 1); break;
    case K_S16: put_le(b, (uint64_t)(int64_t)v, 2); break;
    case K_S24: put_le(b, (uint64_t)(int64_t)v, 3); break;
    case K_S32: put_le(b, (uint64_t)(int64_t)v, 4); break;
    case K_F32: {
        float f = (float)v;
        uint32_t u;
        memcpy(&u, &f, 4);
        put_le(b, u, 4);
        break;
    }
    case K_F64: {
        uint64_t u;
        memcpy(&u, &v, 8);
        put_le(b, u, 8);
        break;
    }
    }
}

/* The float a sample decodes to. s32 goes through double here, the library divides in
 * float: docs/audio.md says the two agree, and this checks it. */
static float expect_sample(int kind, double v)
{
    switch (kind) {
    case K_U8: return (float)((v - 128) / 128);
    case K_S16: return (float)(v / 32768);
    case K_S24: return (float)(v / 8388608);
    case K_S32: return (float)(v / 2147483648.0);
    case K_F32: return (float)v;
    default: return (float)v;
    }
}

static float expect_mono(int kind, int channels, int i)
{
    float s = expect_sample(kind, sample_value(kind, 0, i));
    for (int c = 1; c < channels; c++) s += expect_sample(kind, sample_value(kind, c, i));
    return s / (float)channels;
}

/* A WAV of frames frames of the test signal; extensible selects WAVE_FORMAT_EXTENSIBLE. */
static void synth_wav(bytes *b, int kind, int channels, int frames, int extensible, unsigned rate)
{
    bytes d = {0};
    for (int i = 0; i < frames; i++)
        for (int c = 0; c < channels; c++) encode(&d, kind, sample_value(kind, c, i));
    unsigned tag = kind >= K_F32 ? 3 : 1;
    fmtspec f = {extensible ? 0xFFFE : tag, tag, (unsigned)channels, rate, kind_bits[kind], 0, 0, 0};
    riff_begin(b);
    fmt_chunk(b, &f);
    data_chunk(b, d.p, d.n, (uint32_t)d.n);
    riff_end(b);
    free(d.p);
}

/* info->format belongs to the reader; keep a copy that outlives it. Eight slots serve
 * the few infos a test holds at once. */
static void keep_format(voce_audio_info *info)
{
    static char slots[8][64];
    static int next;
    char *s = slots[next++ % 8];
    snprintf(s, sizeof slots[0], "%s", info->format);
    info->format = s;
}

/* Read all of path in blocks of `block` samples; NULL on a failure (reported). info
 * (may be NULL) receives what was opened. */
static float *read_all(const char *path, const voce_audio_options *o, size_t block, size_t *n,
                       voce_audio_info *info)
{
    voce_audio *a;
    voce_status st = voce_audio_open(path, o, &a);
    if (st) {
        vt_fail(__FILE__, __LINE__, "open %s: %s: %s", path, voce_status_str(st), voce_last_error());
        return NULL;
    }
    if (info) {
        voce_audio_info_get(a, info);
        keep_format(info);
    }
    size_t cap = 1024, len = 0;
    float *x = malloc(cap * sizeof *x);
    for (;;) {
        if (len + block > cap) {
            while (len + block > cap) cap *= 2;
            x = realloc(x, cap * sizeof *x);
        }
        size_t k;
        st = voce_audio_read(a, x + len, block, &k);
        if (st) {
            vt_fail(__FILE__, __LINE__, "read %s: %s", path, voce_last_error());
            break;
        }
        if (k > block) vt_fail(__FILE__, __LINE__, "read returned %zu of %zu", k, block);
        len += k;
        if (k == 0) break;
        if (k < block && !voce_audio_at_end(a))
            vt_fail(__FILE__, __LINE__, "a file read returned %zu of %zu before its end", k, block);
    }
    if (!voce_audio_at_end(a)) vt_fail(__FILE__, __LINE__, "not at end after reading %s", path);
    voce_audio_close(a);
    if (st) {
        free(x);
        return NULL;
    }
    *n = len;
    return x;
}

static int same_bits(float a, float b) { return memcmp(&a, &b, sizeof a) == 0; }

/* ---- WAV encodings and channel counts ---- */

static void check_synth(int kind, int channels, int extensible)
{
    const int frames = 1000;
    bytes b = {0};
    synth_wav(&b, kind, channels, frames, extensible, 22050);
    char name[64];
    snprintf(name, sizeof name, "audio_%s_%d%s.wav", kind_name[kind], channels, extensible ? "x" : "");
    const char *path = vt_tmp(name);
    CHECK(write_file(path, b.p, b.n));
    free(b.p);
    size_t n;
    voce_audio_info info;
    float *x = read_all(path, NULL, 333, &n, &info);
    CHECK(x);
    char want_format[32];
    snprintf(want_format, sizeof want_format, "wav %s", kind_name[kind]);
    CHECK_MSG(n == (size_t)frames, "%s: %zu samples", name, n);
    CHECK_MSG(info.channels == channels && info.source_rate == 22050 && info.sample_rate == 22050 &&
                  info.frames == frames && !strcmp(info.format, want_format),
              "%s: info %d ch, %d Hz, %lld frames, '%s'", name, info.channels, info.source_rate,
              (long long)info.frames, info.format);
    for (int i = 0; i < frames; i++) {
        float e = expect_mono(kind, channels, i);
        if (!same_bits(x[i], e)) {
            vt_fail(__FILE__, __LINE__, "%s: sample %d is %.9g, expected %.9g", name, i, x[i], e);
            break;
        }
    }
    free(x);
}

static void test_wav_encodings(void)
{
    static const int chans[] = {1, 2, 3, 6, 64};
    for (int k = 0; k < N_KINDS; k++)
        for (size_t c = 0; c < sizeof chans / sizeof chans[0]; c++) {
            check_synth(k, chans[c], 0);
            check_synth(k, chans[c], 1);
            if (vt_failed()) return;
        }
}

/* Values whose mono result is known without the formula: extremes of each encoding. */
static void test_wav_exact_values(void)
{
    static const struct { int kind; double l, r; float want; } cases[] = {
        {K_U8, 0, 255, -0.00390625f},           /* (-1 + 127/128) / 2 */
        {K_U8, 128, 128, 0.0f},
        {K_S16, -32768, 32767, -0x1p-16f},      /* (-1 + 32767/32768) / 2 */
        {K_S16, 16384, 16384, 0.5f},
        {K_S24, -8388608, 8388607, -0x1p-24f},
        {K_S32, -2147483648.0, -2147483648.0, -1.0f},
        {K_S32, 2147483647.0, 2147483647.0, 1.0f}, /* (float)2147483647 rounds to 2^31 */
        {K_S32, 1, 0, 0x1p-32f},
        {K_F64, 0.1, 0.1, 0.1f},                /* rounded to float first */
        {K_F32, 0.75, -0.25, 0.25f},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bytes d = {0}, b = {0};
        encode(&d, cases[i].kind, cases[i].l);
        encode(&d, cases[i].kind, cases[i].r);
        unsigned tag = cases[i].kind >= K_F32 ? 3 : 1;
        fmtspec f = {tag, 0, 2, 8000, kind_bits[cases[i].kind], 0, 0, 0};
        riff_begin(&b);
        fmt_chunk(&b, &f);
        data_chunk(&b, d.p, d.n, (uint32_t)d.n);
        const char *path = vt_tmp("audio_exact.wav");
        int ok = write_file(path, b.p, b.n);
        free(d.p);
        free(b.p);
        CHECK(ok);
        float *x;
        size_t n;
        int rate;
        CHECK_OK(voce_audio_read_file(path, NULL, &x, &n, &rate));
        int good = n == 1 && rate == 8000 && same_bits(x[0], cases[i].want);
        float got = n ? x[0] : NAN;
        free(x);
        CHECK_MSG(good, "case %zu: %zu samples, %.9g, expected %.9g", i, n, got, cases[i].want);
    }
}

/* NaN, infinities and negative zero pass through a mono float file unchanged. */
static void test_wav_float_specials(void)
{
    const float v[] = {NAN, INFINITY, -INFINITY, -0.0f, 1e-45f, 3.5f};
    bytes d = {0}, b = {0};
    for (size_t i = 0; i < 6; i++) encode(&d, K_F32, v[i]);
    fmtspec f = {3, 0, 1, 16000, 32, 0, 0, 0};
    riff_begin(&b);
    fmt_chunk(&b, &f);
    data_chunk(&b, d.p, d.n, (uint32_t)d.n);
    const char *path = vt_tmp("audio_specials.wav");
    int ok = write_file(path, b.p, b.n);
    free(d.p);
    free(b.p);
    CHECK(ok);
    float *x;
    size_t n;
    CHECK_OK(voce_audio_read_file(path, NULL, &x, &n, NULL));
    int good = n == 6;
    for (size_t i = 0; good && i < 6; i++) good = same_bits(x[i], v[i]);
    free(x);
    CHECK(good);
}

/* ---- chunk layouts ---- */

static voce_status open_bytes(const bytes *b, const char *name, voce_audio **a)
{
    const char *path = vt_tmp(name);
    if (!write_file(path, b->p, b->n)) return VOCE_ERR_IO;
    return voce_audio_open(path, NULL, a);
}

/* 16-bit mono samples 0, 1, 2, ... (as codes) for the layout tests. */
static void ramp16(bytes *d, int n)
{
    for (int i = 0; i < n; i++) put_le(d, (uint64_t)(i * 3 - 50), 2);
}

static int ramp_ok(const float *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (x[i] != (float)((int)i * 3 - 50) / 32768.0f) return 0;
    return 1;
}

/* Read the whole of a and check it is the ramp of want samples with info.frames. */
static void expect_ramp(voce_audio *a, size_t want, int64_t want_frames, const char *what)
{
    voce_audio_info info;
    voce_audio_info_get(a, &info);
    float x[512];
    size_t n = 0, k;
    voce_status st = VOCE_OK;
    while (n + 7 <= 512) {
        st = voce_audio_read(a, x + n, 7, &k);
        if (st || k == 0) break;
        n += k;
    }
    CHECK_MSG(st == VOCE_OK, "%s: %s", what, voce_last_error());
    CHECK_MSG(n == want && ramp_ok(x, n), "%s: %zu samples, expected %zu", what, n, want);
    CHECK_MSG(info.frames == want_frames, "%s: frames %lld, expected %lld", what,
              (long long)info.frames, (long long)want_frames);
    CHECK(voce_audio_at_end(a));
}

static void test_wav_chunks(void)
{
    fmtspec f16 = {1, 0, 1, 16000, 16, 0, 0, 0};
    bytes d = {0};
    ramp16(&d, 100);
    voce_audio *a;

    /* an unknown chunk before fmt, a LIST of odd size (padded) between, one after data */
    bytes b = {0};
    riff_begin(&b);
    chunk(&b, "abcd", "xyz", 3);
    fmt_chunk(&b, &f16);
    chunk(&b, "LIST", "INFOx", 5);
    chunk(&b, "fact", "\x64\0\0\0", 4);
    data_chunk(&b, d.p, 200, 200);
    chunk(&b, "LIST", "trailing", 8);
    riff_end(&b);
    CHECK_OK(open_bytes(&b, "audio_chunks.wav", &a));
    expect_ramp(a, 100, 100, "chunks");
    voce_audio_close(a);
    free(b.p);
    if (vt_failed()) goto out;

    /* an odd data size: 3 whole frames, the odd byte is dropped, the pad skipped */
    b = (bytes){0};
    riff_begin(&b);
    fmt_chunk(&b, &f16);
    data_chunk(&b, d.p, 7, 7);
    put_le(&b, 0, 1);
    chunk(&b, "LIST", "abcd", 4);
    CHECK_OK(open_bytes(&b, "audio_odd_data.wav", &a));
    expect_ramp(a, 3, 3, "odd data size");
    voce_audio_close(a);
    free(b.p);
    if (vt_failed()) goto out;

    /* the size a writer leaves when it cannot seek back: read to the end of the file */
    b = (bytes){0};
    riff_begin(&b);
    fmt_chunk(&b, &f16);
    data_chunk(&b, d.p, 200, 0xFFFFFFFFu);
    CHECK_OK(open_bytes(&b, "audio_ffff.wav", &a));
    expect_ramp(a, 100, 100, "data size 0xFFFFFFFF");
    voce_audio_close(a);
    free(b.p);
    if (vt_failed()) goto out;

    /* a data size larger than the file, and a partial frame at its end */
    b = (bytes){0};
    riff_begin(&b);
    fmt_chunk(&b, &f16);
    data_chunk(&b, d.p, 151, 100000);
    CHECK_OK(open_bytes(&b, "audio_long_data.wav", &a));
    expect_ramp(a, 75, 75, "data size beyond the file");
    voce_audio_close(a);
    free(b.p);
    if (vt_failed()) goto out;

    /* truncated in the middle of a stereo frame */
    fmtspec st16 = {1, 0, 2, 16000, 16, 0, 0, 0};
    b = (bytes){0};
    riff_begin(&b);
    fmt_chunk(&b, &st16);
    data_chunk(&b, d.p, 37, 40);
    CHECK_OK(open_bytes(&b, "audio_cut_frame.wav", &a));
    voce_audio_info info;
    voce_audio_info_get(a, &info);
    CHECK(info.frames == 9 && info.channels == 2);
    float x[16];
    size_t n;
    CHECK_OK(voce_audio_read(a, x, 16, &n));
    CHECK(n == 9 && voce_audio_at_end(a));
    for (size_t i = 0; i < 9; i++)
        CHECK(x[i] == ((float)((int)(2 * i) * 3 - 50) / 32768.0f + (float)((int)(2 * i + 1) * 3 - 50) / 32768.0f) / 2.0f);
    CHECK_OK(voce_audio_read(a, x, 16, &n));
    CHECK(n == 0);
    voce_audio_close(a);
    free(b.p);
    if (vt_failed()) goto out;

    /* an empty data chunk: a valid file without samples */
    b = (bytes){0};
    riff_begin(&b);
    fmt_chunk(&b, &f16);
    data_chunk(&b, NULL, 0, 0);
    CHECK_OK(open_bytes(&b, "audio_no_samples.wav", &a));
    expect_ramp(a, 0, 0, "empty data chunk");
    voce_audio_close(a);
    free(b.p);
out:
    free(d.p);
}

/* ---- files that must be refused, each with its status and a word of its message ---- */

typedef struct bad_case {
    const char *name;
    voce_status want;
    const char *word;
} bad_case;

static void expect_refusal(const bytes *b, const bad_case *c)
{
    voce_audio *a = (voce_audio *)&a;
    voce_status st = open_bytes(b, c->name, &a);
    if (st == VOCE_OK) voce_audio_close(a);
    CHECK_MSG(st == c->want && a == NULL, "%s: %s (%s), expected %s", c->name, voce_status_str(st),
              voce_last_error(), voce_status_str(c->want));
    CHECK_MSG(strstr(voce_last_error(), c->word), "%s: message '%s' lacks '%s'", c->name,
              voce_last_error(), c->word);
}

/* A file with one fmt chunk f and a few samples. */
static void fmt_file(bytes *b, const fmtspec *f)
{
    riff_begin(b);
    fmt_chunk(b, f);
    data_chunk(b, "\1\2\3\4\5\6\7\10", 8, 8);
    riff_end(b);
}

static void test_wav_refusals(void)
{
    static const struct { fmtspec f; bad_case c; } fmts[] = {
        {{1, 0, 1, 0, 16, 0, 0, 0}, {"audio_rate0.wav", VOCE_ERR_FORMAT, "sample rate 0"}},
        {{1, 0, 1, 2000000, 16, 0, 0, 0}, {"audio_rate_huge.wav", VOCE_ERR_UNSUPPORTED, "1 MHz"}},
        {{1, 0, 0, 16000, 16, 2, 0, 0}, {"audio_ch0.wav", VOCE_ERR_FORMAT, "0 channels"}},
        {{1, 0, 300, 16000, 16, 0, 0, 0}, {"audio_ch300.wav", VOCE_ERR_UNSUPPORTED, "300 channels"}},
        {{0x1234, 0, 1, 16000, 16, 0, 0, 0}, {"audio_tag.wav", VOCE_ERR_UNSUPPORTED, "0x1234"}},
        {{6, 0, 1, 8000, 8, 0, 0, 0}, {"audio_alaw.wav", VOCE_ERR_UNSUPPORTED, "A-law"}},
        {{1, 0, 1, 16000, 12, 2, 0, 0}, {"audio_12bit.wav", VOCE_ERR_UNSUPPORTED, "12-bit PCM"}},
        {{1, 0, 1, 16000, 40, 0, 0, 0}, {"audio_40bit.wav", VOCE_ERR_UNSUPPORTED, "40-bit PCM"}},
        {{3, 0, 1, 16000, 16, 0, 0, 0}, {"audio_f16.wav", VOCE_ERR_UNSUPPORTED, "16-bit float"}},
        {{1, 0, 1, 16000, 16, 0, 14, 0}, {"audio_fmt14.wav", VOCE_ERR_FORMAT, "too short"}},
        {{1, 0, 2, 16000, 16, 2, 0, 0}, {"audio_align.wav", VOCE_ERR_FORMAT, "block_align"}},
        {{0xFFFE, 1, 1, 16000, 16, 0, 18, 0}, {"audio_ext18.wav", VOCE_ERR_FORMAT, "EXTENSIBLE"}},
        {{0xFFFE, 1, 1, 16000, 16, 0, 0, 24}, {"audio_ext_valid.wav", VOCE_ERR_FORMAT, "valid bits"}},
        {{0xFFFE, 2, 1, 16000, 16, 0, 0, 0}, {"audio_ext_adpcm.wav", VOCE_ERR_UNSUPPORTED, "ADPCM"}},
    };
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        bytes b = {0};
        fmt_file(&b, &fmts[i].f);
        expect_refusal(&b, &fmts[i].c);
        free(b.p);
        if (vt_failed()) return;
    }

    /* an extensible sub-format GUID that is not PCM or float */
    bytes b = {0};
    fmtspec ext = {0xFFFE, 1, 1, 16000, 16, 0, 0, 0};
    fmt_file(&b, &ext);
    b.p[12 + 8 + 24 + 10] ^= 0xFF;
    expect_refusal(&b, &(bad_case){"audio_ext_guid.wav", VOCE_ERR_UNSUPPORTED, "sub-format"});
    free(b.p);
    if (vt_failed()) return;

    /* headers and chunks */
    fmtspec f16 = {1, 0, 1, 16000, 16, 0, 0, 0};
    static const struct { const char *bytes; size_t n; bad_case c; } raw[] = {
        {"", 0, {"audio_empty.wav", VOCE_ERR_FORMAT, "empty file"}},
        {"RIFF\x10\0\0", 7, {"audio_short.wav", VOCE_ERR_FORMAT, "truncated"}},
        {"RIFX\x24\0\0\0WAVE", 12, {"audio_rifx.wav", VOCE_ERR_UNSUPPORTED, "RIFX"}},
        {"RF64\xff\xff\xff\xffWAVEds64", 16, {"audio_rf64.wav", VOCE_ERR_UNSUPPORTED, "RF64"}},
        {"RIFF\x24\0\0\0AVI LIST", 16, {"audio_avi.wav", VOCE_ERR_FORMAT, "'AVI '"}},
        {"RIFF\x24\0\0\0WAVE", 12, {"audio_bare.wav", VOCE_ERR_FORMAT, "fmt chunk"}},
        {"RIFF\x24\0\0\0WAVEdata\2\0\0\0\0\0", 22, {"audio_data_first.wav", VOCE_ERR_FORMAT, "before the fmt"}},
        {"RIFF\x24\0\0\0WAVEfmt \x10\0\0\0\1\0\1\0", 24, {"audio_cut_fmt.wav", VOCE_ERR_FORMAT, "truncated"}},
    };
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
        b = (bytes){0};
        put(&b, raw[i].bytes, raw[i].n);
        expect_refusal(&b, &raw[i].c);
        free(b.p);
        if (vt_failed()) return;
    }
    b = (bytes){0};
    riff_begin(&b);
    chunk(&b, "LIST", "abc", 3);
    expect_refusal(&b, &(bad_case){"audio_no_fmt.wav", VOCE_ERR_FORMAT, "without a fmt chunk"});
    free(b.p);
    b = (bytes){0};
    riff_begin(&b);
    fmt_chunk(&b, &f16);
    chunk(&b, "LIST", "abc", 3);
    expect_refusal(&b, &(bad_case){"audio_no_data.wav", VOCE_ERR_FORMAT, "without a data chunk"});
    free(b.p);
    b = (bytes){0};
    riff_begin(&b);
    fmt_chunk(&b, &f16);
    fmt_chunk(&b, &f16);
    expect_refusal(&b, &(bad_case){"audio_two_fmt.wav", VOCE_ERR_FORMAT, "two fmt"});
    free(b.p);
}

/* Files that are not audio at all: the refusal is a format error whether or not
 * libsndfile is installed, and without it the message says what would read more. */
static void test_not_audio(void)
{
    bytes b = {0};
    put(&b, "hello, this is text\n", 20);
    expect_refusal(&b, &(bad_case){"audio_text.txt", VOCE_ERR_FORMAT, "audio_text.txt"});
    voce_audio *a = NULL;
    const vc_audio_libs none = {"libsndfile-missing.so.1", VC_SOXR_SONAME};
    CHECK_ERR(vc_audio_open_with(vt_tmp("audio_text.txt"), NULL, &none, &a), VOCE_ERR_FORMAT);
    CHECK_MSG(strstr(voce_last_error(), "not a WAV file") && strstr(voce_last_error(), "(68 65 6c 6c)") &&
                  strstr(voce_last_error(), "libsndfile-missing.so.1"),
              "%s", voce_last_error());
    free(b.p);
    const char *onnx = vt_data("models/silero-vad/silero_vad.onnx");
    if (onnx) {
        CHECK_ERR(voce_audio_open(onnx, NULL, &a), VOCE_ERR_FORMAT);
    }
    CHECK_ERR(voce_audio_open(vt_tmp("audio_does_not_exist.wav"), NULL, &a), VOCE_ERR_IO);
    CHECK(strstr(voce_last_error(), "audio_does_not_exist.wav"));
    CHECK_ERR(voce_audio_open(vt_tmp(""), NULL, &a), VOCE_ERR_IO);
    CHECK(strstr(voce_last_error(), "directory"));
}

static void test_api_errors(void)
{
    voce_audio *a = (voce_audio *)&a;
    voce_audio_options o = voce_audio_options_default();
    CHECK(o.sample_rate == 0);
    CHECK_ERR(voce_audio_open(NULL, NULL, &a), VOCE_ERR_INVALID_ARG);
    CHECK(a == NULL);
    CHECK_ERR(voce_audio_open("x.wav", NULL, NULL), VOCE_ERR_INVALID_ARG);
    o.sample_rate = -1;
    CHECK_ERR(voce_audio_open("x.wav", &o, &a), VOCE_ERR_INVALID_ARG);
    CHECK(strstr(voce_last_error(), "sample_rate -1"));
    o.sample_rate = 2000000;
    CHECK_ERR(voce_audio_open_raw(0, VOCE_RAW_F32LE, 16000, 1, &o, &a), VOCE_ERR_INVALID_ARG);
    CHECK_ERR(voce_audio_open_raw(-1, VOCE_RAW_F32LE, 16000, 1, NULL, &a), VOCE_ERR_INVALID_ARG);
    CHECK_ERR(voce_audio_open_raw(0, (voce_raw_format)7, 16000, 1, NULL, &a), VOCE_ERR_INVALID_ARG);
    CHECK_ERR(voce_audio_open_raw(0, VOCE_RAW_S16LE, 0, 1, NULL, &a), VOCE_ERR_INVALID_ARG);
    CHECK_ERR(voce_audio_open_raw(0, VOCE_RAW_S16LE, 16000, 0, NULL, &a), VOCE_ERR_INVALID_ARG);
    CHECK_ERR(voce_audio_open_raw(0, VOCE_RAW_S16LE, 16000, 257, NULL, &a), VOCE_ERR_INVALID_ARG);
    CHECK(a == NULL);
    size_t n = 5;
    float x[4];
    CHECK_ERR(voce_audio_read(NULL, x, 4, &n), VOCE_ERR_INVALID_ARG);
    CHECK(n == 0);
    CHECK(voce_audio_at_end(NULL));
    voce_audio_info info;
    voce_audio_info_get(NULL, &info);
    CHECK(info.format == NULL && info.channels == 0);
    voce_audio_close(NULL);
    voce_resampler *r = (voce_resampler *)&r;
    CHECK_ERR(voce_resampler_create(0, 16000, &r), VOCE_ERR_INVALID_ARG);
    CHECK(r == NULL);
    CHECK_ERR(voce_resampler_create(48000, 1000001, &r), VOCE_ERR_INVALID_ARG);
    CHECK_ERR(voce_resampler_create(48000, 16000, NULL), VOCE_ERR_INVALID_ARG);
    voce_resampler_destroy(NULL);
}

/* ---- real files: facts computed with numpy from the raw bytes, and with sox ---- */

typedef struct real_fact {
    const char *file;
    int channels;
    int64_t frames;
    const char *format;
    int64_t index[3];
    float value[3];
    double sum, abs_sum;    /* double sums of the mono samples */
} real_fact;

static void check_fact(const real_fact *f, const float *x, size_t n, const voce_audio_info *info)
{
    CHECK_MSG(info->channels == f->channels && info->source_rate == 16000 &&
                  info->frames == f->frames && !strcmp(info->format, f->format),
              "%s: %d ch, %d Hz, %lld frames, %s", f->file, info->channels, info->source_rate,
              (long long)info->frames, info->format);
    CHECK_MSG(n == (size_t)f->frames, "%s: %zu samples", f->file, n);
    for (int k = 0; k < 3; k++)
        CHECK_MSG(x[f->index[k]] == f->value[k], "%s: sample %lld is %a, expected %a", f->file,
                  (long long)f->index[k], x[f->index[k]], f->value[k]);
    double s = 0, sa = 0;
    for (size_t i = 0; i < n; i++) s += x[i], sa += fabs(x[i]);
    CHECK_MSG(fabs(s - f->sum) < 1e-9 * f->abs_sum && fabs(sa - f->abs_sum) < 1e-9 * f->abs_sum,
              "%s: sums %.17g %.17g, expected %.17g %.17g", f->file, s, sa, f->sum, f->abs_sum);
}

static void test_real_wavs(void)
{
    static const real_fact facts[] = {
        {"audio/jfk.wav", 1, 176000, "wav pcm16", {1000, 88000, 175999},
         {0x1p-15f, 0x1.21ep-3f, -0x1.c8p-7f}, 2.41473388671875, 13617.259948730469},
        /* stereo, channels differ in 78425 of 80000 frames */
        {"audio/misc/stereo_diarization.wav", 2, 80000, "wav pcm16", {0, 1000, 40000},
         {-0x1.34p-8f, 0x1.0ap-8f, -0x1.d2p-9f}, -37.09596252441406, 1324.3550262451172},
        /* LIST and id3 chunks after the data */
        {"audio/misc/beckett.wav", 1, 159414, "wav pcm16", {0, 1000, 79707},
         {0x1.02p-8f, -0x1.4p-11f, -0x1.2bp-5f}, 0.051971435546875, 1852.6390075683594},
        /* IEEE float, an 18-byte fmt chunk and a fact chunk */
        {"audio/diarization-pyannote/dev00.wav", 1, 480001, "wav float32", {1000, 240000, 480000},
         {0x1.cp-13f, -0x1.28p-10f, -0x1.9cp-8f}, -42.78143310546875, 2254.8349609375},
        {"audio/diarization-pyannote/tst01.wav", 1, 480001, "wav float32", {0, 1000, 240000},
         {-0x1p-13f, -0x1.08p-10f, -0x1.8p-14f}, -22.096954345703125, 1793.1502990722656},
    };
    int ran = 0;
    for (size_t i = 0; i < sizeof facts / sizeof facts[0]; i++) {
        const char *p = vt_data(facts[i].file);
        if (!p) {
            printf("  (missing %s)\n", facts[i].file);
            continue;
        }
        char path[4096];
        snprintf(path, sizeof path, "%s", p);
        size_t n;
        voce_audio_info info;
        float *x = read_all(path, NULL, 4000, &n, &info);
        CHECK(x);
        check_fact(&facts[i], x, n, &info);
        free(x);
        if (vt_failed()) return;
        ran++;
    }
    if (!ran) VT_SKIP("needs audio/jfk.wav and the other real WAV files");
}

/* ---- libsndfile formats ---- */

static int have_sndfile(vc_sndfile_api *api)
{
    if (vc_sndfile_load(api, VC_SNDFILE_SONAME, "reading FLAC, Ogg and MP3") == VOCE_OK) return 1;
    vt_skip("%s", voce_last_error());
    return 0;
}

/* FLAC files and the WAV files made from them losslessly: sample for sample. */
static void test_flac_equals_wav(void)
{
    vc_sndfile_api api;
    if (!have_sndfile(&api)) return;
    vc_sndfile_unload(&api);
    static const char *names[] = {"1089-134686-0000", "1089-134686-0001", "1089-134691-0000",
                                  "1089-134691-0001", "2412-153948-0000"};
    int ran = 0;
    for (size_t i = 0; i < 5; i++) {
        char rel[128], flac[4096], wav[4096];
        snprintf(rel, sizeof rel, "audio/librispeech/%s.flac", names[i]);
        if (!vt_data(rel)) continue;
        snprintf(flac, sizeof flac, "%s", vt_data(rel));
        snprintf(rel, sizeof rel, "audio/librispeech/%s.wav", names[i]);
        if (!vt_data(rel)) continue;
        snprintf(wav, sizeof wav, "%s", vt_data(rel));
        size_t nf, nw;
        voce_audio_info fi, wi;
        float *xf = read_all(flac, NULL, 1000, &nf, &fi);
        float *xw = read_all(wav, NULL, 1000, &nw, &wi);
        int same = xf && xw && nf == nw && nf > 16000 && !memcmp(xf, xw, nf * sizeof *xf);
        free(xf);
        free(xw);
        CHECK_MSG(same, "%s: FLAC (%zu) and WAV (%zu) differ", names[i], nf, nw);
        CHECK_MSG(!strcmp(fi.format, "flac") && fi.frames == (int64_t)nf && fi.source_rate == 16000,
                  "%s: %s, %lld frames, %d Hz", names[i], fi.format, (long long)fi.frames, fi.source_rate);
        ran++;
    }
    if (!ran) VT_SKIP("needs audio/librispeech/*.flac and .wav");
}

/* jfk.flac, 44.1 kHz stereo 24-bit: facts from sox's decoder (sox jfk.flac -t s32),
 * then at 16 kHz against jfk.wav, which whisper.cpp made from it. */
static void test_jfk_flac(void)
{
    vc_sndfile_api api;
    if (!have_sndfile(&api)) return;
    vc_sndfile_unload(&api);
    const char *p = vt_data("audio/jfk.flac");
    if (!p) VT_SKIP("needs audio/jfk.flac");
    char flac[4096];
    snprintf(flac, sizeof flac, "%s", p);
    size_t n;
    voce_audio_info info;
    float *x = read_all(flac, NULL, 4096, &n, &info);
    CHECK(x);
    static const int64_t idx[] = {0, 100000, 242550, 485099};
    static const float val[] = {-0x1p-24f, 0x1.7d12p-8f, 0x1.1fc88p-3f, -0x1.00a88p-7f};
    int good = n == 485100 && info.frames == 485100 && info.channels == 2 && info.source_rate == 44100;
    for (int k = 0; good && k < 4; k++) good = x[idx[k]] == val[k];
    double s = 0, sa = 0;
    for (size_t i = 0; i < n; i++) s += x[i], sa += fabs(x[i]);
    free(x);
    CHECK_MSG(good, "jfk.flac: %zu samples, %d ch, %d Hz", n, info.channels, info.source_rate);
    CHECK_MSG(fabs(s - 6.642904222011566) < 1e-6 && fabs(sa - 37528.94173723459) < 1e-6,
              "jfk.flac sums %.17g %.17g", s, sa);

    const char *w = vt_data("audio/jfk.wav");
    if (!w) VT_SKIP("needs audio/jfk.wav");
    char wav[4096];
    snprintf(wav, sizeof wav, "%s", w);
    voce_audio_options o = voce_audio_options_default();
    o.sample_rate = 16000;
    size_t n16, nw;
    float *x16 = read_all(flac, &o, 1000, &n16, &info);
    float *xw = read_all(wav, NULL, 1000, &nw, NULL);
    CHECK(x16 && xw);
    double c[3] = {0, 0, 0};
    if (n16 == nw) {
        for (int lag = -1; lag <= 1; lag++) {
            double ab = 0, aa = 0, bb = 0;
            for (size_t i = 100; i + 100 < nw; i++) {
                double a = x16[i], b = xw[(size_t)((long)i + lag)];
                ab += a * b, aa += a * a, bb += b * b;
            }
            c[lag + 1] = ab / sqrt(aa * bb);
        }
    }
    free(x16);
    free(xw);
    printf("  jfk.flac at 16 kHz vs jfk.wav: correlation %.9f at lag 0, %.6f and %.6f at -1, +1\n",
           c[1], c[0], c[2]);
    CHECK_MSG(n16 == nw && info.sample_rate == 16000, "jfk.flac at 16 kHz: %zu samples, jfk.wav %zu", n16, nw);
    CHECK(c[1] > 0.9999 && c[1] > c[0] && c[1] > c[2]);
}

/* Write x through libsndfile in format fmt; 0 (and a note) if this libsndfile cannot. */
static int sf_write(vc_sndfile_api *api, const char *path, int fmt, int rate, const float *x, size_t n)
{
    vc_sf_info si = {0, rate, 1, fmt, 0, 0};
    void *sf = api->open(path, VC_SFM_WRITE, &si);
    if (!sf) {
        printf("  (libsndfile cannot write format 0x%x: %s)\n", (unsigned)fmt, api->strerror(NULL));
        return 0;
    }
    int ok = api->writef_float(sf, x, (int64_t)n) == (int64_t)n;
    return api->close(sf) == 0 && ok;
}

/* Largest normalised correlation of y against x over lags 0..max_lag (y later). */
static double best_corr(const float *x, size_t nx, const float *y, size_t ny, int max_lag, int *at)
{
    double best = -2;
    for (int lag = 0; lag <= max_lag; lag++) {
        double ab = 0, aa = 0, bb = 0;
        for (size_t i = 0; i < nx && i + (size_t)lag < ny; i++) {
            double a = x[i], b = y[i + (size_t)lag];
            ab += a * b, aa += a * a, bb += b * b;
        }
        double c = aa > 0 && bb > 0 ? ab / sqrt(aa * bb) : 0;
        if (c > best) best = c, *at = lag;
    }
    return best;
}

/* Lossy formats written through libsndfile, read back by voce: length and likeness. */
static void test_lossy_formats(void)
{
    vc_sndfile_api api;
    if (!have_sndfile(&api)) return;
    static const struct { int fmt, rate; const char *ext, *name; } fmts[] = {
        {VC_SF_FORMAT_OGG | VC_SF_FORMAT_VORBIS, 16000, "ogg", "ogg vorbis"},
        {VC_SF_FORMAT_OGG | VC_SF_FORMAT_OPUS, 48000, "opus", "ogg opus"},
        {VC_SF_FORMAT_MPEG | VC_SF_FORMAT_MPEG_LAYER_III, 16000, "mp3", "mp3"},
        {VC_SF_FORMAT_FLAC | VC_SF_FORMAT_PCM_24, 16000, "flac", "flac"},
    };
    int ran = 0;
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
        int rate = fmts[f].rate;
        size_t n = (size_t)(2.5 * rate);
        float *x = malloc(n * sizeof *x);
        for (size_t i = 0; i < n; i++) {
            double t = (double)i / rate;
            x[i] = (float)(0.3 * (0.6 + 0.4 * sin(2 * PI * 3 * t)) *
                           (sin(2 * PI * 330 * t) + 0.5 * sin(2 * PI * 1250 * t) + 0.25 * sin(2 * PI * 2600 * t)));
        }
        char name[64];
        snprintf(name, sizeof name, "audio_lossy.%s", fmts[f].ext);
        const char *path = vt_tmp(name);
        if (!sf_write(&api, path, fmts[f].fmt, rate, x, n)) {
            free(x);
            continue;
        }
        size_t ny;
        voce_audio_info info;
        float *y = read_all(path, NULL, 777, &ny, &info);
        int lag = 0;
        double c = y ? best_corr(x + rate / 10, n - rate / 5, y + rate / 10, ny > (size_t)rate / 10 ? ny - rate / 10 : 0, 1500, &lag) : 0;
        printf("  %s: %zu samples written, %zu read, correlation %.5f at lag %d\n", fmts[f].name, n, ny, c, lag);
        free(x);
        free(y);
        CHECK(y);
        CHECK_MSG(!strcmp(info.format, fmts[f].name) && info.source_rate == rate && info.channels == 1,
                  "%s: %s, %d Hz, %d ch", fmts[f].name, info.format, info.source_rate, info.channels);
        /* MP3 frames pad the end; everything else keeps the length. */
        size_t slack = fmts[f].fmt & VC_SF_FORMAT_MPEG ? 1152 * 2 : 0;
        CHECK_MSG(ny >= n && ny <= n + slack, "%s: %zu samples for %zu", fmts[f].name, ny, n);
        CHECK_MSG(c > 0.98, "%s: correlation %.4f", fmts[f].name, c);
        ran++;
    }
    vc_sndfile_unload(&api);
    if (!ran) VT_SKIP("libsndfile here writes none of Ogg Vorbis, Opus, MP3, FLAC");
}

/* A 24-bit stereo FLAC made by sox from a WAV reads exactly as the WAV does. */
static void test_sox_flac(void)
{
    vc_sndfile_api api;
    if (!have_sndfile(&api)) return;
    vc_sndfile_unload(&api);
    if (system("command -v sox >/dev/null 2>&1") != 0) VT_SKIP("needs sox (Debian: sox)");
    bytes b = {0};
    synth_wav(&b, K_S24, 2, 20000, 0, 32000);
    char wav[4096], flac[4096], cmd[9000];
    snprintf(wav, sizeof wav, "%s", vt_tmp("audio_sox_src.wav"));
    snprintf(flac, sizeof flac, "%s", vt_tmp("audio_sox.flac"));
    int ok = write_file(wav, b.p, b.n);
    free(b.p);
    CHECK(ok);
    snprintf(cmd, sizeof cmd, "sox '%s' '%s' 2>&1", wav, flac);
    CHECK_MSG(system(cmd) == 0, "%s failed", cmd);
    size_t nw, nf;
    voce_audio_info info;
    float *xw = read_all(wav, NULL, 4096, &nw, NULL);
    float *xf = read_all(flac, NULL, 4096, &nf, &info);
    int same = xw && xf && nw == 20000 && nf == nw && !memcmp(xw, xf, nw * sizeof *xw);
    free(xw);
    free(xf);
    CHECK(same);
    CHECK(info.channels == 2 && info.source_rate == 32000 && !strcmp(info.format, "flac"));
}

/* ---- missing libraries ---- */

static void test_missing_libraries(void)
{
    static const struct { const char *magic, *name; } kinds[] = {
        {"fLaC\0\0\0\x22", "FLAC"}, {"OggS\0\2\0\0", "Ogg"}, {"ID3\3\0\0\0\0", "MP3"},
        {"\xff\xfb\x90\x64\0\0\0\0", "MP3"},
    };
    const vc_audio_libs missing = {"libsndfile-missing.so.1", "libsoxr-missing.so.0"};
    for (size_t i = 0; i < 4; i++) {
        const char *path = vt_tmp("audio_magic.bin");
        CHECK(write_file(path, kinds[i].magic, 8));
        voce_audio *a = NULL;
        CHECK_ERR(vc_audio_open_with(path, NULL, &missing, &a), VOCE_ERR_UNSUPPORTED);
        char want[256];
        snprintf(want, sizeof want,
                 "reading %s needs libsndfile (libsndfile-missing.so.1), which is not installed "
                 "(Debian: apt install libsndfile1)", kinds[i].name);
        CHECK_MSG(!strcmp(voce_last_error(), want), "'%s'", voce_last_error());
    }
    voce_resampler *r = (voce_resampler *)&r;
    CHECK_ERR(vc_resampler_create_with(44100, 16000, "libsoxr-missing.so.0", &r), VOCE_ERR_UNSUPPORTED);
    CHECK(r == NULL);
    CHECK_MSG(!strcmp(voce_last_error(), "resampling from 44100 Hz to 16000 Hz needs libsoxr "
                                         "(libsoxr-missing.so.0), which is not installed "
                                         "(Debian: apt install libsoxr0)"),
              "'%s'", voce_last_error());
    /* a WAV needs no library until a rate change is asked for */
    bytes b = {0};
    synth_wav(&b, K_S16, 1, 100, 0, 16000);
    const char *path = vt_tmp("audio_missing_soxr.wav");
    CHECK(write_file(path, b.p, b.n));
    free(b.p);
    voce_audio *a;
    CHECK_OK(vc_audio_open_with(path, NULL, &missing, &a));
    voce_audio_close(a);
    voce_audio_options o = voce_audio_options_default();
    o.sample_rate = 8000;
    CHECK_ERR(vc_audio_open_with(path, &o, &missing, &a), VOCE_ERR_UNSUPPORTED);
    CHECK(strstr(voce_last_error(), "16000 Hz to 8000 Hz needs libsoxr (libsoxr-missing.so.0)"));
}

/* ---- the resampler ---- */

static int have_soxr(void)
{
    voce_resampler *r;
    if (voce_resampler_create(48000, 16000, &r) == VOCE_OK) {
        voce_resampler_destroy(r);
        return 1;
    }
    vt_skip("%s", voce_last_error());
    return 0;
}

/* All output for x in blocks of `block` (0: one call), the tail flushed. cap_of_block
 * sizes each call's room: 0 for plenty, else n_in * out / in + 64 as the header allows. */
static float *resample(int in_rate, int out_rate, const float *x, size_t n, size_t block,
                       int tight, size_t *n_out)
{
    voce_resampler *r;
    if (voce_resampler_create(in_rate, out_rate, &r)) return NULL;
    size_t cap = (size_t)((double)n * out_rate / in_rate) + 100000, len = 0;
    float *y = malloc(cap * sizeof *y);
    voce_status st = VOCE_OK;
    if (!block) block = n;
    for (size_t i = 0; i < n && !st; i += block) {
        size_t m = n - i < block ? n - i : block, k;
        size_t room = tight ? (size_t)((double)m * out_rate / in_rate) + 64 : cap - len;
        st = voce_resampler_process(r, x + i, m, y + len, room, &k);
        len += k;
    }
    for (size_t k = 1; k > 0 && !st;) {     /* flush until nothing is left */
        size_t room = tight ? 64 : cap - len;
        st = voce_resampler_process(r, NULL, 0, y + len, room, &k);
        len += k;
    }
    voce_resampler_destroy(r);
    if (st) {
        free(y);
        return NULL;
    }
    *n_out = len;
    return y;
}

/* Amplitude and phase of frequency f in y (rate sr) by correlation with sin and cos. */
static void tone_fit(const float *y, size_t from, size_t to, double f, double sr, double *amp,
                     double *phase)
{
    double s = 0, c = 0;
    for (size_t k = from; k < to; k++) {
        double w = 2 * PI * f * (double)k / sr;
        s += y[k] * sin(w), c += y[k] * cos(w);
    }
    s *= 2.0 / (double)(to - from), c *= 2.0 / (double)(to - from);
    *amp = sqrt(s * s + c * c);
    *phase = atan2(c, s);
}

/* 48 kHz -> 16 kHz on a sweep from 100 Hz to 23 kHz: the passband keeps its level and
 * its time, what lies above the new Nyquist frequency does not fold back. */
static void test_resample_sweep(void)
{
    if (!have_soxr()) return;
    const double f0 = 100, f1 = 23000, T = 4.0, A = 0.5;
    const int in_rate = 48000, out_rate = 16000;
    size_t n = (size_t)(T * in_rate);
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / in_rate;
        x[i] = (float)(A * sin(2 * PI * (f0 * t + (f1 - f0) * t * t / (2 * T))));
    }
    size_t ny;
    float *y = resample(in_rate, out_rate, x, n, 0, 0, &ny);
    free(x);
    CHECK(y);
    CHECK_MSG(labs((long)ny - (long)(n / 3)) <= 2, "%zu samples for %zu", ny, n);
    const size_t W = 320;   /* 20 ms windows */
    double worst_gain = 0, worst_err = 0, worst_alias = -400;
    for (size_t k0 = 800; k0 + W + 800 < ny; k0 += W) {
        double fa = f0 + (f1 - f0) * (double)k0 / out_rate / T;
        double fb = f0 + (f1 - f0) * (double)(k0 + W) / out_rate / T;
        double yy = 0, ii = 0, err = 0;
        for (size_t k = k0; k < k0 + W; k++) {
            double t = (double)k / out_rate;
            double ideal = A * sin(2 * PI * (f0 * t + (f1 - f0) * t * t / (2 * T)));
            yy += (double)y[k] * y[k], ii += ideal * ideal;
            if (fabs(y[k] - ideal) > err) err = fabs(y[k] - ideal);
        }
        if (fb < 7000) {
            double g = 10 * log10(yy / ii);
            if (fabs(g) > fabs(worst_gain)) worst_gain = g;
            if (err > worst_err) worst_err = err;
        } else if (fa > 8500) {
            double level = 10 * log10(yy / W / (A * A / 2) + 1e-30);
            if (level > worst_alias) worst_alias = level;
        }
    }
    free(y);
    printf("  48k->16k sweep: passband gain within %.6f dB, largest error %.2e (of %.1f), "
           "alias above 8.5 kHz %.1f dB\n", worst_gain, worst_err, A, worst_alias);
    /* soxr's HQ recipe: 20-bit precision, passband flat to 0.01 dB up to 91% of the new
     * Nyquist frequency (7.3 kHz). Measured here: 2.8e-7 error, alias -137 dB. */
    CHECK_MSG(fabs(worst_gain) < 0.001, "passband gain %.5f dB", worst_gain);
    CHECK_MSG(worst_err < 1e-5, "passband error %.3g", worst_err);
    CHECK_MSG(worst_alias < -120, "aliasing at %.1f dB", worst_alias);
}

/* A tone comes out at the same time it went in (phase), an impulse at the same place. */
static void check_delay(int in_rate, int out_rate, double f)
{
    size_t n = (size_t)in_rate;
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = (float)(0.5 * sin(2 * PI * f * (double)i / in_rate));
    size_t ny;
    float *y = resample(in_rate, out_rate, x, n, 0, 0, &ny);
    CHECK(y);
    double amp, ph;
    tone_fit(y, ny / 4, ny - ny / 4, f, out_rate, &amp, &ph);
    double delay = -ph / (2 * PI * f) * out_rate;  /* in output samples */
    size_t want = (size_t)((double)n * out_rate / in_rate + 0.5);
    free(y);
    /* impulse at 0.25 s */
    memset(x, 0, n * sizeof *x);
    x[n / 4] = 1;
    y = resample(in_rate, out_rate, x, n, 0, 0, &ny);
    free(x);
    CHECK(y);
    size_t peak = 0;
    for (size_t k = 0; k < ny; k++)
        if (fabs(y[k]) > fabs(y[peak])) peak = k;
    size_t at = (size_t)((double)(n / 4) * out_rate / in_rate + 0.5);
    free(y);
    printf("  %d->%d: tone %.0f Hz gain %.6f dB, delay %.2e samples; impulse peak at %zu (input time %zu); "
           "%zu samples for %zu\n", in_rate, out_rate, f, 20 * log10(amp / 0.5), delay, peak, at, ny, n);
    CHECK_MSG(fabs(delay) < 0.001, "delay %.4f output samples", delay);
    CHECK_MSG(fabs(20 * log10(amp / 0.5)) < 0.001, "tone gain %.4f dB", 20 * log10(amp / 0.5));
    CHECK_MSG(peak == at, "impulse at %zu, expected %zu", peak, at);
    CHECK_MSG(labs((long)ny - (long)want) <= 2, "%zu samples, expected %zu", ny, want);
}

static void test_resample_delay(void)
{
    if (!have_soxr()) return;
    check_delay(48000, 16000, 1000);
    check_delay(44100, 16000, 440);
    check_delay(8000, 16000, 1000);
    check_delay(16000, 16000 * 3 / 2, 3000);
}

/* Up-sampling makes no images: a 3 kHz tone at 8 kHz -> 16 kHz has nothing at 5 kHz. */
static void test_resample_images(void)
{
    if (!have_soxr()) return;
    size_t n = 8000;
    float *x = malloc(n * sizeof *x);
    for (size_t i = 0; i < n; i++) x[i] = (float)(0.5 * sin(2 * PI * 3000 * (double)i / 8000));
    size_t ny;
    float *y = resample(8000, 16000, x, n, 0, 0, &ny);
    free(x);
    CHECK(y);
    double a3, a5, ph;
    tone_fit(y, 2000, ny - 2000, 3000, 16000, &a3, &ph);
    tone_fit(y, 2000, ny - 2000, 5000, 16000, &a5, &ph);
    free(y);
    double db = 20 * log10(a5 / a3 + 1e-30);
    printf("  8k->16k: image of 3 kHz at 5 kHz %.1f dB\n", db);
    CHECK_MSG(db < -120, "image at %.1f dB", db);
}

/* Blocks of 1, 7 and 4000 samples, and calls with only the room the header promises,
 * give exactly what one call gives. */
static void test_resample_streaming(void)
{
    if (!have_soxr()) return;
    static const int rates[][2] = {{48000, 16000}, {44100, 16000}, {8000, 16000}};
    for (int r = 0; r < 3; r++) {
        int in_rate = rates[r][0], out_rate = rates[r][1];
        size_t n = (size_t)in_rate * 3 / 2;
        float *x = malloc(n * sizeof *x);
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(0.4 * sin(2 * PI * 523 * (double)i / in_rate) + 0.1 * sin((double)i * (double)i * 1e-6));
        size_t n1;
        float *one = resample(in_rate, out_rate, x, n, 0, 0, &n1);
        CHECK(one);
        static const size_t blocks[] = {1, 7, 4000, 4000};
        for (int b = 0; b < 4; b++) {
            size_t nb;
            float *y = resample(in_rate, out_rate, x, n, blocks[b], b == 3, &nb);
            int same = y && nb == n1 && !memcmp(y, one, n1 * sizeof *y);
            free(y);
            CHECK_MSG(same, "%d->%d in blocks of %zu%s: %zu samples vs %zu, or different", in_rate,
                      out_rate, blocks[b], b == 3 ? " with tight room" : "", nb, n1);
        }
        free(one);
        free(x);
    }
}

static void test_resample_states(void)
{
    if (!have_soxr()) return;
    voce_resampler *r;
    CHECK_OK(voce_resampler_create(16000, 8000, &r));
    float x[100] = {0}, y[200];
    size_t k = 9;
    CHECK_ERR(voce_resampler_process(r, NULL, 5, y, 200, &k), VOCE_ERR_INVALID_ARG);
    CHECK(k == 0);
    CHECK_ERR(voce_resampler_process(r, x, 100, NULL, 10, &k), VOCE_ERR_INVALID_ARG);
    CHECK_ERR(voce_resampler_process(r, x, 100, y, 200, NULL), VOCE_ERR_INVALID_ARG);
    CHECK_OK(voce_resampler_process(r, x, 100, NULL, 0, &k));
    CHECK(k == 0);
    CHECK_OK(voce_resampler_process(r, NULL, 0, y, 200, &k));
    CHECK_ERR(voce_resampler_process(r, x, 100, y, 200, &k), VOCE_ERR_STATE);
    CHECK(strstr(voce_last_error(), "flushed"));
    voce_resampler_destroy(r);
}

/* The reader resamples files: the same samples as the resampler given the whole file. */
static void test_reader_resamples(void)
{
    if (!have_soxr()) return;
    bytes b = {0};
    synth_wav(&b, K_F32, 2, 48000 * 2 + 17, 0, 48000);
    const char *path = vt_tmp("audio_48k.wav");
    CHECK(write_file(path, b.p, b.n));
    free(b.p);
    size_t n48, n16, ny;
    float *x48 = read_all(path, NULL, 4096, &n48, NULL);
    CHECK(x48);
    float *want = resample(48000, 16000, x48, n48, 0, 0, &ny);
    free(x48);
    CHECK(want);
    voce_audio_options o = voce_audio_options_default();
    o.sample_rate = 16000;
    static const size_t blocks[] = {1, 100, 4096, 100000};
    for (int i = 0; i < 4; i++) {
        voce_audio_info info;
        float *x16 = read_all(path, &o, blocks[i], &n16, &info);
        int same = x16 && n16 == ny && !memcmp(x16, want, ny * sizeof *want);
        free(x16);
        CHECK_MSG(same, "reads of %zu: %zu samples, expected %zu", blocks[i], n16, ny);
        CHECK(info.sample_rate == 16000 && info.source_rate == 48000 && info.frames == 48000 * 2 + 17);
    }
    free(want);
    float *x;
    int rate;
    CHECK_OK(voce_audio_read_file(path, &o, &x, &n16, &rate));
    free(x);
    CHECK(n16 == ny && rate == 16000);
}

/* ---- raw PCM from pipes ---- */

static void put_f32(bytes *b, float v)
{
    uint32_t u;
    memcpy(&u, &v, 4);
    put_le(b, u, 4);
}

/* Write bytes [from, to) of b to fd. */
static int feed(int fd, const bytes *b, size_t from, size_t to)
{
    return write(fd, b->p + from, to - from) == (ssize_t)(to - from);
}

/* A pipe whose read end does not block: a read that would wait returns 0 samples
 * (EAGAIN), so that a reader that loses bytes fails here instead of waiting forever. */
static int nonblocking_pipe(int p[2])
{
    return pipe(p) == 0 && fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK) == 0;
}

static void test_raw_f32_pieces(void)
{
    int p[2];
    CHECK(nonblocking_pipe(p));
    bytes b = {0};
    for (int i = 0; i < 10; i++) put_f32(&b, (float)i * 0.125f - 0.5f);
    voce_audio *a;
    CHECK_OK(voce_audio_open_raw(p[0], VOCE_RAW_F32LE, 16000, 1, NULL, &a));
    voce_audio_info info;
    voce_audio_info_get(a, &info);
    CHECK(!strcmp(info.format, "raw f32le") && info.frames == -1 && info.sample_rate == 16000);
    /* pieces of 5, 3, 2, 1+9, 20 bytes: samples split across writes */
    static const size_t cuts[] = {0, 5, 8, 10, 20, 40};
    static const size_t want[] = {1, 1, 0, 3, 5};
    float x[64];
    size_t total = 0;
    for (int i = 0; i < 5; i++) {
        CHECK(feed(p[1], &b, cuts[i], cuts[i + 1]));
        CHECK(!voce_audio_at_end(a));
        size_t k;
        CHECK_OK(voce_audio_read(a, x + total, 64 - total, &k));
        CHECK_MSG(k == want[i], "piece %d: %zu samples, expected %zu", i, k, want[i]);
        total += k;
    }
    CHECK(total == 10);
    for (int i = 0; i < 10; i++) CHECK(x[i] == (float)i * 0.125f - 0.5f);
    /* a partial sample, then the end */
    CHECK(write(p[1], "\1\2\3", 3) == 3);
    close(p[1]);
    size_t k;
    CHECK(!voce_audio_at_end(a));
    CHECK_OK(voce_audio_read(a, x, 64, &k));
    CHECK(k == 0 && voce_audio_at_end(a));
    CHECK_OK(voce_audio_read(a, x, 64, &k));
    CHECK(k == 0);
    voce_audio_close(a);
    close(p[0]);
    free(b.p);
}

static void test_raw_s16_stereo(void)
{
    int p[2];
    CHECK(nonblocking_pipe(p));
    bytes b = {0};
    for (int i = 0; i < 8; i++) {
        put_le(&b, (uint64_t)(int64_t)(i * 1000 - 4000), 2);
        put_le(&b, (uint64_t)(int64_t)(-i * 333), 2);
    }
    voce_audio *a;
    CHECK_OK(voce_audio_open_raw(p[0], VOCE_RAW_S16LE, 8000, 2, NULL, &a));
    float x[16];
    size_t k, total = 0;
    CHECK(feed(p[1], &b, 0, 3));            /* a frame and a half sample short */
    CHECK_OK(voce_audio_read(a, x, 16, &k));
    CHECK(k == 0 && !voce_audio_at_end(a));
    CHECK(feed(p[1], &b, 3, 7));            /* one frame and 3 bytes */
    CHECK_OK(voce_audio_read(a, x, 16, &k));
    CHECK(k == 1);
    total += k;
    CHECK(feed(p[1], &b, 7, 32));
    close(p[1]);
    while (total < 16) {
        CHECK_OK(voce_audio_read(a, x + total, 16 - total, &k));
        if (k == 0) break;
        total += k;
    }
    CHECK(total == 8 && voce_audio_at_end(a));
    for (int i = 0; i < 8; i++)
        CHECK(x[i] == ((float)(i * 1000 - 4000) / 32768.0f + (float)(-i * 333) / 32768.0f) / 2.0f);
    voce_audio_close(a);
    close(p[0]);
    free(b.p);
}

static void on_alarm(int sig) { (void)sig; }

/* A signal during a read returns what there is (nothing), not the end. */
static void test_raw_eintr(void)
{
    int p[2];
    CHECK(pipe(p) == 0);
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;       /* no SA_RESTART: read(2) fails with EINTR */
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGALRM, &sa, &old) == 0);
    voce_audio *a;
    CHECK_OK(voce_audio_open_raw(p[0], VOCE_RAW_S16LE, 16000, 1, NULL, &a));
    /* repeating, so that a signal that comes before the read blocks is not the only one */
    struct itimerval it = {{0, 50000}, {0, 50000}}, stop = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &it, NULL);
    float x[8];
    size_t k = 99;
    voce_status st = voce_audio_read(a, x, 8, &k);
    setitimer(ITIMER_REAL, &stop, NULL);
    sigaction(SIGALRM, &old, NULL);
    CHECK_OK(st);
    CHECK(k == 0 && !voce_audio_at_end(a));
    CHECK(write(p[1], "\0\x40", 2) == 2);
    CHECK_OK(voce_audio_read(a, x, 8, &k));
    CHECK(k == 1 && x[0] == 0.5f);
    close(p[1]);
    CHECK_OK(voce_audio_read(a, x, 8, &k));
    CHECK(k == 0 && voce_audio_at_end(a));
    voce_audio_close(a);
    close(p[0]);
}

typedef struct writer_arg {
    int fd;
    const bytes *b;
} writer_arg;

static void *writer(void *p)
{
    writer_arg *w = p;
    /* uneven pieces, so that reads meet partial frames */
    for (size_t i = 0, step = 1; i < w->b->n; i += step, step = step * 7 % 4093 + 1) {
        size_t m = w->b->n - i < step ? w->b->n - i : step;
        if (write(w->fd, w->b->p + i, m) != (ssize_t)m) break;
    }
    close(w->fd);
    return NULL;
}

/* A 48 kHz stereo stream resampled to 16 kHz as it arrives equals the file's result. */
static void test_raw_resampled(void)
{
    if (!have_soxr()) return;
    size_t frames = 48000 + 123;
    bytes b = {0};
    float *mono = malloc(frames * sizeof *mono);
    for (size_t i = 0; i < frames; i++) {
        float l = (float)(0.3 * sin(2 * PI * 440 * (double)i / 48000));
        float r = (float)(0.2 * sin(2 * PI * 1000 * (double)i / 48000));
        put_f32(&b, l);
        put_f32(&b, r);
        mono[i] = (l + r) / 2.0f;
    }
    size_t ny;
    float *want = resample(48000, 16000, mono, frames, 0, 0, &ny);
    free(mono);
    CHECK(want);
    int p[2];
    CHECK(pipe(p) == 0);
    voce_audio_options o = voce_audio_options_default();
    o.sample_rate = 16000;
    voce_audio *a;
    CHECK_OK(voce_audio_open_raw(p[0], VOCE_RAW_F32LE, 48000, 2, &o, &a));
    writer_arg w = {p[1], &b};
    pthread_t t;
    CHECK(pthread_create(&t, NULL, writer, &w) == 0);
    float *y = malloc((ny + 1000) * sizeof *y);
    size_t total = 0, k;
    voce_status st;
    while (total <= ny && (st = voce_audio_read(a, y + total, 1000, &k)) == VOCE_OK &&
           (k > 0 || !voce_audio_at_end(a)))
        total += k;
    pthread_join(t, NULL);
    voce_audio_close(a);
    close(p[0]);
    int same = total == ny && !memcmp(y, want, ny * sizeof *y);
    free(y);
    free(want);
    free(b.p);
    CHECK_OK(st);
    CHECK_MSG(same, "%zu samples, expected %zu, or different", total, ny);
}

/* voce_audio_stop on a live stream whose writer is still there: what was read comes out
 * whole, the resampler's tail included, and then the end. */
static void test_raw_stop(void)
{
    if (!have_soxr()) return;
    bytes b = {0};
    for (int i = 0; i < 4800; i++) put_f32(&b, (float)(0.3 * sin(2 * PI * 300 * i / 48000.0)));
    int p[2];
    CHECK(nonblocking_pipe(p));
    CHECK(write(p[1], b.p, b.n) == (ssize_t)b.n);
    free(b.p);
    voce_audio_options o = voce_audio_options_default();
    o.sample_rate = 16000;
    voce_audio *a;
    CHECK_OK(voce_audio_open_raw(p[0], VOCE_RAW_F32LE, 48000, 1, &o, &a));
    float y[4000];
    size_t total = 0, k = 1;
    while (k > 0) { /* until the pipe is empty (the writer is still there) */
        CHECK_OK(voce_audio_read(a, y + total, 4000 - total, &k));
        total += k;
    }
    CHECK(!voce_audio_at_end(a));
    voce_audio_stop(a);
    do {
        CHECK_OK(voce_audio_read(a, y + total, 4000 - total, &k));
        total += k;
    } while (k > 0);
    int ended = voce_audio_at_end(a);
    voce_audio_close(a);
    close(p[0]);
    close(p[1]);
    CHECK(ended);
    CHECK_MSG(total == 1600, "%zu samples after stop, expected 1600", total);
}

/* ---- memory: a 10-minute file read in blocks ---- */

static long max_rss_kib(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss;
}

/* A 10-minute 16 kHz WAV of a known ramp, written in blocks; "" if it cannot be. */
static const char *ten_minutes(size_t *frames)
{
    static char path[4096];
    const int rate = 16000;
    *frames = (size_t)rate * 600;
    if (path[0]) return path;
    snprintf(path, sizeof path, "%s", vt_tmp("audio_10min.wav"));
    FILE *f = fopen(path, "wb");
    if (!f) return "";
    bytes h = {0};
    fmtspec fs = {1, 0, 1, (unsigned)rate, 16, 0, 0, 0};
    riff_begin(&h);
    fmt_chunk(&h, &fs);
    put_id(&h, "data");
    put_le(&h, *frames * 2, 4);
    int ok = fwrite(h.p, 1, h.n, f) == h.n;
    free(h.p);
    unsigned char blk[8192];
    for (size_t i = 0; i < *frames && ok; i += 4096) {
        size_t m = *frames - i < 4096 ? *frames - i : 4096;
        for (size_t j = 0; j < m; j++) {
            int v = (int)((i + j) % 65536) - 32768;
            blk[2 * j] = (unsigned char)(v & 0xFF);
            blk[2 * j + 1] = (unsigned char)((v >> 8) & 0xFF);
        }
        ok = fwrite(blk, 1, 2 * m, f) == 2 * m;
    }
    if (fclose(f) != 0 || !ok) path[0] = 0;
    return path;
}

/* Read the 10-minute file at out_rate (0: its own) in blocks of 4096; the peak RSS
 * must not grow with it. These run first, while the peak is still low. */
static void check_streaming_memory(int out_rate)
{
    size_t frames;
    const char *path = ten_minutes(&frames);
    CHECK_MSG(path[0], "cannot write the 10-minute file");
    voce_audio_options o = voce_audio_options_default();
    o.sample_rate = out_rate;
    voce_audio *a;
    CHECK_OK(voce_audio_open(path, &o, &a));
    float x[4096];
    size_t k, total = 0;
    int right = 1;
    CHECK_OK(voce_audio_read(a, x, 4096, &k));     /* buffers and libraries in place */
    total += k;
    long before = max_rss_kib();
    while (voce_audio_read(a, x, 4096, &k) == VOCE_OK && k > 0) {
        if (!out_rate)
            for (size_t j = 0; j < k; j++)
                right &= x[j] == (float)((int)((total + j) % 65536) - 32768) / 32768.0f;
        total += k;
    }
    long grown = max_rss_kib() - before;
    voce_audio_close(a);
    size_t want = out_rate ? frames / 2 : frames;
    printf("  10 min at 16 kHz read at %d Hz: %zu samples, max RSS grew %ld KiB\n",
           out_rate ? out_rate : 16000, total, grown);
    CHECK(right);
    CHECK_MSG(labs((long)total - (long)want) <= (out_rate ? 2 : 0), "%zu samples", total);
    /* the whole file as floats would be 37 MiB */
    CHECK_MSG(grown < 4096, "max RSS grew by %ld KiB reading %zu samples", grown, total);
}

static void test_streaming_memory(void) { check_streaming_memory(0); }

static void test_streaming_memory_resampled(void)
{
    if (have_soxr()) check_streaming_memory(8000);
    size_t frames;
    const char *path = ten_minutes(&frames);
    if (path[0]) remove(path);
}

int main(void)
{
    vt_run("streaming_memory", test_streaming_memory);
    vt_run("streaming_memory_resampled", test_streaming_memory_resampled);
    vt_run("wav_encodings", test_wav_encodings);
    vt_run("wav_exact_values", test_wav_exact_values);
    vt_run("wav_float_specials", test_wav_float_specials);
    vt_run("wav_chunks", test_wav_chunks);
    vt_run("wav_refusals", test_wav_refusals);
    vt_run("not_audio", test_not_audio);
    vt_run("api_errors", test_api_errors);
    vt_run("real_wavs", test_real_wavs);
    vt_run("flac_equals_wav", test_flac_equals_wav);
    vt_run("jfk_flac", test_jfk_flac);
    vt_run("lossy_formats", test_lossy_formats);
    vt_run("sox_flac", test_sox_flac);
    vt_run("missing_libraries", test_missing_libraries);
    vt_run("resample_sweep", test_resample_sweep);
    vt_run("resample_delay", test_resample_delay);
    vt_run("resample_images", test_resample_images);
    vt_run("resample_streaming", test_resample_streaming);
    vt_run("resample_states", test_resample_states);
    vt_run("reader_resamples", test_reader_resamples);
    vt_run("raw_f32_pieces", test_raw_f32_pieces);
    vt_run("raw_s16_stereo", test_raw_s16_stereo);
    vt_run("raw_eintr", test_raw_eintr);
    vt_run("raw_resampled", test_raw_resampled);
    vt_run("raw_stop", test_raw_stop);
    return vt_finish();
}
