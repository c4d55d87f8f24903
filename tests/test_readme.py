"""The README's result tables are generated from results/ (scripts/readme_tables.py)."""

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_tables_match_the_results():
    spec = importlib.util.spec_from_file_location("readme_tables", ROOT / "scripts" / "readme_tables.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    readme = (ROOT / "README.md").read_text()
    for name in mod.TABLES:
        assert f"<!-- table:{name} -->" in readme, name
    assert mod.render(readme) == readme, "run scripts/readme_tables.py"
