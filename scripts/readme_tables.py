"""Write the README's result tables from the results' JSON files (no figure typed by hand).

Each table sits between `<!-- table:NAME -->` and `<!-- /table:NAME -->` in README.md and
is rebuilt from the JSON named in TABLES. `--check` exits 1 when README.md is out of date.

    .venv/bin/python scripts/readme_tables.py [--check]
"""

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _f(x, digits=2):
    return "–" if x is None else f"{x:.{digits}f}"


def _pe(sec, name):
    r = sec.get(name)
    return "–" if r is None else f"{r['PE']:.3f}"


def hiders_table(results: list[dict]) -> str:
    head = ("| covers | method | pairs | stego PSNR | secret PSNR | secret median / p10 | "
            "stego / secret SSIM | float stego / secret PSNR | grid peak | SRM+FLD PE | "
            "Xu-Net PE |\n|---|---|---|---|---|---|---|---|---|---|---|")
    rows = []
    for res in results:
        mode = "gray 256²" if res["mode"] == "gray" else "RGB 256²"
        for spec, r in res["hiders"].items():
            fl = (f"{_f(r['stego_psnr_float'])} / {_f(r['secret_psnr_float'])}"
                  if "stego_psnr_float" in r else "(integer)")
            rows.append(
                f"| {mode} | {spec} ({r['hider'].get('arch', r['hider'].get('method'))}) | "
                f"{r['pairs']} | {_f(r['stego_psnr'])} | {_f(r['secret_psnr'])} | "
                f"{_f(r['secret_psnr_median'])} / {_f(r['secret_psnr_p10'])} | "
                f"{_f(r['stego_ssim'], 3)} / {_f(r['secret_ssim'], 3)} | {fl} | "
                f"{_f(r['grid_peak_ratio'], 1)} | {_pe(r['security'], 'srm_fld')} | "
                f"{_pe(r['security'], 'xunet')} |")
        c = res["control"]
        rows.append(f"| {mode} | control: covers vs covers | {res['test_pairs'] // 2} | | | | | | | "
                    f"{_pe(c, 'srm_fld')} | {_pe(c, 'xunet')} |")
    note = (f"\nWardens trained on {results[0]['train_pairs']} training pairs, tested on "
            f"{results[0]['test_pairs']} test pairs (split by photo); Xu-Net "
            f"{results[0]['cnn_epochs']} epochs. PSNR in dB of the mean MSE over the pairs, "
            "stegos saved as 8-bit PNG; 'float' = before rounding.")
    return head + "\n" + "\n".join(rows) + "\n" + note


def _load(*names):
    return [json.loads((ROOT / n).read_text()) for n in names if (ROOT / n).exists()]


TABLES = {
    "hiders": lambda: hiders_table(_load("results/hiders/gray.json", "results/hiders/rgb.json")),
}


def render(readme: str) -> str:
    for name, make in TABLES.items():
        pat = re.compile(rf"(<!-- table:{name} -->\n).*?(<!-- /table:{name} -->)", re.S)
        if not pat.search(readme):
            continue
        body = make()
        readme = pat.sub(lambda m: m.group(1) + body + "\n" + m.group(2), readme)
    return readme


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true", help="fail if README.md is out of date")
    a = ap.parse_args()
    path = ROOT / "README.md"
    old = path.read_text()
    new = render(old)
    if a.check:
        if new != old:
            print("README.md tables are out of date: run scripts/readme_tables.py", file=sys.stderr)
            sys.exit(1)
        return
    path.write_text(new)


if __name__ == "__main__":
    main()
