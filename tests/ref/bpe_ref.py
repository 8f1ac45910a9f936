#!/usr/bin/env python3
"""Reference byte-level BPE for the C tokenizer's test (tests/test_bpe.c), in plain
Python: no tiktoken, no tokenizers package.

usage: bpe_ref.py OUTDIR [SHARED_DATA_DIR]

OUTDIR/classes.txt: "unicode VERSION", then "FIRST LAST CLASS" (hex code points; L, N, S
or O as below) for every code point, runs of one class a line.

For each of Whisper's vocabularies (models/whisper-assets/gpt2.tiktoken and
multilingual.tiktoken under SHARED_DATA_DIR, default $VOCE_TEST_DATA or ../shared) it
writes OUTDIR/<vocab>/:

  cases.txt       one encoding a line: MODE NAME HEX IDS...
                  MODE P: special-token text is plain text; S: it gives the special ids
                  HEX: the input's bytes ('-' when empty); IDS: the expected ids
  specials.txt    for 99 and for 100 languages:
                    languages N
                    token NAME ID          eot sot translate ... timestamp_begin n_vocab
                    special ID TEXT        every special token
                    sot LANG TASK IDS...   (LANG -1: none; TASK none/transcribe/translate)
                    nonspeech IDS...
  vocab.json, merges.txt   the same vocabulary in Hugging Face's form (GPT-2 byte alphabet;
                           vocab.json also has <|endoftext|>, as Hugging Face's does)
  tokenizer.json           the same, with the 99-language Whisper specials as added_tokens
  tokens.txt               sherpa-onnx's form (scripts/whisper/export-onnx.py)

How it works, independently of the C code:
  - pieces come from Python's `re` running the GPT-2 pattern itself, with \\p{L} and
    \\p{N} spelled out as character classes from unicodedata and \\s as the White_Space
    code points (str.isspace() less U+001C..U+001F); input bytes that are not UTF-8 are
    decoded with 'surrogateescape', so each becomes one lone surrogate, a character that
    is neither letter, number nor space;
  - a piece that is a token gives it; otherwise the pair of adjacent parts whose
    concatenation has the lowest rank merges, leftmost first, by a plain scan;
  - Whisper's specials and non_speech_tokens follow openai-whisper's tokenizer.py.
Known published values anchor it: tiktoken's documented GPT-2 encodings, Whisper's
special ids, and the non_speech_tokens lists that Hugging Face ships for Whisper.

Exits 77 (skip) when the vocabulary files are missing (after writing classes.txt).
"""
import base64
import json
import os
import random
import re
import sys
import unicodedata

# ---------------------------------------------------------------- vocabulary files

def load_tiktoken(path):
    ranks = {}
    with open(path, "rb") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            tok, rank = line.split()
            ranks[base64.b64decode(tok)] = int(rank)
    assert sorted(ranks.values()) == list(range(len(ranks))), path
    return ranks


# ---------------------------------------------------------------- pre-tokenizer

def char_classes():
    """One letter per code point: L letter (category L*), N number (N*), S space
    (str.isspace() less U+001C..U+001F, i.e. White_Space), O anything else; surrogates O."""
    out = []
    for cp in range(0x110000):
        if 0xD800 <= cp <= 0xDFFF:
            out.append("O")
            continue
        c = chr(cp)
        cat = unicodedata.category(c)
        if c.isspace() and not 0x1C <= cp <= 0x1F:
            out.append("S")
        elif cat[0] in "LN":
            out.append(cat[0])
        else:
            out.append("O")
    return "".join(out)


CLASSES = char_classes()


def class_runs():
    """(first, last, class) runs over all code points."""
    runs, start = [], 0
    for cp in range(1, 0x110001):
        if cp == 0x110000 or CLASSES[cp] != CLASSES[start]:
            runs.append((start, cp - 1, CLASSES[start]))
            start = cp
    return runs


def make_pattern():
    spans = {k: [] for k in "LNS"}
    for a, b, k in class_runs():
        if k in spans:
            spans[k].append((a, b))
    esc = lambda cp: "\\U%08x" % cp
    cls = {k: "".join(esc(a) if a == b else esc(a) + "-" + esc(b) for a, b in v)
           for k, v in spans.items()}
    pat = (r"'s|'t|'re|'ve|'m|'ll|'d| ?[L]+| ?[N]+| ?[^SLN]+|[S]+(?![^S])|[S]+")
    return re.compile(pat.replace("L", cls["L"]).replace("N", cls["N"]).replace("S", cls["S"]))


PATTERN = make_pattern()


def pieces(data):
    text = data.decode("utf-8", "surrogateescape")
    out = [m.group().encode("utf-8", "surrogateescape") for m in PATTERN.finditer(text)]
    assert b"".join(out) == data
    return out


# ---------------------------------------------------------------- BPE

def merge_parts(ranks, piece, max_rank=None):
    """Parts of piece after merging (tiktoken's rule), only ranks below max_rank."""
    parts = [piece[i:i + 1] for i in range(len(piece))]
    while len(parts) > 1:
        best, at = None, -1
        for i in range(len(parts) - 1):
            r = ranks.get(parts[i] + parts[i + 1])
            if r is not None and (max_rank is None or r < max_rank) and (best is None or r < best):
                best, at = r, i
        if best is None:
            break
        parts[at:at + 2] = [parts[at] + parts[at + 1]]
    return parts


def encode_ordinary(ranks, data):
    ids = []
    for p in pieces(data):
        if p in ranks:
            ids.append(ranks[p])
        else:
            ids.extend(ranks[q] for q in merge_parts(ranks, p))
    return ids


def encode_special(ranks, specials, data):
    """Every occurrence of a special token's text is its id (longest at a position)."""
    texts = sorted(specials, key=len, reverse=True)
    ids, start, pos = [], 0, 0
    while pos < len(data):
        hit = next((t for t in texts if data.startswith(t, pos)), None)
        if hit is None:
            pos += 1
            continue
        ids += encode_ordinary(ranks, data[start:pos]) + [specials[hit]]
        pos = start = pos + len(hit)
    return ids + encode_ordinary(ranks, data[start:])


# ---------------------------------------------------------------- Whisper specials

LANGUAGES = [
    ("en", "english"), ("zh", "chinese"), ("de", "german"), ("es", "spanish"),
    ("ru", "russian"), ("ko", "korean"), ("fr", "french"), ("ja", "japanese"),
    ("pt", "portuguese"), ("tr", "turkish"), ("pl", "polish"), ("ca", "catalan"),
    ("nl", "dutch"), ("ar", "arabic"), ("sv", "swedish"), ("it", "italian"),
    ("id", "indonesian"), ("hi", "hindi"), ("fi", "finnish"), ("vi", "vietnamese"),
    ("he", "hebrew"), ("uk", "ukrainian"), ("el", "greek"), ("ms", "malay"),
    ("cs", "czech"), ("ro", "romanian"), ("da", "danish"), ("hu", "hungarian"),
    ("ta", "tamil"), ("no", "norwegian"), ("th", "thai"), ("ur", "urdu"),
    ("hr", "croatian"), ("bg", "bulgarian"), ("lt", "lithuanian"), ("la", "latin"),
    ("mi", "maori"), ("ml", "malayalam"), ("cy", "welsh"), ("sk", "slovak"),
    ("te", "telugu"), ("fa", "persian"), ("lv", "latvian"), ("bn", "bengali"),
    ("sr", "serbian"), ("az", "azerbaijani"), ("sl", "slovenian"), ("kn", "kannada"),
    ("et", "estonian"), ("mk", "macedonian"), ("br", "breton"), ("eu", "basque"),
    ("is", "icelandic"), ("hy", "armenian"), ("ne", "nepali"), ("mn", "mongolian"),
    ("bs", "bosnian"), ("kk", "kazakh"), ("sq", "albanian"), ("sw", "swahili"),
    ("gl", "galician"), ("mr", "marathi"), ("pa", "punjabi"), ("si", "sinhala"),
    ("km", "khmer"), ("sn", "shona"), ("yo", "yoruba"), ("so", "somali"),
    ("af", "afrikaans"), ("oc", "occitan"), ("ka", "georgian"), ("be", "belarusian"),
    ("tg", "tajik"), ("sd", "sindhi"), ("gu", "gujarati"), ("am", "amharic"),
    ("yi", "yiddish"), ("lo", "lao"), ("uz", "uzbek"), ("fo", "faroese"),
    ("ht", "haitian creole"), ("ps", "pashto"), ("tk", "turkmen"), ("nn", "nynorsk"),
    ("mt", "maltese"), ("sa", "sanskrit"), ("lb", "luxembourgish"), ("my", "myanmar"),
    ("bo", "tibetan"), ("tl", "tagalog"), ("mg", "malagasy"), ("as", "assamese"),
    ("tt", "tatar"), ("haw", "hawaiian"), ("ln", "lingala"), ("ha", "hausa"),
    ("ba", "bashkir"), ("jw", "javanese"), ("su", "sundanese"), ("yue", "cantonese"),
]


def whisper_specials(n_base, n_languages):
    names = (["<|endoftext|>", "<|startoftranscript|>"]
             + ["<|%s|>" % c for c, _ in LANGUAGES[:n_languages]]
             + ["<|translate|>", "<|transcribe|>", "<|startoflm|>", "<|startofprev|>",
                "<|nospeech|>", "<|notimestamps|>"]
             + ["<|%.2f|>" % (i * 0.02) for i in range(1501)])
    assert len(set(names)) == len(names)
    return {t.encode(): n_base + k for k, t in enumerate(names)}


def non_speech(ranks):
    enc = lambda s: encode_ordinary(ranks, s.encode())
    symbols = list('"#()*+/:;<=>@[\\]^_`{|}~\u300c\u300d\u300e\u300f')
    symbols += "<< >> <<< >>> -- --- -( -[ (' (\" (( )) ((( ))) [[ ]] {{ }} \u266a\u266a \u266a\u266a\u266a".split()
    musical = [chr(c) for c in range(0x2669, 0x2670)]  # the seven signs U+2669..U+266F
    result = {enc(" -")[0], enc(" '")[0]}
    for s in symbols + musical:
        for toks in (enc(s), enc(" " + s)):
            if len(toks) == 1 or s in musical:
                result.add(toks[0])
    return sorted(result)


def write_specials(f, ranks, n_languages):
    n_base = len(ranks)
    sp = whisper_specials(n_base, n_languages)
    ids = {k.decode(): v for k, v in sp.items()}
    f.write("languages %d\n" % n_languages)
    named = [("eot", "<|endoftext|>"), ("sot", "<|startoftranscript|>"),
             ("translate", "<|translate|>"), ("transcribe", "<|transcribe|>"),
             ("sot_lm", "<|startoflm|>"), ("sot_prev", "<|startofprev|>"),
             ("no_speech", "<|nospeech|>"), ("no_timestamps", "<|notimestamps|>"),
             ("timestamp_begin", "<|0.00|>")]
    for name, text in named:
        f.write("token %s %d\n" % (name, ids[text]))
    f.write("token n_vocab %d\n" % (n_base + len(sp)))
    for text, i in sorted(ids.items(), key=lambda kv: kv[1]):
        f.write("special %d %s\n" % (i, text))
    sot = ids["<|startoftranscript|>"]
    for lang in (-1, 0, 1, n_languages - 1):
        for task in ("none", "transcribe", "translate"):
            seq = [sot]
            if lang >= 0:
                seq.append(sot + 1 + lang)
            if task != "none":
                seq.append(ids["<|%s|>" % task])
            f.write("sot %d %s %s\n" % (lang, task, " ".join(map(str, seq))))
    f.write("nonspeech %s\n" % " ".join(map(str, non_speech(ranks))))
    return sp


# ---------------------------------------------------------------- anchors

# non_speech_tokens as published for Whisper (Hugging Face's WhisperConfig default
# suppress_tokens, which are these plus the task/sot specials).
PUBLISHED_NON_SPEECH = {
    "multilingual": [
        1, 2, 7, 8, 9, 10, 14, 25, 26, 27, 28, 29, 31, 58, 59, 60, 61, 62, 63, 90, 91, 92, 93,
        359, 503, 522, 542, 873, 893, 902, 918, 922, 931, 1350, 1853, 1982, 2460, 2627, 3246,
        3253, 3268, 3536, 3846, 3961, 4183, 4667, 6585, 6647, 7273, 9061, 9383, 10428, 10929,
        11938, 12033, 12331, 12562, 13793, 14157, 14635, 15265, 15618, 16553, 16604, 18362,
        18956, 20075, 21675, 22520, 26130, 26161, 26435, 28279, 29464, 31650, 32302, 32470,
        36865, 42863, 47425, 49870, 50254],
    "gpt2": [
        1, 2, 7, 8, 9, 10, 14, 25, 26, 27, 28, 29, 31, 58, 59, 60, 61, 62, 63, 90, 91, 92, 93,
        357, 366, 438, 532, 685, 705, 796, 930, 1058, 1220, 1267, 1279, 1303, 1343, 1377, 1391,
        1635, 1782, 1875, 2162, 2361, 2488, 3467, 4008, 4211, 4600, 4808, 5299, 5855, 6329,
        7203, 9609, 9959, 10563, 10786, 11420, 11709, 11907, 13163, 13697, 13700, 14808, 15306,
        16410, 16791, 17992, 19203, 19510, 20724, 22305, 22935, 27007, 30109, 30420, 33409,
        34949, 40283, 40493, 40549, 47282, 49146],
}


def check_anchors(name, ranks):
    enc = lambda s: encode_ordinary(ranks, s.encode())
    if name == "gpt2":  # tiktoken's documentation of the gpt2 encoding
        assert enc("hello world") == [31373, 995], enc("hello world")
        assert enc("<|endoftext|>") == [27, 91, 437, 1659, 5239, 91, 29]
    sp = whisper_specials(len(ranks), 99)
    want = {"gpt2": (50256, 50257, 50362, 50363, 51864),
            "multilingual": (50257, 50258, 50363, 50364, 51865)}[name]
    got = (sp[b"<|endoftext|>"], sp[b"<|startoftranscript|>"], sp[b"<|notimestamps|>"],
           sp[b"<|0.00|>"], len(ranks) + len(sp))
    assert got == want, (name, got, want)
    assert non_speech(ranks) == PUBLISHED_NON_SPEECH[name], name


# ---------------------------------------------------------------- Hugging Face / sherpa

def byte_alphabet():
    """GPT-2's byte -> character map: printable bytes stand for themselves, the other 68
    take U+0100 onwards in byte order."""
    keep = set(range(0x21, 0x7F)) | set(range(0xA1, 0xAD)) | set(range(0xAE, 0x100))
    out, extra = {}, 0
    for b in range(256):
        if b in keep:
            out[b] = chr(b)
        else:
            out[b] = chr(0x100 + extra)
            extra += 1
    return out


def recover_merges(ranks):
    """The merge that makes each multi-byte token: BPE on its bytes with only the
    lower ranks must end in exactly two parts."""
    merges = []
    for tok, rank in sorted(ranks.items(), key=lambda kv: kv[1]):
        if len(tok) < 2:
            continue
        parts = merge_parts(ranks, tok, max_rank=rank)
        assert len(parts) == 2, (tok, parts)
        merges.append(parts)
    return merges


def write_hf(outdir, ranks, specials, pairs_form):
    alpha = byte_alphabet()
    spell = lambda b: "".join(alpha[x] for x in b)
    vocab = {spell(t): r for t, r in ranks.items()}
    merges = recover_merges(ranks)
    with open(os.path.join(outdir, "vocab.json"), "w", encoding="utf-8") as f:
        # as Hugging Face's Whisper files do, vocab.json also lists <|endoftext|>
        json.dump(dict(vocab, **{"<|endoftext|>": len(ranks)}), f, ensure_ascii=False)
    with open(os.path.join(outdir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write("%s %s\n" % (spell(a), spell(b)))
    tj = {
        "version": "1.0",
        "added_tokens": [{"id": i, "content": t.decode(), "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True}
                         for t, i in sorted(specials.items(), key=lambda kv: kv[1])],
        "normalizer": None,
        "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None,
                  "vocab": vocab,
                  "merges": [[spell(a), spell(b)] if pairs_form else "%s %s" % (spell(a), spell(b))
                             for a, b in merges]},
    }
    with open(os.path.join(outdir, "tokenizer.json"), "w", encoding="ascii") as f:
        json.dump(tj, f, ensure_ascii=True, indent=1)


def write_sherpa(outdir, path):
    """export-onnx.py's convert_tokens: each tiktoken line's two fields, as read."""
    with open(path) as f, open(os.path.join(outdir, "tokens.txt"), "w") as out:
        for line in f.read().splitlines():
            if line:
                t, i = line.split()
                out.write("%s %d\n" % (t, int(i)))


# ---------------------------------------------------------------- cases

TRICKY = [
    "Hello world", "hello world", "HELLO WORLD", " leading space", "trailing space ",
    "I'm sure you're right, he's here, we've gone, they'll see, she'd know, don't.",
    "'s 't 're 've 'm 'll 'd 'S 'T 'RE 'VE 'M 'LL 'D ''s '''", "rock'n'roll o'clock 'tis",
    "1234567890 3.14159 1,000,000 2024-01-01 10:30pm 007 ½ ² ³ ٣٤٥ ४२ Ⅻ ①②",
    "!!!??? ... --- *** ((())) [[[ ]]] {{}} <<>> <<< >>> -( -[ (' (\" ~~ ``` ''' \"\"",
    "a  b", "a   b", "a \n b", "\n\n\nx", "x\n\n", "   ", " ", "\t\tTabs\tand spaces \t here",
    "trailing   ", "line\r\nwindows\r\n", "\u00a0nbsp\u00a0word", "ideo\u3000space\u3000",
    "line\u2028sep\u2029para", "\x0b\x0cvt ff", "x\x1cy\x1dz", "mixed \u2003 em \u2009 thin",
    "我们今天去北京。你好，世界！", "こんにちは、世界。カタカナとひらがな、漢字。",
    "مرحبا بالعالم، كيف حالك؟", "नमस्ते दुनिया, आप कैसे हैं?", "안녕하세요 세계",
    "Привет, мир! Как дела?", "Γειά σου Κόσμε", "สวัสดีครับ โลก", "שלום עולם",
    "👍🏽 🎉🎉 👨‍👩‍👧‍👦 ❤️ 🇫🇷", "e\u0301 cafe\u0301 n\u0303 a\u0308\u0304",
    "Z\u0351\u0364a\u0350l\u0352g\u0357o\u0315", "ÀÉÎÕÜ àéîõü ß Æ Œ", "ﬁ ﬂ ligatures",
    "Ｆｕｌｌｗｉｄｔｈ　１２３", "♪ la la ♪♪ ♫ ♬ ♩ ♭♮♯", "「quoted」 『double』",
    "GPT-2's tokenizer: 42 tokens! <b>bold</b> @user #tag $5 100% a+b=c",
    "<|endoftext|>", "<|startoftranscript|><|en|><|transcribe|><|0.00|> Hello<|1.08|><|endoftext|>",
    "<|en <|zz|> <|30.00|><|30.02|> <|0.001|> <<|en|>> <|notimestamps|>",
    "",
]

INVALID = [
    b"\xff\xfe abc \x80\x81 \xe2\x82 tail", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
    b"caf\xc3", b" \xff", b"\xf0\x9f\x98", b"a\xe2\x82\xacb \xe2\x82", b"\xe0\x80\x80 \xf5\x80",
    b"'\xffs", b" \x80word", b"word\xc2", b"\xc2\xa0\xc2", b"12\xff34",
]


def long_cases():
    rnd = random.Random(1234)
    letters = "".join(rnd.choice("abcdefghijklmnopqrstuvwxyzéèàñ") for _ in range(600))
    return [
        ("long_letters", letters.encode()),
        ("long_a", b"a" * 700),
        ("long_digits", b"1234567890" * 40),
        ("long_spaces", b" " * 300 + b"x" + b"\n" * 200),
        ("long_punct", b"!?.,;:-" * 60),
        ("long_cjk", ("漢字かなカナ" * 60).encode()),
        ("long_invalid", bytes(rnd.randrange(256) for _ in range(500))),
    ]


def random_cases():
    rnd = random.Random(20240611)
    pool = (list("abcdefXYZ0123456789 '\n\t.,!?-_()[]<|>") + [" ", " ", "  "]
            + ["'s", "'ll", "é", "ü", "ß", "中", "文", "の", "ア", "ب", "ह", "\u0301", "\u00a0",
               "\u3000", "👍", "🏽", "\u200d", "½", "٣", "<|en|>", "<|0.00|>", "<|endoftext|>"])
    out = []
    for i in range(120):
        s = "".join(rnd.choice(pool) for _ in range(rnd.randrange(1, 40)))
        out.append(("random%03d" % i, s.encode()))
    for i in range(30):
        out.append(("randbytes%03d" % i, bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 40)))))
    return out


def transcripts(shared):
    root = os.path.join(shared, "audio")
    found = []
    for dirpath, _, files in os.walk(root):
        for fn in sorted(files):
            if fn.endswith(".txt"):
                p = os.path.join(dirpath, fn)
                with open(p, "rb") as f:
                    found.append(("transcript:" + os.path.relpath(p, root), f.read()))
    return sorted(found)


def write_cases(path, ranks, specials, shared):
    cases = transcripts(shared)
    cases += [("tricky%02d" % i, s.encode()) for i, s in enumerate(TRICKY)]
    cases += [("invalid%02d" % i, b) for i, b in enumerate(INVALID)]
    cases += long_cases() + random_cases()
    with open(path, "w") as f:
        for name, data in cases:
            hexs = data.hex() or "-"
            f.write("P %s %s %s\n" % (name, hexs, " ".join(map(str, encode_ordinary(ranks, data)))))
            if b"<|" in data:
                ids = encode_special(ranks, specials, data)
                f.write("S %s %s %s\n" % (name, hexs, " ".join(map(str, ids))))
    return len(cases)


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    outdir = sys.argv[1]
    shared = sys.argv[2] if len(sys.argv) > 2 else os.environ.get("VOCE_TEST_DATA", "../shared")
    os.makedirs(outdir, exist_ok=True)
    with open(os.path.join(outdir, "classes.txt"), "w") as f:
        f.write("unicode %s\n" % unicodedata.unidata_version)
        for a, b, k in class_runs():
            f.write("%x %x %s\n" % (a, b, k))
    assets = os.path.join(shared, "models", "whisper-assets")
    names = [("gpt2", False), ("multilingual", True)]
    missing = [n for n, _ in names if not os.path.exists(os.path.join(assets, n + ".tiktoken"))]
    if missing:
        print("skip: %s.tiktoken not found in %s" % (missing[0], assets))
        sys.exit(77)
    for name, pairs_form in names:
        path = os.path.join(assets, name + ".tiktoken")
        ranks = load_tiktoken(path)
        check_anchors(name, ranks)
        d = os.path.join(outdir, name)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "specials.txt"), "w") as f:
            specials = write_specials(f, ranks, 99)
            write_specials(f, ranks, 100)
        n = write_cases(os.path.join(d, "cases.txt"), ranks, specials, shared)
        write_hf(d, ranks, specials, pairs_form)
        write_sherpa(d, path)
        print("%s: %d cases, %d tokens -> %s" % (name, n, len(ranks), d))


if __name__ == "__main__":
    main()
