/* Minimal WAV reading for tests and benchmarks: 16-bit PCM mono only (the shared test
 * files used with it are exactly that). The product's audio input lives in src/audio. */
#ifndef VT_WAVREAD_H
#define VT_WAVREAD_H

#include <stddef.h>

/* Samples scaled to [-1, 1) in a malloc'd array; NULL on any problem. */
float *vt_read_wav16(const char *path, size_t *n, int *rate);

#endif
