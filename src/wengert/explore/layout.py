"""Coordinates for the explorer's graph: Graphviz's ``dot`` when it is installed, a layered layout otherwise.

The page draws the SVG itself from these coordinates (in points, y downwards):
a box per node (``x``, ``y`` its centre, ``width``, ``height``), an SVG path per
edge and the place of the edge's label (where a contribution is written).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

CHARACTER_WIDTH = 8.4  # points per character of the node's text at the page's font size
NODE_HEIGHT = 74.0
INPUT_WIDTH = 180.0
MIN_WIDTH = 130.0


def node_sizes(model: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """The width and height (points) of every node's box, the output's included.

    Example:
        >>> node_sizes({"nodes": [{"id": "v1", "kind": "input", "expression": "x"}], "output": {"id": "f"}})
        {'v1': (180.0, 74.0), 'f': (130.0, 74.0)}
    """
    longest = {node["id"]: len(f"{node['id']} = {node['expression']}") for node in model["nodes"]}
    longest[model["output"]["id"]] = len(model["output"].get("text", "")) + 4
    for node in model["nodes"]:
        longest[node["id"]] = max(longest[node["id"]], len(node.get("text", "")) + 2)
    # The adjoint line: "v̄1 = 5 + 0.5 = 5.5" (every contribution, then the sum).
    terms: dict[str, list[str]] = {}
    for step in model.get("backward", []):
        received = terms.setdefault(step["to"], [])
        received.append(step["contribution"]["text"])
        shown = received if len(received) <= 3 else [received[0], "…", received[-1], "(00 terms)"]  # as the page
        longest[step["to"]] = max(
            longest.get(step["to"], 0), 6 + sum(len(t) + 3 for t in shown) + len(step["adjoint"]["text"])
        )
    for block in model.get("tangents", {}).values():
        for row in block["rows"]:
            longest[row["id"]] = max(longest.get(row["id"], 0), len(row["text"]) + 6)
    sizes = {}
    for node in model["nodes"]:
        width = max(INPUT_WIDTH if node["kind"] == "input" else MIN_WIDTH, CHARACTER_WIDTH * longest[node["id"]] + 28)
        sizes[node["id"]] = (round(width, 1), NODE_HEIGHT)
    output = model["output"]["id"]
    sizes[output] = (max(MIN_WIDTH, CHARACTER_WIDTH * longest[output] + 28), NODE_HEIGHT)
    return sizes


def graph_layout(model: dict[str, Any], engine: str = "auto") -> dict[str, Any]:
    """The layout of ``model``'s graph: ``engine`` is ``"dot"``, ``"layered"`` or ``"auto"`` (dot when on PATH).

    Example:
        >>> model = {"nodes": [{"id": "v1", "kind": "input", "expression": "x"}], "output": {"id": "f"},
        ...          "edges": [{"id": "e1", "from": "v1", "to": "f"}]}
        >>> layout = graph_layout(model, engine="layered")
        >>> layout["engine"], sorted(layout["nodes"]), list(layout["edges"])
        ('layered', ['f', 'v1'], ['e1'])
    """
    if engine not in ("auto", "dot", "layered"):
        raise ValueError(f"layout engine {engine!r}: choose 'auto', 'dot' or 'layered'")
    if engine in ("auto", "dot"):
        program = shutil.which("dot")
        if program is not None:
            try:
                return dot_layout(model, program)
            except (OSError, ValueError, KeyError, subprocess.SubprocessError):
                if engine == "dot":
                    raise
        elif engine == "dot":
            raise FileNotFoundError("Graphviz's 'dot' is not on PATH (install graphviz, or use the layered layout)")
    return layered_layout(model)


def _dot_source(model: dict[str, Any], sizes: dict[str, tuple[float, float]]) -> str:
    lines = [
        "digraph explore {",
        "  rankdir=LR; nodesep=0.25; ranksep=0.8;",
        '  node [shape=box, fixedsize=true, label=""];',
    ]
    for name, (width, height) in sizes.items():
        lines.append(f'  "{name}" [width={width / 72:.3f}, height={height / 72:.3f}];')
    for edge in model["edges"]:
        lines.append(f'  "{edge["from"]}" -> "{edge["to"]}" [id="{edge["id"]}"];')
    inputs = " ".join(f'"{node["id"]}"' for node in model["nodes"] if node["kind"] == "input")
    lines.append(f"  {{ rank=source; {inputs} }}")
    lines.append(f'  {{ rank=sink; "{model["output"]["id"]}" }}')
    lines.append("}")
    return "\n".join(lines) + "\n"


def dot_layout(model: dict[str, Any], program: str = "dot") -> dict[str, Any]:
    """The layout Graphviz's ``dot -Tjson`` computes (left to right, splines for the edges)."""
    sizes = node_sizes(model)
    source = _dot_source(model, sizes)
    result = subprocess.run(
        [program, "-Tjson"], input=source.encode("utf-8"), capture_output=True, timeout=20, check=False
    )
    if result.returncode != 0:
        raise ValueError(f"dot failed: {result.stderr.decode('utf-8', 'replace').strip()}")
    data = json.loads(result.stdout.decode("utf-8"))
    _, _, right, top = (float(part) for part in data["bb"].split(","))
    flip = lambda x, y: (round(x, 1), round(top - y, 1))  # noqa: E731  (dot's y points up, SVG's down)
    nodes = {}
    names = {}
    for item in data.get("objects", []):
        if "pos" not in item:
            continue
        x, y = (float(part) for part in item["pos"].split(","))
        width, height = sizes[item["name"]]
        cx, cy = flip(x, y)
        nodes[item["name"]] = {"x": cx, "y": cy, "width": width, "height": height}
        names[item["_gvid"]] = item["name"]
    edges = {}
    for item in data.get("edges", []):
        points, end = _spline(item["pos"])
        points = [flip(x, y) for x, y in points]
        path = f"M {points[0][0]} {points[0][1]}"
        for k in range(1, len(points) - 2, 3):
            (ax, ay), (bx, by), (cx, cy) = points[k : k + 3]
            path += f" C {ax} {ay} {bx} {by} {cx} {cy}"
        if end is not None:
            ex, ey = flip(*end)
            path += f" L {ex} {ey}"
        edges[item["id"]] = {"path": path, "label": _midpoint(points)}
    missing = [edge["id"] for edge in model["edges"] if edge["id"] not in edges]
    if missing or len(nodes) != len(sizes):
        raise ValueError("dot's layout lacks some nodes or edges")
    return {"engine": "dot", "width": round(right, 1), "height": round(top, 1), "nodes": nodes, "edges": edges}


def _spline(pos: str) -> tuple[list[tuple[float, float]], tuple[float, float] | None]:
    end = None
    points = []
    for part in pos.split():
        if part.startswith("e,"):
            x, y = part[2:].split(",")
            end = (float(x), float(y))
        elif part.startswith("s,"):
            continue
        else:
            x, y = part.split(",")
            points.append((float(x), float(y)))
    return points, end


def _midpoint(points: list[tuple[float, float]]) -> dict[str, float]:
    """The point halfway along a spline (a start point, then three control points per cubic piece)."""
    samples = [points[0]]
    for k in range(1, len(points) - 2, 3):
        (ax, ay), (bx, by), (cx, cy), (dx, dy) = points[k - 1 : k + 3]
        for step in range(1, 17):
            t = step / 16
            u = 1 - t
            samples.append(
                (
                    u**3 * ax + 3 * u * u * t * bx + 3 * u * t * t * cx + t**3 * dx,
                    u**3 * ay + 3 * u * u * t * by + 3 * u * t * t * cy + t**3 * dy,
                )
            )
    lengths = [0.0]
    for (x0, y0), (x1, y1) in zip(samples, samples[1:]):
        lengths.append(lengths[-1] + ((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5)
    half = lengths[-1] / 2
    index = next(k for k, length in enumerate(lengths) if length >= half)
    x, y = samples[index]
    return {"x": round(x, 1), "y": round(y, 1)}


def layered_layout(model: dict[str, Any]) -> dict[str, Any]:
    """A simple layered layout: a column per longest-path height, nodes ordered by their parents' rows.

    Example:
        >>> model = {"nodes": [{"id": "v1", "kind": "input", "expression": "x"},
        ...                    {"id": "v2", "kind": "operation", "expression": "sin(v1)"}],
        ...          "output": {"id": "f"},
        ...          "edges": [{"id": "e1", "from": "v1", "to": "v2"}, {"id": "e2", "from": "v2", "to": "f"}]}
        >>> layout = layered_layout(model)
        >>> [layout["nodes"][name]["x"] < layout["nodes"]["f"]["x"] for name in ("v1", "v2")]
        [True, True]
    """
    sizes = node_sizes(model)
    parents: dict[str, list[str]] = {name: [] for name in sizes}
    for edge in model["edges"]:
        parents[edge["to"]].append(edge["from"])
    order = [node["id"] for node in model["nodes"]] + [model["output"]["id"]]
    height: dict[str, int] = {}
    for name in order:  # the nodes come parents first
        height[name] = 1 + max((height[parent] for parent in parents[name]), default=-1)
    height[model["output"]["id"]] = max(height.values()) + (0 if len(order) == 1 else 0)
    layers: list[list[str]] = [[] for _ in range(max(height.values()) + 1)]
    for name in order:
        layers[height[name]].append(name)
    row: dict[str, float] = {}
    for layer in layers:
        # The barycentre of the parents' rows keeps edges short and mostly uncrossed.
        layer.sort(key=lambda name: sum(row[p] for p in parents[name]) / len(parents[name]) if parents[name] else 0)
        for index, name in enumerate(layer):
            row[name] = index
    column_gap, row_gap, margin = 110.0, 36.0, 10.0
    tallest = max(sum(sizes[name][1] for name in layer) + row_gap * (len(layer) - 1) for layer in layers)
    nodes = {}
    x = margin
    for layer in layers:
        width = max(sizes[name][0] for name in layer)
        total = sum(sizes[name][1] for name in layer) + row_gap * (len(layer) - 1)
        y = margin + (tallest - total) / 2
        for name in layer:
            node_width, node_height = sizes[name]
            nodes[name] = {
                "x": round(x + width / 2, 1),
                "y": round(y + node_height / 2, 1),
                "width": node_width,
                "height": node_height,
            }
            y += node_height + row_gap
        x += width + column_gap
    edges = {}
    seen: dict[tuple[str, str], int] = {}
    for edge in model["edges"]:
        source, target = nodes[edge["from"]], nodes[edge["to"]]
        repeat = seen.get((edge["from"], edge["to"]), 0)
        seen[(edge["from"], edge["to"])] = repeat + 1
        bend = 18.0 * repeat * (1 if repeat % 2 else -1)  # parallel edges (x·x) curve apart
        x0, y0 = source["x"] + source["width"] / 2, source["y"]
        x1, y1 = target["x"] - target["width"] / 2, target["y"]
        middle = (x0 + x1) / 2
        path = f"M {x0:.1f} {y0:.1f} C {middle:.1f} {y0 + bend:.1f} {middle:.1f} {y1 + bend:.1f} {x1:.1f} {y1:.1f}"
        edges[edge["id"]] = {"path": path, "label": {"x": round(middle, 1), "y": round((y0 + y1) / 2 + bend - 6, 1)}}
    return {
        "engine": "layered",
        "width": round(x - column_gap + margin, 1),
        "height": round(tallest + 2 * margin, 1),
        "nodes": nodes,
        "edges": edges,
    }
