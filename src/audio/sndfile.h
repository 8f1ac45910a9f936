/* libsndfile, loaded at run time: FLAC, Ogg Vorbis/Opus, MP3, AIFF and its other formats.
 *
 * The few declarations voce needs are written here from libsndfile's documented ABI
 * (sndfile.h of libsndfile 1.x): an SNDFILE is an opaque pointer, sf_count_t is a
 * 64-bit signed integer, and SF_INFO is the struct below. */
#ifndef VC_AUDIO_SNDFILE_H
#define VC_AUDIO_SNDFILE_H

#include <stddef.h>
#include <stdint.h>

#include "voce/voce.h"

#define VC_SNDFILE_SONAME "libsndfile.so.1"

/* libsndfile's SF_INFO, field for field. */
typedef struct vc_sf_info {
    int64_t frames;
    int samplerate;
    int channels;
    int format;         /* major type | subtype, e.g. 0x170002: FLAC, 16-bit */
    int sections;
    int seekable;
} vc_sf_info;

/* Values from sndfile.h used by voce and its tests. */
enum {
    VC_SFM_READ = 0x10,
    VC_SFM_WRITE = 0x20,
    VC_SFC_GET_LIB_VERSION = 0x1000,
    VC_SF_FORMAT_TYPEMASK = 0x0FFF0000,
    VC_SF_FORMAT_SUBMASK = 0x0000FFFF,
    VC_SF_FORMAT_WAV = 0x010000,
    VC_SF_FORMAT_AIFF = 0x020000,
    VC_SF_FORMAT_AU = 0x030000,
    VC_SF_FORMAT_W64 = 0x0B0000,
    VC_SF_FORMAT_FLAC = 0x170000,
    VC_SF_FORMAT_CAF = 0x180000,
    VC_SF_FORMAT_OGG = 0x200000,
    VC_SF_FORMAT_MPEG = 0x230000,
    VC_SF_FORMAT_PCM_16 = 0x0002,
    VC_SF_FORMAT_PCM_24 = 0x0003,
    VC_SF_FORMAT_FLOAT = 0x0006,
    VC_SF_FORMAT_VORBIS = 0x0060,
    VC_SF_FORMAT_OPUS = 0x0064,
    VC_SF_FORMAT_MPEG_LAYER_III = 0x0082
};

/* The functions of one loaded libsndfile. */
typedef struct vc_sndfile_api {
    void *lib;
    void *(*open_fd)(int fd, int mode, vc_sf_info *info, int close_desc);
    void *(*open)(const char *path, int mode, vc_sf_info *info);
    int64_t (*readf_float)(void *sf, float *ptr, int64_t frames);
    int64_t (*writef_float)(void *sf, const float *ptr, int64_t frames);
    int (*close)(void *sf);
    int (*error)(void *sf);
    const char *(*strerror)(void *sf);
    int (*command)(void *sf, int cmd, void *data, int datasize);
} vc_sndfile_api;

/* Load libsndfile from soname (VC_SNDFILE_SONAME; tests pass others). purpose names
 * what it was needed for in the message when it is missing ("reading FLAC"). */
voce_status vc_sndfile_load(vc_sndfile_api *api, const char *soname, const char *purpose);
void vc_sndfile_unload(vc_sndfile_api *api);

/* A file read through libsndfile as mono blocks. */
typedef struct vc_sndfile {
    vc_sndfile_api api;
    void *sf;
    int rate;
    int channels;
    int64_t frames;         /* -1 if libsndfile does not know */
    char format[32];        /* "flac", "ogg vorbis", "mp3", ... */
    float *buf;             /* one block of interleaved frames */
    size_t buf_frames;
    int done;
} vc_sndfile;

/* Read the open, seekable file fd (left open; rewound here) with api, a loaded
 * libsndfile that s takes over (it is unloaded by vc_sndfile_close, or here on failure).
 * what names the format for messages ("FLAC", or "this file" when its first bytes were
 * not recognised), path names the file. On failure s needs no close. */
voce_status vc_sndfile_open(vc_sndfile *s, const vc_sndfile_api *api, int fd, const char *what,
                            const char *path);

/* Up to max mono samples; *n < max only at the end. */
voce_status vc_sndfile_read(vc_sndfile *s, float *out, size_t max, size_t *n);

void vc_sndfile_close(vc_sndfile *s);

#endif
