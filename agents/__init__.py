"""Thin Faust agents: ``async for`` over a stream, call a pure function from :mod:`pipeline`, send the result."""
