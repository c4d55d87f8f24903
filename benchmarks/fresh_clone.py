"""What a newcomer waits for: `make setup`, `make test` and `make demo` on a fresh clone of
HEAD with an empty feature cache, each timed, and the slowest tests.

    python3 benchmarks/fresh_clone.py [--since COMMIT] [--write]

--since COMMIT also sums the test time of the tests that existed at COMMIT (by file and
function name; a module fixture's setup counts for the test that first uses it, and the
session's collection is shared out in proportion). --write saves the figures in
results/fresh_clone.txt and results/demo_time.txt and regenerates the tables that quote them
(scripts/readme_tables.py).
Run it on idle cores: it takes about as long as the three commands.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _timed(cmd, cwd, env, log):
    t = time.perf_counter()
    r = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - t
    Path(log).write_text(r.stdout + r.stderr)
    if r.returncode:  # the clone and its logs go with the temporary folder: the tail here
        sys.exit(f"{(r.stdout + r.stderr)[-4000:]}\n{' '.join(cmd)} failed (exit {r.returncode})")
    return seconds, r.stdout + r.stderr


def _durations(text: str) -> dict:
    """(file, function) -> seconds of its setup, call and teardown (pytest --durations=0)."""
    out = {}
    for m in re.finditer(r"^([\d.]+)s (?:setup|call|teardown)\s+(\S+?)::(\w+)", text, re.M):
        key = (m.group(2), m.group(3))
        out[key] = out.get(key, 0.0) + float(m.group(1))
    return out


def _tests_at(commit: str) -> set:
    names = subprocess.run(["git", "ls-tree", "--name-only", commit, "tests/"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    found = set()
    for f in names:
        if Path(f).name.startswith("test_") and f.endswith(".py"):
            src = subprocess.run(["git", "show", f"{commit}:{f}"], cwd=ROOT,
                                 capture_output=True, text=True, check=True).stdout
            found |= {(f, n) for n in re.findall(r"^def (test_\w+)", src, re.M)}
    return found


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--since", help="also sum the tests that existed at this commit")
    ap.add_argument("--write", action="store_true", help="save the figures under results/")
    a = ap.parse_args()
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                          capture_output=True, text=True, check=True).stdout.strip()
    with tempfile.TemporaryDirectory() as d:
        clone, logs = Path(d) / "clone", Path(d)
        subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
        env = {**os.environ, "ADVSTEGO_CACHE": str(Path(d) / "cache")}
        setup, _ = _timed(["make", "setup"], clone, env, logs / "setup.log")
        test, out = _timed([str(clone / ".venv/bin/python"), "-m", "pytest", "-q",
                            "--durations=0", "-p", "no:cacheprovider"], clone, env,
                           logs / "test.log")
        env["ADVSTEGO_CACHE"] = str(Path(d) / "demo-cache")  # the demo's cache empty too
        demo, demo_out = _timed(["make", "demo"], clone, env, logs / "demo.log")
    warnings = sum("warning" in line.lower() for line in demo_out.splitlines())
    passed = re.search(r"(\d+) passed", out)
    durations = _durations(out)
    lines = [f"fresh clone of {head}, empty feature cache, {os.cpu_count()} cores",
             f"make setup: {setup:.1f} s",
             f"make test: {test:.1f} s wall, {passed.group(1) if passed else '?'} passed, "
             f"{sum(durations.values()):.1f} s in tests",
             f"make demo after install: {demo:.2f} s, {warnings} warning line(s)"]
    if a.since:
        old = _tests_at(a.since)
        share = sum(v for k, v in durations.items() if k in old)
        overhead = test - sum(durations.values())
        part = share + overhead * share / max(sum(durations.values()), 1e-9)
        lines.append(f"tests that existed at {a.since} ({len(old)} functions): {share:.1f} s in "
                     f"tests, {part:.1f} s with their share of the session's collection")
    lines.append("slowest: " + "; ".join(f"{f.split('/')[-1]}::{n} {s:.1f} s" for (f, n), s in
                                         sorted(durations.items(), key=lambda kv: -kv[1])[:6]))
    print("\n".join(lines))
    if a.write:
        (ROOT / "results" / "fresh_clone.txt").write_text("\n".join(lines) + "\n")
        (ROOT / "results" / "demo_time.txt").write_text(
            f"make demo after install: {demo:.2f} s (fresh clone of {head}, empty feature "
            f"cache; benchmarks/fresh_clone.py)\n")
        venv = ROOT / ".venv" / "bin" / "python"  # the tables that quote the demo's time
        subprocess.run([str(venv) if venv.exists() else sys.executable,
                        str(ROOT / "scripts" / "readme_tables.py")], cwd=ROOT, check=True)


if __name__ == "__main__":
    main()
