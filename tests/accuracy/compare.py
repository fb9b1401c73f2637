#!/usr/bin/env python
"""Compare trainfit's predicted peaks (and the peers') with the measured ones in measured.json.

  python compare.py                         # trainfit via `cargo run -q --release -p trainfit-probe`
  python compare.py --trainfit PATH/TO/BIN  # a built binary: BIN estimate --input FILE --json
  python compare.py --no-trainfit           # peers only
  python compare.py --cases 'llama*'        # a subset (fnmatch on the id)

Prints one line per case (measured peak, trainfit's prediction, relative error, the peers') and the
summaries, and writes the same as markdown to out/report.md (raw numbers in out/compare.json).
Needs only the Python standard library. Relative error = (predicted - measured) / measured.
"""
from __future__ import annotations

import argparse
import fnmatch
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
PEERS = ("accelerate", "deepspeed_zero2", "deepspeed_zero3", "llm_analysis")
GIB = 2**30


def trainfit_request(case):
    """The request sent to trainfit: the case's request with its HF config inlined."""
    req = json.loads(json.dumps(case["request"]))
    path = os.path.join(HERE, req["model"]["hf_config_file"])
    with open(path) as f:
        req["model"] = {"hf_config": json.load(f)}
    return req


class Trainfit:
    def __init__(self, binary=None, timeout=120):
        self.binary = binary
        self.timeout = timeout
        self.broken = None  # set when the tool cannot run at all (no point retrying per case)

    def command(self, path):
        if self.binary:
            return [self.binary, "estimate", "--input", path, "--json"]
        return ["cargo", "run", "-q", "--release", "-p", "trainfit-probe", "--", "estimate", "--input", path,
                "--json"]

    def predict(self, case):
        if self.broken:
            return None, self.broken
        fd, path = tempfile.mkstemp(prefix="trainfit-req-", suffix=".json")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(trainfit_request(case), f)
            try:
                p = subprocess.run(self.command(path), cwd=REPO, capture_output=True, text=True,
                                   timeout=self.timeout)
            except FileNotFoundError as e:
                self.broken = f"cannot run trainfit: {e}"
                return None, self.broken
            except subprocess.TimeoutExpired:
                return None, "timeout"
        finally:
            os.unlink(path)
        if p.returncode != 0:
            err = (p.stderr or p.stdout).strip().splitlines()
            msg = err[-1] if err else f"exit {p.returncode}"
            low = msg.lower()
            if "package" in low and ("not found" in low or "no such" in low or "did not match" in low):
                self.broken = f"trainfit-probe not available: {msg}"
            return None, msg[:300]
        try:
            out = json.loads(p.stdout)
        except json.JSONDecodeError:
            # tolerate log lines before the JSON document
            start = p.stdout.find("{")
            try:
                out = json.loads(p.stdout[start:]) if start >= 0 else None
            except json.JSONDecodeError:
                out = None
            if out is None:
                return None, "output is not JSON"
        if not isinstance(out, dict) or not isinstance(out.get("peak_allocated_bytes"), (int, float)):
            return None, "no peak_allocated_bytes in the output"
        return out, None


def rel(pred, meas):
    if pred is None or not meas:
        return None
    return (pred - meas) / meas


def summarize(errors):
    errs = [e for e in errors if e is not None]
    if not errs:
        return None
    a = [abs(e) for e in errs]
    return {"n": len(errs), "median_abs": statistics.median(a), "mean_abs": sum(a) / len(a), "max_abs": max(a),
            "median_signed": statistics.median(errs), "within_1": sum(x <= 0.01 for x in a) / len(a),
            "within_5": sum(x <= 0.05 for x in a) / len(a),
            "within_10": sum(x <= 0.10 for x in a) / len(a), "within_25": sum(x <= 0.25 for x in a) / len(a)}


def peer_applicable(peer, case):
    """Cases a peer claims to model: none models LoRA; DeepSpeed's estimators have no inference
    mode; accelerate sizes one device; DeepSpeed's know data parallelism only."""
    task = case["request"]["task"]
    if task == "lora":
        return False
    if peer.startswith("deepspeed") and task in ("prefill", "decode"):
        return False
    dp, tp = parallelism(case)
    if peer == "accelerate" and dp * tp > 1:
        return False  # sizes one device holding everything
    if peer.startswith("deepspeed") and tp > 1:
        return False  # data parallelism only
    return True


def parallelism(case):
    par = case["request"].get("parallel", {})
    return par.get("data", 1), par.get("tensor", 1)


def layout(case):
    """One device, FSDP, tensor parallel, or both: the groups of the per-layout table."""
    dp, tp = parallelism(case)
    return {(False, False): "one device", (True, False): "FSDP", (False, True): "tensor parallel",
            (True, True): "FSDP + tensor parallel"}[(dp > 1, tp > 1)]


def pct(x, signed=True):
    if x is None:
        return "—"
    return f"{100 * x:+.1f}%" if signed else f"{100 * x:.1f}%"


def gib(x):
    return "—" if x is None else f"{x / GIB:.3f}"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--measured", default=os.path.join(HERE, "measured.json"))
    ap.add_argument("--trainfit", help="path to a built trainfit probe binary (default: cargo run)")
    ap.add_argument("--no-trainfit", action="store_true", help="do not run trainfit (peers only)")
    ap.add_argument("--cases", nargs="*", help="case ids or fnmatch patterns")
    ap.add_argument("--timeout", type=int, default=300, help="seconds per trainfit call")
    ap.add_argument("--fail-above", type=float, metavar="PCT",
                    help="exit 1 if trainfit's |relative error| exceeds PCT on any case it predicted")
    ap.add_argument("--out-dir", default=os.path.join(HERE, "out"))
    args = ap.parse_args()

    with open(args.measured) as f:
        doc = json.load(f)
    cases = doc["cases"]
    if args.cases:
        cases = [c for c in cases if any(fnmatch.fnmatch(c["id"], p) or c["id"] == p for p in args.cases)]
    tf = None if args.no_trainfit else Trainfit(args.trainfit, args.timeout)

    rows = []
    for c in cases:
        meas = c["measured"]["peak_bytes"]
        with open(os.path.join(HERE, c["request"]["model"]["hf_config_file"])) as f:
            family = json.load(f)["model_type"]
        row = {"id": c["id"], "task": c["request"]["task"], "family": family, "measured": meas,
               "measured_phase": c["measured"]["peak_phase"], "trainfit": None, "trainfit_phase": None,
               "trainfit_error": None, "peers": {}}
        if tf is not None:
            out, err = tf.predict(c)
            if out is not None:
                row["trainfit"] = int(out["peak_allocated_bytes"])
                row["trainfit_phase"] = out.get("peak_phase")
                row["trainfit_breakdown"] = out.get("breakdown")
            else:
                row["trainfit_error"] = err
        for p in PEERS:
            v = (c.get("peers") or {}).get(p)
            row["peers"][p] = v if isinstance(v, (int, float)) else None
        row["rel"] = rel(row["trainfit"], meas)
        rows.append(row)
        peer_txt = " ".join(f"{p}={pct(rel(row['peers'][p], meas))}" for p in PEERS if row["peers"][p] is not None)
        tf_txt = (f"{gib(row['trainfit'])} GiB {pct(row['rel'])}" if row["trainfit"] is not None
                  else f"n/a ({row['trainfit_error']})" if tf is not None else "skipped")
        print(f"{c['id']:<62} measured {gib(meas):>9} GiB ({row['measured_phase']:<14}) trainfit {tf_txt}"
              f"{'  ' + peer_txt if peer_txt else ''}", flush=True)

    # Per breakdown term, at the peak, where both sides name it and trainfit finds the same phase.
    term_map = {
        "weights": (("weights", "adapter_weights"), ("parameters", "buffers")),
        "gradients": (("gradients",), ("gradients",)),
        "optimizer states": (("optimizer_states",), ("optimizer_states",)),
        "activations, logits, temporaries, KV": (
            ("activations", "logits_and_loss", "optimizer_temporaries", "kv_cache"),
            ("activations", "temporaries", "inputs")),
    }
    term_errors = {k: [] for k in term_map}
    for r, c in zip(rows, cases):
        bd = r.get("trainfit_breakdown")
        if not bd or r["trainfit_phase"] != r["measured_phase"]:
            continue
        at = c["measured"].get("at_peak") or {}
        for name, (ours, theirs) in term_map.items():
            m = sum(at.get(k, 0) or 0 for k in theirs)
            t = sum(x["bytes"] for x in bd if x["term"] in ours)
            if m > 0:
                term_errors[name].append((t - m) / m)
    if any(term_errors.values()):
        print("\nper term at the peak (cases where both sides agree on the phase)")
        for name, errs in term_errors.items():
            s_ = summarize(errs)
            if s_ and s_["n"]:
                print(f"  {name:<40} n={s_['n']:>3} median {pct(s_['median_abs'], False):>7} max {pct(s_['max_abs'], False):>7}")

    summ = {"trainfit": summarize(r["rel"] for r in rows)}
    for p in PEERS:
        summ[p + " (applicable)"] = summarize(rel(r["peers"][p], r["measured"]) for r, c in zip(rows, cases)
                                              if peer_applicable(p, c))
        summ[p + " (all)"] = summarize(rel(r["peers"][p], r["measured"]) for r in rows)
    by_task = {}
    for task in ("pretrain", "finetune", "lora", "prefill", "decode"):
        s = summarize(r["rel"] for r in rows if r["task"] == task)
        if s:
            by_task[task] = s
    by_layout = {}
    for lay in ("one device", "FSDP", "tensor parallel", "FSDP + tensor parallel"):
        s = summarize(r["rel"] for r, c in zip(rows, cases) if layout(c) == lay)
        if s:
            by_layout[lay] = s
    by_family = {}
    for fam in sorted({r["family"] for r in rows}):
        s = summarize(r["rel"] for r in rows if r["family"] == fam)
        if s:
            by_family[fam] = s

    print()
    print(f"{'estimator':<32} {'n':>3} {'median':>8} {'mean':>8} {'max':>8} {'bias':>8} {'<=5%':>6} {'<=10%':>6} "
          f"{'<=25%':>6}")
    for name, s in list(summ.items()) + [(f"trainfit [{k}]", v) for k, v in by_task.items()]:
        if s is None:
            print(f"{name:<32} {'—':>3}")
            continue
        print(f"{name:<32} {s['n']:>3} {pct(s['median_abs'], False):>8} {pct(s['mean_abs'], False):>8} "
              f"{pct(s['max_abs'], False):>8} {pct(s['median_signed']):>8} {100 * s['within_5']:>5.0f}% "
              f"{100 * s['within_10']:>5.0f}% {100 * s['within_25']:>5.0f}%")
    if tf is not None and summ["trainfit"] is None:
        errs = {r["trainfit_error"] for r in rows if r["trainfit_error"]}
        print(f"\ntrainfit produced no prediction: {'; '.join(sorted(errs))[:500]}")

    os.makedirs(args.out_dir, exist_ok=True)
    write_markdown(os.path.join(args.out_dir, "report.md"), doc, rows, summ, by_task, tf is not None)
    write_tables(os.path.join(args.out_dir, "tables.md"), rows, summ, by_task, by_layout, by_family)
    with open(os.path.join(args.out_dir, "compare.json"), "w") as f:
        json.dump({"rows": rows, "summary": summ, "by_task": by_task}, f, indent=1)
    print(f"\nwrote {os.path.join(args.out_dir, 'report.md')}")
    if args.fail_above is not None and summ["trainfit"] is not None:
        if summ["trainfit"]["max_abs"] * 100 > args.fail_above:
            return 1
    return 0


def write_tables(path, rows, summ, by_task, by_layout, by_family):
    """The tables of docs/accuracy.md: trainfit and the peers, trainfit per task and per family."""
    def line(name, s):
        return (f"| {name} | {s['n']} | {100 * s['median_abs']:.1f} % | {100 * s['max_abs']:.1f} % | "
                f"{100 * s['within_1']:.0f} % | {100 * s['within_5']:.0f} % |")
    head = ["| {} | cases | median abs. error | worst | within 1 % | within 5 % |", "|---|---|---|---|---|---|"]
    L = [head[0].format("estimator"), head[1]]
    L += [line(name, s) for name, s in summ.items() if s is not None]
    L += ["", head[0].format("trainfit, by task"), head[1]]
    L += [line(k, v) for k, v in by_task.items()]
    L += ["", head[0].format("trainfit, by layout"), head[1]]
    L += [line(k, v) for k, v in by_layout.items()]
    L += ["", head[0].format("trainfit, by `model_type`"), head[1]]
    L += [line(f"`{k}`", v) for k, v in by_family.items()]
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


def write_markdown(path, doc, rows, summ, by_task, ran_trainfit):
    L = []
    w = L.append
    w("# trainfit accuracy report")
    w("")
    w(f"Measured: {len(rows)} cases from `measured.json` ({doc.get('generated', '?')}), "
      f"tools {json.dumps(doc.get('tool_versions', {}))}.")
    w("Relative error = (predicted − measured) / measured, on the peak allocated bytes "
      "(`torch.cuda.max_memory_allocated` equivalent). Peers: see README.md; LoRA cases are predicted by "
      "the peers as full fine-tuning and excluded from their \"applicable\" rows.")
    w("")
    w("## Summary")
    w("")
    w("| estimator | n | median abs | mean abs | max abs | median signed | ≤5% | ≤10% | ≤25% |")
    w("|---|---|---|---|---|---|---|---|---|")
    for name, s in list(summ.items()) + [(f"trainfit [{k}]", v) for k, v in by_task.items()]:
        if s is None:
            w(f"| {name} | 0 | — | — | — | — | — | — | — |")
            continue
        w(f"| {name} | {s['n']} | {pct(s['median_abs'], False)} | {pct(s['mean_abs'], False)} | "
          f"{pct(s['max_abs'], False)} | {pct(s['median_signed'])} | {100 * s['within_5']:.0f}% | "
          f"{100 * s['within_10']:.0f}% | {100 * s['within_25']:.0f}% |")
    w("")
    w("## Cases (GiB)")
    w("")
    w("| case | measured | phase | trainfit | error | accelerate | ds zero2 | ds zero3 | llm-analysis |")
    w("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        m = r["measured"]
        tf = gib(r["trainfit"]) if r["trainfit"] is not None else ("n/a" if ran_trainfit else "—")
        peers = " | ".join(f"{gib(r['peers'][p])} ({pct(rel(r['peers'][p], m))})" if r["peers"][p] is not None
                           else "—" for p in PEERS)
        w(f"| `{r['id']}` | {gib(m)} | {r['measured_phase']} | {tf} | {pct(r['rel'])} | {peers} |")
    errs = sorted({r["trainfit_error"] for r in rows if r.get("trainfit_error")})
    if errs:
        w("")
        w("trainfit errors: " + "; ".join(f"`{e}`" for e in errs[:10]))
    with open(path, "w") as f:
        f.write("\n".join(L) + "\n")


if __name__ == "__main__":
    sys.exit(main())
