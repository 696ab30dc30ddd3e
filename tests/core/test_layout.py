"""The package's architecture, enforced: core / analysis / data / studies, and who may import whom."""
import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
JDL = ROOT / "jdl"
STUDIES = sorted(p.name for p in (JDL / "studies").iterdir() if (p / "__init__.py").exists())


def imports(path: Path) -> set[str]:
    """Every ``jdl...`` module a file imports (top level or inside functions)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name.startswith("jdl")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("jdl"):
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def owner(module: str) -> str:
    """``core``, ``analysis``, ``data`` or ``studies.<study>`` for a dotted jdl module name."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ("analysis", "data"):
        return parts[1]
    if len(parts) > 2 and parts[1] == "studies":
        return f"studies.{parts[2]}"
    return "core"


def edges():
    for path in sorted(JDL.rglob("*.py")):
        src = owner(".".join(path.relative_to(ROOT).with_suffix("").parts))
        for mod in imports(path):
            yield path.relative_to(ROOT), src, owner(mod)


def test_top_level_shows_the_architecture():
    names = {p.name for p in JDL.iterdir() if not p.name.startswith("__")}
    assert {"nn", "analysis", "data", "studies", "losses.py", "optim.py", "train.py", "sweep.py", "io.py",
            "stats.py", "timing.py", "plotting.py"} <= names
    assert set(STUDIES) >= {"double_descent", "simplicity_bias", "spline_regimes", "low_rank_bias",
                            "signal_propagation", "linear_regions", "deep_linear", "udlbook"}


def test_no_study_imports_another_study():
    bad = [(str(f), s, t) for f, s, t in edges() if s.startswith("studies.") and t.startswith("studies.") and s != t]
    assert not bad, bad


@pytest.mark.parametrize("layer", ["core", "analysis", "data"])
def test_core_analysis_and_data_import_no_study(layer):
    bad = [(str(f), t) for f, s, t in edges() if s == layer and t.startswith("studies.")]
    assert not bad, bad


def test_data_and_core_do_not_import_analysis():
    bad = [(str(f), s) for f, s, t in edges() if s in ("core", "data") and t == "analysis"]
    assert not bad, bad


def test_the_edge_finder_sees_a_cross_study_import(tmp_path):
    """The checks above can fail: a planted cross-study import is found."""
    planted = tmp_path / "x.py"
    planted.write_text("def f():\n    from jdl.studies.udlbook import fixtures\n")
    assert owner(next(iter(m for m in imports(planted) if m.count(".") >= 2))) == "studies.udlbook"


def test_experiments_do_not_import_each_other():
    bad = []
    for path in sorted((ROOT / "experiments").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("experiments"):
                names = {a.name for a in node.names}
                if node.module != "experiments" or names - {"_cli"}:
                    bad.append((path.name, node.module, sorted(names)))
    assert not bad, bad


def test_every_module_is_small_and_declares_its_api():
    for path in sorted(JDL.rglob("*.py")):
        text = path.read_text()
        assert len(text.splitlines()) <= 420, f"{path}: {len(text.splitlines())} lines"
        assert "__all__" in text, f"{path}: no __all__"


def test_navigation_rule_every_experiment_has_a_notebook_and_tests():
    for path in sorted((ROOT / "experiments").glob("*.py")):
        if path.name.startswith("_") or path.name == "benchmark.py":
            continue
        name = path.stem
        assert (ROOT / "notebooks" / f"{name}.ipynb").exists(), name
        assert any(name in p.read_text() for p in (ROOT / "tests" / "experiments").glob("*.py")), name
