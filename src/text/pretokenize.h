/* The GPT-2 pre-tokenizer: splits text into the pieces that BPE then encodes one by one.
 *
 *   for (size_t pos = 0; pos < len;) {
 *       size_t end = vc_pretok_next(text, len, pos);
 *       ... encode text[pos, end) ...
 *       pos = end;
 *   }
 *
 * It does by hand what this regex (tiktoken's "gpt2" and openai-whisper's pattern) does
 * with leftmost-first alternation:
 *
 *   's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
 *
 * The contractions are case-sensitive and use ASCII ' only; the optional prefix is one
 * U+0020 space; \s is the White_Space property. Bytes that are not well-formed UTF-8 are
 * characters of their own of the class "other" (so they join punctuation runs). Every
 * piece is non-empty and the pieces tile the text.
 */
#ifndef VC_TEXT_PRETOKENIZE_H
#define VC_TEXT_PRETOKENIZE_H

#include <stddef.h>
#include <stdint.h>

/* End of the piece that starts at pos (pos < len); always > pos. */
size_t vc_pretok_next(const uint8_t *text, size_t len, size_t pos);

#endif
