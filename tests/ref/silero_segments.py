#!/usr/bin/env python3
"""Speech segments from Silero VAD window probabilities, by the rules of silero-vad's
get_speech_timestamps() (snakers4/silero-vad, src/silero_vad/utils_vad.py), written
here from those rules so that tests can check voce's segmenter without torch or the
silero-vad package.

The rules, as the upstream function applies them (window W = 512 samples at 16 kHz,
256 at 8 kHz; window i starts at sample W*i; probabilities compared as doubles):

  * neg_threshold defaults to max(threshold - 0.15, 0.01).
  * Sample counts are floats: min_speech = sr*ms/1000, pad = sr*ms/1000,
    min_silence = sr*ms/1000, min_silence_at_max = sr*ms/1000 and
    max_speech = sr*max_s - W - 2*pad (may be negative, or inf).
  * Not in speech: p >= threshold starts speech at W*i; nothing else happens in that
    window.
  * In speech, p >= threshold after a silence began (temp_end != 0): the silence
    [temp_end, W*i) is remembered as a possible split point when it is longer than
    min_silence_at_max, and the silence is forgotten.
  * In speech, when W*i - start > max_speech: if possible split points exist, the
    segment ends at the one with the longest silence (the first of equal ones) and a
    new one starts where that silence ended (the upstream test that would end speech
    instead can never be true for a silence that ended before W*i, but is kept);
    split points that begin after the new start are kept, the others dropped, and the
    window goes on to the silence rule below. Without split points the segment is cut
    at W*i, speech ends and the window is done.
  * In speech, p < neg_threshold: a silence begins at W*i unless one is running; once
    W*i - temp_end >= min_silence the segment ends at temp_end and is kept when
    end - start > min_speech.
  * At the end a segment still open is closed at n_samples and kept when
    n_samples - start > min_speech (note: the start, not the end, decides).
  * Padding, first to last: the first start moves back by pad (not below 0); between
    two segments the gap is measured from the raw end to the next segment's raw
    start; a gap shorter than 2*pad is split in half (gap // 2 added to the end and
    taken from the next start), else the end moves on by pad (not past n_samples) and
    the next start back by pad (not below 0); the last end moves on by pad (not past
    n_samples). Values pass through int() (truncation).

Module:  segments(probs, n_samples, ...) -> [(start, end), ...] in samples.
CLI:     silero_segments.py PROBS.npy N_SAMPLES [--sample-rate 16000] [--threshold 0.5]
             [--neg-threshold X] [--min-speech-ms 250] [--min-silence-ms 100]
             [--pad-ms 30] [--max-speech-s S (0 or inf: none)]
             [--min-silence-at-max-speech-ms 98]
         prints {"segments": [[start, end], ...]}.
"""
import argparse
import json
import math
import sys

import numpy as np


def window_size(sample_rate):
    if sample_rate == 16000:
        return 512
    if sample_rate == 8000:
        return 256
    raise ValueError("Silero VAD works at 16000 or 8000 Hz, not %r" % (sample_rate,))


def default_neg_threshold(threshold):
    return max(threshold - 0.15, 0.01)


def _raw_segments(probs, n_samples, sr, threshold, neg, min_speech_ms, min_silence_ms,
                  pad_ms, max_speech_s, min_sil_max_ms):
    """Segments before padding, as dicts {'start', 'end'} (ints)."""
    w = window_size(sr)
    min_speech = sr * min_speech_ms / 1000
    pad = sr * pad_ms / 1000
    max_speech = sr * max_speech_s - w - 2 * pad
    min_silence = sr * min_silence_ms / 1000
    min_sil_max = sr * min_sil_max_ms / 1000

    out = []
    seg = None            # the open segment: {'start': ...}, or None
    in_speech = False
    silence_from = 0      # where the running silence began; 0: none (upstream temp_end)
    split_end = 0         # upstream prev_end: only non-zero inside the split branch
    resume = 0            # upstream next_start
    splits = []           # (silence start, silence length) inside the open segment

    def reset_marks():
        nonlocal split_end, resume, silence_from
        split_end = resume = silence_from = 0

    for i, p in enumerate(probs):
        here = w * i
        speech = p >= threshold

        if speech and silence_from:
            gap = here - silence_from
            if gap > min_sil_max:
                splits.append((silence_from, gap))
            silence_from = 0
            if resume < split_end:      # unreachable upstream (split_end is 0 here)
                resume = here

        if speech and not in_speech:
            in_speech = True
            seg = {'start': here}
            continue

        if in_speech and here - seg['start'] > max_speech:
            if splits:
                best = splits[0]
                for s in splits[1:]:
                    if s[1] > best[1]:
                        best = s
                split_end, gap = best
                seg['end'] = split_end
                out.append(seg)
                seg = None
                resume = split_end + gap
                if resume < split_end + here:
                    seg = {'start': resume}
                else:
                    in_speech = False
                splits = [s for s in splits if s[0] > resume]
                reset_marks()
            else:
                seg['end'] = here
                out.append(seg)
                seg = None
                reset_marks()
                in_speech = False
                splits = []
                continue

        if in_speech and p < neg:
            if not silence_from:
                silence_from = here
            if here - silence_from < min_silence:
                continue
            seg['end'] = silence_from
            if seg['end'] - seg['start'] > min_speech:
                out.append(seg)
            seg = None
            reset_marks()
            in_speech = False
            splits = []
            continue

    if seg is not None and n_samples - seg['start'] > min_speech:
        seg['end'] = n_samples
        out.append(seg)
    return out, pad


def segments(probs, n_samples, sample_rate=16000, threshold=0.5, neg_threshold=None,
             min_speech_ms=250, min_silence_ms=100, speech_pad_ms=30,
             max_speech_s=float('inf'), min_silence_at_max_speech_ms=98):
    """[(start, end), ...] in samples for window probabilities `probs` of an audio of
    n_samples samples. Probabilities are compared as Python floats (a float32 array
    gives the exact float32 values, as torch's .item() does upstream)."""
    probs = [float(p) for p in np.asarray(probs).reshape(-1).tolist()]
    if neg_threshold is None:
        neg_threshold = default_neg_threshold(threshold)
    if max_speech_s is None or max_speech_s == 0:
        max_speech_s = float('inf')
    segs, pad = _raw_segments(probs, int(n_samples), sample_rate, threshold, neg_threshold,
                              min_speech_ms, min_silence_ms, speech_pad_ms, max_speech_s,
                              min_silence_at_max_speech_ms)
    n = int(n_samples)
    last = len(segs) - 1
    for k, s in enumerate(segs):
        if k == 0:
            s['start'] = int(max(0, s['start'] - pad))
        if k == last:
            s['end'] = int(min(n, s['end'] + pad))
            continue
        nxt = segs[k + 1]
        gap = nxt['start'] - s['end']          # both still unpadded here
        if gap < 2 * pad:
            s['end'] += int(gap // 2)
            nxt['start'] = int(max(0, nxt['start'] - gap // 2))
        else:
            s['end'] = int(min(n, s['end'] + pad))
            nxt['start'] = int(max(0, nxt['start'] - pad))
    return [(int(s['start']), int(s['end'])) for s in segs]


def main(argv):
    ap = argparse.ArgumentParser(description="Silero VAD segments from window probabilities "
                                             "(get_speech_timestamps rules)")
    ap.add_argument("probs", help=".npy of window probabilities (any float dtype, 1-D)")
    ap.add_argument("n_samples", type=int, help="length of the audio in samples")
    ap.add_argument("--sample-rate", type=int, default=16000)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--neg-threshold", type=float, default=None)
    ap.add_argument("--min-speech-ms", type=float, default=250)
    ap.add_argument("--min-silence-ms", type=float, default=100)
    ap.add_argument("--pad-ms", type=float, default=30)
    ap.add_argument("--max-speech-s", type=float, default=math.inf, help="0 or inf: no limit")
    ap.add_argument("--min-silence-at-max-speech-ms", type=float, default=98)
    a = ap.parse_args(argv)
    probs = np.load(a.probs)
    segs = segments(probs, a.n_samples, a.sample_rate, a.threshold, a.neg_threshold,
                    a.min_speech_ms, a.min_silence_ms, a.pad_ms, a.max_speech_s,
                    a.min_silence_at_max_speech_ms)
    print(json.dumps({"segments": [list(s) for s in segs]}))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
