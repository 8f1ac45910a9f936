/* Element sizes and names of voce_dtype, and the library version string. */
#include "voce/voce.h"

size_t voce_dtype_size(voce_dtype dtype)
{
    switch (dtype) {
    case VOCE_DTYPE_F32: case VOCE_DTYPE_I32: case VOCE_DTYPE_U32: return 4;
    case VOCE_DTYPE_U8: case VOCE_DTYPE_I8: case VOCE_DTYPE_BOOL: return 1;
    case VOCE_DTYPE_U16: case VOCE_DTYPE_I16: case VOCE_DTYPE_F16: return 2;
    case VOCE_DTYPE_I64: case VOCE_DTYPE_U64: case VOCE_DTYPE_F64: return 8;
    case VOCE_DTYPE_UNDEFINED: return 0;
    }
    return 0;
}

const char *voce_dtype_name(voce_dtype dtype)
{
    switch (dtype) {
    case VOCE_DTYPE_F32: return "f32";
    case VOCE_DTYPE_U8: return "u8";
    case VOCE_DTYPE_I8: return "i8";
    case VOCE_DTYPE_U16: return "u16";
    case VOCE_DTYPE_I16: return "i16";
    case VOCE_DTYPE_I32: return "i32";
    case VOCE_DTYPE_I64: return "i64";
    case VOCE_DTYPE_BOOL: return "bool";
    case VOCE_DTYPE_F16: return "f16";
    case VOCE_DTYPE_F64: return "f64";
    case VOCE_DTYPE_U32: return "u32";
    case VOCE_DTYPE_U64: return "u64";
    case VOCE_DTYPE_UNDEFINED: return "?";
    }
    return "?";
}

#define VC_STR2(x) #x
#define VC_STR(x) VC_STR2(x)

const char *voce_version(void)
{
    return VC_STR(VOCE_VERSION_MAJOR) "." VC_STR(VOCE_VERSION_MINOR) "." VC_STR(VOCE_VERSION_PATCH);
}
