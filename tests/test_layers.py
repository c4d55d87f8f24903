"""The package's shape: no import cycle, and no module imports a higher layer
(data -> hiding/embedding -> steganalysis -> attacks -> game -> experiments -> cli)."""

import ast
from pathlib import Path

import advstego

ROOT = Path(advstego.__file__).parent
LAYERS = {"data": 1, "hiding": 2, "embedding": 2, "steganalysis": 3, "attacks": 4,
          "game": 4.5, "experiments": 5, "cli": 6, "__main__": 6}


def _module(path: Path) -> str:
    parts = ["advstego", *path.relative_to(ROOT).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _graph() -> dict[str, set[str]]:
    mods = {_module(p): p for p in ROOT.rglob("*.py")}
    graph = {}
    for name, path in mods.items():
        pkg = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):  # lazy imports count too
            if isinstance(node, ast.ImportFrom):
                base = pkg.split(".")
                if node.level:
                    base = base[: len(base) - node.level + 1]
                    target = ".".join(base + ([node.module] if node.module else []))
                else:
                    target = node.module or ""
                for alias in node.names:  # `from . import x` may name a module
                    sub = f"{target}.{alias.name}"
                    deps.add(sub if sub in mods else target)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
        graph[name] = {d for d in deps if d in mods and d != name}
    return graph


def _layer(mod: str) -> int:
    parts = mod.split(".")
    return LAYERS.get(parts[1], 0) if len(parts) > 1 else 0


def test_no_import_from_a_lower_layer_to_a_higher_one():
    bad = [f"{m} -> {d}" for m, deps in _graph().items() for d in deps if _layer(d) > _layer(m)]
    assert not bad, bad


def test_no_import_cycle():
    graph, cycles = _graph(), []
    index, low, stack, on, counter = {}, {}, [], set(), [0]

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in graph:
        if v not in index:
            visit(v)
    assert not cycles, cycles


def test_the_checker_sees_a_cycle_and_a_climb(monkeypatch):
    g = _graph()
    assert "advstego.steganalysis.ensemble" in g and "advstego.errors" in g["advstego.images"]
    assert _layer("advstego.attacks.run") > _layer("advstego.steganalysis.cnn") > _layer(
        "advstego.hiding.model") > _layer("advstego.data.prepare") > _layer("advstego.images")
