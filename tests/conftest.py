"""Shared fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import Phase, settings

from yibao.engine import Workspace

#: Set on a test whose xdist_group mark the scheduler will not see (see below).
LOST_GROUP = pytest.StashKey[str]()


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every ``spark`` test joins the xdist group ``spark``: one worker, one JVM (a second
    local session costs ~4 GB and half a minute of a shared core), whatever its module says."""
    for item in items:
        if item.get_closest_marker("spark") and not item.get_closest_marker("xdist_group"):
            item.add_marker(pytest.mark.xdist_group("spark"))


def pytest_collection_finish(session: pytest.Session) -> None:
    """Fail the grouped tests when ``--dist loadgroup`` would silently ignore their group.

    xdist groups a test by a suffix it adds to the node id on each worker (when the items are
    final, before this hook).  When a pytest release keeps node ids elsewhere the suffix is
    lost and every group is spread over both workers: the demo, the PostgreSQL cluster, the
    bench city and a JVM are then built once per worker (pytest 9.2 with pytest-xdist 3.8).
    An error raised here would only crash the worker without a word, so each test fails.
    """
    if not getattr(session.config.option, "loadgroup", False):  # on the workers of loadgroup
        return
    for item in session.items:
        if item.get_closest_marker("xdist_group") and "@" not in item.nodeid:
            item.stash[LOST_GROUP] = (
                f"pytest {pytest.__version__} 与 pytest-xdist 不兼容:xdist_group 分组被忽略,"
                "请按 pyproject.toml 安装 pytest(make install)"
            )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    if LOST_GROUP in item.stash:  # before any fixture is built
        pytest.fail(item.stash[LOST_GROUP], pytrace=False)


@pytest.fixture
def ws(tmp_path: Path):
    w = Workspace.create(tmp_path / "ws")
    yield w
    w.close()


# Mutation runs (make mutate, tests/oracle/named_mutations.py) only need to know that a test
# fails: no shrinking, which costs minutes on the chain's examples.
settings.register_profile(
    "mutate", phases=[Phase.explicit, Phase.reuse, Phase.generate], database=None
)
