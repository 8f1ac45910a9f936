/* What kind of audio file the first bytes announce (never the file name). */
#ifndef VC_AUDIO_SNIFF_H
#define VC_AUDIO_SNIFF_H

#include <stddef.h>

typedef enum vc_sniff_kind {
    VC_SNIFF_WAV,        /* RIFF, RIFX, RF64: voce's own parser (which refuses the last two) */
    VC_SNIFF_SNDFILE,    /* a format libsndfile reads, named */
    VC_SNIFF_UNKNOWN     /* nothing recognised: libsndfile may still know it */
} vc_sniff_kind;

/* Kind of the file starting with head[0..n). *name receives a name for messages
 * ("FLAC", "Ogg", "MP3", ...; "this file" when unknown). */
vc_sniff_kind vc_sniff(const unsigned char *head, size_t n, const char **name);

#endif
