/* CPU feature detection, the process-wide ISA choice and the kernel lookups (see cpu.h).
 *
 * The choice is made once, under pthread_once, from what the CPU supports and the
 * VOCE_ISA environment variable; it is read-only afterwards, so concurrent methods on
 * several threads see one answer. On x86-64 __builtin_cpu_supports answers (it also
 * checks that the OS saves the wider registers); on AArch64 NEON is in the baseline. */
#include "cpu.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#if VC_CPU_NEON && defined(__linux__)
#include <sys/auxv.h>
#ifndef HWCAP_ASIMDDP /* older libc headers: the bit is fixed by the kernel's ABI */
#define HWCAP_ASIMDDP (1UL << 20)
#endif
#endif

static const char *const isa_names[VC_ISA_COUNT] = {"c", "neon", "avx2", "avx512"};

const char *vc_isa_name(vc_isa isa)
{
    return isa >= VC_ISA_C && isa < VC_ISA_COUNT ? isa_names[isa] : NULL;
}

int vc_isa_supported(vc_isa isa)
{
    switch (isa) {
    case VC_ISA_C:
        return 1;
#if VC_CPU_NEON
    case VC_ISA_NEON:
        return 1;
#endif
#if VC_CPU_X86
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

int vc_cpu_has_arm_dotprod(void)
{
#if VC_CPU_NEON && defined(__linux__)
    return (getauxval(AT_HWCAP) & HWCAP_ASIMDDP) != 0;
#else
    return 0;
#endif
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
    /* VOCE_ISA can only lower the choice, and only to an ISA this CPU runs: a name from
     * another architecture (avx2 on Arm, neon on x86) or one the CPU lacks is ignored
     * rather than allowed to crash or to silently mean "no kernels". */
    const char *env = getenv("VOCE_ISA");
    for (int i = 0; env && i < VC_ISA_COUNT; i++)
        if (!strcmp(env, isa_names[i]) && (vc_isa)i < best && vc_isa_supported((vc_isa)i))
            best = (vc_isa)i;
    isa_choice = best;
}

vc_isa vc_isa_active(void)
{
    pthread_once(&isa_once, choose_isa);
    return isa_choice;
}

vc_dot_kernel vc_dot_kernel_for(vc_isa isa)
{
    switch (isa) {
#if VC_CPU_X86
    case VC_ISA_AVX2:
    case VC_ISA_AVX512:
        return vc_x86_dot_kernel(isa);
#endif
#if VC_CPU_NEON
    case VC_ISA_NEON:
        return vc_neon_dot_kernel();
#endif
    default:
        return (vc_dot_kernel){NULL, 0};
    }
}

vc_gemm_kernel vc_gemm_kernel_for(vc_isa isa)
{
    switch (isa) {
#if VC_CPU_X86
    case VC_ISA_AVX2:
    case VC_ISA_AVX512:
        return vc_x86_gemm_kernel(isa);
#endif
#if VC_CPU_NEON
    case VC_ISA_NEON:
        return vc_neon_gemm_kernel();
#endif
    default:
        return (vc_gemm_kernel){NULL, NULL, 0, 0, 0, 0, NULL};
    }
}
