#!/usr/bin/env python3
"""Summary of bench/transducer_peers.sh's runs: runs.tsv, summary.tsv, table.md, tokens.tsv.

usage: transducer_peers_summary.py OUT

Reads OUT/logs/SHAPE-tT-TOOL-rR.{out,time,load,tokens}: the key=value line each engine
prints, GNU time's report (peak RSS), the 1/5/15-minute load averages before and after,
and the greedy tokens (a line per piece). Medians over the repetitions; ratios are of
medians (voce's programs against sherpa-onnx and ONNX Runtime at f32, same shape and
threads). Token agreement: voce f32 against ONNX Runtime in the same repetition (same
features, same algorithm), sherpa-onnx and voce's quantized programs against voce f32:
pieces identical, the mean common prefix, and difflib's similarity of the token streams.
"""
import difflib
import glob
import os
import re
import statistics
import sys

FIELDS = ["total_ms", "features_ms", "encoder_ms", "decode_ms", "total_cpu_ms", "encoder_cpu_ms", "decode_cpu_ms",
          "tokens", "evaluations", "open_ms"]
TOOL_ORDER = ["voce", "voce_w8", "voce_8da4w", "ort", "sherpa"]
NAMES = {"voce": "voce f32", "voce_w8": "voce w8", "voce_8da4w": "voce 8da4w", "ort": "ONNX Runtime f32",
         "sherpa": "sherpa-onnx f32"}


def kv(path):
    with open(path) as f:
        line = f.read().strip().splitlines()[-1]
    return dict(p.split("=", 1) for p in line.split() if "=" in p)


def peak_rss_mib(path):
    with open(path) as f:
        m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", f.read())
    return int(m.group(1)) / 1024.0 if m else float("nan")


def loads(path):
    with open(path) as f:
        rows = [ln.split() for ln in f.read().strip().splitlines()]
    return float(rows[0][0]), float(rows[-1][0])


def read_tokens(path):
    if not os.path.isfile(path):
        return None
    with open(path) as f:
        return [[int(x) for x in ln.split()] for ln in f.read().splitlines()]


def read_runs(out):
    runs = []
    for p in sorted(glob.glob(os.path.join(out, "logs", "*.out"))):
        tag = os.path.basename(p)[:-4]
        m = re.match(r"^(.+)-t(\d+)-(\w+)-r(\d+)$", tag)
        if not m:
            continue
        base = p[:-4]
        try:
            v = kv(p)
            before, after = loads(base + ".load")
        except (OSError, IndexError, ValueError):
            continue
        run = {"tag": tag, "shape": m.group(1), "threads": int(m.group(2)), "tool": m.group(3), "rep": int(m.group(4)),
               "rss_mib": peak_rss_mib(base + ".time"), "load_before": before, "load_after": after,
               "tokens_file": base + ".tokens"}
        for k in FIELDS:
            run[k] = float(v[k]) if k in v else float("nan")
        run["pieces"] = int(v.get("pieces", 0))
        run["audio_s"] = float(v.get("audio_s", "nan"))
        runs.append(run)
    return runs


def median(xs):
    xs = [x for x in xs if x == x]
    return statistics.median(xs) if xs else float("nan")


def fmt(x, digits=0):
    return "-" if x != x else ("%.*f" % (digits, x))


def agreement(a, b):
    """(pieces identical, pieces, mean common prefix, similarity of the streams)."""
    n = min(len(a), len(b))
    same = sum(1 for i in range(n) if a[i] == b[i])
    prefix = []
    for i in range(n):
        k = 0
        while k < min(len(a[i]), len(b[i])) and a[i][k] == b[i][k]:
            k += 1
        prefix.append(k)
    sa = [t for piece in a for t in piece + [-9]]
    sb = [t for piece in b for t in piece + [-9]]
    sim = difflib.SequenceMatcher(None, sa, sb, autojunk=False).ratio()
    return same, n, statistics.mean(prefix) if prefix else 0.0, sim


def main(out):
    runs = read_runs(out)
    if not runs:
        print("transducer_peers_summary: no runs in %s/logs" % out, file=sys.stderr)
        return 1
    cols = ["tag", "shape", "threads", "tool", "rep", "pieces"] + FIELDS + ["rss_mib", "load_before", "load_after"]
    with open(os.path.join(out, "runs.tsv"), "w") as f:
        f.write("\t".join(cols) + "\n")
        for r in runs:
            f.write("\t".join(str(r[c]) for c in cols) + "\n")
    groups = {}
    for r in runs:
        groups.setdefault((r["shape"], r["threads"], r["tool"]), []).append(r)
    summary = {}
    for key, rs in groups.items():
        s = {k: median([r[k] for r in rs]) for k in FIELDS + ["rss_mib"]}
        s["min_total_ms"] = min(r["total_ms"] for r in rs)
        s["n"] = len(rs)
        s["pieces"] = rs[0]["pieces"]
        s["load"] = (min(r["load_before"] for r in rs), max(max(r["load_before"], r["load_after"]) for r in rs))
        summary[key] = s
    scols = ["shape", "threads", "tool", "n", "pieces"] + FIELDS + ["min_total_ms", "rss_mib", "load_min", "load_max"]
    with open(os.path.join(out, "summary.tsv"), "w") as f:
        f.write("\t".join(scols) + "\n")
        for (shape, t, tool), s in sorted(summary.items()):
            row = [shape, t, tool, s["n"], s["pieces"]] + [s[k] for k in FIELDS] + [s["min_total_ms"], s["rss_mib"],
                                                                                   s["load"][0], s["load"][1]]
            f.write("\t".join(str(x) for x in row) + "\n")

    audio = {}
    for r in runs:
        if r["audio_s"] == r["audio_s"]:
            audio[r["shape"]] = r["audio_s"]
    lines = ["| shape | engine | total ms | encoder ms | decode ms | CPU ms (encoder) | tokens | peak RSS MiB "
             "| / sherpa-onnx | / ONNX Runtime | CPU / sherpa-onnx | runs | load |", "|" + "---|" * 13]
    for shape in sorted({k[0] for k in summary}, key=lambda s: (s != "small", s)):
        for t in sorted({k[1] for k in summary if k[0] == shape}):
            ref_sherpa = summary.get((shape, t, "sherpa"), {}).get("total_ms", float("nan"))
            ref_ort = summary.get((shape, t, "ort"), {}).get("total_ms", float("nan"))
            cpu_sherpa = summary.get((shape, t, "sherpa"), {}).get("total_cpu_ms", float("nan"))
            for tool in TOOL_ORDER:
                s = summary.get((shape, t, tool))
                if not s:
                    continue
                enc = s["encoder_ms"]
                dec = s["decode_ms"]
                cpu = fmt(s["total_cpu_ms"]) + ("" if s["encoder_cpu_ms"] != s["encoder_cpu_ms"]
                                                else " (%s)" % fmt(s["encoder_cpu_ms"]))
                lines.append("| %s (%s s, %d thr) | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %d | %.1f-%.1f |" % (
                    shape, fmt(audio.get(shape, float("nan"))), t, NAMES.get(tool, tool), fmt(s["total_ms"]), fmt(enc),
                    fmt(dec), cpu, fmt(s["tokens"]), fmt(s["rss_mib"]),
                    fmt(s["total_ms"] / ref_sherpa, 2), fmt(s["total_ms"] / ref_ort, 2),
                    fmt(s["total_cpu_ms"] / cpu_sherpa, 2), s["n"],
                    s["load"][0], s["load"][1]))
    tok = ["shape\trep\tpair\tpieces_identical\tpieces\tmean_common_prefix\tsimilarity\ttokens_a\ttokens_b"]
    agree_lines = []
    by = {(r["shape"], r["threads"], r["tool"], r["rep"]): r for r in runs}
    for (shape, t, tool, rep), r in sorted(by.items()):
        if tool == "voce":
            continue
        base = by.get((shape, t, "voce", rep))
        if not base:
            continue
        a, b = read_tokens(base["tokens_file"]), read_tokens(r["tokens_file"])
        if a is None or b is None:
            continue
        same, n, prefix, sim = agreement(a, b)
        pair = "voce f32 vs " + NAMES.get(tool, tool)
        tok.append("%s\t%d\t%s\t%d\t%d\t%.1f\t%.4f\t%d\t%d" % (shape, rep, pair, same, n, prefix, sim,
                                                              sum(map(len, a)), sum(map(len, b))))
        agree_lines.append((shape, pair, same, n, prefix, sim))
    with open(os.path.join(out, "tokens.tsv"), "w") as f:
        f.write("\n".join(tok) + "\n")
    lines += ["", "| shape | tokens | pieces identical | mean common prefix | similarity |", "|---|---|---|---|---|"]
    seen = set()
    for shape, pair, same, n, prefix, sim in agree_lines:
        if (shape, pair) in seen:
            continue
        seen.add((shape, pair))
        reps = [x for x in agree_lines if x[0] == shape and x[1] == pair]
        lines.append("| %s | %s | %s | %.1f | %.3f |" % (
            shape, pair, "/".join(sorted({"%d of %d" % (x[2], x[3]) for x in reps})), prefix, sim))
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 2:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
