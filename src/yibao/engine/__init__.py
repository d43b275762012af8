"""Engine layer: the workspace (DuckDB file) and Ibis backends (DuckDB default, PySpark)."""

from yibao.engine.backend import ENGINES, connect_engine
from yibao.engine.workspace import Workspace

__all__ = ["ENGINES", "Workspace", "connect_engine"]
