/* A small JSON writer into a growing buffer. Allocation failures and misuse (a value
 * where a key belongs, unbalanced ends) are remembered, not returned by every call:
 * vc_jsonw_finish reports them.
 *
 *   vc_jsonw w;
 *   vc_jsonw_init(&w, 1);                     // 1: ", " and ": " as Python's json.dumps
 *   vc_jsonw_begin_object(&w);
 *   vc_jsonw_key(&w, "text");  vc_jsonw_string(&w, " Hello");
 *   vc_jsonw_key(&w, "start"); vc_jsonw_double(&w, 0.5);
 *   vc_jsonw_key(&w, "ids");   vc_jsonw_begin_array(&w); vc_jsonw_int(&w, 7); vc_jsonw_end_array(&w);
 *   vc_jsonw_end_object(&w);
 *   char *json; size_t len;
 *   if (vc_jsonw_finish(&w, &json, &len)) return ...;   // malloc'd; free() it
 *
 * Strings: UTF-8 passes through; '"', '\\' and control characters are escaped as
 * Python's json.dumps(ensure_ascii=False) does (\b \f \n \r \t, else \u00XX in lower
 * case); each ill-formed UTF-8 subpart becomes U+FFFD (core/utf8.h), so the output is
 * always valid JSON in valid UTF-8. A NUL in a counted string is written \u0000.
 *
 * Numbers: integers in decimal. Doubles with the fewest significant digits that read back
 * (strtod) to the same double; floats with the fewest that read back, through a double,
 * to the same float. The digits are laid out as Python's repr(float) does: positional for
 * decimal exponents -4 to 15 with at least one digit after the point ("0.5", "3.0",
 * "0.0001"), otherwise scientific with a signed exponent of at least two digits ("1e-05",
 * "1.5e+16"); a double's text is its repr(). NaN and infinities are written as null.
 *
 * Nesting is limited to VC_JSONW_MAX_DEPTH.
 */
#ifndef VC_CORE_JSON_H
#define VC_CORE_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

#define VC_JSONW_MAX_DEPTH 64

typedef struct vc_jsonw {
    vc_strbuf out;
    int spaced;         /* separators ", " and ": " instead of "," and ":" */
    int depth;
    uint64_t is_object; /* bit d: the container at depth d is an object */
    uint64_t has_item;  /* bit d: it has a member already */
    int want_value;     /* a key was written: its value comes next */
    int done;           /* the top-level value is complete */
    const char *misuse; /* the first misuse, for the message */
} vc_jsonw;

void vc_jsonw_init(vc_jsonw *w, int spaced);
void vc_jsonw_free(vc_jsonw *w);

void vc_jsonw_begin_object(vc_jsonw *w);
void vc_jsonw_end_object(vc_jsonw *w);
void vc_jsonw_begin_array(vc_jsonw *w);
void vc_jsonw_end_array(vc_jsonw *w);

/* A member's key (inside an object, before its value). */
void vc_jsonw_key(vc_jsonw *w, const char *key);

/* Values. A NULL string is written as null. */
void vc_jsonw_string(vc_jsonw *w, const char *s);
void vc_jsonw_string_n(vc_jsonw *w, const char *s, size_t n);
void vc_jsonw_int(vc_jsonw *w, int64_t v);
void vc_jsonw_double(vc_jsonw *w, double v);
void vc_jsonw_float(vc_jsonw *w, float v);
void vc_jsonw_bool(vc_jsonw *w, int v);
void vc_jsonw_null(vc_jsonw *w);

/* The text (malloc'd, NUL-terminated; *len may be NULL) of one complete value; w is left
 * empty either way. VOCE_ERR_NOMEM when an allocation failed, VOCE_ERR_INTERNAL naming
 * the misuse when the calls did not make one complete value. */
voce_status vc_jsonw_finish(vc_jsonw *w, char **out, size_t *len);

/* The number text vc_jsonw_double (is_float 0) or vc_jsonw_float (is_float 1, v holding
 * a float's value) writes, NUL-terminated into buf; "null" for NaN and infinities.
 * Returns its length. */
#define VC_JSONW_NUMBER_MAX 32
size_t vc_jsonw_format_number(double v, int is_float, char buf[VC_JSONW_NUMBER_MAX]);

#endif
