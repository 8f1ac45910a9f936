/* Front-end settings: defaults per kind, the checks create() makes, and the settings a
 * program's metadata names (keys features.*, docs/format.md). */
#include <string.h>

#include "audio/features_int.h"
#include "core/error.h"

#define MIN_RATE 1000
#define MAX_RATE 384000
#define MAX_FFT 65536
#define MAX_PAD_TO 4096

voce_features_config voce_features_config_default(voce_features_kind kind)
{
    voce_features_config c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.sample_rate = 16000;
    c.n_mels = 80;
    c.n_fft = kind == VOCE_FEATURES_WHISPER ? 400 : 512;
    c.win_length = 400;
    c.hop_length = 160;
    c.whisper_pad_30s = 0;
    c.nemo_normalize = 1;
    c.nemo_pad_to = 16;
    c.magnitude = 0;
    return c;
}

voce_features_kind voce_features_kind_parse(const char *name)
{
    if (!name) return (voce_features_kind)0;
    if (!strcmp(name, "whisper")) return VOCE_FEATURES_WHISPER;
    if (!strcmp(name, "nemo")) return VOCE_FEATURES_NEMO;
    if (!strcmp(name, "fbank")) return VOCE_FEATURES_FBANK;
    return (voce_features_kind)0;
}

const char *vc_features_kind_name(voce_features_kind kind)
{
    switch (kind) {
    case VOCE_FEATURES_WHISPER: return "whisper";
    case VOCE_FEATURES_NEMO: return "nemo";
    case VOCE_FEATURES_FBANK: return "fbank";
    }
    return "?";
}

static voce_status bad(const char *what, int v, int lo, int hi)
{
    return vc_error(VOCE_ERR_INVALID_ARG, "features: %s %d is out of range (%d .. %d)", what, v, lo, hi);
}

voce_status vc_features_check(const voce_features_config *c)
{
    if (vc_features_kind_name(c->kind)[0] == '?')
        return vc_error(VOCE_ERR_INVALID_ARG, "features: unknown kind %d (whisper, nemo or fbank)", (int)c->kind);
    if (c->sample_rate < MIN_RATE || c->sample_rate > MAX_RATE) return bad("sample_rate", c->sample_rate, MIN_RATE, MAX_RATE);
    if (c->n_fft < 2 || c->n_fft > MAX_FFT) return bad("n_fft", c->n_fft, 2, MAX_FFT);
    if (c->n_fft % 2) return vc_error(VOCE_ERR_INVALID_ARG, "features: n_fft %d is odd (centring needs it even)", c->n_fft);
    if (c->win_length < 2 || c->win_length > c->n_fft) return bad("win_length", c->win_length, 2, c->n_fft);
    if (c->hop_length < 1 || c->hop_length > MAX_FFT) return bad("hop_length", c->hop_length, 1, MAX_FFT);
    if (c->n_mels < 1 || c->n_mels > VC_FEATURES_MAX_MELS) return bad("n_mels", c->n_mels, 1, VC_FEATURES_MAX_MELS);
    if (c->whisper_pad_30s != 0 && c->whisper_pad_30s != 1) return bad("whisper_pad_30s", c->whisper_pad_30s, 0, 1);
    if (c->nemo_normalize != 0 && c->nemo_normalize != 1) return bad("nemo_normalize", c->nemo_normalize, 0, 1);
    if (c->nemo_pad_to < 0 || c->nemo_pad_to > MAX_PAD_TO) return bad("nemo_pad_to", c->nemo_pad_to, 0, MAX_PAD_TO);
    if (c->magnitude != 0 && c->magnitude != 1) return bad("magnitude", c->magnitude, 0, 1);
    if (c->magnitude && c->kind == VOCE_FEATURES_WHISPER)
        return vc_error(VOCE_ERR_INVALID_ARG, "features: Whisper's log-mel takes the power spectrum, not the magnitude");
    return VOCE_OK;
}

/* ---- from program metadata ---- */

/* An optional INT key into *v; absent leaves *v. */
static voce_status meta_int(const voce_program *prog, const char *key, int *v)
{
    int64_t x;
    voce_status st = voce_program_meta_int(prog, key, &x);
    if (st == VOCE_ERR_NOT_FOUND) return VOCE_OK;
    if (st) return vc_error(VOCE_ERR_FORMAT, "features metadata: '%s' is not an integer", key);
    if (x < -2147483647 || x > 2147483647)
        return vc_error(VOCE_ERR_FORMAT, "features metadata: '%s' = %lld is out of range", key, (long long)x);
    *v = (int)x;
    return VOCE_OK;
}

static voce_status meta_normalize(const voce_program *prog, int *normalize)
{
    const char *s;
    size_t len;
    voce_status st = voce_program_meta_string(prog, "features.normalize", &s, &len);
    if (st == VOCE_ERR_NOT_FOUND) return VOCE_OK;
    if (st) return vc_error(VOCE_ERR_FORMAT, "features metadata: 'features.normalize' is not a string");
    if (!strcmp(s, "per_feature")) *normalize = 1;
    else if (!strcmp(s, "none")) *normalize = 0;
    else
        return vc_error(VOCE_ERR_UNSUPPORTED, "features metadata: normalize '%s' is not one voce knows (per_feature, none)", s);
    return VOCE_OK;
}

/* features.mag_power: the exponent of |X|, 2 (power) or 1 (magnitude). */
static voce_status meta_mag_power(const voce_program *prog, int *magnitude)
{
    int p = *magnitude ? 1 : 2;
    voce_status st = meta_int(prog, "features.mag_power", &p);
    if (st) return st;
    if (p != 1 && p != 2)
        return vc_error(VOCE_ERR_UNSUPPORTED, "features metadata: mag_power %d is not one voce knows (1, 2)", p);
    *magnitude = p == 1;
    return VOCE_OK;
}

voce_status voce_features_config_from_program(const voce_program *prog, voce_features_config *config)
{
    if (!prog || !config) return vc_error(VOCE_ERR_INVALID_ARG, "voce_features_config_from_program: NULL argument");
    const char *name;
    size_t len;
    voce_status st = voce_program_meta_string(prog, "features.kind", &name, &len);
    if (st == VOCE_ERR_NOT_FOUND) return vc_error(VOCE_ERR_NOT_FOUND, "the program names no front end (no features.kind)");
    if (st) return vc_error(VOCE_ERR_FORMAT, "features metadata: 'features.kind' is not a string");
    voce_features_kind kind = voce_features_kind_parse(name);
    if (!kind) return vc_error(VOCE_ERR_UNSUPPORTED, "features metadata: kind '%s' is not one voce knows (whisper, nemo, fbank)", name);
    voce_features_config c = voce_features_config_default(kind);
    st = meta_int(prog, "features.sample_rate", &c.sample_rate);
    if (!st) st = meta_int(prog, "features.n_mels", &c.n_mels);
    if (!st) st = meta_int(prog, "features.n_fft", &c.n_fft);
    if (!st) st = meta_int(prog, "features.win_length", &c.win_length);
    if (!st) st = meta_int(prog, "features.hop_length", &c.hop_length);
    if (!st) st = meta_int(prog, "features.pad_to", &c.nemo_pad_to);
    if (!st) st = meta_int(prog, "features.pad_30s", &c.whisper_pad_30s);
    if (!st) st = meta_normalize(prog, &c.nemo_normalize);
    if (!st) st = meta_mag_power(prog, &c.magnitude);
    if (!st && vc_features_check(&c)) st = vc_error_prefix(VOCE_ERR_FORMAT, "program metadata: ");
    if (!st) *config = c;
    return st;
}
