/* Dispatch from a family name to its recipe. */
#include <string.h>

#include "../core/error.h"
#include "family.h"

const char *vc_family_names(void) { return "silero-vad"; }

voce_status vc_family_expand(const vc_compile_options *o, vc_family_plan *plan, vc_compile_options *out)
{
    memset(plan, 0, sizeof *plan);
    *out = *o;
    out->family = NULL;
    if (!strcmp(o->family, "silero-vad")) return vc_family_silero_vad(o, plan, out);
    return vc_error(VOCE_ERR_INVALID_ARG, "unknown model family '%s' (known: %s)", o->family, vc_family_names());
}
