/* Model-family recipes, one file each (family_*.c); vc_family_expand dispatches. */
#ifndef VC_FAMILY_H
#define VC_FAMILY_H

#include "compiler.h"

/* Metadata entries for the expanded options; the values must live as long as the plan. */
void vc_family_int(vc_compile_options *x, const char *key, int64_t v);
void vc_family_ints(vc_compile_options *x, const char *key, const int64_t *v, int n);
void vc_family_string(vc_compile_options *x, const char *key, const char *v);
void vc_family_strings(vc_compile_options *x, const char *key, const char *const *v, int n);
void vc_family_blob(vc_compile_options *x, const char *key, const void *data, size_t size);

/* Keep a malloc'd block with the plan (freed by vc_family_plan_free); returns p, or NULL
 * (and frees p) when the plan has no room left. */
void *vc_family_keep(vc_family_plan *plan, void *p);

voce_status vc_family_silero_vad(const vc_compile_options *o, vc_family_plan *plan, vc_compile_options *out);

voce_status vc_family_whisper(const vc_compile_options *o, vc_family_plan *plan, vc_compile_options *out);

/* NeMo TDT / RNN-T and CTC exports (family_transducer.c). */
voce_status vc_family_transducer(const vc_compile_options *o, vc_family_plan *plan, vc_compile_options *out);
voce_status vc_family_ctc(const vc_compile_options *o, vc_family_plan *plan, vc_compile_options *out);

#endif
