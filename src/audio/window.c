/* Analysis windows, in double. */
#include "window.h"

#include <math.h>
#include <string.h>

static const double two_pi = 6.283185307179586476925286766559;

/* a - b cos(2 pi i / den): the generalised cosine window of Hann (0.5, 0.5) and
 * Hamming (0.54, 0.46). */
static double cosine(double a, double b, size_t i, size_t den)
{
    return a - b * cos(two_pi * (double)i / (double)den);
}

void vc_window(vc_window_kind kind, size_t n, double *w)
{
    /* One point: torch returns [1] for every kind (the symmetric denominator n - 1
     * would be zero). */
    if (n == 1) { w[0] = 1.0; return; }
    for (size_t i = 0; i < n; i++) {
        double v;
        switch (kind) {
        case VC_WINDOW_HANN_PERIODIC: v = cosine(0.5, 0.5, i, n); break;
        case VC_WINDOW_HANN_SYMMETRIC: v = cosine(0.5, 0.5, i, n - 1); break;
        case VC_WINDOW_HAMMING_PERIODIC: v = cosine(0.54, 0.46, i, n); break;
        case VC_WINDOW_HAMMING_SYMMETRIC: v = cosine(0.54, 0.46, i, n - 1); break;
        case VC_WINDOW_POVEY: v = pow(cosine(0.5, 0.5, i, n - 1), 0.85); break;
        default: v = 1.0; break; /* rectangular, and any unknown kind */
        }
        w[i] = v;
    }
}

vc_window_kind vc_window_parse(const char *name)
{
    static const struct { const char *name; vc_window_kind kind; } names[] = {
        {"hann", VC_WINDOW_HANN_PERIODIC},
        {"hann_symmetric", VC_WINDOW_HANN_SYMMETRIC},
        {"hamming", VC_WINDOW_HAMMING_PERIODIC},
        {"hamming_symmetric", VC_WINDOW_HAMMING_SYMMETRIC},
        {"povey", VC_WINDOW_POVEY},
        {"rectangular", VC_WINDOW_RECTANGULAR},
    };
    if (!name) return (vc_window_kind)0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i].name) == 0) return names[i].kind;
    return (vc_window_kind)0;
}
