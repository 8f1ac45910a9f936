/* The numbers behind token choice: log-softmax, argmax, and sampling from voce's own
 * seeded generator.
 *
 * decoding.py samples with torch.distributions.Categorical, whose draws depend on torch's
 * global generator and kernels; no C program can repeat them. voce draws from splitmix64
 * instead, one uniform double per unfinished sequence per step, and inverts the CDF of
 * softmax(logits / T) computed in double: the same seed gives the same text on every
 * machine, and tests/ref/whisper_decode_ref.py repeats it in Python. */
#include <math.h>

#include "models/whisper/decode_int.h"

#define GOLDEN 0x9E3779B97F4A7C15ull

double vc_whisper_lse(const float *row, int n)
{
    double m = -INFINITY;
    for (int i = 0; i < n; i++)
        if (row[i] > m) m = row[i];
    if (m == -INFINITY) return m;
    double s = 0;
    for (int i = 0; i < n; i++) s += exp((double)row[i] - m);
    return m + log(s);
}

/* torch's log_softmax is float32; the value in double rounded to float32 is within an
 * ulp or two of it, and the same in C and numpy. */
float vc_whisper_logprob(const float *row, double lse, int token)
{
    return (float)((double)row[token] - lse);
}

int vc_whisper_argmax(const float *row, int n)
{
    int best = 0;
    for (int i = 1; i < n; i++)
        if (row[i] > row[best]) best = i;
    return best;
}

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Attempt k of a window starts at an unrelated point of the sequence, not k steps on. */
uint64_t vc_whisper_rng_seed(uint64_t seed, int attempt)
{
    return mix64(seed + (uint64_t)(attempt + 1) * GOLDEN);
}

double vc_whisper_rng_uniform(uint64_t *state)
{
    *state += GOLDEN;
    return (double)(mix64(*state) >> 11) * 0x1.0p-53;
}

/* The first token whose cumulative weight exceeds u * total (weights summed in token
 * order, so that Python's cumsum gives the same numbers). */
int vc_whisper_sample(const float *row, int n, double temperature, double u, double *work)
{
    double m = -INFINITY;
    for (int i = 0; i < n; i++) {
        work[i] = (double)row[i] / temperature;
        if (work[i] > m) m = work[i];
    }
    double total = 0;
    for (int i = 0; i < n; i++) total += work[i] = exp(work[i] - m);
    double target = u * total, c = 0;
    int last = 0;
    for (int i = 0; i < n; i++) {
        if (work[i] == 0) continue;
        c += work[i];
        last = i;
        if (c > target) return i;
    }
    return last; /* u * total rounded up to total */
}
