/* Run-time loading of optional libraries (see dynlib.h). */
#include "dynlib.h"

#include <dlfcn.h>
#include <string.h>

#include "core/error.h"

voce_status vc_dynlib_open(const vc_dynlib_need *lib, const char *purpose, void **handle)
{
    /* RTLD_NODELETE: the codec libraries that libsndfile pulls in are not all safe to
     * unload and load again, and keeping them mapped makes the next open cheap. */
    *handle = dlopen(lib->soname, RTLD_NOW | RTLD_LOCAL | RTLD_NODELETE);
    if (*handle) return VOCE_OK;
    return vc_error(VOCE_ERR_UNSUPPORTED,
                    "%s needs %s (%s), which is not installed (Debian: apt install %s)",
                    purpose, lib->name, lib->soname, lib->package);
}

voce_status vc_dynlib_syms(void *handle, const vc_dynlib_need *lib, const vc_dynlib_sym *syms,
                           int n, void *table)
{
    for (int i = 0; i < n; i++) {
        void *p = dlsym(handle, syms[i].name);
        if (!p)
            return vc_error(VOCE_ERR_UNSUPPORTED, "%s (%s) has no function %s: too old?",
                            lib->name, lib->soname, syms[i].name);
        /* POSIX: a pointer from dlsym has the representation of the function pointer. */
        memcpy((char *)table + syms[i].offset, &p, sizeof p);
    }
    return VOCE_OK;
}

void vc_dynlib_close(void *handle)
{
    if (handle) dlclose(handle);
}
