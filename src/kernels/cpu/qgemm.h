/* Kernels of voce:QLinear (src/kernels/ref/qlinear.h defines what they compute).
 *
 *   vc_qpath p = vc_qpath_active(vc_qmode_dynamic(q.mode));
 *   vc_qgemm_blocks(p, &q, M, X, xq, xs, zp, Y, 0, (q.N + 15) / 16);
 *   // or, weight-only on many rows: vc_qgemm_panels(pool, p, &q, M, X, Y, scratch)
 *
 * Two ways to a weight-only product: vc_qgemm_blocks dequantizes 16 columns of one k
 * at a time in registers for every tile of rows (best for a few rows, a decoder step:
 * the weights are read once, 4 or 8 times smaller than f32), and vc_qgemm_panels
 * dequantizes a block of weights once into f32 and runs the f32 GEMM's micro-kernel over
 * all rows (an encoder's hundreds of rows: the f32 GEMM's speed). The op takes the
 * second from VC_QPANEL_MIN_ROWS rows.
 *
 * Paths. x86-64 (qgemm_x86.c): weight-only modes (w8, w4) run C, AVX2 or AVX-512F,
 * dequantizing 16 columns of one k at a time in registers and FMA-ing them against a
 * broadcast x. The 8da modes run C, AVX2 (vpmaddubsw on activations split into 4-bit
 * halves: products of a nibble and an int8 summed in pairs stay within +-3840, so the
 * int16 sums never saturate, and the result is exact), AVX-VNNI (256-bit vpdpbusd) or
 * AVX-512 VNNI (512-bit vpdpbusd).
 * AArch64 (qgemm_neon.c, qgemm_dotprod.c): weight-only modes run C or NEON (the same
 * dequantize-and-FMA scheme, 4 lanes per register); the 8da modes run C, NEON (SMULL +
 * SADALP: int8 x int8 products widened to int16, pairs added into int32) or the Armv8.2
 * dot product (SDOT, four int8 products per int32 lane). Both Arm 8da kernels take the
 * activations as int8 (xq - 128) and add 128 * wsum back at the end of each group.
 *
 * vc_qpath_active(dynamic) is the best path this CPU runs for the mode kind, within
 * vc_isa_active() (so VOCE_ISA lowers it) and, for VNNI, unless VOCE_VNNI=0 is set,
 * which selects the AVX2 fallback; for the Arm dot product, unless VOCE_DOTPROD=0 is
 * set, which selects the NEON fallback (each read once per process, like VOCE_ISA).
 * The 8da modes' activation rows are quantized with vc_qact_row_isa (AVX-512F, AVX2,
 * NEON: the reference's bits). Tests call vc_qgemm_blocks, vc_qgemm_panels and
 * vc_qact_row_isa with every path and ISA this CPU supports. */
#ifndef VC_QGEMM_H
#define VC_QGEMM_H

#include <stddef.h>
#include <stdint.h>

#include "../ref/qlinear.h"
#include "cpu.h"

typedef enum vc_qpath {
    VC_QPATH_C = 0,
    VC_QPATH_AVX2 = 1,       /* weight-only: AVX2 + FMA; 8da: AVX2 vpmaddubsw */
    VC_QPATH_AVX512 = 2,     /* weight-only only: AVX-512F */
    VC_QPATH_AVXVNNI = 3,    /* 8da only: AVX-VNNI */
    VC_QPATH_AVX512VNNI = 4, /* 8da only: AVX-512 VNNI + BW */
    VC_QPATH_NEON = 5,       /* weight-only: NEON FMA; 8da: NEON SMULL + SADALP */
    VC_QPATH_DOTPROD = 6,    /* 8da only: Armv8.2 SDOT (HWCAP_ASIMDDP) */
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

/* Weight-only modes on many rows (qgemm_panel.c): a block of K x N weights (the f32
 * GEMM's block sizes, K blocks in whole groups) at a time is dequantized into f32 panels in the layout of
 * vc_gemm_pack_b, and the f32 GEMM's packed micro-kernel of the path's ISA (AVX-512,
 * AVX2, NEON) runs every row against it; the weights stay packed in memory, only one
 * block is ever f32. Each element is f32(bias + sum_k X[m, k] * Wd[n, k]) summed as the
 * f32 GEMM sums it (FMA along k within each of its K blocks, blocks added in order,
 * bias first): other roundings than vc_qgemm_blocks when K spans several K blocks, within
 * qlinear.h's bound, and the same bits for any thread count.
 *
 * vc_qgemm_panel_bytes: the scratch that vc_qgemm_panels needs, 0 when path p has no
 * f32 packed kernel (VC_QPATH_C, a path this CPU lacks, 8da modes' paths) or the mode is
 * not weight-only. vc_qgemm_panels computes Y [M, N] (row stride N) from X [M, K] in
 * tasks on pool (NULL: the calling thread) and returns 0, or -1 having written nothing
 * useful when it cannot (no kernel; the f32 GEMM found no memory for a sliver): the
 * caller then runs vc_qgemm_blocks. Worth it from VC_QPANEL_MIN_ROWS rows (bench_qgemm). */
#define VC_QPANEL_MIN_ROWS 48
size_t vc_qgemm_panel_bytes(vc_qpath p, const vc_qweights *q);
int vc_qgemm_panels(vc_threads *pool, vc_qpath p, const vc_qweights *q, int64_t M, const float *X, float *Y,
                    void *scratch);

/* vc_qact_row (qlinear.h) with the vector code of isa (which the CPU must run; VC_ISA_C
 * is vc_qact_row itself): AVX-512F, AVX2 or NEON, the same bytes, scale and zero point
 * bit for bit (min / max are exact in any order; the divisions, roundings in the current
 * mode, clamps and conversions are the reference's, lane by lane). */
void vc_qact_row_isa(vc_isa isa, const float *x, int64_t K, uint8_t *xq, float *xs, int32_t *zp);

/* ---- What each architecture's file provides to qgemm.c (the only caller) ---- */

/* Rows of a call: the 8da activations (NULL in weight-only modes) and the output. */
typedef struct vc_qrows {
    const uint8_t *xq; /* rows of K bytes */
    const float *xs;
    const int32_t *zp;
    float *y; /* row stride N */
} vc_qrows;

/* Each *_run computes blocks [b0, b1) (b1 clamped, b0 < b1, M > 0) with path p and
 * returns 1, or returns 0 for a path that is not its own; each *_qact_row likewise
 * quantizes a row with isa's vector code, and each *_qdeq16 dequantizes `rows` k of one
 * block of 16 columns (w: the codes of its first k, an even one for w4; s: the group's
 * 16 scales) into d[r * ld + c] = f32(q * s[c]), or returns 0 for an ISA not its own. */
#if VC_CPU_X86
int vc_x86_qpath_supported(vc_qpath p, int dynamic); /* qgemm_x86.c */
vc_qpath vc_x86_qpath_active(int dynamic);
int vc_x86_qgemm_run(vc_qpath p, const vc_qweights *q, int64_t M, const float *X, const vc_qrows *x,
                     int64_t b0, int64_t b1);
int vc_x86_qact_row(vc_isa isa, const float *x, int64_t K, uint8_t *xq, float *xs, int32_t *zp);
int vc_x86_qdeq16(vc_isa isa, int w4, const uint8_t *w, const float *s, int64_t rows, float *d, int64_t ld);
#endif
#if VC_CPU_NEON
int vc_neon_qpath_supported(vc_qpath p, int dynamic); /* qgemm_neon.c */
vc_qpath vc_neon_qpath_active(int dynamic);
int vc_neon_qgemm_run(vc_qpath p, const vc_qweights *q, int64_t M, const float *X, const vc_qrows *x,
                      int64_t b0, int64_t b1);
int vc_neon_qact_row(vc_isa isa, const float *x, int64_t K, uint8_t *xq, float *xs, int32_t *zp);
int vc_neon_qdeq16(vc_isa isa, int w4, const uint8_t *w, const float *s, int64_t rows, float *d, int64_t ld);
/* qgemm_dotprod.c, compiled for Armv8.2-A + dotprod: whether it was (a build without the
 * per-file flag leaves it empty), and its 8da kernel, to call only on a CPU with SDOT. */
int vc_dotprod_qgemm_built(void);
void vc_dotprod_qgemm_blocks(const vc_qweights *q, int64_t M, const vc_qrows *x, int64_t b0, int64_t b1);
#endif

#endif
