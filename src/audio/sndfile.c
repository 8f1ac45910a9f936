/* Files read through libsndfile (see sndfile.h). */
#include "audio/sndfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audio/pcm.h"
#include "core/error.h"
#include "voce/audio.h"

/* Interleaved floats per block: 16 frames or more at the channel limit. */
#define BLOCK_FLOATS 4096
#define MAX_RATE 1000000

static void format_name(int format, char *out, size_t cap)
{
    int major = format & VC_SF_FORMAT_TYPEMASK, sub = format & VC_SF_FORMAT_SUBMASK;
    const char *s = NULL;
    switch (major) {
    case VC_SF_FORMAT_FLAC: s = "flac"; break;
    case VC_SF_FORMAT_OGG:
        s = sub == VC_SF_FORMAT_VORBIS ? "ogg vorbis" : sub == VC_SF_FORMAT_OPUS ? "ogg opus" : "ogg";
        break;
    case VC_SF_FORMAT_MPEG: s = sub == VC_SF_FORMAT_MPEG_LAYER_III ? "mp3" : "mpeg"; break;
    case VC_SF_FORMAT_AIFF: s = "aiff"; break;
    case VC_SF_FORMAT_AU: s = "au"; break;
    case VC_SF_FORMAT_CAF: s = "caf"; break;
    case VC_SF_FORMAT_W64: s = "w64"; break;
    case VC_SF_FORMAT_WAV: s = "wav (libsndfile)"; break;
    }
    if (s) snprintf(out, cap, "%s", s);
    else snprintf(out, cap, "libsndfile 0x%06x", (unsigned)format);
}

/* "libsndfile-1.0.31" and the like: before 1.1, which added MP3 and Opus? */
static int before_1_1(const char *version)
{
    const char *d = strchr(version, '-');
    int major = 0, minor = 0;
    if (!d || sscanf(d + 1, "%d.%d", &major, &minor) != 2) return 0;
    return major < 1 || (major == 1 && minor < 1);
}

static voce_status open_failed(vc_sndfile *s, const char *what, const char *path)
{
    char version[64] = "";
    s->api.command(NULL, VC_SFC_GET_LIB_VERSION, version, (int)sizeof version);
    version[sizeof version - 1] = 0;
    const char *why = s->api.strerror(NULL);
    int hint = (!strcmp(what, "MP3") || !strcmp(what, "Ogg")) && before_1_1(version);
    return vc_error(VOCE_ERR_FORMAT, "%s: not readable as %s by %s: %s%s", path,
                    strcmp(what, "this file") ? what : "audio",
                    version[0] ? version : "libsndfile", why ? why : "unknown error",
                    hint ? " (MP3 and Opus need libsndfile 1.1 or later)" : "");
}

voce_status vc_sndfile_open(vc_sndfile *s, const vc_sndfile_api *api, int fd, const char *what,
                            const char *path)
{
    memset(s, 0, sizeof *s);
    s->api = *api;
    voce_status st = VOCE_OK;
    /* libsndfile reads the header from the start, where the magic bytes were sniffed. */
    if (lseek(fd, 0, SEEK_SET) != 0) {
        st = vc_error(VOCE_ERR_UNSUPPORTED, "%s: reading %s needs a seekable file, not a pipe (%s)",
                      path, what, strerror(errno));
        vc_sndfile_close(s);
        return st;
    }
    vc_sf_info info;
    memset(&info, 0, sizeof info);
    s->sf = s->api.open_fd(fd, VC_SFM_READ, &info, 0);
    if (!s->sf) {
        st = open_failed(s, what, path);
        vc_sndfile_close(s);
        return st;
    }
    if (info.channels < 1 || info.channels > VOCE_AUDIO_MAX_CHANNELS)
        st = vc_error(VOCE_ERR_UNSUPPORTED, "%s: %d channels (voce reads 1 to %d)", path,
                      info.channels, VOCE_AUDIO_MAX_CHANNELS);
    else if (info.samplerate < 1 || info.samplerate > MAX_RATE)
        st = vc_error(VOCE_ERR_UNSUPPORTED, "%s: sample rate %d Hz (voce reads 1 Hz to 1 MHz)", path,
                      info.samplerate);
    if (!st) {
        s->buf_frames = BLOCK_FLOATS / (size_t)info.channels;
        s->buf = malloc(BLOCK_FLOATS * sizeof *s->buf);
        if (!s->buf) st = vc_error(VOCE_ERR_NOMEM, "out of memory for a read buffer");
    }
    if (st) {
        vc_sndfile_close(s);
        return st;
    }
    s->rate = info.samplerate;
    s->channels = info.channels;
    /* libsndfile reports an unknown length (some MP3 streams) as the largest count. */
    s->frames = info.frames >= 0 && info.frames < INT64_MAX ? info.frames : -1;
    format_name(info.format, s->format, sizeof s->format);
    return VOCE_OK;
}

voce_status vc_sndfile_read(vc_sndfile *s, float *out, size_t max, size_t *n)
{
    *n = 0;
    while (*n < max && !s->done) {
        size_t want = max - *n < s->buf_frames ? max - *n : s->buf_frames;
        int64_t got = s->api.readf_float(s->sf, s->buf, (int64_t)want);
        if (got < 0 || (size_t)got > want)
            return vc_error(VOCE_ERR_INTERNAL, "libsndfile returned %lld frames for %zu",
                            (long long)got, want);
        if ((size_t)got < want) {
            s->done = 1;
            if (s->api.error(s->sf))
                return vc_error(VOCE_ERR_FORMAT, "libsndfile: %s", s->api.strerror(s->sf));
        }
        vc_mix_mono(s->buf, (size_t)got, s->channels, out + *n);
        *n += (size_t)got;
    }
    return VOCE_OK;
}

void vc_sndfile_close(vc_sndfile *s)
{
    if (s->sf) s->api.close(s->sf);
    vc_sndfile_unload(&s->api);
    free(s->buf);
    memset(s, 0, sizeof *s);
}
