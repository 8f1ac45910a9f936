/* Whisper's languages: openai-whisper's LANGUAGES table (tokenizer.py), in its order,
 * which is the order of the language tokens; and its aliases of TO_LANGUAGE_CODE. */
#include <stddef.h>

#include "core/error.h"
#include "models/whisper/tokens.h"

typedef struct language {
    const char *code, *name;
} language;

static const language languages[VC_WHISPER_MAX_LANGUAGES] = {
    {"en", "english"}, {"zh", "chinese"}, {"de", "german"}, {"es", "spanish"},
    {"ru", "russian"}, {"ko", "korean"}, {"fr", "french"}, {"ja", "japanese"},
    {"pt", "portuguese"}, {"tr", "turkish"}, {"pl", "polish"}, {"ca", "catalan"},
    {"nl", "dutch"}, {"ar", "arabic"}, {"sv", "swedish"}, {"it", "italian"},
    {"id", "indonesian"}, {"hi", "hindi"}, {"fi", "finnish"}, {"vi", "vietnamese"},
    {"he", "hebrew"}, {"uk", "ukrainian"}, {"el", "greek"}, {"ms", "malay"},
    {"cs", "czech"}, {"ro", "romanian"}, {"da", "danish"}, {"hu", "hungarian"},
    {"ta", "tamil"}, {"no", "norwegian"}, {"th", "thai"}, {"ur", "urdu"},
    {"hr", "croatian"}, {"bg", "bulgarian"}, {"lt", "lithuanian"}, {"la", "latin"},
    {"mi", "maori"}, {"ml", "malayalam"}, {"cy", "welsh"}, {"sk", "slovak"},
    {"te", "telugu"}, {"fa", "persian"}, {"lv", "latvian"}, {"bn", "bengali"},
    {"sr", "serbian"}, {"az", "azerbaijani"}, {"sl", "slovenian"}, {"kn", "kannada"},
    {"et", "estonian"}, {"mk", "macedonian"}, {"br", "breton"}, {"eu", "basque"},
    {"is", "icelandic"}, {"hy", "armenian"}, {"ne", "nepali"}, {"mn", "mongolian"},
    {"bs", "bosnian"}, {"kk", "kazakh"}, {"sq", "albanian"}, {"sw", "swahili"},
    {"gl", "galician"}, {"mr", "marathi"}, {"pa", "punjabi"}, {"si", "sinhala"},
    {"km", "khmer"}, {"sn", "shona"}, {"yo", "yoruba"}, {"so", "somali"},
    {"af", "afrikaans"}, {"oc", "occitan"}, {"ka", "georgian"}, {"be", "belarusian"},
    {"tg", "tajik"}, {"sd", "sindhi"}, {"gu", "gujarati"}, {"am", "amharic"},
    {"yi", "yiddish"}, {"lo", "lao"}, {"uz", "uzbek"}, {"fo", "faroese"},
    {"ht", "haitian creole"}, {"ps", "pashto"}, {"tk", "turkmen"}, {"nn", "nynorsk"},
    {"mt", "maltese"}, {"sa", "sanskrit"}, {"lb", "luxembourgish"}, {"my", "myanmar"},
    {"bo", "tibetan"}, {"tl", "tagalog"}, {"mg", "malagasy"}, {"as", "assamese"},
    {"tt", "tatar"}, {"haw", "hawaiian"}, {"ln", "lingala"}, {"ha", "hausa"},
    {"ba", "bashkir"}, {"jw", "javanese"}, {"su", "sundanese"}, {"yue", "cantonese"},
};

/* other names openai-whisper accepts: {code, name} */
static const language aliases[] = {
    {"my", "burmese"}, {"ca", "valencian"}, {"nl", "flemish"}, {"ht", "haitian"},
    {"lb", "letzeburgesch"}, {"ps", "pushto"}, {"pa", "panjabi"}, {"ro", "moldavian"},
    {"ro", "moldovan"}, {"si", "sinhalese"}, {"es", "castilian"}, {"zh", "mandarin"},
};

/* ASCII-only case folding: the same in every locale. */
static int same_nocase(const char *a, const char *b)
{
    for (;; a++, b++) {
        char x = *a >= 'A' && *a <= 'Z' ? (char)(*a + 32) : *a;
        char y = *b >= 'A' && *b <= 'Z' ? (char)(*b + 32) : *b;
        if (x != y) return 0;
        if (!x) return 1;
    }
}

const char *vc_whisper_language_code(int i)
{
    return i >= 0 && i < VC_WHISPER_MAX_LANGUAGES ? languages[i].code : NULL;
}

const char *vc_whisper_language_name(int i)
{
    return i >= 0 && i < VC_WHISPER_MAX_LANGUAGES ? languages[i].name : NULL;
}

static int by_code(const char *code)
{
    for (int i = 0; i < VC_WHISPER_MAX_LANGUAGES; i++)
        if (same_nocase(languages[i].code, code)) return i;
    return -1;
}

voce_status vc_whisper_language_find(const char *s, int *index)
{
    if (!s) return vc_error(VOCE_ERR_INVALID_ARG, "vc_whisper_language_find: NULL language");
    int i = by_code(s);
    for (int k = 0; i < 0 && k < VC_WHISPER_MAX_LANGUAGES; k++)
        if (same_nocase(languages[k].name, s)) i = k;
    for (size_t k = 0; i < 0 && k < sizeof aliases / sizeof aliases[0]; k++)
        if (same_nocase(aliases[k].name, s)) i = by_code(aliases[k].code);
    if (i < 0)
        return vc_error(VOCE_ERR_NOT_FOUND,
                        "unknown language '%s' (not a Whisper language code or name)", s);
    *index = i;
    return VOCE_OK;
}
