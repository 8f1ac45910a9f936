/* libFuzzer target for the ONNX import: any byte string must either load or fail with
 * a status and a message, never crash, hang or leak. External data is refused (no base
 * directory), so the target never touches the file system.
 *
 * Seed it with real models: the interesting paths are inside the graph, which random
 * bytes rarely reach. */
#include <stddef.h>
#include <stdint.h>

#include "compiler/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vc_onnx_model m;
    (void)vc_onnx_load_memory(data, size, NULL, &m);
    vc_onnx_free(&m); /* after a failure m is empty, and freeing it is harmless */
    return 0;
}
