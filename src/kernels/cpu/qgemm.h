/* x86-64 kernels of voce:QLinear (src/kernels/ref/qlinear.h defines what they compute).
 *
 * Paths: weight-only modes (w8, w4) run C, AVX2 or AVX-512F, dequantizing 16 columns of
 * one k at a time in registers and FMA-ing them against a broadcast x. The 8da modes run
 * C, AVX2 (vpmaddubsw on activations split into 4-bit halves: products of a nibble and
 * an int8 summed in pairs stay within +-3840, so the int16 sums never saturate, and the
 * result is exact), AVX-VNNI (256-bit vpdpbusd) or AVX-512 VNNI (512-bit vpdpbusd).
 *
 * vc_qpath_active(dynamic) is the best path this CPU runs for the mode kind, within
 * vc_isa_active() (so VOCE_ISA lowers it) and, for VNNI, unless VOCE_VNNI=0 is set,
 * which selects the AVX2 fallback (read once per process, like VOCE_ISA). Tests call
 * vc_qgemm_blocks with every path vc_qpath_supported allows. */
#ifndef VC_QGEMM_H
#define VC_QGEMM_H

#include <stdint.h>

#include "../ref/qlinear.h"

typedef enum vc_qpath {
    VC_QPATH_C = 0,
    VC_QPATH_AVX2 = 1,       /* weight-only: AVX2 + FMA; 8da: AVX2 vpmaddubsw */
    VC_QPATH_AVX512 = 2,     /* weight-only only: AVX-512F */
    VC_QPATH_AVXVNNI = 3,    /* 8da only: AVX-VNNI */
    VC_QPATH_AVX512VNNI = 4, /* 8da only: AVX-512 VNNI + BW */
    VC_QPATH_COUNT
} vc_qpath;

const char *vc_qpath_name(vc_qpath p);

/* Can this CPU run path p for weight-only (dynamic = 0) or 8da (dynamic = 1) modes? */
int vc_qpath_supported(vc_qpath p, int dynamic);

vc_qpath vc_qpath_active(int dynamic);

/* Y rows [0, M), columns of the blocks [b0, b1) that lie below N, with path p (which
 * must be supported; VC_QPATH_C runs vc_qlinear_ref). xq / xs / zp as in
 * vc_qlinear_ref (8da modes). Each element is computed by the same instructions
 * whatever M, b0 and b1 are, so any split into calls gives the same bits. */
void vc_qgemm_blocks(vc_qpath p, const vc_qweights *q, int64_t M, const float *X,
                     const uint8_t *xq, const float *xs, const int32_t *zp, float *Y,
                     int64_t b0, int64_t b1);

#endif
