"""Policy and engine resolution, defined once, and the run context built from them."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from yibao.engine.backend import ENGINES, EngineUnavailable, unknown_engine
from yibao.engine.workspace import Workspace
from yibao.pipeline.contract import RunContext
from yibao.policy import Policy, load_policy

DEFAULT_POLICY = "demo-county"


def policy_ref_of(ws: Workspace | None, ref: str | None) -> str:
    """The policy a command uses: ``--policy``, else the workspace's, else the demo preset.

    A relative file path in ``yibao.yaml`` is relative to the workspace, so a workspace can move."""
    ref = ref or (ws.config.get("policy") if ws is not None else None) or DEFAULT_POLICY
    if ws is not None and str(ref).endswith((".yaml", ".yml")):
        p = Path(ref)
        if not p.is_absolute() and (ws.path / p).exists():
            return str(ws.path / p)
        origin = ws.config.get("policy_origin")  # the workspace was copied without the file
        if ref == ws.config.get("policy") and origin and Path(origin).is_file():
            return str(origin)
    return str(ref)


def resolve_policy(ws: Workspace | None, ref: str | Policy | None) -> Policy:
    """A loaded policy: passed through when already loaded (steps share the context's)."""
    if isinstance(ref, Policy):
        return ref
    return load_policy(policy_ref_of(ws, ref))


def policy_hash(policy: Policy) -> str:
    """SHA-256 of every parameter's dated values: two runs with equal hashes used equal rules."""
    payload = [
        [name, p.type, p.unit, [[str(v.start), repr(v.value)] for v in p.values]]
        for name, p in sorted(policy.parameters.items())
    ]
    text = json.dumps([policy.name, payload], ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_engine(engine: str) -> str:
    """The engine name, or a Chinese error naming the choices."""
    name = getattr(engine, "value", engine)
    if name not in ENGINES:
        raise EngineUnavailable(unknown_engine(name))
    return str(name)


def build_context(
    ws: Workspace,
    year: int | None,
    *,
    policy: str | Policy | None = None,
    engine: str = "duckdb",
    user: str | None = None,
    role: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> RunContext:
    pol = resolve_policy(ws, policy)
    ref = policy if isinstance(policy, str) else policy_ref_of(ws, None)
    return RunContext(
        ws=ws,
        year=year,
        policy=pol,
        policy_ref=str(ref),
        policy_hash=policy_hash(pol),
        engine=check_engine(engine),
        user=user,
        role=role,
        progress=progress or (lambda _m: None),
    )
