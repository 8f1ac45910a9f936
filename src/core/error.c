/* Thread-local error messages and status names. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define VC_ERRMSG_MAX 1024

static _Thread_local char errmsg[VC_ERRMSG_MAX];

const char *voce_status_str(voce_status status)
{
    switch (status) {
    case VOCE_OK: return "ok";
    case VOCE_ERR_INVALID_ARG: return "invalid argument";
    case VOCE_ERR_IO: return "i/o error";
    case VOCE_ERR_FORMAT: return "format error";
    case VOCE_ERR_VERSION: return "unsupported version";
    case VOCE_ERR_UNSUPPORTED: return "unsupported";
    case VOCE_ERR_NOMEM: return "out of memory";
    case VOCE_ERR_SHAPE: return "shape error";
    case VOCE_ERR_DTYPE: return "dtype error";
    case VOCE_ERR_NOT_FOUND: return "not found";
    case VOCE_ERR_STATE: return "bad state";
    case VOCE_ERR_INTERNAL: return "internal error";
    case VOCE_ERR_ABORTED: return "aborted";
    }
    return "unknown status";
}

const char *voce_last_error(void) { return errmsg; }

void vc_error_clear(void) { errmsg[0] = 0; }

voce_status vc_error(voce_status status, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    va_end(ap);
    return status;
}

voce_status vc_error_prefix(voce_status status, const char *fmt, ...)
{
    char old[VC_ERRMSG_MAX];
    memcpy(old, errmsg, sizeof old);
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(errmsg, sizeof errmsg, fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof errmsg)
        snprintf(errmsg + n, sizeof errmsg - (size_t)n, "%s", old);
    return status;
}
