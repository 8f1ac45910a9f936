/* Model-family recipes, one file each (family_*.c); vc_family_expand dispatches. */
#ifndef VC_FAMILY_H
#define VC_FAMILY_H

#include "compiler.h"

voce_status vc_family_silero_vad(const vc_compile_options *o, vc_family_plan *plan, vc_compile_options *out);

#endif
