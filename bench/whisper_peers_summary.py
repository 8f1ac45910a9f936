#!/usr/bin/env python3
"""Tables of bench/whisper_peers.sh's runs.

usage: whisper_peers_summary.py OUT STEPS

Reads OUT/logs/<shape>-<input>-t<threads>-<tool>-r<rep>.{out,err,time,load,tokens}
(tool: voce, ort, cpp, voce_<quant>) and writes OUT/runs.tsv (a row per run),
OUT/summary.tsv (per configuration: the least time over the repetitions, the median
peak RSS), OUT/tokens.tsv (voce's greedy tokens against ONNX Runtime's, window by
window) and OUT/table.md (the comparison, ratios voce / peer: below 1 is voce faster or
smaller), and prints table.md.
"""
import glob
import os
import re
import statistics
import sys

TAG = re.compile(r"(\w+)-(\w+)-t(\d+)-(voce|ort|ortplain|cpp|voce_\w+)-r(\d+)$")
COLS = ["windows", "enc_ms", "enc_cpu_ms", "prompt_ms", "dec_ms", "dec_cpu_ms", "n_decode", "sample_ms",
        "rss_mib", "wall_s", "cpu_share", "enc_cpu_est", "dec_cpu_est", "load_start", "load_end"]
NAN = float("nan")


def keyvals(path):
    text = open(path, errors="replace").read()
    return {k: float(v) for k, v in re.findall(r"(\w+)=([-\d.]+)", text)}


def ours(log, steps):
    """voce's bench_whisper or whisper_ort.js: one key=value line."""
    v = keyvals(log + ".out")
    w = int(v.get("windows", 1))
    return {"windows": w, "enc_ms": v.get("encoder_mean_ms", NAN), "enc_cpu_ms": v.get("encoder_cpu_ms", NAN),
            "prompt_ms": v.get("prompt_ms", NAN), "dec_ms": v.get("decode_ms_per_token", NAN),
            "dec_cpu_ms": v.get("decode_cpu_ms_per_token", NAN), "n_decode": int(v.get("steps", steps)) * w,
            "sample_ms": NAN}


def whisper_cpp(log):
    text = open(log + ".err", errors="replace").read()
    v = {"enc_cpu_ms": NAN, "dec_cpu_ms": NAN}
    runs = {}
    for k in ("encode", "decode", "batchd", "sample"):
        g = re.search(k + r" time =\s*([\d.]+) ms /\s*(\d+) runs \(\s*([\d.]+) ms per run\)", text)
        runs[k] = (float(g.group(1)), int(g.group(2)), float(g.group(3))) if g else (NAN, 0, NAN)
    w = runs["encode"][1]
    v["windows"] = w
    v["enc_ms"] = runs["encode"][2]
    v["dec_ms"] = runs["decode"][2]
    v["n_decode"] = runs["decode"][1]
    v["prompt_ms"] = runs["batchd"][0] / w if w else NAN  # its batchd counts the prompt's tokens
    v["sample_ms"] = runs["sample"][0]
    return v


def process(log, v):
    tm = open(log + ".time").read()
    g = re.search(r"Maximum resident set size \(kbytes\): (\d+)", tm)
    v["rss_mib"] = int(g.group(1)) / 1024.0 if g else NAN
    g = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)", tm)
    v["wall_s"] = (int(g.group(1) or 0) * 3600 + int(g.group(2)) * 60 + float(g.group(3))) if g else NAN
    cpu = 0.0
    for name in ("User time", "System time"):
        g = re.search(name + r" \(seconds\): ([\d.]+)", tm)
        cpu += float(g.group(1)) if g else NAN
    # CPU seconds per wall second of the whole process: for a one-thread run, the share of
    # a core it got (below 1 when the machine was busy)
    v["cpu_share"] = cpu / v["wall_s"] if v["wall_s"] else NAN
    # whisper.cpp reports no CPU time per phase: its wall time at that share estimates it
    # (checked on voce and ONNX Runtime, which measure both)
    v["enc_cpu_est"] = v["enc_ms"] * v["cpu_share"]
    v["dec_cpu_est"] = v["dec_ms"] * v["cpu_share"]
    try:
        loads = [float(x) for x in open(log + ".load").read().split()]
    except (OSError, ValueError):
        loads = []
    v["load_start"] = loads[0] if loads else NAN
    v["load_end"] = loads[1] if len(loads) > 1 else NAN
    return v


def fmt(x):
    if isinstance(x, int):
        return str(x)
    return "%.2f" % x


def read_runs(out, steps):
    rows = []
    for f in sorted(glob.glob(os.path.join(out, "logs", "*.time"))):
        log = f[:-5]
        m = TAG.match(os.path.basename(log))
        if not m:
            continue
        shape, inp, t, tool, r = m.group(1), m.group(2), int(m.group(3)), m.group(4), int(m.group(5))
        v = whisper_cpp(log) if tool == "cpp" else ours(log, steps)
        rows.append(((shape, inp, t, tool, r), process(log, v), log))
    return rows


def best(rows):
    groups = {}
    for key, v, _ in rows:
        groups.setdefault(key[:4], []).append(v)
    summary = {}
    for key, vs in groups.items():
        s = {}
        for c in COLS:
            xs = [x[c] for x in vs if x[c] == x[c]]
            if c in ("rss_mib", "load_start", "load_end", "windows", "n_decode", "cpu_share"):
                s[c] = statistics.median(xs) if xs else NAN
            else:
                s[c] = min(xs) if xs else NAN
        s["runs"] = len(vs)
        s["spread_dec"] = (max(x["dec_ms"] for x in vs) / s["dec_ms"]) if s["dec_ms"] else NAN
        s["spread_enc"] = (max(x["enc_ms"] for x in vs) / s["enc_ms"]) if s["enc_ms"] else NAN
        summary[key] = s
    return summary


def tokens(rows, out):
    """voce f32 vs ONNX Runtime and vs voce's quantized programs, same configuration and
    repetition."""
    logs = {key: log for key, _, log in rows}
    lines = ["shape\tinput\tthreads\trep\tcompared\twindows\twindows_equal\ttokens_per_window"
             "\tfirst_diff (window:step)"]
    agree = {}
    for key, log in sorted(logs.items()):
        shape, inp, t, tool, r = key
        other = key[:3] + ("ort", r)
        if tool.startswith("voce_") and key[:3] + ("voce", r) in logs:
            other, log = key, logs[key[:3] + ("voce", r)]
        elif tool != "voce" or other not in logs:
            continue
        try:
            a = open(log + ".tokens").read().split("\n")
            b = open(logs[other] + ".tokens").read().split("\n")
        except OSError:
            continue
        a = [x.split() for x in a if x.strip()]
        b = [x.split() for x in b if x.strip()]
        equal, first = 0, []
        for w, (x, y) in enumerate(zip(a, b)):
            if x == y:
                equal += 1
            else:
                d = next((i for i, (p, q) in enumerate(zip(x, y)) if p != q), min(len(x), len(y)))
                first.append("%d:%d" % (w, d))
        n = max(len(a), len(b))
        lines.append("\t".join([shape, inp, str(t), str(r), "voce-" + other[3], str(n), str(equal),
                                str(len(a[0]) if a else 0), ",".join(first) or "-"]))
        if other[3] == "ort":
            agree.setdefault((shape, inp, t), []).append((equal, n))
    open(os.path.join(out, "tokens.tsv"), "w").write("\n".join(lines) + "\n")
    return agree


def ratio(a, b):
    return "%.2f" % (a / b) if a == a and b == b and b else "-"


def table(summary, agree):
    configs = sorted({k[:3] for k in summary}, key=lambda k: (k[0] != "tiny", k[0], k[1] != "jfk", k[1], k[2]))
    out = []
    out.append("| shape | input | threads | encoder ms voce / ORT / w.cpp | voce/ORT | voce/w.cpp "
               "| decode ms/token voce / ORT / w.cpp | voce/ORT | voce/w.cpp | peak RSS MiB voce / ORT / w.cpp "
               "| tokens voce = ORT |")
    out.append("|---|---|---|---|---|---|---|---|---|---|---|")
    for c in configs:
        v, o, p = (summary.get(c + (t,)) for t in ("voce", "ort", "cpp"))
        g = lambda s, k: s[k] if s else NAN  # noqa: E731
        ag = agree.get(c, [])
        tok = "%d/%d windows" % (min(e for e, _ in ag), ag[0][1]) if ag else "-"
        out.append(("| %s | %s | %d | %.0f / %.0f / %.0f | %s | %s | %.2f / %.2f / %.2f | %s | %s "
                    "| %.0f / %.0f / %.0f | %s |") % (
            c[0], c[1], c[2], g(v, "enc_ms"), g(o, "enc_ms"), g(p, "enc_ms"), ratio(g(v, "enc_ms"), g(o, "enc_ms")),
            ratio(g(v, "enc_ms"), g(p, "enc_ms")), g(v, "dec_ms"), g(o, "dec_ms"), g(p, "dec_ms"),
            ratio(g(v, "dec_ms"), g(o, "dec_ms")), ratio(g(v, "dec_ms"), g(p, "dec_ms")), g(v, "rss_mib"),
            g(o, "rss_mib"), g(p, "rss_mib"), tok))
    out.append("")
    out.append("One thread, CPU time (least over the repetitions; voce and ONNX Runtime measure it, process "
               "CPU time over the phase; whisper.cpp's is estimated as its phase's wall time x the process's "
               "CPU / wall share, marked ~). On a shared machine this moves less than the wall time:")
    out.append("")
    out.append("| shape | input | encoder CPU ms voce / ORT / ~w.cpp | voce/ORT | voce/~w.cpp "
               "| decode CPU ms/token voce / ORT / ~w.cpp | voce/ORT | voce/~w.cpp |")
    out.append("|---|---|---|---|---|---|---|---|")
    for c in configs:
        if c[2] != 1:
            continue
        v, o, p = (summary.get(c + (t,)) for t in ("voce", "ort", "cpp"))
        g = lambda s, k: s[k] if s else NAN  # noqa: E731
        out.append("| %s | %s | %.0f / %.0f / %.0f | %s | %s | %.2f / %.2f / %.2f | %s | %s |" % (
            c[0], c[1], g(v, "enc_cpu_ms"), g(o, "enc_cpu_ms"), g(p, "enc_cpu_est"),
            ratio(g(v, "enc_cpu_ms"), g(o, "enc_cpu_ms")), ratio(g(v, "enc_cpu_ms"), g(p, "enc_cpu_est")),
            g(v, "dec_cpu_ms"), g(o, "dec_cpu_ms"), g(p, "dec_cpu_est"),
            ratio(g(v, "dec_cpu_ms"), g(o, "dec_cpu_ms")), ratio(g(v, "dec_cpu_ms"), g(p, "dec_cpu_est"))))
    quant = sorted({k[3] for k in summary if k[3].startswith("voce_")})
    if quant:
        out.append("")
        out.append("voce's quantized programs (best of the repetitions; ratio to voce f32 and to whisper.cpp f32; "
                   "CPU columns: one thread only, whisper.cpp's estimated as above):")
        out.append("")
        out.append("| shape | input | threads | program | encoder ms | vs voce f32 | vs w.cpp | decode ms/token "
                   "| vs voce f32 | vs w.cpp | encoder CPU ms | vs voce f32 | vs ~w.cpp | decode CPU ms/token "
                   "| vs voce f32 | vs ~w.cpp | peak RSS MiB |")
        out.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for c in configs:
            f, p = summary.get(c + ("voce",)), summary.get(c + ("cpp",))
            for q in quant:
                s = summary.get(c + (q,))
                if not s:
                    continue
                g = lambda s_, k: s_[k] if s_ else NAN  # noqa: E731
                one = c[2] == 1
                cpu = ("%.0f | %s | %s | %.2f | %s | %s" % (
                    s["enc_cpu_ms"], ratio(s["enc_cpu_ms"], g(f, "enc_cpu_ms")),
                    ratio(s["enc_cpu_ms"], g(p, "enc_cpu_est")), s["dec_cpu_ms"],
                    ratio(s["dec_cpu_ms"], g(f, "dec_cpu_ms")), ratio(s["dec_cpu_ms"], g(p, "dec_cpu_est")))
                       if one else "- | - | - | - | - | -")
                out.append("| %s | %s | %d | %s | %.0f | %s | %s | %.2f | %s | %s | %s | %.0f |" % (
                    c[0], c[1], c[2], q[5:], s["enc_ms"], ratio(s["enc_ms"], g(f, "enc_ms")),
                    ratio(s["enc_ms"], g(p, "enc_ms")), s["dec_ms"], ratio(s["dec_ms"], g(f, "dec_ms")),
                    ratio(s["dec_ms"], g(p, "dec_ms")), cpu, s["rss_mib"]))
    return "\n".join(out) + "\n"


def main():
    if len(sys.argv) != 3:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    out, steps = sys.argv[1], int(sys.argv[2])
    rows = read_runs(out, steps)
    if not rows:
        print("whisper_peers_summary: no runs under %s/logs" % out, file=sys.stderr)
        return 1
    with open(os.path.join(out, "runs.tsv"), "w") as f:
        f.write("\t".join(["shape", "input", "threads", "tool", "rep"] + COLS) + "\n")
        for key, v, _ in sorted(rows, key=lambda x: x[0]):
            f.write("\t".join([key[0], key[1], str(key[2]), key[3], str(key[4])] + [fmt(v[c]) for c in COLS]) + "\n")
    summary = best(rows)
    with open(os.path.join(out, "summary.tsv"), "w") as f:
        f.write("# least time over the repetitions (runs), median RSS and load; spread = slowest / fastest\n")
        f.write("\t".join(["shape", "input", "threads", "tool", "runs"] + COLS + ["spread_enc", "spread_dec"]) + "\n")
        for key in sorted(summary):
            s = summary[key]
            f.write("\t".join([key[0], key[1], str(key[2]), key[3], str(s["runs"])]
                              + [fmt(s[c]) for c in COLS + ["spread_enc", "spread_dec"]]) + "\n")
    bad = [k for k, s in summary.items() if k[3] == "cpp" and s["n_decode"] != steps * s["windows"]]
    agree = tokens(rows, out)
    text = table(summary, agree)
    if bad:
        text += "\nwhisper.cpp decoded other than %d tokens per window in: %s\n" % (
            steps, ", ".join("-".join(map(str, k)) for k in bad))
    open(os.path.join(out, "table.md"), "w").write(text)
    print(text, end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
