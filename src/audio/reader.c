/* Opening audio: the kind of file from its first bytes, then voce's WAV parser or
 * libsndfile; raw PCM from a descriptor; closing and describing what was opened. */
#include "audio/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audio/resample.h"
#include "audio/sniff.h"
#include "core/error.h"

#define MAX_RATE 1000000

voce_audio_options voce_audio_options_default(void)
{
    voce_audio_options o;
    memset(&o, 0, sizeof o);
    return o;
}

static voce_status check_options(const voce_audio_options *opt)
{
    if (opt->sample_rate < 0 || opt->sample_rate > MAX_RATE)
        return vc_error(VOCE_ERR_INVALID_ARG,
                        "audio options: sample_rate %d (0 keeps the source's, else 1 Hz to 1 MHz)",
                        opt->sample_rate);
    return VOCE_OK;
}

static voce_audio *audio_new(void)
{
    voce_audio *a = calloc(1, sizeof *a);
    if (a) a->fd = -1;
    return a;
}

/* The WAV parser's bytes: the sniffed head first, then the file. */
static ptrdiff_t file_read(void *ctx, void *buf, size_t n)
{
    voce_audio *a = ctx;
    unsigned char *b = buf;
    size_t got = 0;
    while (got < n && a->head_pos < a->head_len) b[got++] = a->head[a->head_pos++];
    while (got < n) {
        ssize_t k = read(a->fd, b + got, n - got);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) {
            vc_error(VOCE_ERR_IO, "reading %s: %s", a->path, strerror(errno));
            return -1;
        }
        if (k == 0) break;
        got += (size_t)k;
    }
    return (ptrdiff_t)got;
}

/* What the opened source is, for voce_audio_info_get. */
static void set_source(voce_audio *a, vc_audio_src src, int rate, int channels, int64_t frames, const char *format)
{
    a->src = src;
    a->info.source_rate = rate;
    a->info.channels = channels;
    a->info.frames = frames;
    snprintf(a->format, sizeof a->format, "%s", format);
}

static voce_status open_sndfile(voce_audio *a, vc_sniff_kind kind, const char *name,
                                const char *soname)
{
    char purpose[64];
    snprintf(purpose, sizeof purpose, "reading %s", name);
    vc_sndfile_api api;
    voce_status st = vc_sndfile_load(&api, soname, purpose);
    if (st && kind == VC_SNIFF_UNKNOWN) {
        char first[16] = "";
        for (size_t i = 0, len = 0; i < a->head_len && i < 4; i++, len = strlen(first))
            snprintf(first + len, sizeof first - len, "%s%02x", i ? " " : "", a->head[i]);
        return vc_error(VOCE_ERR_FORMAT,
                        "%s: not a WAV file, nor a format voce knows by its first bytes (%s); "
                        "libsndfile (%s), which reads more formats, is not installed",
                        a->path, first, soname);
    }
    if (st) return st;
    st = vc_sndfile_open(&a->snd, &api, a->fd, name, a->path);
    if (st) return st;
    set_source(a, VC_SRC_SNDFILE, a->snd.rate, a->snd.channels, a->snd.frames, a->snd.format);
    return VOCE_OK;
}

static voce_status open_file(voce_audio *a, const char *path, const vc_audio_libs *libs)
{
    a->path = malloc(strlen(path) + 1);
    if (!a->path) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    strcpy(a->path, path);
    a->fd = open(path, O_RDONLY | O_CLOEXEC);
    if (a->fd < 0) return vc_error(VOCE_ERR_IO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(a->fd, &st) != 0) return vc_error(VOCE_ERR_IO, "cannot stat %s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode)) return vc_error(VOCE_ERR_IO, "%s is a directory", path);
    ptrdiff_t n = file_read(a, a->head, VC_AUDIO_HEAD);
    if (n < 0) return VOCE_ERR_IO;
    a->head_len = (size_t)n;
    a->head_pos = 0;
    if (n == 0) return vc_error(VOCE_ERR_FORMAT, "%s: empty file", path);
    const char *name;
    vc_sniff_kind kind = vc_sniff(a->head, a->head_len, &name);
    if (kind != VC_SNIFF_WAV) return open_sndfile(a, kind, name, libs->sndfile);
    voce_status s = vc_wav_open(&a->wav, file_read, a, S_ISREG(st.st_mode) ? (int64_t)st.st_size : -1);
    if (s) return vc_error_prefix(s, "%s: ", path);
    set_source(a, VC_SRC_WAV, a->wav.rate, a->wav.channels, a->wav.frames, a->wav.format);
    return VOCE_OK;
}

voce_status vc_audio_open_with(const char *path, const voce_audio_options *opt,
                               const vc_audio_libs *libs, voce_audio **out)
{
    if (!out) return vc_error(VOCE_ERR_INVALID_ARG, "voce_audio_open: out is NULL");
    *out = NULL;
    if (!path) return vc_error(VOCE_ERR_INVALID_ARG, "voce_audio_open: path is NULL");
    voce_audio_options defaults = voce_audio_options_default();
    if (!opt) opt = &defaults;
    voce_status st = check_options(opt);
    if (st) return st;
    voce_audio *a = audio_new();
    if (!a) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    st = open_file(a, path, libs);
    if (!st) st = vc_audio_setup_rate(a, opt, libs->soxr);
    if (st) {
        voce_audio_close(a);
        return st;
    }
    *out = a;
    return VOCE_OK;
}

voce_status voce_audio_open(const char *path, const voce_audio_options *opt, voce_audio **out)
{
    const vc_audio_libs libs = {VC_SNDFILE_SONAME, VC_SOXR_SONAME};
    return vc_audio_open_with(path, opt, &libs, out);
}

voce_status voce_audio_open_raw(int fd, voce_raw_format format, int rate, int channels,
                                const voce_audio_options *opt, voce_audio **out)
{
    if (!out) return vc_error(VOCE_ERR_INVALID_ARG, "voce_audio_open_raw: out is NULL");
    *out = NULL;
    if (fd < 0) return vc_error(VOCE_ERR_INVALID_ARG, "voce_audio_open_raw: fd %d", fd);
    if (format != VOCE_RAW_F32LE && format != VOCE_RAW_S16LE)
        return vc_error(VOCE_ERR_INVALID_ARG, "voce_audio_open_raw: unknown raw format %d", (int)format);
    if (rate < 1 || rate > MAX_RATE)
        return vc_error(VOCE_ERR_INVALID_ARG, "voce_audio_open_raw: rate %d Hz (1 Hz to 1 MHz)", rate);
    if (channels < 1 || channels > VOCE_AUDIO_MAX_CHANNELS)
        return vc_error(VOCE_ERR_INVALID_ARG, "voce_audio_open_raw: %d channels (1 to %d)", channels,
                        VOCE_AUDIO_MAX_CHANNELS);
    voce_audio_options defaults = voce_audio_options_default();
    if (!opt) opt = &defaults;
    voce_status st = check_options(opt);
    if (st) return st;
    voce_audio *a = audio_new();
    if (!a) return vc_error(VOCE_ERR_NOMEM, "out of memory");
    int f32 = format == VOCE_RAW_F32LE;
    st = vc_raw_open(&a->raw, fd, f32 ? VC_PCM_F32 : VC_PCM_S16, channels);
    if (!st) {
        a->src = VC_SRC_RAW;
        a->info.source_rate = rate;
        a->info.channels = channels;
        a->info.frames = -1;
        snprintf(a->format, sizeof a->format, "%s", f32 ? "raw f32le" : "raw s16le");
        st = vc_audio_setup_rate(a, opt, VC_SOXR_SONAME);
    }
    if (st) {
        voce_audio_close(a);
        return st;
    }
    *out = a;
    return VOCE_OK;
}

int voce_audio_at_end(const voce_audio *a) { return a ? a->end : 1; }

void voce_audio_info_get(const voce_audio *a, voce_audio_info *info)
{
    if (!info) return;
    memset(info, 0, sizeof *info);
    if (!a) return;
    *info = a->info;
    info->format = a->format;
}

void voce_audio_close(voce_audio *a)
{
    if (!a) return;
    if (a->src == VC_SRC_WAV) vc_wav_close(&a->wav);
    if (a->src == VC_SRC_SNDFILE) vc_sndfile_close(&a->snd);
    if (a->src == VC_SRC_RAW) vc_raw_close(&a->raw);
    if (a->fd >= 0) close(a->fd);
    voce_resampler_destroy(a->rs);
    free(a->in);
    free(a->path);
    free(a);
}
