"""Opening an index never builds one: the modules that read an index import none of those that
write one, and the search floor has no import circle (a build <-> searcher <-> update circle
once made opening an index able to build it)."""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from index.search.engine import build_index, open_index

ROOT = Path(__file__).resolve().parent.parent
SEARCH = "index.search"  # the search floor's folder
LOADER = f"{SEARCH}.load"  # what opens an index of either shape
ANALYZE = f"{SEARCH}.analyze"  # where load_analyzer lives
READERS = tuple(f"{SEARCH}.{m}" for m in ("searcher", "segments", "load"))
WRITERS = tuple(f"{SEARCH}.{m}" for m in ("build", "update", "merge"))
POLICY = f"{SEARCH}.engine"  # when to load, update or rebuild: above both
SEARCH_FLOOR = tuple(f"{SEARCH}.{m}" for m in (
    "analyze", "store", "bm25", "maxscore", "kernels", "tokens", "searcher", "segments", "load",
    "build", "update", "merge", "engine"))


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_graph() -> dict[str, set[str]]:
    """Module -> the index modules it imports anywhere in its text (in functions too)."""
    paths = {module_name(p): p for p in (ROOT / "index").rglob("*.py")}
    graph = {}
    for name, path in paths.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        deps = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                up = package.split(".")
                base = up[: len(up) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                deps |= {f"{target}.{a.name}" if f"{target}.{a.name}" in paths else target
                         for a in node.names}
            elif isinstance(node, ast.Import):
                deps |= {a.name for a in node.names}
        graph[name] = {d for d in deps if d in paths and d != name}
    return graph


def reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        m = todo.pop()
        if m not in seen:
            seen.add(m)
            todo += graph[m]
    return seen


def test_the_layers_name_modules_that_exist():
    graph = import_graph()
    assert set(SEARCH_FLOOR) | set(READERS) | set(WRITERS) | {POLICY} <= set(graph)


def test_reading_an_index_imports_no_writer_even_in_a_function():
    graph = import_graph()
    for reader in READERS:
        assert not reachable(graph, reader) & set(WRITERS), reader
    assert set(WRITERS) <= reachable(graph, POLICY)


def test_no_search_floor_module_reaches_itself():
    graph = import_graph()
    for m in SEARCH_FLOOR:
        assert not any(m in reachable(graph, d) for d in graph[m]), f"{m} is in an import circle"


def load_in_fresh_process(data: Path, index_dir: Path) -> dict:
    script = (
        "import json, sys\n"
        f"from {LOADER} import load_index\n"
        f"from {ANALYZE} import load_analyzer\n"
        "from pathlib import Path\n"
        "index = load_index(Path(sys.argv[2]), load_analyzer(Path(sys.argv[1])))\n"
        "hits = index.search('treaty signed in Pyongyang', 3)\n"
        "print(json.dumps({'hits': [h.chunk.id for h in hits],"
        " 'modules': sorted(m for m in sys.modules if m.startswith('index'))}))\n")
    out = subprocess.run([sys.executable, "-c", script, str(data), str(index_dir)], cwd=ROOT,
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def test_loading_a_built_and_an_updated_index_loads_no_writer(tiny_data, tmp_path):
    index_dir = tmp_path / "index"
    built = build_index(tiny_data, index_dir)
    first = load_in_fresh_process(tiny_data, index_dir)
    assert first["hits"] == [h.chunk.id for h in built.search("treaty signed in Pyongyang", 3)]
    (tiny_data / "docs" / "added.txt").write_text(
        "A treaty on fishing rights was signed in Pyongyang in 2004 by both ministers.\n")
    updated = open_index(tiny_data, index_dir)
    assert hasattr(updated, "segments")  # an update: several segments, not a rebuild
    second = load_in_fresh_process(tiny_data, index_dir)
    assert second["hits"] == [h.chunk.id for h in updated.search("treaty signed in Pyongyang", 3)]
    for run in (first, second):
        assert LOADER in run["modules"]
        assert not set(run["modules"]) & {*WRITERS, POLICY}, run["modules"]
