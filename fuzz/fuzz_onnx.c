/* libFuzzer target for the ONNX import: any byte string must either load or fail with
 * a status and a message, never crash, hang or leak. External data is refused (no base
 * directory), so the target never touches the file system. */
#include <stddef.h>
#include <stdint.h>

#include "compiler/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vc_onnx_model m;
    if (vc_onnx_load_memory(data, size, NULL, &m) == VOCE_OK) vc_onnx_free(&m);
    else vc_onnx_free(&m); /* a failed load leaves m empty: freeing it must be harmless */
    return 0;
}
