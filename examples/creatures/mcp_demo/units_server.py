"""A small MCP server for the mcp_demo creature: unit conversions, over stdio.

Run by the creature (see config.yaml); by hand: ``python units_server.py`` speaks MCP on
stdin/stdout. Needs the ``mcp`` package (2.x).
"""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

server = MCPServer("units", log_level="WARNING")

_LENGTH_M = {
    "m": 1.0,
    "km": 1000.0,
    "cm": 0.01,
    "mm": 0.001,
    "mi": 1609.344,
    "ft": 0.3048,
    "in": 0.0254,
}


@server.tool()
def convert_length(value: float, from_unit: str, to_unit: str) -> str:
    """Convert a length between m, km, cm, mm, mi, ft and in."""
    try:
        meters = value * _LENGTH_M[from_unit]
        result = meters / _LENGTH_M[to_unit]
    except KeyError as exc:
        raise ValueError(f"unknown unit {exc.args[0]!r}; known: {', '.join(_LENGTH_M)}") from None
    return f"{value:g} {from_unit} = {result:.6g} {to_unit}"


@server.tool()
def celsius_to_fahrenheit(celsius: float) -> str:
    """Convert a temperature from degrees Celsius to degrees Fahrenheit."""
    return f"{celsius:g} °C = {celsius * 9 / 5 + 32:.4g} °F"


if __name__ == "__main__":
    server.run()
