/* Dispatch from a family name to its recipe. */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "family.h"

const char *vc_family_names(void) { return "silero-vad, whisper, transducer, ctc"; }

static void add(vc_compile_options *x, vc_meta m) { x->typed_meta[x->n_typed_meta++] = m; }

void vc_family_int(vc_compile_options *x, const char *key, int64_t v)
{
    add(x, (vc_meta){.key = key, .type = VOCE_META_INT, .i = v});
}

void vc_family_ints(vc_compile_options *x, const char *key, const int64_t *v, int n)
{
    add(x, (vc_meta){.key = key, .type = VOCE_META_INTS, .data = v, .count = (uint64_t)n});
}

void vc_family_string(vc_compile_options *x, const char *key, const char *v)
{
    add(x, (vc_meta){.key = key, .type = VOCE_META_STRING, .s = v});
}

void vc_family_strings(vc_compile_options *x, const char *key, const char *const *v, int n)
{
    add(x, (vc_meta){.key = key, .type = VOCE_META_STRINGS, .strings = v, .count = (uint64_t)n});
}

void vc_family_blob(vc_compile_options *x, const char *key, const void *data, size_t size)
{
    add(x, (vc_meta){.key = key, .type = VOCE_META_BLOB, .data = data, .count = size});
}

void *vc_family_keep(vc_family_plan *plan, void *p)
{
    if (!p || plan->n_owned == VC_FAMILY_OWNED) {
        free(p);
        return NULL;
    }
    return plan->owned[plan->n_owned++] = p;
}

void vc_family_plan_free(vc_family_plan *plan)
{
    for (int i = 0; i < plan->n_owned; i++) free(plan->owned[i]);
    plan->n_owned = 0;
}

voce_status vc_family_expand(const vc_compile_options *o, vc_family_plan *plan, vc_compile_options *out)
{
    memset(plan, 0, sizeof *plan);
    *out = *o;
    out->family = NULL;
    if (!strcmp(o->family, "silero-vad")) return vc_family_silero_vad(o, plan, out);
    if (!strcmp(o->family, "whisper")) return vc_family_whisper(o, plan, out);
    if (!strcmp(o->family, "transducer")) return vc_family_transducer(o, plan, out);
    if (!strcmp(o->family, "ctc")) return vc_family_ctc(o, plan, out);
    return vc_error(VOCE_ERR_INVALID_ARG, "unknown model family '%s' (known: %s)", o->family, vc_family_names());
}
