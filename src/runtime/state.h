/* Method state: pairs of an input and an output of a method whose output value becomes
 * the input's value after every execute (KV caches, recurrent state), so that a caller
 * does not copy it back and a VC_OP_INPLACE node can update it where it lies.
 *
 * The pairs are written by the compiler as the program metadata string
 * "state.<method>" = "in:out[,in:out...]" (from the ONNX model's metadata_props key
 * "voce.state"; docs/format.md). Both ends must have the same declared dtype and shape.
 */
#ifndef VC_STATE_H
#define VC_STATE_H

#include <stdint.h>

#include "graph.h"
#include "voce/voce.h"

/* Parse spec against graph 0 of mg. out_of_in (n_in entries) gets, per input, the index
 * of the output that feeds it, else -1; in_of_out (n_out entries) the reverse. A name
 * that is no input / output, a mismatch of dtype or shape, or an input or output named
 * twice is an error naming it. spec NULL or "": no state. */
voce_status vc_state_parse(const char *spec, const vc_mgraph *mg, int32_t *out_of_in,
                           int32_t *in_of_out);

/* Reorder `rows` rows of `row` bytes at base in place (state_rows.c): afterwards row k
 * (k < n) holds what row src[k] held (each 0 <= src[k] < rows, checked by the caller).
 * base must have room for max(rows, n) rows. A beam search's cache reorder, without a
 * second copy of the cache. */
voce_status vc_state_gather_rows(unsigned char *base, size_t row, int rows, const int *src, int n);

#endif
