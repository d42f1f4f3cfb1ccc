"""WEBSALE: spec, simulator and client tests."""
