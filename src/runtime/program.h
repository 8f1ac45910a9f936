/* Internal access to an open program's parsed file, for tools (voce info) and tests. */
#ifndef VC_PROGRAM_H
#define VC_PROGRAM_H

#include "../format/format.h"
#include "voce/runtime.h"

const vc_file *vc_program_file(const voce_program *prog);

#endif
