/* Analysis windows, written into a caller's array of n doubles. */
#ifndef VC_WINDOW_H
#define VC_WINDOW_H

#include <stddef.h>

typedef enum vc_window_kind {
    VC_WINDOW_HANN_PERIODIC = 1,  /* torch.hann_window(n, periodic=True): 0.5 - 0.5 cos(2 pi i / n) */
    VC_WINDOW_HANN_SYMMETRIC,     /* periodic=False: denominator n - 1 */
    VC_WINDOW_HAMMING_PERIODIC,   /* 0.54 - 0.46 cos(2 pi i / n) */
    VC_WINDOW_HAMMING_SYMMETRIC,
    VC_WINDOW_POVEY,              /* Kaldi: (0.5 - 0.5 cos(2 pi i / (n - 1)))^0.85 */
    VC_WINDOW_RECTANGULAR
} vc_window_kind;

/* n == 1 gives [1] for every kind, as torch does; an unknown kind gives ones. */
void vc_window(vc_window_kind kind, size_t n, double *w);

/* "hann", "hann_symmetric", "hamming", "hamming_symmetric", "povey", "rectangular";
 * 0 when unknown. */
vc_window_kind vc_window_parse(const char *name);

#endif
