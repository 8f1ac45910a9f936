#!/usr/bin/env python3
"""Transcripts and what voce must write for them (tests/test_transcript.c).

usage: transcript_ref.py OUTDIR

The writers here follow the rules of openai-whisper's whisper/utils.py (WriteTXT,
WriteSRT, WriteVTT, WriteTSV with format_timestamp and iterate_result's defaults; the
"json" file holds what transcribe() returns) and OpenAI's transcription response for
verbose_json, with the few changes docs/transcripts.md lists. They are written here from
those rules, on Python strings: str.strip(), bytes.decode(errors="replace") and
json.dumps do the text work, independently of voce's C code.

Writes OUTDIR/cases.txt, the transcripts to build, one line per item:
    case NAME
    meta TASK WORDS DURATION LANGUAGE NAME PROB TEXT
    segment START END SEEK TEMPERATURE AVG_LOGPROB COMPRESSION_RATIO NO_SPEECH_PROB TEXT
    token ID START END PROBABILITY LOGPROB TEXT
    word START END PROBABILITY TEXT
    end
TASK is transcribe or translate, WORDS 0 or 1 (word timestamps). Numbers are written
with repr() and read back by strtod to the same double; float32 fields hold float32
values. A string is "x" and its bytes in hex ("x" alone: empty); LANGUAGE, NAME and the
TEXTs of meta and segment may be "-": not set (the builder's defaults: no language name,
texts joined from tokens or segments). Beside it, OUTDIR/NAME.{txt,srt,vtt,tsv,json,
verbose_json}: the expected bytes.
"""
import json
import math
import os
import struct
import sys

try:
    import numpy as np
except ImportError as e:
    print("skip: numpy is not available to %s (%s)" % (sys.executable, e))
    sys.exit(77)


np.seterr(over="ignore")  # a float32 candidate past FLT_MAX reads back as inf


def f32(x):
    return float(np.float32(x))


F32_OF = np.float32


# ---- the transcript model ----

class Tok:
    def __init__(self, id, text, start=0.0, end=0.0, prob=1.0, logprob=0.0):
        self.id, self.bytes = id, text if isinstance(text, bytes) else text.encode()
        self.start, self.end, self.prob, self.logprob = start, end, f32(prob), f32(logprob)


class Word:
    def __init__(self, text, start, end, prob=0.5):
        self.bytes = text if isinstance(text, bytes) else text.encode()
        self.start, self.end, self.prob = start, end, f32(prob)


class Seg:
    def __init__(self, start, end, tokens=(), words=(), text=None, seek=0, temperature=0.0,
                 avg_logprob=0.0, compression_ratio=0.0, no_speech_prob=0.0):
        self.start, self.end, self.seek = start, end, seek
        self.tokens, self.words = list(tokens), list(words)
        self.text = text if text is None or isinstance(text, bytes) else text.encode()
        self.temperature, self.avg_logprob = f32(temperature), f32(avg_logprob)
        self.compression_ratio, self.no_speech_prob = f32(compression_ratio), f32(no_speech_prob)


class Case:
    def __init__(self, name, segments, task="transcribe", words=False, duration=0.0,
                 language=None, language_name=None, language_prob=1.0, text=None):
        self.name, self.segments, self.task, self.words = name, segments, task, words
        self.duration, self.language, self.language_name = duration, language, language_name
        self.language_prob = f32(language_prob)
        self.text = text


def decode(b):
    """The builder's repair: Python's decode(errors="replace"), and NUL as U+FFFD."""
    return b.decode("utf-8", errors="replace").replace("\x00", "\ufffd")


def seg_text(s):
    return decode(s.text if s.text is not None else b"".join(t.bytes for t in s.tokens))


def full_text(c):
    return decode(c.text) if c.text is not None else "".join(seg_text(s) for s in c.segments)


# ---- numbers as voce writes them (core/json.h) ----

class D(float):
    """A double in JSON."""


class F(float):
    """A float32 in JSON."""


def shortest(x, is_float):
    """Fewest significant digits reading back to x (through a double to float32 for F):
    per length, the nearest decimal, then the one above it (at powers of two only that
    one may read back)."""
    def reads_back(s):
        return F32_OF(float(s)) == x if is_float else float(s) == x

    for p in range(1, 18):
        mant, e = ("%.*e" % (p - 1, x)).split("e")
        digits = mant.replace(".", "")
        if reads_back(digits + "e%d" % (int(e) - p + 1)):
            break
        up = str(int(digits) + 1)
        if len(up) == p and reads_back(up + "e%d" % (int(e) - p + 1)):
            digits = up
            break
    return digits.rstrip("0") or "0", int(e)


NUMBERS = {}


def fmt_num(x, is_float):
    key = (struct.pack("<d", x), is_float)
    if key not in NUMBERS:
        NUMBERS[key] = format_number(x, is_float)
    return NUMBERS[key]


def format_number(x, is_float):
    if not math.isfinite(x):
        return "null"
    d, e = shortest(abs(x), is_float)
    sign = "-" if math.copysign(1.0, x) < 0 else ""
    if e < -4 or e >= 16:
        out = d[0] + ("." + d[1:] if len(d) > 1 else "") + "e%s%02d" % ("-" if e < 0 else "+", abs(e))
    elif e < 0:
        out = "0." + "0" * (-e - 1) + d
    else:
        whole = (d + "0" * (e + 1))[: e + 1]
        out = whole + "." + (d[e + 1:] or "0")
    out = sign + out
    if is_float:  # the digits numpy's shortest float32 repr (Dragon4) has
        ref = np.format_float_scientific(np.float32(abs(x)), unique=True, trim="-")
        m, re_ = ref.split("e")
        assert m.replace(".", "") == d and int(re_) == e, (x, out, ref)
    else:
        assert out == repr(x), (x, out, repr(x))
    return out


def dump(v):
    """JSON as voce writes it: json.dumps's separators and escapes (ensure_ascii=False),
    voce's numbers."""
    if isinstance(v, D):
        return fmt_num(v, False)
    if isinstance(v, F):
        return fmt_num(v, True)
    if v is None or isinstance(v, (bool, int, str)):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, list):
        return "[" + ", ".join(dump(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{" + ", ".join(json.dumps(k) + ": " + dump(x) for k, x in v.items()) + "}"
    raise TypeError(type(v))


# ---- the writers (whisper/utils.py's rules) ----

def fmt_ts(seconds, always_hours, marker):
    assert seconds >= 0
    ms = round(seconds * 1000.0)
    hours, ms = divmod(ms, 3_600_000)
    minutes, ms = divmod(ms, 60_000)
    secs, ms = divmod(ms, 1_000)
    h = "%02d:" % hours if always_hours or hours > 0 else ""
    return "%s%02d:%02d%s%03d" % (h, minutes, secs, marker, ms)


def subtitles(c):
    """(start, end, text) per cue: iterate_result with its defaults (segments kept, line
    width 1000, 1000 words a line)."""
    if c.segments and c.words:
        yield from word_subtitles(c)
        return
    for s in c.segments:
        yield s.start, s.end, seg_text(s).strip().replace("-->", "->")


def word_subtitles(c):
    width, per_line = 1000, 1000
    line_len, sub = 0, []
    for s in c.segments:
        words = [dict(word=decode(w.bytes), start=w.start, end=w.end) for w in s.words]
        for chunk in range(0, len(words), per_line):
            for i, w in enumerate(words[chunk:chunk + per_line]):
                w = dict(w)
                has_room = line_len + len(w["word"]) <= width
                seg_break = i == 0 and len(sub) > 0
                if line_len > 0 and has_room and not seg_break:
                    line_len += len(w["word"])
                else:
                    w["word"] = w["word"].strip()
                    if seg_break:
                        yield cue_of(sub)
                        sub = []
                    elif line_len > 0:
                        w["word"] = "\n" + w["word"]
                    line_len = len(w["word"].strip())
                sub.append(w)
    if sub:
        yield cue_of(sub)


def cue_of(sub):
    # voce also replaces "-->" here (whisper does only for segment text)
    return sub[0]["start"], sub[-1]["end"], "".join(w["word"] for w in sub).replace("-->", "->")


def write_txt(c):
    return "".join(seg_text(s).strip() + "\n" for s in c.segments)


def write_vtt(c):
    out = "WEBVTT\n\n"
    for a, b, text in subtitles(c):
        out += "%s --> %s\n%s\n\n" % (fmt_ts(a, False, "."), fmt_ts(b, False, "."), text)
    return out


def write_srt(c):
    out = ""
    for i, (a, b, text) in enumerate(subtitles(c), start=1):
        out += "%d\n%s --> %s\n%s\n\n" % (i, fmt_ts(a, True, ","), fmt_ts(b, True, ","), text)
    return out


def write_tsv(c):
    out = "start\tend\ttext\n"
    for s in c.segments:
        text = seg_text(s).strip()
        for ch in "\t\n\r":  # whisper: tabs; voce: line breaks too
            text = text.replace(ch, " ")
        out += "%d\t%d\t%s\n" % (round(1000 * s.start), round(1000 * s.end), text)
    return out


def segment_dict(i, s):
    return {"id": i, "seek": s.seek, "start": D(s.start), "end": D(s.end), "text": seg_text(s),
            "tokens": [t.id for t in s.tokens], "temperature": F(s.temperature),
            "avg_logprob": F(s.avg_logprob), "compression_ratio": F(s.compression_ratio),
            "no_speech_prob": F(s.no_speech_prob)}


def write_json(c):
    segs = []
    for i, s in enumerate(c.segments):
        d = segment_dict(i, s)
        if c.words:
            d["words"] = [{"word": decode(w.bytes), "start": D(w.start), "end": D(w.end),
                           "probability": F(w.prob)} for w in s.words]
        segs.append(d)
    lang = decode(c.language) if c.language is not None else ""
    return dump({"text": full_text(c), "segments": segs, "language": lang}) + "\n"


def write_verbose_json(c):
    if c.task == "translate":
        lang = "english"
    elif c.language_name is not None:
        lang = decode(c.language_name)
    else:
        lang = decode(c.language) if c.language is not None else ""
    d = {"task": c.task, "language": lang, "duration": D(c.duration), "text": full_text(c).strip(),
         "segments": [segment_dict(i, s) for i, s in enumerate(c.segments)]}
    if c.words:
        d["words"] = [{"word": decode(w.bytes).strip(), "start": D(w.start), "end": D(w.end)}
                      for s in c.segments for w in s.words]
    return dump(d) + "\n"


WRITERS = {"txt": write_txt, "srt": write_srt, "vtt": write_vtt, "tsv": write_tsv,
           "json": write_json, "verbose_json": write_verbose_json}


# ---- the cases ----

def toks(*pieces, id0=100, start=0.0):
    return [Tok(id0 + i, p, start, start) for i, p in enumerate(pieces)]


def cases():
    out = []
    # plain speech with timestamp tokens, as the Whisper runner gives it
    out.append(Case("basic", language=b"en", language_name=b"english", language_prob=0.97,
                    duration=8.470000267028809, segments=[
        Seg(0.0, 3.32, seek=0, avg_logprob=-0.2860786020755768, compression_ratio=1.2363636493682861,
            no_speech_prob=0.00985979475080967, tokens=[
                Tok(50364, b"", 0.0, 0.0), Tok(440, b" The", 0.0, 0.24, 0.9, -0.1),
                Tok(7534, b" beach", 0.24, 0.6, 0.8, -0.22), Tok(13, b".", 0.6, 0.62, 0.99, -0.01),
                Tok(50530, b"", 3.32, 3.32)]),
        Seg(3.32, 8.47, seek=0, temperature=0.2, avg_logprob=-0.5, compression_ratio=0.9,
            no_speech_prob=1e-05, tokens=toks(" People", " were", " swimming.")),
        Seg(32.980000000000004, 60.0, seek=3000, tokens=toks(" Later", " on.")),
    ]))
    # text that the writers must strip, escape, replace and repair
    out.append(Case("tricky", language=b"de", language_name=b"german", duration=12.0, segments=[
        Seg(0.0, 1.0, tokens=toks("  \t leading and trailing \t ", "\n")),
        Seg(1.0, 2.0, tokens=toks(" a --> b ---> c -- > d -->", "-->")),
        Seg(2.0, 3.0, tokens=toks(' "quoted" \\back\\slash\\ ', "tab\there")),
        Seg(3.0, 4.0, tokens=toks(" ctl \x01\x02\x1f\x7f\x08\x0c end", "\r\nnext line")),
        Seg(4.0, 5.0, tokens=toks(" caf\u00e9 \u65e5\u672c\u8a9e \U0001F600 \u2028x\u2029 ")),
        # U+00A0, U+3000, U+2003, U+0085 and U+001C are white space to str.strip(); U+200B not
        Seg(5.0, 6.0, tokens=toks("\u00a0\u3000\u2003 nbsp \u0085\x1c", "\u200b")),
        # a character split across tokens rejoins; ill-formed bytes become U+FFFD
        Seg(6.0, 7.0, tokens=[Tok(1, b" \xe6\x97"), Tok(2, b"\xa5 ok"), Tok(3, b" \xff lone"),
                              Tok(4, b" \xe2\x82 cut"), Tok(5, b" \xc0\x80 overlong"),
                              Tok(6, b" \xed\xa0\x80 surrogate"), Tok(7, b" \xf4\x90\x80\x80 big"),
                              Tok(8, b" \xf0\x9f\x98")]),
        Seg(7.0, 8.0, tokens=[Tok(9, b" nul\x00byte"), Tok(10, b" \x80\xbf\xc2")]),
        Seg(8.0, 9.0, tokens=[]),
        Seg(9.0, 10.0, text=" set\tdirectly ", tokens=toks(" ignored")),
    ]))
    # times at the rounding and carry edges (round half to even on seconds * 1000)
    edges = [0.0, 0.0005, 0.0015, 0.0025, 1.0005, 2.0005, 4.0005, 0.0625, 0.1875, 59.9995,
             599.9995, 3599.9995, 3599.9994999, 3600.0, 7199.9995, 35999.9995, 360000.0004]
    out.append(Case("times", language=b"en", duration=360000.5, segments=[
        Seg(a, b, tokens=toks(" t%d" % i)) for i, (a, b) in enumerate(zip(edges, edges[1:] + [360001.0]))
    ]))
    # word timestamps: subtitles from words, words in json and verbose_json
    long_words = [Word(" abcd", 30.0 + 0.01 * k, 30.0 + 0.01 * k + 0.005) for k in range(210)]
    out.append(Case("words", task="translate", words=True, language=b"fr", language_name=b"french",
                    duration=40.0, segments=[
        Seg(0.5, 2.0, tokens=toks(" Bonjour", " le", " monde."),
            words=[Word(" Bonjour", 0.52, 0.9, 0.95), Word(" le", 0.9, 1.1), Word(" monde.", 1.1, 1.96)]),
        Seg(2.0, 3.0, tokens=[], words=[]),
        Seg(3.0, 5.0, tokens=toks(" x --> y"),
            words=[Word("  x", 3.0, 3.5), Word(" -->", 3.5, 4.0), Word(" y ", 4.0, 4.9999)]),
        Seg(5.0, 6.0, tokens=toks(" a"), words=[Word(" ", 5.0, 5.1), Word(" a", 5.1, 5.2),
                                               Word(b" caf\xc3\xa9\xff", 5.2, 5.3)]),
        Seg(30.0, 33.0, tokens=toks(" abcd"), words=long_words),
    ]))
    # a segment of more than 1000 words: whisper's writers start a new cue every 1000
    many = [Word(" w%d" % (k % 10), 0.001 * k, 0.001 * k + 0.0005) for k in range(1003)]
    out.append(Case("many_words", words=True, language=b"en", duration=2.0, segments=[
        Seg(0.0, 1.003, tokens=toks(" w"), words=many)]))
    # nothing heard
    out.append(Case("empty", segments=[]))
    out.append(Case("empty_words", words=True, language=b"ja", language_name=b"japanese",
                    duration=1e16, segments=[]))
    # word timestamps on, but no segment has a word
    out.append(Case("no_words", words=True, language=b"en", duration=3.0, segments=[
        Seg(0.0, 1.0, tokens=toks(" um")), Seg(1.0, 2.0, tokens=toks(" uh"))]))
    # texts set directly; numbers that are not numbers; no language name
    out.append(Case("direct", language=b"xx", duration=float("inf"),
                    text=b"  The whole \xff text.\n ", segments=[
        Seg(0.25, 1.5, text=b" One.", avg_logprob=float("nan"), no_speech_prob=float("-inf"),
            temperature=1.0, compression_ratio=2.4, tokens=toks(" not", " this")),
        Seg(1e-07, 1e12, seek=-1, avg_logprob=-0.0, compression_ratio=3.4028234663852886e38,
            no_speech_prob=1.401298464324817e-45, temperature=1.1754943508222875e-38,
            tokens=[Tok(2**31 - 1, b" big", 1e-7, 123456789012345.67, 1e-5, -100.0)]),
    ]))
    out.append(numbers_case())
    return out


def numbers_case():
    """Many numbers for the shortest-digit formatting: random doubles and float32 bit
    patterns, powers of two and their neighbours (where the shortest decimal may lie on
    one side only), subnormals."""
    rng = np.random.RandomState(7)
    times = [5e-324, 2.2250738585072014e-308, 2.0 ** 42, 9e12]
    for k in range(-1074, 43, 7):
        x = math.ldexp(1.0, k)
        times += [x, math.nextafter(x, 0.0), math.nextafter(x, math.inf)]
    times += list(rng.uniform(0, 1e4, 60)) + list(rng.uniform(0, 1, 40) ** 8)
    floats = list(np.frombuffer(rng.randint(0, 2**32, 400, dtype=np.uint64).astype(np.uint32)
                                .tobytes(), dtype=np.float32))
    for k in range(-149, 128, 3):
        x = np.float32(math.ldexp(1.0, k))
        floats += [x, np.nextafter(x, np.float32(0)), np.nextafter(x, np.float32(np.inf))]
    floats = [float(f) for f in floats if np.isfinite(f)]
    segs = []
    for i in range(0, len(times) - 1, 2):
        f = [floats[(2 * i + k) % len(floats)] for k in range(4)]
        segs.append(Seg(float(times[i]), float(times[i + 1]), temperature=f[0], avg_logprob=f[1],
                        compression_ratio=f[2], no_speech_prob=f[3], tokens=toks(" n%d" % i)))
    return Case("numbers", language=b"en", duration=float(times[-1]), segments=segs)


def hexs(b):
    return "x" + (b.hex() if b else "")


def opt(b):
    return "-" if b is None else hexs(b)


def describe(c):
    lines = ["case " + c.name,
             "meta %s %d %r %s %s %r %s" % (c.task, c.words, c.duration, opt(c.language),
                                            opt(c.language_name), c.language_prob, opt(c.text))]
    for s in c.segments:
        lines.append("segment %r %r %d %r %r %r %r %s" % (
            s.start, s.end, s.seek, s.temperature, s.avg_logprob, s.compression_ratio,
            s.no_speech_prob, opt(s.text)))
        for t in s.tokens:
            lines.append("token %d %r %r %r %r %s" % (t.id, t.start, t.end, t.prob, t.logprob,
                                                       hexs(t.bytes)))
        for w in s.words:
            lines.append("word %r %r %r %s" % (w.start, w.end, w.prob, hexs(w.bytes)))
    lines.append("end")
    return "\n".join(lines) + "\n"


def main():
    if len(sys.argv) != 2:
        print(__doc__)
        return 2
    outdir = sys.argv[1]
    os.makedirs(outdir, exist_ok=True)
    all_cases = cases()
    for c in all_cases:
        for ext, write in WRITERS.items():
            text = write(c)
            if ext.endswith("json"):
                json.loads(text)  # valid JSON
            with open(os.path.join(outdir, "%s.%s" % (c.name, ext)), "wb") as f:
                f.write(text.encode("utf-8"))
    with open(os.path.join(outdir, "cases.txt"), "w") as f:
        for c in all_cases:
            f.write(describe(c))
    print("%d transcripts, %d files in %s" % (len(all_cases), len(all_cases) * len(WRITERS), outdir))
    return 0


if __name__ == "__main__":
    sys.exit(main())
