/* tiktoken files and sherpa-onnx's Whisper tokens.txt: "<base64 bytes> <rank>" per line,
 * rank = id. Empty lines are skipped and "\r\n" endings accepted; anything else that
 * does not fit the form is refused with its line number. */
#include <stdlib.h>

#include "core/error.h"
#include "text/bpe_int.h"

static int b64_value(uint8_t c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

/* Standard base64 with padding; out holds at least 3 * n / 4 bytes. Returns the decoded
 * length, or -1 if s[0, n) is not base64. Padding alone ("=") is the empty string, as
 * Python's b64decode reads it: multilingual.tiktoken has such a token. */
static long b64_decode(const uint8_t *s, size_t n, uint8_t *out)
{
    size_t eq = 0;
    while (eq < n && eq < 4 && s[eq] == '=') eq++;
    if (eq == n && n > 0) return 0;
    if (n == 0 || n % 4) return -1;
    size_t pad = s[n - 1] == '=' ? (s[n - 2] == '=' ? 2 : 1) : 0;
    size_t k = 0;
    for (size_t i = 0; i < n; i += 4) {
        int v[4];
        for (int j = 0; j < 4; j++) {
            int is_pad = i + (size_t)j >= n - pad;
            v[j] = is_pad ? 0 : b64_value(s[i + (size_t)j]);
            if (v[j] < 0) return -1;
        }
        uint32_t w = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 | (uint32_t)v[3];
        out[k++] = (uint8_t)(w >> 16);
        if (i + 4 < n || pad < 2) out[k++] = (uint8_t)(w >> 8);
        if (i + 4 < n || pad < 1) out[k++] = (uint8_t)w;
    }
    return (long)k;
}

static int is_blank(uint8_t c) { return c == ' ' || c == '\t'; }

/* One line (without its newline) into the builder. */
static voce_status parse_line(const uint8_t *s, size_t n, uint8_t *scratch, vc_bpe_build *bld,
                              const char *what, size_t line)
{
    size_t i = 0;
    while (i < n && !is_blank(s[i])) i++;
    size_t tok_end = i;
    while (i < n && is_blank(s[i])) i++;
    if (tok_end == 0 || i == tok_end || i == n)
        return vc_error(VOCE_ERR_FORMAT, "%s line %zu: expected \"<base64> <rank>\"", what, line);
    uint64_t rank = 0;
    size_t digits = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++, digits++) {
        rank = rank * 10 + (uint64_t)(s[i] - '0');
        if (rank > VC_BPE_MAX_ID)
            return vc_error(VOCE_ERR_FORMAT, "%s line %zu: rank beyond the limit of %d", what,
                            line, VC_BPE_MAX_ID);
    }
    while (i < n && is_blank(s[i])) i++;
    if (!digits || i != n)
        return vc_error(VOCE_ERR_FORMAT, "%s line %zu: the rank is not a decimal number", what, line);
    if (tok_end > 4 * ((VC_BPE_MAX_TOKEN_LEN + 2) / 3))
        return vc_error(VOCE_ERR_FORMAT, "%s line %zu: token longer than %d bytes", what, line,
                        VC_BPE_MAX_TOKEN_LEN);
    long len = b64_decode(s, tok_end, scratch);
    if (len < 0) return vc_error(VOCE_ERR_FORMAT, "%s line %zu: bad base64", what, line);
    voce_status st = vc_bpe_build_add(bld, scratch, (size_t)len, (uint32_t)rank, (uint32_t)rank);
    if (st) return vc_error_prefix(st, "%s line %zu: ", what, line);
    return VOCE_OK;
}

static voce_status load_lines(const void *data, size_t size, const char *what, vc_bpe **out)
{
    *out = NULL;
    if (!data && size) return vc_error(VOCE_ERR_INVALID_ARG, "%s: NULL data", what);
    const uint8_t *p = data;
    /* parse_line refuses base64 that would decode to more than this */
    uint8_t *scratch = malloc(VC_BPE_MAX_TOKEN_LEN + 3);
    if (!scratch) return vc_error(VOCE_ERR_NOMEM, "%s: out of memory", what);
    vc_bpe_build bld;
    vc_bpe_build_init(&bld);
    voce_status st = VOCE_OK;
    size_t line = 0;
    for (size_t pos = 0; pos < size && !st;) {
        const uint8_t *nl = memchr(p + pos, '\n', size - pos);
        size_t end = nl ? (size_t)(nl - p) : size, n = end - pos;
        line++;
        if (n && p[pos + n - 1] == '\r') n--;
        if (n > 4 * ((VC_BPE_MAX_TOKEN_LEN + 2) / 3) + 32)
            st = vc_error(VOCE_ERR_FORMAT, "%s line %zu: %zu bytes long (a token is at most %d)",
                          what, line, n, VC_BPE_MAX_TOKEN_LEN);
        else if (n)
            st = parse_line(p + pos, n, scratch, &bld, what, line);
        pos = end + 1;
    }
    free(scratch);
    if (st) {
        vc_bpe_build_free(&bld);
        return st;
    }
    return vc_bpe_build_finish(&bld, what, out);
}

voce_status vc_bpe_load_tiktoken(const void *data, size_t size, vc_bpe **out)
{
    return load_lines(data, size, "tiktoken file", out);
}

voce_status vc_bpe_load_sherpa_tokens(const void *data, size_t size, vc_bpe **out)
{
    return load_lines(data, size, "tokens.txt", out);
}
