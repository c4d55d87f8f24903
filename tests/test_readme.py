"""The front door: README.md is short, starts with the two commands, and every result table
in README.md and results/README.md is generated from results/ (scripts/readme_tables.py)."""

import importlib.util
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _tables_module():
    spec = importlib.util.spec_from_file_location("readme_tables", ROOT / "scripts" / "readme_tables.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_result_tables_match_the_results():
    mod = _tables_module()
    texts = {name: (ROOT / name).read_text() for name in mod.FILES}
    for table in mod.TABLES:
        assert any(f"<!-- table:{table} -->" in t for t in texts.values()), table
    for name, text in texts.items():
        assert mod.render(text) == text, f"{name}: run scripts/readme_tables.py"


def test_the_summary_shows_every_row_s_interval_the_hardened_round_s_from_its_judges(tmp_path):
    """A run with intervals (its Table 2 rows, and the judged calls of its hardening rounds)
    gives a summary whose every PE carries one, and no note of missing intervals."""
    import json

    mod = _tables_module()
    r = json.loads((ROOT / "results/offline/results.json").read_text())
    iv = {"PE": [0.1, 0.05, 0.15], "n_photos": 20, "n_images": 400}
    for row in r["table2"].values():
        for w in ("SRM", "CNN"):
            row[w]["interval"] = iv
    for k in r["hardening"]["rounds"]:
        k["judged"] = {"fresh_xunet": {"interval": iv}, "srm": {"interval": iv}}
    (tmp_path / "results.json").write_text(json.dumps(r))
    text = mod.summary(str(tmp_path / "results.json"))
    rows = [x for x in text.splitlines()[2:] if x.startswith("|")]  # below the head
    assert any(x.startswith("| hardened") for x in rows) and mod.NO_INTERVAL not in text
    assert all(x.count("[0.050, 0.150]") == 2 for x in rows)


def test_readme_is_a_front_door():
    lines = (ROOT / "README.md").read_text().splitlines()
    assert len(lines) <= 200
    head = "\n".join(lines[:20])
    assert "make demo" in head and "make test" in head
    text = "\n".join(lines)
    for section in ("## Hide and reveal", "## The experiment", "## How to cite", "@article",
                    "results/README.md", "docs/"):
        assert section in text, section
    for link in re.findall(r"\]\(([^)#]+)", text):  # every local link leads somewhere
        assert (ROOT / link).exists(), link


def test_user_facing_text_has_no_development_history():
    files = [ROOT / "README.md", ROOT / "results" / "README.md", *(ROOT / "docs").glob("*.md")]
    words = re.compile(r"\bissue \d+|\bthis session\b|\blent\b|\bissue's\b", re.I)
    for f in files:
        hits = words.findall(f.read_text())
        assert not hits, (f.name, hits)


def test_the_python_example_runs_as_written():
    text = (ROOT / "README.md").read_text()
    block = re.search(r"## Python\n\n```python\n(.*?)```", text, re.S).group(1)
    scope = {}
    exec(compile(block, "README.md", "exec"), scope)  # noqa: S102 - our own README
    assert scope["secret_back"].shape == scope["secret"].shape
    assert scope["stego"].dtype == scope["stego_gan"].dtype == "uint8"
    assert scope["pe"] < 0.4  # the warden it prints learned something


def _commands() -> list[str]:
    """The README's shell examples, one command each (a line's `&&` parts apart)."""
    lines = [x.strip() for x in (ROOT / "README.md").read_text().splitlines()
             if x.startswith("    advstego ")]
    return [c.strip() for x in lines for c in x.split("#")[0].split("&&")]


def test_every_detector_an_example_uses_is_made_by_an_earlier_one():
    made = set()
    for cmd in _commands():
        for f in re.findall(r"--detector (\S+\.safetensors)", cmd):
            assert f in made, f"{f}: used before a line writes it"
        made |= set(re.findall(r"-o (\S+)", cmd))


def test_a_deep_or_lsb_stego_is_revealed_with_its_method_again():
    cmds = _commands()
    for method in ("--method gan", "--method lsb --bits 4"):
        assert any(c.startswith("advstego hide") and method in c for c in cmds), method
        assert any(c.startswith("advstego reveal") and method in c for c in cmds), method


def test_the_readme_says_where_the_tool_is_and_how_long_the_two_commands_take():
    text = (ROOT / "README.md").read_text()
    assert ".venv/bin/advstego" in text
    mod = _tables_module()
    assert mod.durations() in text and "(not measured)" not in mod.durations()
