/* Internal access to an open program's parsed file, for tools (voce info) and tests. */
#ifndef VC_PROGRAM_H
#define VC_PROGRAM_H

#include "../format/format.h"
#include "voce/runtime.h"

#include "exec.h"

const vc_file *vc_program_file(const voce_program *prog);

/* The executor of a method instance (tests read its allocation counters). */
const vc_exec *vc_method_exec(const voce_method *m);

#endif
