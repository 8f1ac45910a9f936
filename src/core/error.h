/* Error reporting inside the library: set the thread-local message and return the code.
 *
 *   if (n < 0) return vc_error(VOCE_ERR_SHAPE, "Reshape '%s': negative size", name);
 */
#ifndef VC_ERROR_H
#define VC_ERROR_H

#include "voce/voce.h"

#if defined(__GNUC__)
#define VC_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define VC_PRINTF(a, b)
#endif

/* Record a message for voce_last_error() and return status. */
voce_status vc_error(voce_status status, const char *fmt, ...) VC_PRINTF(2, 3);

/* Prefix the current message with more context ("node 'x': " + old message). */
voce_status vc_error_prefix(voce_status status, const char *fmt, ...) VC_PRINTF(2, 3);

void vc_error_clear(void);

#endif
