#!/usr/bin/python3
"""How much can searching the hardware buy over the best fixed array?

For every network a set of runs found (each run's best.arch and
top/*.arch under RUNS, duplicates once), the energy-delay product on
each fixed array of the PE budget (every R x C = budget with R and C
powers of two of at least 4, the co-search's own shapes, each dataflow, the SRAM budget split evenly) and on the
network's own best hardware of the co-search budget (`apnas cost
--sweep`: every shape, dataflow and SRAM split in eighths, or one of the
fixed arrays if that is better).  The best fixed array
is the one with the lowest geometric mean EDP over the networks; its
EDP over each network's own best is the most a co-search could gain
from the hardware alone, had it found the same networks.  Prints
markdown.  Standard library only.

    python3 scripts/cosearch_headroom.py RUNS APNAS [--pe-budget N]
        [--sram-kb K] [--config CFG] [--samples N] [--metric M]

--metric M ranks by another metric the cost model declares that is
lower-is-better (default edp; cycles, latency_cycles, energy_pj).

--samples N takes, instead of the runs' best networks, the first N
distinct networks that the runs sampled (samples.jsonl, in file order):
from a random-search run, a uniform sample of the space.

APNAS_PLUGIN_PATH must name the plugins of that apnas, as for any run."""
import argparse
import glob
import hashlib
import json
import math
import os
import shutil
import statistics
import subprocess
import sys
import tempfile


def run_json(cmd):
    try:
        r = subprocess.run(cmd, capture_output=True, text=True)
    except OSError as e:
        sys.exit("cosearch_headroom: %s: %s" % (cmd[0], e.strerror))
    if r.returncode != 0:
        sys.exit("cosearch_headroom: %s: %s" % (" ".join(cmd),
                                                r.stderr.strip()))
    return json.loads(r.stdout)


def networks(runs):
    """Every best.arch and top/*.arch under runs, one per network body
    (the lines before a hardware section, comments dropped)."""
    seen, out = set(), []
    files = sorted(glob.glob(os.path.join(runs, "**", "best.arch"),
                             recursive=True) +
                   glob.glob(os.path.join(runs, "**", "top", "*.arch"),
                             recursive=True))
    for f in files:
        if os.sep + "retrain" + os.sep in f:
            continue
        body = []
        with open(f) as fh:
            for line in fh:
                if line.startswith("cost ") or line.startswith("hardware"):
                    break
                if not line.startswith("#"):
                    body.append(line)
        key = hashlib.sha256("".join(body).encode()).hexdigest()
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out


def sampled(runs, n, tmp):
    """The first n distinct networks of the runs' samples.jsonl, written
    as architecture files (the run's best.arch head, then the body)."""
    out, seen = [], set()
    for sj in sorted(glob.glob(os.path.join(runs, "**", "samples.jsonl"),
                               recursive=True)):
        head = []
        with open(os.path.join(os.path.dirname(sj), "best.arch")) as fh:
            for line in fh:
                if line.startswith("---"):
                    break
                if not line.startswith("#"):
                    head.append(line)
        with open(sj) as fh:
            for line in fh:
                text = json.loads(line)["text"]
                if text in seen:
                    continue
                seen.add(text)
                path = os.path.join(tmp, "%05d.arch" % len(out))
                with open(path, "w") as w:
                    w.write("".join(head) + "---\n" + text)
                out.append(path)
                if len(out) == n:
                    return out
    return out


def shapes(budget):
    r, out = 1, []
    while r <= budget:
        # both sides at least 4, as the co-search's "auto" shapes
        if r >= 4 and budget // r >= 4:
            out.append((r, budget // r))
        r *= 2
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("runs")
    ap.add_argument("apnas")
    ap.add_argument("--pe-budget", type=int, default=256)
    ap.add_argument("--sram-kb", type=int, default=192)
    ap.add_argument("--config", default="configs/study/cosearch.cfg")
    ap.add_argument("--samples", type=int, default=0)
    ap.add_argument("--metric", default="edp")
    a = ap.parse_args()
    if a.pe_budget < 1 or a.pe_budget & (a.pe_budget - 1):
        sys.exit("cosearch_headroom: --pe-budget %d: expected a power of two"
                 % a.pe_budget)
    if a.sram_kb < 3 or a.sram_kb % 3:
        sys.exit("cosearch_headroom: --sram-kb %d: expected a multiple of 3 "
                 "(the fixed arrays split it evenly)" % a.sram_kb)
    tmp = tempfile.mkdtemp(prefix="cosearch_headroom.")
    try:
        report(a, sampled(a.runs, a.samples, tmp) if a.samples > 0
               else networks(a.runs))
    finally:
        shutil.rmtree(tmp)


def report(a, nets):
    if not nets:
        sys.exit("cosearch_headroom: %s: no best.arch or top/*.arch" % a.runs)
    third = a.sram_kb // 3
    fixed = [(r, c, df) for r, c in shapes(a.pe_budget)
             for df in ("os", "ws", "is")]
    # val[f][n]: network n on fixed array f; own[n]: on its best hardware
    val = {f: [] for f in fixed}
    own, own_hw = [], []
    for n in nets:
        sw = run_json([a.apnas, "cost", a.config, "--arch", n, "--sweep",
                       "--sort", a.metric, "--top", "1", "--format", "json",
                       "--set", "cost.search_pe_budget=%d" % a.pe_budget,
                       "--set", "cost.search_sram_kb_budget=%d" % a.sram_kb])
        own.append(sw["rows"][0]["total"][a.metric])
        own_hw.append(sw["rows"][0]["hardware"])
        for f in fixed:
            t = run_json([a.apnas, "cost", a.config, "--arch", n,
                          "--format", "json",
                          "--set", "cost.search_pe_budget=0",
                          "--set", "cost.search_sram_kb_budget=0",
                          "--set", "cost.rows=%d" % f[0],
                          "--set", "cost.cols=%d" % f[1],
                          "--set", "cost.dataflow=%s" % f[2],
                          "--set", "cost.ifmap_sram_kb=%d" % third,
                          "--set", "cost.filter_sram_kb=%d" % third,
                          "--set", "cost.ofmap_sram_kb=%d" % third])
            val[f].append(t["total"][a.metric])
        # the even split is not one of the sweep's eighths: a fixed
        # array may beat every swept setting, and is then the best
        for f in fixed:
            if val[f][-1] < own[-1]:
                own[-1] = val[f][-1]
                own_hw[-1] = "%dx%d %s %d/%d/%d" % (f + (third,) * 3)

    def gmean(xs):
        return math.exp(sum(math.log(x) for x in xs) / len(xs))

    print("%d networks from %s; budget %d PEs, %d kB of SRAM (fixed arrays: "
          "%d/%d/%d kB)\n" % (len(nets), a.runs, a.pe_budget, a.sram_kb,
                              third, third, third))
    print("| fixed array | geo-mean %s | its %s over each "
          "network's best hardware: median (min..max) |" % (a.metric,
                                                             a.metric))
    print("|---|---|---|")
    ranked = sorted(fixed, key=lambda f: gmean(val[f]))
    for f in ranked:
        q = [e / o for e, o in zip(val[f], own)]
        print("| %dx%d %s | %.4g | %.2f (%.2f..%.2f) |" % (
            f[0], f[1], f[2], gmean(val[f]), statistics.median(q),
            min(q), max(q)))
    best = ranked[0]
    q = sorted(e / o for e, o in zip(val[best], own))
    print("\nBest fixed array: %dx%d %s. For the same networks, each "
          "network's own best hardware of the budget lowers the %s by "
          "%.2fx (geometric mean; median %.2fx, at most %.2fx); %d of %d "
          "networks gain 1.3x or more." % (
              best[0], best[1], best[2], a.metric,
              gmean(q), statistics.median(q), q[-1],
              sum(1 for x in q if x >= 1.3), len(q)))
    hw = {}
    for h in own_hw:
        k = " ".join(h.split()[:2])
        hw[k] = hw.get(k, 0) + 1
    print("Each network's best hardware (shape and dataflow): " +
          ", ".join("%s %d" % (k, v) for k, v in
                    sorted(hw.items(), key=lambda kv: -kv[1])) + ".")


if __name__ == "__main__":
    main()
