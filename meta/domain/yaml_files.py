"""YAML reading for configs and campaign files: safe, strict, and with line numbers in errors.

Timestamps stay strings (PyYAML would turn ``2026-12-03 20:00:00`` into a naive datetime that
silently means UTC); tags such as ``!!python/object`` are refused by the safe loader; a key given
twice is an error instead of "last one wins".
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml


class YamlFileError(ValueError):
    """The file cannot be read as the YAML we expect; the message names the file and line."""


class _StrictLoader(yaml.SafeLoader):
    pass


# Drop the implicit timestamp resolver: times are parsed by meta.domain.times in the account's zone.
_StrictLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    mapping: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in mapping:
            line = key_node.start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} appears twice (line {line})", key_node.start_mark
            )
        mapping[key] = loader.construct_object(value_node, deep=deep)
    return mapping


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

MAX_YAML_BYTES = 256 * 1024
# Aliases let a small file stand for an exponential number of values ("billion laughs"); PyYAML
# shares them, but anything that later prints or walks the value would not.
MAX_YAML_VALUES = 100_000


def load_yaml_text(text: str, *, source: str) -> Any:
    if len(text.encode("utf-8", "replace")) > MAX_YAML_BYTES:
        raise YamlFileError(f"{source}: file is larger than {MAX_YAML_BYTES // 1024} KB")
    try:
        loader = _StrictLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            if _expanded_size(node, {}) > MAX_YAML_VALUES:
                raise YamlFileError(
                    f"{source}: its aliases expand to more than {MAX_YAML_VALUES:,} values; "
                    "write the values out instead"
                )
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise YamlFileError(f"{source}: not valid YAML{where}: {problem}") from None
    except RecursionError:
        raise YamlFileError(f"{source}: nested too deeply to be a campaign file") from None


def _expanded_size(node: yaml.Node, memo: dict[int, int]) -> int:
    """How many values ``node`` stands for once every alias is expanded (cycles count once)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = 1
    total = 1
    if isinstance(node, yaml.SequenceNode):
        total += sum(_expanded_size(child, memo) for child in node.value)
    elif isinstance(node, yaml.MappingNode):
        total += sum(_expanded_size(k, memo) + _expanded_size(v, memo) for k, v in node.value)
    memo[key] = min(total, MAX_YAML_VALUES + 1)
    return memo[key]


def load_yaml_file(path: Path) -> Any:
    if not path.is_file():
        raise YamlFileError(f"{path}: file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise YamlFileError(f"{path}: not a UTF-8 text file") from None
    return load_yaml_text(text, source=str(path))
