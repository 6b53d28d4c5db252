"""YAML data files read safely, with the line of every mapping kept for error messages."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import DataError

LINE = "__line__"


class _LineLoader(yaml.SafeLoader):
    """SafeLoader that records where each mapping starts (no arbitrary objects, ever)."""


def _mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    d = loader.construct_mapping(node, deep=True)
    d[LINE] = node.start_mark.line + 1
    return d


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)


def load(path: Path, with_lines: bool = False) -> Any:
    """Parse a YAML file; DataError 'file:line: problem' when it cannot be read or parsed.
    With with_lines, every mapping carries its first line under the key '__line__'."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror})") from None
    try:
        return yaml.load(text, Loader=_LineLoader if with_lines else yaml.SafeLoader)  # noqa: S506
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise DataError(f"{path}{line}: not valid YAML ({problem})") from None
