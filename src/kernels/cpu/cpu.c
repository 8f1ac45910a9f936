/* CPU feature detection and the process-wide ISA choice (see cpu.h).
 *
 * The choice is made once, under pthread_once, from __builtin_cpu_supports (which also
 * checks that the OS saves the wider registers) and the VOCE_ISA environment variable;
 * it is read-only afterwards, so concurrent methods on several threads see one answer. */
#include "cpu.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define VC_X86 1
#else
#define VC_X86 0
#endif

static const char *const isa_names[VC_ISA_COUNT] = {"c", "avx2", "avx512"};

const char *vc_isa_name(vc_isa isa)
{
    return isa >= VC_ISA_C && isa < VC_ISA_COUNT ? isa_names[isa] : NULL;
}

int vc_isa_supported(vc_isa isa)
{
    switch (isa) {
    case VC_ISA_C:
        return 1;
#if VC_X86
    case VC_ISA_AVX2:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
    case VC_ISA_AVX512:
        __builtin_cpu_init();
        return __builtin_cpu_supports("avx512f");
#endif
    default:
        return 0;
    }
}

/* The once-initialised choice: the only mutable static in the library's kernels. */
static pthread_once_t isa_once = PTHREAD_ONCE_INIT;
static vc_isa isa_choice = VC_ISA_C;

static void choose_isa(void)
{
    vc_isa best = VC_ISA_C;
    for (int i = VC_ISA_COUNT - 1; i > VC_ISA_C; i--)
        if (vc_isa_supported((vc_isa)i)) {
            best = (vc_isa)i;
            break;
        }
    /* VOCE_ISA can only lower the choice: asking for an ISA the CPU lacks must not crash */
    const char *env = getenv("VOCE_ISA");
    for (int i = 0; env && i < VC_ISA_COUNT; i++)
        if (!strcmp(env, isa_names[i]) && (vc_isa)i < best) best = (vc_isa)i;
    isa_choice = best;
}

vc_isa vc_isa_active(void)
{
    pthread_once(&isa_once, choose_isa);
    return isa_choice;
}
