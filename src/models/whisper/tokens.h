/* Whisper's special tokens, laid out as openai-whisper's tokenizer.py lays them out after
 * a base vocabulary of n_base ordinary tokens (50256 in gpt2.tiktoken for the English-only
 * models, 50257 in multilingual.tiktoken):
 *
 *   n_base + 0          <|endoftext|>           (eot)
 *   n_base + 1          <|startoftranscript|>   (sot)
 *   n_base + 2 + i      <|code|> for the first n_languages of the language table
 *   then                <|translate|> <|transcribe|> <|startoflm|> <|startofprev|>
 *                       <|nospeech|> <|notimestamps|>
 *   then 1501           <|0.00|> <|0.02|> ... <|30.00|>  (timestamp_begin = the first)
 *
 *   vc_whisper_tokens t;
 *   vc_whisper_add_specials(bpe, vc_whisper_n_languages(model_n_vocab), &t);
 *   int lang;
 *   vc_whisper_language_find("English", &lang);           // or "en"
 *   int32_t sot[3]; size_t n;
 *   vc_whisper_sot_sequence(&t, lang, VC_WHISPER_TRANSCRIBE, sot, &n);
 *   int32_t *suppress; size_t n_suppress;
 *   vc_whisper_non_speech_tokens(bpe, &suppress, &n_suppress);   // free(suppress)
 */
#ifndef VC_WHISPER_TOKENS_H
#define VC_WHISPER_TOKENS_H

#include <stddef.h>
#include <stdint.h>

#include "text/bpe.h"
#include "voce/voce.h"

#define VC_WHISPER_MAX_LANGUAGES 100   /* large-v3 has all 100; the others 99 */
#define VC_WHISPER_N_TIMESTAMPS 1501   /* 0.00 to 30.00 s in steps of 0.02 s */

typedef enum vc_whisper_task {
    VC_WHISPER_TASK_NONE,       /* English-only models: no language or task token */
    VC_WHISPER_TRANSCRIBE,
    VC_WHISPER_TRANSLATE
} vc_whisper_task;

typedef struct vc_whisper_tokens {
    int32_t n_base;             /* ordinary tokens; = eot */
    int n_languages;
    int32_t eot, sot;
    int32_t language_begin;     /* <|en|>; language i is language_begin + i */
    int32_t translate, transcribe, sot_lm, sot_prev, no_speech, no_timestamps;
    int32_t timestamp_begin;    /* <|0.00|>; <|t|> is timestamp_begin + round(t / 0.02) */
    int32_t n_vocab;            /* n_base + all the specials */
} vc_whisper_tokens;

/* How many language tokens a model has, from its vocabulary size (the n_vocab of its
 * dims / the decoder's logits): openai-whisper's model.num_languages. */
int vc_whisper_n_languages(int32_t model_n_vocab);

/* The ids for a base vocabulary of n_base tokens and n_languages (0 to 100). */
voce_status vc_whisper_tokens_init(int32_t n_base, int n_languages, vc_whisper_tokens *t);

/* Text of a special id ("<|en|>", "<|1.08|>", ...) into buf (NUL-terminated);
 * VOCE_ERR_NOT_FOUND if id is not one of t's specials. */
voce_status vc_whisper_special_text(const vc_whisper_tokens *t, int32_t id, char *buf,
                                    size_t cap);

/* Lay the specials out after bpe's ordinary tokens and register them all in bpe (so
 * that decode shows them and VC_BPE_SPECIAL encodes them). The base is bpe's number of
 * ordinary tokens; where <|endoftext|> is already there, as an ordinary token (Hugging
 * Face vocab.json) or a special one (tokenizer.json), the base is its id. Specials the
 * bpe already holds with the same ids are accepted; a clash is an error. */
voce_status vc_whisper_add_specials(vc_bpe *bpe, int n_languages, vc_whisper_tokens *t);

/* The language table, in openai-whisper's order (LANGUAGES): 0 "en" "english", 1 "zh"
 * "chinese", ..., 99 "yue" "cantonese". */
const char *vc_whisper_language_code(int index);    /* NULL when out of range */
const char *vc_whisper_language_name(int index);
/* By code, English name or one of openai-whisper's aliases ("castilian", "mandarin",
 * ...), ignoring ASCII case. VOCE_ERR_NOT_FOUND names the language. */
voce_status vc_whisper_language_find(const char *code_or_name, int *index);
voce_status vc_whisper_language_token(const vc_whisper_tokens *t, int index, int32_t *id);

/* <|startoftranscript|>, then the language's token (index >= 0) and the task's token
 * (task != NONE): 1 to 3 ids into out. */
voce_status vc_whisper_sot_sequence(const vc_whisper_tokens *t, int language,
                                    vc_whisper_task task, int32_t out[3], size_t *n);

/* openai-whisper's Tokenizer.non_speech_tokens: the ids to suppress so that speaker tags
 * and sound annotations are not generated (sorted, no repeats; *ids malloc'd). */
voce_status vc_whisper_non_speech_tokens(const vc_bpe *bpe, int32_t **ids, size_t *n);

#endif
