"""YAML data files read safely, with the line of every mapping kept for error messages."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import DataError

LINE = "__line__"


# libyaml's parser when PyYAML has it (5x faster on the fact table); same safe constructors.
_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _SafeLoader(_Base):
    """SafeLoader (no arbitrary objects, ever) whose impossible dates are YAML errors."""


def _timestamp(loader: _SafeLoader, node: yaml.ScalarNode):
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        raise yaml.constructor.ConstructorError(
            None, None, f"impossible date {node.value!r}", node.start_mark) from None


_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _timestamp)


class _LineLoader(_SafeLoader):
    """Also records where each mapping and each list item starts."""


class LineList(list):
    """A YAML sequence; .lines[i] is the line where item i starts."""

    lines: list[int]


def _sequence(loader: _LineLoader, node: yaml.SequenceNode) -> LineList:
    out = LineList(loader.construct_sequence(node, deep=True))
    out.lines = [child.start_mark.line + 1 for child in node.value]
    return out


def _mapping(loader: _LineLoader, node: yaml.MappingNode) -> dict:
    d = loader.construct_mapping(node, deep=True)
    d[LINE] = node.start_mark.line + 1
    return d


_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping)
_LineLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _sequence)


def load(path: Path, with_lines: bool = False) -> Any:
    """Parse a YAML file; DataError 'file:line: problem' when it cannot be read or parsed.
    With with_lines, every mapping carries its first line under the key '__line__' and every
    list is a LineList that knows the line of each item."""
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{path}: not UTF-8 text; save it as UTF-8") from None
    except OSError as e:
        raise DataError(f"{path}: cannot read ({e.strerror})") from None
    try:
        return yaml.load(text, Loader=_LineLoader if with_lines else _SafeLoader)  # noqa: S506
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e).splitlines()[0]
        raise DataError(f"{path}{line}: not valid YAML ({problem})") from None
