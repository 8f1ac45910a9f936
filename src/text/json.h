/* A small JSON reader for tokenizer files (vocab.json, tokenizer.json): the whole text
 * into a tree of nodes, strings decoded to UTF-8.
 *
 *   vc_json j;
 *   if (vc_json_parse(data, size, "tokenizer.json", &j) != VOCE_OK) return ...;
 *   const vc_json_node *model = vc_json_member(&j, vc_json_root(&j), "model");
 *   for (const vc_json_node *m = vc_json_child(&j, model); m; m = vc_json_next(&j, m))
 *       ... vc_json_key(&j, m, &len) ... m->type ...
 *   vc_json_free(&j);
 *
 * Strict RFC 8259 except that the bytes of strings are not checked to be UTF-8. Limits:
 * nesting 64 deep, texts under 4 GiB. Errors name the source and the byte offset.
 */
#ifndef VC_TEXT_JSON_H
#define VC_TEXT_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "voce/voce.h"

typedef enum vc_json_type {
    VC_JSON_NULL, VC_JSON_FALSE, VC_JSON_TRUE, VC_JSON_NUMBER, VC_JSON_STRING,
    VC_JSON_ARRAY, VC_JSON_OBJECT
} vc_json_type;

typedef struct vc_json_node {
    vc_json_type type;
    uint32_t child, next;   /* node indices + 1 (0: none): first child, next sibling */
    uint32_t key, key_len;  /* members of an object: the key in the string buffer */
    uint32_t str, str_len;  /* strings (decoded) and numbers (as written) */
} vc_json_node;

typedef struct vc_json {
    vc_json_node *node;
    uint32_t n, cap;
    char *buf;              /* decoded strings, each followed by a NUL */
    size_t buf_len, buf_cap;
} vc_json;

voce_status vc_json_parse(const void *data, size_t size, const char *what, vc_json *out);
void vc_json_free(vc_json *j);

const vc_json_node *vc_json_root(const vc_json *j);
const vc_json_node *vc_json_child(const vc_json *j, const vc_json_node *n);
const vc_json_node *vc_json_next(const vc_json *j, const vc_json_node *n);
/* Member of an object by key (the first if repeated); NULL if n is not an object or has
 * no such member. */
const vc_json_node *vc_json_member(const vc_json *j, const vc_json_node *n, const char *key);
const char *vc_json_key(const vc_json *j, const vc_json_node *n, size_t *len);
/* A string node's text (NUL-terminated; *len excludes the NUL), NULL for other types. */
const char *vc_json_string(const vc_json *j, const vc_json_node *n, size_t *len);
/* A number node holding an integer (no fraction, no exponent) in [min, max]. */
int vc_json_int(const vc_json *j, const vc_json_node *n, int64_t min, int64_t max, int64_t *out);

#endif
