/* A state's batch rows reordered where they lie (state.h). */
#include <stdlib.h>
#include <string.h>

#include "../core/error.h"
#include "state.h"

/* Row k may be overwritten once every row still to be written that reads it has been
 * written: need[j] counts those readers of old row j. What is left when nothing can be
 * written are cycles (beams that swap places): one of their rows goes to tmp first,
 * and the cycle then unwinds to the row that reads it from tmp. Another cycle waits for
 * that one to close, so one row of tmp serves them all. */
voce_status vc_state_gather_rows(unsigned char *base, size_t row, int rows, const int *src, int n)
{
    if (rows < 1 || n < 0) return vc_error(VOCE_ERR_INVALID_ARG, "gather_rows: %d rows, %d wanted", rows, n);
    int *need = calloc((size_t)rows + (size_t)n + 1, sizeof *need), *todo = need + rows, left = 0, in_tmp = -1;
    unsigned char *tmp = NULL;
    if (!need) return vc_error(VOCE_ERR_NOMEM, "out of memory reordering state rows");
    for (int k = 0; k < n; k++)
        if (k >= rows || src[k] != k) {
            todo[k] = 1;
            need[src[k]]++;
            left++;
        }
    while (left) {
        int wrote = 0;
        for (int k = 0; k < n; k++) {
            if (!todo[k] || (k < rows && need[k] > 0)) continue;
            const unsigned char *from = src[k] == in_tmp ? tmp : base + (size_t)src[k] * row;
            memcpy(base + (size_t)k * row, from, row);
            todo[k] = 0;
            need[src[k]]--;
            left--;
            wrote = 1;
        }
        if (wrote) continue;
        int k = 0;
        while (!todo[k]) k++;
        if (!tmp && !(tmp = malloc(row ? row : 1))) {
            free(need);
            return vc_error(VOCE_ERR_NOMEM, "out of memory reordering state rows");
        }
        memcpy(tmp, base + (size_t)k * row, row);
        in_tmp = k;
        need[k] = 0;
    }
    free(tmp);
    free(need);
    return VOCE_OK;
}
