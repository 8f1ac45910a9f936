/* Byte-level BPE tokenizer (GPT-2, Whisper, tiktoken): text <-> token ids.
 *
 *   vc_bpe *bpe;
 *   if (vc_bpe_load_tiktoken(file_bytes, file_size, &bpe) != VOCE_OK) return ...;
 *   int32_t *ids; size_t n;
 *   vc_bpe_encode(bpe, "Hello world", 11, 0, &ids, &n);   // ids: free()
 *   char *text; size_t len;
 *   vc_bpe_decode_alloc(bpe, ids, n, &text, &len);         // text: free(), NUL-terminated
 *   free(ids); free(text); vc_bpe_free(bpe);
 *
 * The model, whichever file it came from: ordinary tokens (byte strings with ids, all 256
 * single bytes among them), a merge rank for each (lower merges first) and special
 * tokens (a text and an id, never produced by merging). A loaded handle is read-only:
 * several threads may encode and decode with it at once.
 *
 * Encoding is tiktoken's: the text is cut into pieces by the GPT-2 pattern (pretokenize.h);
 * a piece that is itself a ranked token gives that token; otherwise its bytes are merged
 * pairwise, always the adjacent pair whose concatenation is the token of lowest rank (the
 * leftmost such pair on ties) until no adjacent pair forms a ranked token.
 *
 * Merge ranks per source:
 *   - tiktoken / sherpa-onnx tokens.txt: rank = id (the files' rank column is the id).
 *   - Hugging Face merges.txt / tokenizer.json: the line "a b" at index k gives the token
 *     a+b rank k (the first line wins if two lines make the same bytes). A multi-byte
 *     token that no merge makes is never formed by merging (it still decodes).
 *   When ranks order the tokens exactly as their ids (true of GPT-2 and Whisper), they
 *     are replaced by rank = id, so every source of the same vocabulary gives the same
 *     model and the same blob.
 *
 * Special tokens are plain text to vc_bpe_encode unless flags has VC_BPE_SPECIAL; then
 * every occurrence of a special token's text becomes its id (the longest text when two
 * start at the same byte). Unlike tiktoken's encode(), special text without the flag is
 * not an error: it is encoded as ordinary text (tiktoken's encode_ordinary).
 *
 * Invalid UTF-8 never fails: each byte that is not part of a well-formed sequence counts
 * as one character of the class "other" (punctuation) when splitting, and BPE encodes
 * its byte like any other, so decode(encode(x)) == x for any bytes x.
 *
 * LIMITS. Text to encode: less than 4 GiB. A piece (a run of letters, digits, others or
 * spaces, e.g. 1 MB of text with no spaces) is merged in O(n log n) time with a heap once
 * longer than 64 bytes, using about 36 bytes of scratch memory per byte of the longest
 * piece; shorter pieces use a linear scan. Token ids: 0 to 2^24 - 1. Ordinary ids may
 * leave gaps, adding up to at most the number of tokens (specials included, in a blob)
 * plus 256. A token, ordinary or special, is at most 65534 bytes. One ordinary token may
 * be empty (Whisper's multilingual.tiktoken has one, "=", at 50256): it decodes to
 * nothing and is never produced. Loaders refuse anything beyond these with an error.
 */
#ifndef VC_TEXT_BPE_H
#define VC_TEXT_BPE_H

#include <stddef.h>
#include <stdint.h>

#include "voce/voce.h"

typedef struct vc_bpe vc_bpe;

#define VC_BPE_MAX_ID ((1 << 24) - 1)
#define VC_BPE_MAX_TOKEN_LEN 65534

/* vc_bpe_encode flag: turn special tokens' text into their ids. */
#define VC_BPE_SPECIAL 1u

/* --- loading: each returns a new handle in *out (vc_bpe_free it) ---------------------- */

/* A tiktoken file: one line per token, "<base64 of the bytes> <rank>" (rank = id). */
voce_status vc_bpe_load_tiktoken(const void *data, size_t size, vc_bpe **out);

/* sherpa-onnx's Whisper tokens.txt (scripts/whisper/export-onnx.py writes the tiktoken
 * file's lines unchanged: "<base64> <id>"); only the messages differ. */
voce_status vc_bpe_load_sherpa_tokens(const void *data, size_t size, vc_bpe **out);

/* Hugging Face vocab.json (token string -> id, in GPT-2's byte-to-unicode alphabet) and
 * merges.txt ("a b" per line; a first line "#version..." is skipped). An entry of
 * vocab.json whose string does not map to bytes this way is refused. */
voce_status vc_bpe_load_hf_vocab(const void *vocab_json, size_t vocab_size,
                                 const void *merges_txt, size_t merges_size, vc_bpe **out);

/* Hugging Face tokenizer.json: model.vocab and model.merges (strings "a b" or pairs
 * ["a", "b"]) as above; every entry of added_tokens becomes a special token (and leaves
 * the ordinary vocabulary if model.vocab also holds its id). */
voce_status vc_bpe_load_hf_tokenizer(const void *data, size_t size, vc_bpe **out);

/* voce's compact form (vc_bpe_save_blob), e.g. from a program's metadata. Every field
 * is checked; a corrupt blob gives VOCE_ERR_FORMAT naming what is wrong. */
voce_status vc_bpe_load_blob(const void *data, size_t size, vc_bpe **out);

/* Serialize to a new malloc'd blob (free() it). Same model -> same bytes. */
voce_status vc_bpe_save_blob(const vc_bpe *bpe, void **blob, size_t *size);

void vc_bpe_free(vc_bpe *bpe);

/* --- special tokens ------------------------------------------------------------------- */

/* Register a special token. Adding the same (text, id) again is a no-op. Refused: an id
 * or text that another special already has, an id beyond VC_BPE_MAX_ID, an empty text,
 * and an id that an ordinary token holds unless that token's bytes are exactly text (it
 * then stops being ordinary: Hugging Face vocab.json lists <|endoftext|> that way). */
voce_status vc_bpe_add_special(vc_bpe *bpe, const char *text, size_t len, int32_t id);

size_t vc_bpe_n_special(const vc_bpe *bpe);
/* The i-th special token, in the order added (text is not NUL-terminated). */
voce_status vc_bpe_special_at(const vc_bpe *bpe, size_t i, const char **text, size_t *len,
                              int32_t *id);
/* Id of the special token with exactly this text; VOCE_ERR_NOT_FOUND if none. */
voce_status vc_bpe_special_id(const vc_bpe *bpe, const char *text, size_t len, int32_t *id);
int vc_bpe_is_special(const vc_bpe *bpe, int32_t id);

/* --- vocabulary ----------------------------------------------------------------------- */

/* 1 + the highest id, ordinary or special. */
int32_t vc_bpe_n_vocab(const vc_bpe *bpe);
/* How many ordinary tokens there are (50256 for GPT-2's file, 50257 for Whisper's
 * multilingual one). */
int32_t vc_bpe_n_ordinary(const vc_bpe *bpe);
/* Id of the ordinary token with exactly these bytes; VOCE_ERR_NOT_FOUND if none. */
voce_status vc_bpe_token_id(const vc_bpe *bpe, const void *bytes, size_t len, int32_t *id);

/* --- encoding and decoding ------------------------------------------------------------ */

/* Encode len bytes of text; *ids is malloc'd (free() it; NULL when *n is 0). */
voce_status vc_bpe_encode(const vc_bpe *bpe, const char *text, size_t len, unsigned flags,
                          int32_t **ids, size_t *n);

/* The bytes of one token, ordinary or special (a special gives its text). They stay
 * valid while bpe lives; not NUL-terminated, and an ordinary token may be a part of a
 * UTF-8 character. An unknown id gives VOCE_ERR_NOT_FOUND naming it. */
voce_status vc_bpe_token_bytes(const vc_bpe *bpe, int32_t id, const char **bytes, size_t *len);

/* Concatenated bytes of n tokens into buf. *len receives the total size either way;
 * when it exceeds cap nothing is written and VOCE_ERR_INVALID_ARG is returned, so a
 * first call with cap 0 measures. No NUL is added. */
voce_status vc_bpe_decode(const vc_bpe *bpe, const int32_t *ids, size_t n, char *buf,
                          size_t cap, size_t *len);

/* The same into a new malloc'd buffer with a NUL after the *len bytes. */
voce_status vc_bpe_decode_alloc(const vc_bpe *bpe, const int32_t *ids, size_t n, char **text,
                                size_t *len);

#endif
