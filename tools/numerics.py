"""`make numerics`: build the book strictly under several floating-point numerics and report every claim's margin.

Same code and seeds on another CPU, instruction set or thread count change the last digits of every run, and a
claim near an edge can flip with them. This builds the whole book (-W, every chapter executed again) once per
numerics variant, each with its own run cache, with LRLAB_CLAIMS=report: a false claim is recorded and the build
goes on (strict mode would stop at the first one), so one run reports every claim. It reads what every claim
recorded (LRLAB_CLAIM_REPORT, see lrlab.claims): whether it held and its margin (lrlab.evidence: in the seeds'
spreads, seeds to spare, or relative to the bound). It prints one table and the claims closest to flipping, writes
_build/numerics/report.md, and exits 1 unless, under every variant, the build passed and every claim held: exactly
when `make book` (strict) would pass under each.

    python tools/numerics.py                 # three variants (native, avx2 or pre-avx2, one-thread)
    python tools/numerics.py --only one-thread

Variants: native (this CPU as it is: the default run cache, and _build/html is the book `make book` publishes);
avx2 (PyTorch's and oneDNN's AVX2 code paths), replaced by pre-avx2 (PyTorch's own kernels without vector
instructions, oneDNN's AVX ones: measured to change the runs' last digits, at little cost) on a CPU whose native
paths already are AVX2; one-thread (one OpenMP thread: another reduction order; on 2 cores it changed nothing in
a short test, on the Intel machine of issue 20 it did). Each keeps its run cache in .lrlab-cache-VARIANT and its
pages in _build/numerics/VARIANT.
"""

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPORT_DIR = ROOT / "_build" / "numerics"
VARIANTS = {
    "native": {},
    "avx2": {"ATEN_CPU_CAPABILITY": "avx2", "ONEDNN_MAX_CPU_ISA": "AVX2"},
    "pre-avx2": {"ATEN_CPU_CAPABILITY": "default", "ONEDNN_MAX_CPU_ISA": "AVX"},
    "one-thread": {"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"},
}


def native_capability() -> str:
    """PyTorch's CPU code path on this machine as it is ("AVX512", "AVX2", ...)."""
    code = "import torch; print(torch.backends.cpu.get_cpu_capability())"
    environment = {k: v for k, v in os.environ.items() if k not in VARIANTS["avx2"]}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment,
                          check=True).stdout.strip()


def chosen_variants(only: list[str] | None) -> list[str]:
    """native, avx2 (pre-avx2 where native already is AVX2: three distinct numerics on any CPU), one-thread."""
    if only:
        unknown = sorted(set(only) - set(VARIANTS))
        if unknown:
            raise SystemExit(f"unknown variant {', '.join(unknown)}: choose from {', '.join(VARIANTS)}")
        return only
    second = "pre-avx2" if native_capability().upper() == "AVX2" else "avx2"
    return ["native", second, "one-thread"]


def where(variant: str) -> tuple[Path, Path]:
    """(the build's output folder, its run cache) for a variant."""
    if variant == "native":
        return ROOT, Path(os.environ.get("LRLAB_CACHE") or ROOT / ".lrlab-cache")
    return REPORT_DIR / variant, ROOT / f".lrlab-cache-{variant}"


def build(variant: str) -> dict:
    """One strict build under a variant's numerics, every chapter executed again; its claims' report and time."""
    output, cache = where(variant)
    for stale in (output / "_build" / ".jupyter_cache", output / "_build" / ".doctrees"):
        shutil.rmtree(stale, ignore_errors=True)  # execute every chapter, so that every claim reports
    report = REPORT_DIR / f"{variant}.jsonl"
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text("")
    environment = {**os.environ, **VARIANTS[variant], "LRLAB_CLAIMS": "report", "LRLAB_CACHE": str(cache),
                   "LRLAB_CLAIM_REPORT": str(report)}
    environment.pop("LRLAB_PROFILE", None)
    command = [str(Path(sys.executable).parent / "jupyter-book"), "build", str(ROOT), "-W", "-n", "--keep-going"]
    if output != ROOT:
        command += ["--path-output", str(output)]
    print(f"[{variant}] building ({' '.join(f'{k}={v}' for k, v in VARIANTS[variant].items()) or 'as it is'}), "
          f"run cache {cache.relative_to(ROOT) if cache.is_relative_to(ROOT) else cache}", flush=True)
    start = time.monotonic()
    log = REPORT_DIR / f"{variant}.log"
    with log.open("w") as out:
        code = subprocess.run(command, cwd=ROOT, env=environment, stdout=out, stderr=subprocess.STDOUT).returncode
    seconds = time.monotonic() - start
    (REPORT_DIR / f"{variant}.json").write_text(json.dumps({"returncode": code, "seconds": seconds}))
    return recorded(variant)


def recorded(variant: str) -> dict:
    """A variant's last build as recorded in _build/numerics/ (its outcome, time and claims)."""
    claims = [json.loads(line) for line in (REPORT_DIR / f"{variant}.jsonl").read_text().splitlines() if line.strip()]
    outcome = json.loads((REPORT_DIR / f"{variant}.json").read_text())
    code, seconds, log = outcome["returncode"], outcome["seconds"], REPORT_DIR / f"{variant}.log"
    print(f"[{variant}] the build {'passed' if code == 0 else 'FAILED'} in {seconds / 60:.1f} min; "
          f"{sum(c['holds'] for c in claims)} of {len(claims)} claims held (log: {log.relative_to(ROOT)})", flush=True)
    return {"variant": variant, "returncode": code, "seconds": seconds, "claims": claims}


def passed(result: dict, marked: dict[str, str]) -> bool:
    """A variant passes when its build did and every claim the chapters mark reported, and held."""
    return result["returncode"] == 0 and all(c["holds"] for c in result["claims"]) and set(marked) <= {
        c["key"] for c in result["claims"]}


def marked_keys() -> dict[str, str]:
    """{key: chapter} of every sentence the chapters mark as a claim."""
    sys.path.insert(0, str(ROOT))
    from lrlab.claims import marked_sentences

    return {key: chapter for key, (chapter, _) in marked_sentences((ROOT / "book",)).items()}


def summary(results: list[dict], marked: dict[str, str]) -> str:
    """The report as Markdown: one row per variant, failures and claims not reached, the 15 smallest margins."""
    lines = ["| variant | result | wall time | claims held |", "|---|---|---|---|"]  # build passed, every claim held
    for r in results:
        held = sum(c["holds"] for c in r["claims"])
        lines.append(f"| {r['variant']} | {'passed' if passed(r, marked) else 'FAILED'} | "
                     f"{r['seconds'] / 60:.1f} min | {held} of {len(marked)} |")
    rows = []
    for r in results:
        seen = {c["key"] for c in r["claims"]}
        rows += [(r["variant"], c) for c in r["claims"] if not c["holds"]]
        rows += [(r["variant"], {"key": key, "chapter": marked[key], "holds": None, "numbers": "not reached"})
                 for key in sorted(set(marked) - seen)]
    if rows:
        lines += ["", "Claims that failed or were not reached:", ""]
        lines += [f"- {v}: {c['chapter']} `{c['key']}`: {c['numbers']}" for v, c in rows]
    margins = sorted(((c["margin"], c["unit"], r["variant"], c) for r in results for c in r["claims"]
                      if c["holds"] and c["margin"] is not None), key=lambda row: (row[1] != "seeds", row[0]))
    lines += ["", "Closest to flipping (per variant; seeds to spare first, then the smallest margins):", "",
              "| claim | variant | margin | numbers |", "|---|---|---|---|"]
    smallest = {}
    for margin, unit, variant, c in margins:
        smallest.setdefault((c["key"], unit), (margin, unit, variant, c))
    for margin, unit, variant, c in sorted(smallest.values(), key=lambda row: (row[1], row[0]))[:25]:
        lines.append(f"| {c['chapter']} `{c['key']}` | {variant} | {margin:.2f} {unit} | {c['numbers']} |")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="+", help=f"variants to build (from {', '.join(VARIANTS)})")
    parser.add_argument("--report", action="store_true", help="build nothing: report the variants' last builds")
    args = parser.parse_args(argv)
    start = time.monotonic()
    results = [(recorded if args.report else build)(variant) for variant in chosen_variants(args.only)]
    marked = marked_keys()
    text = summary(results, marked)
    text += f"\nAll variants: {(time.monotonic() - start) / 60:.1f} min wall time.\n"
    (REPORT_DIR / "report.md").write_text(text)
    print("\n" + text)
    return 0 if all(passed(r, marked) for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
