"""``yibao.yaml``: read with the policy loader's YAML rules and checked key by key.

Errors name the file, the key and the problem, like policy errors, so that a mistyped engine or
memory limit is refused before anything runs (and never reaches SQL).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from yibao.policy.loader import DecimalLoader
from yibao.policy.model import PolicyError

_SIZE = re.compile(r"^\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$", re.IGNORECASE)


def _is_text(v: Any) -> bool:
    return isinstance(v, str) and bool(v.strip())


#: key → (check, what it must be)
KEYS: dict[str, tuple[Any, str]] = {
    "name": (lambda v: v is None or isinstance(v, (str, int)), "文本"),
    "schema_version": (lambda v: isinstance(v, int) and not isinstance(v, bool), "整数"),
    "policy": (lambda v: v is None or _is_text(v), "政策预设名或 YAML 文件路径"),
    "policy_origin": (lambda v: v is None or _is_text(v), "政策文件的原始绝对路径"),
    "region": (lambda v: v is None or (isinstance(v, (str, int)) and str(v).isdigit()), "区划代码"),
    "engine": (lambda v: v in ("duckdb", "pyspark"), "duckdb 或 pyspark"),
    "memory_limit": (lambda v: isinstance(v, str) and bool(_SIZE.match(v.strip())), "如 4GB"),
    "threads": (lambda v: isinstance(v, int) and not isinstance(v, bool) and v > 0, "正整数"),
    "spark": (lambda v: isinstance(v, dict), "映射(master 或 remote、conf、parquet_dir …)"),
    # The workbench's control plane (issue 18): a SQLAlchemy URL, e.g. postgresql+psycopg://….
    "control_url": (
        lambda v: isinstance(v, str) and v.startswith(("sqlite:", "postgresql")),
        "SQLAlchemy 地址(sqlite:///… 或 postgresql+psycopg://…)",
    ),
}
_MASTER = re.compile(r"^(local(\[(\d+|\*)(,\d+)?\])?|spark://[\w.\-]+(:\d+)?(,[\w.\-]+(:\d+)?)*"
                     r"|yarn|k8s://\S+|mesos://\S+)$")  # fmt: skip
#: spark.<key> → (check, what it must be)
SPARK_KEYS: dict[str, tuple[Any, str]] = {
    "master": (lambda v: isinstance(v, str) and bool(_MASTER.match(v)),
               "local[N]、spark://主机:端口、yarn 或 k8s://…"),
    "remote": (lambda v: isinstance(v, str) and v.startswith("sc://") and " " not in v,
               "Spark Connect 地址 sc://主机:端口"),
    "conf": (lambda v: isinstance(v, dict) and all(
        isinstance(k, str) and k.startswith("spark.") and isinstance(x, (str, int, bool))
        for k, x in v.items()), "spark.* 设置项到取值的映射"),
    "parquet_dir": (_is_text, "本机与集群各节点都能访问的共享目录"),
    "parquet_url": (_is_text, "集群访问该共享目录的地址,如 hdfs://… 或 file:///…"),
}  # fmt: skip


def check_spark(fname: str, sec: dict) -> None:
    """The ``spark:`` section, key by key; master and remote exclude each other."""
    from yibao.engine.spark import PINNED

    for key, value in sec.items():
        if key not in SPARK_KEYS:
            raise PolicyError(fname, f"spark.{key}", f"未知的设置项;可用: {', '.join(SPARK_KEYS)}")
        check, what = SPARK_KEYS[key]
        if not check(value):
            raise PolicyError(fname, f"spark.{key}", f"取值「{value}」无效,应为{what}")
    if sec.get("master") and sec.get("remote"):
        raise PolicyError(fname, "spark", "master 与 remote(Spark Connect)只能给一个")
    for key, value in (sec.get("conf") or {}).items():
        if key in PINNED and str(value) != PINNED[key]:
            raise PolicyError(
                fname, f"spark.conf.{key}", f"yibao 要求 {PINNED[key]}(与 DuckDB 结果一致所需)"
            )


def load_config(path: Path) -> dict[str, Any]:
    """The workspace settings, or PolicyError(file, key, problem)."""
    fname = str(path)
    try:
        doc = yaml.load(path.read_text(encoding="utf-8"), Loader=DecimalLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"第 {mark.line + 1} 行" if mark else ""
        problem = getattr(exc, "problem", exc)
        raise PolicyError(fname, "", f"YAML 语法错误 {where}: {problem}") from None
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise PolicyError(fname, "", "文件顶层应为映射(name, policy, engine …)")
    for key, value in doc.items():
        if key not in KEYS:
            raise PolicyError(fname, str(key), f"未知的设置项;可用: {', '.join(KEYS)}")
        check, what = KEYS[key]
        if not check(value):
            raise PolicyError(fname, str(key), f"取值「{value}」无效,应为{what}")
        if key == "spark":
            check_spark(fname, value)
    return doc
