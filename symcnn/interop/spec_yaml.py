"""A spec dict as readable YAML: the top level in block style, each layer on one line, as the
specs in ``examples/`` are written."""

from __future__ import annotations

from typing import Any

import yaml

__all__ = ["spec_yaml"]

#: wide enough that yaml never folds a layer's line
_WIDTH = 1 << 20


def _flow(value: Any) -> str:
    if not isinstance(value, list | dict):  # a scalar alone would get yaml's document markers
        return _flow([value])[1:-1]
    return str(
        yaml.safe_dump(value, default_flow_style=True, sort_keys=False, width=_WIDTH)
    ).strip()


def _layers(entries: list[dict[str, Any]], indent: str) -> list[str]:
    lines = []
    for entry in entries:
        block = entry.get("block")
        if isinstance(block, dict):  # an inline block: its layers nested under it
            # one key a line: block style
            head = [f"{_flow(k)}: {_flow(v)}" for k, v in entry.items() if k != "block"]
            lines.append(f"{indent}- {head[0]}" if head else f"{indent}-")
            lines += [f"{indent}  {line}" for line in head[1:]]
            lines.append(f"{indent}  block:")
            if block.get("output") is not None:
                lines.append(f"{indent}    output: {_flow(block['output'])}")
            lines.append(f"{indent}    layers:")
            lines += _layers(block["layers"], indent + "      ")
        else:
            lines.append(f"{indent}- {_flow(entry)}")
    return lines


def spec_yaml(spec: dict[str, Any], comment: str = "") -> str:
    """The YAML text of ``spec`` (which :func:`symcnn.load` reads back as the same dict)."""
    lines = [f"# {line}".rstrip() for line in comment.splitlines()]
    for key in ("name", "convention", "input", "inputs", "layout", "symbols", "output"):
        if key in spec and spec[key] is not None:
            lines.append(f"{key}: {_flow(spec[key])}")
    if spec.get("blocks"):
        lines.append("blocks:")
        for name, block in spec["blocks"].items():
            lines.append(f"  {_flow(name)}:")
            if block.get("args"):
                lines.append(f"    args: {_flow(block['args'])}")
            if block.get("output") is not None:
                lines.append(f"    output: {_flow(block['output'])}")
            lines.append("    layers:")
            lines += _layers(block["layers"], "      ")
    lines.append("layers:")
    lines += _layers(spec["layers"], "  ")
    return "\n".join(lines) + "\n"
