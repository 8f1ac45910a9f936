/* The sliding-window geometry of Conv (conv.c), shared with the quantized convolution
 * (qconv.c), which gathers the same patches and multiplies them by quantized weights.
 *
 *   vc_conv_geom g;
 *   if (vc_conv_geom_init(node, x, kernel, &g)) return ...;   // strides, pads, grid
 *   vc_conv_im2col(&g, x_channels, C, l0, l1, col, threads);  // col [C * taps, l1 - l0]
 *
 * Limits: 1 to 3 spatial dims (inputs [N, C, D1, ...]). */
#ifndef VC_CONV_GEOM_H
#define VC_CONV_GEOM_H

#include "../../core/threads.h"
#include "../../runtime/graph.h"

#define VC_CONV_MAX_SP 3

/* The image is what the kernel slides over (the input of Conv and pooling, the output
 * of ConvTranspose); the grid is the set of window positions (their output, its input).
 * Grid position p with kernel tap t reads image index p * s - pb + t * d in every
 * spatial dim. */
typedef struct vc_conv_geom {
    int nsp;
    int64_t img[VC_CONV_MAX_SP], grid[VC_CONV_MAX_SP];
    int64_t k[VC_CONV_MAX_SP], s[VC_CONV_MAX_SP], d[VC_CONV_MAX_SP], pb[VC_CONV_MAX_SP], pe[VC_CONV_MAX_SP];
} vc_conv_geom;

/* The geometry of node n's window (Conv's attributes strides, dilations, pads, auto_pad)
 * over input x [N, C, D1, ...] with kernel extent kernel[nsp]. */
voce_status vc_conv_geom_init(const vc_node *n, const vc_tensor *x, const int64_t *kernel, vc_conv_geom *g);

/* Patches of grid positions [l0, l1) of one image of `channels` planes as columns:
 * col[(c * taps + t) * (l1 - l0) + l - l0], 0 in the padding; threads share channels
 * when the copy is large. */
void vc_conv_im2col(const vc_conv_geom *g, const float *img, int64_t channels, int64_t l0, int64_t l1,
                    float *col, vc_threads *t);

/* Grid positions per column tile for `rows` patch rows, so that a tile stays near 2^20
 * floats. */
int64_t vc_conv_col_tile(int64_t rows, int64_t positions);

#endif
