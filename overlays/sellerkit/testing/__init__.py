"""Stateful vendor simulators (Starlette apps, uvicorn on loopback) for end-to-end and contract tests."""
