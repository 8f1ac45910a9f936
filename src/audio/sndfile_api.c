/* Loading libsndfile's functions (see sndfile.h). */
#include <stddef.h>
#include <string.h>

#include "audio/dynlib.h"
#include "audio/sndfile.h"

static const vc_dynlib_need sndfile_lib = {VC_SNDFILE_SONAME, "libsndfile", "libsndfile1"};

voce_status vc_sndfile_load(vc_sndfile_api *api, const char *soname, const char *purpose)
{
    static const vc_dynlib_sym syms[] = {
        {"sf_open_fd", offsetof(vc_sndfile_api, open_fd)},
        {"sf_open", offsetof(vc_sndfile_api, open)},
        {"sf_readf_float", offsetof(vc_sndfile_api, readf_float)},
        {"sf_writef_float", offsetof(vc_sndfile_api, writef_float)},
        {"sf_close", offsetof(vc_sndfile_api, close)},
        {"sf_error", offsetof(vc_sndfile_api, error)},
        {"sf_strerror", offsetof(vc_sndfile_api, strerror)},
        {"sf_command", offsetof(vc_sndfile_api, command)},
    };
    memset(api, 0, sizeof *api);
    vc_dynlib_need lib = sndfile_lib;
    lib.soname = soname;
    voce_status st = vc_dynlib_open(&lib, purpose, &api->lib);
    if (!st) st = vc_dynlib_syms(api->lib, &lib, syms, (int)(sizeof syms / sizeof syms[0]), api);
    if (st) vc_sndfile_unload(api);
    return st;
}

void vc_sndfile_unload(vc_sndfile_api *api)
{
    vc_dynlib_close(api->lib);
    memset(api, 0, sizeof *api);
}
