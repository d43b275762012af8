"""Indicator library: named measures over canonical and derived tables (see docs/indicators.md)."""

from yibao.indicators.registry import INDICATORS, PENDING, Indicator, get_indicator, load_library

__all__ = ["INDICATORS", "PENDING", "Indicator", "get_indicator", "load_library"]
