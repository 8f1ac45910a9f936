/* Optional libraries loaded at run time (libsndfile, libsoxr), so that voce builds and
 * links without them and uses them when they are installed. */
#ifndef VC_AUDIO_DYNLIB_H
#define VC_AUDIO_DYNLIB_H

#include <stddef.h>

#include "voce/voce.h"

/* What a missing library is needed for, for the error message. */
typedef struct vc_dynlib_need {
    const char *soname;     /* "libsndfile.so.1" */
    const char *name;       /* "libsndfile" */
    const char *package;    /* Debian package, "libsndfile1" */
} vc_dynlib_need;

/* dlopen lib->soname into *handle. On failure: VOCE_ERR_UNSUPPORTED with
 * "<purpose> needs <name> (<soname>), which is not installed (Debian: apt install
 * <package>)", e.g. purpose "reading FLAC". Each handle is closed with vc_dynlib_close;
 * the library stays mapped once loaded (RTLD_NODELETE), so opening it per object costs
 * a lookup, not a load, and no global state is needed. */
voce_status vc_dynlib_open(const vc_dynlib_need *lib, const char *purpose, void **handle);

/* A function to look up and where it goes: the offset of a function-pointer field in
 * the caller's table struct. */
typedef struct vc_dynlib_sym {
    const char *name;
    size_t offset;
} vc_dynlib_sym;

/* Fill the function pointers of table from n symbols. VOCE_ERR_UNSUPPORTED naming the
 * first one missing. */
voce_status vc_dynlib_syms(void *handle, const vc_dynlib_need *lib, const vc_dynlib_sym *syms,
                           int n, void *table);

void vc_dynlib_close(void *handle);

#endif
