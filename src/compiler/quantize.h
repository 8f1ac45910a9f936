/* Weight quantization at compile time (the pass is declared in passes.h): option
 * checks, the packer shared with the tests, and the metadata the pass leaves. */
#ifndef VC_QUANTIZE_H
#define VC_QUANTIZE_H

#include "../format/format.h"
#include "../kernels/ref/qlinear.h"
#include "compiler.h"
#include "passes.h"

/* Layers with fewer weights than this stay f32: they would save under 12 KiB and
 * cost accuracy and a kernel switch for nothing measurable. */
#define VC_QUANT_MIN_WEIGHTS 4096

/* Refuse options that cannot apply at all: an unknown mode, a group size other than
 * 32, 64, 128, skip patterns or a group size without a mode (VOCE_ERR_INVALID_ARG). */
voce_status vc_quant_check(const vc_quant_options *q);

/* Quantize W (N x K row-major f32, finite, K a multiple of G) and pack it in the
 * layout of qlinear.h: wq gets vc_qweight_dims bytes, scales and (8da modes) wsum
 * vc_qscale_dims elements. */
void vc_quant_pack(vc_qmode m, int64_t G, int64_t N, int64_t K, const float *W, uint8_t *wq, float *scales,
                   int32_t *wsum);

/* The same from codes already quantized: q (N x K, signed, in the mode's range) and the
 * scales s (N x K/G). */
void vc_quant_pack_codes(vc_qmode m, int64_t G, int64_t N, int64_t K, const int8_t *q, const float *s,
                         uint8_t *wq, float *scales);

/* quant.mode, quant.group_size, quant.layers, quant.layers_f32 and, when some layers
 * stayed f32, quant.f32_layers (STRINGS). Nothing when q->mode is NULL. */
voce_status vc_quant_write_meta(vc_writer *w, const vc_quant_options *q, const vc_quant_log *log);

void vc_quant_log_free(vc_quant_log *log);

#endif
