"""docs/design.md's worked example (a hider, a warden, an attack and a cost added) runs as
written, in a process of its own (its registrations stay there)."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "design.md"


@pytest.mark.slow
def test_the_worked_example_in_docs_design_runs(tmp_path):
    text = DOC.read_text()
    part = text[text.index("## A worked example"):]
    blocks = re.findall(r"```python\n(.*?)```", part, re.S)
    assert blocks, "docs/design.md lost its worked example"
    script = tmp_path / "example.py"
    script.write_text(blocks[0] + "\nprint('example ran')\n")
    r = subprocess.run([sys.executable, str(script)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0 and "example ran" in r.stdout, r.stderr[-3000:]
