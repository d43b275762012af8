"""Terminal output where data can never be read as Rich markup.

Messages carry a few style tags of our own (``[red]错误[/red]``); values from exports
(hospital codes, file names, reasons quoting a cell) are pasted into the same strings.
A hospital coded ``[/]`` crashed ``yibao quarantine``, and ``yibao settle`` after it had
saved its results.  This console keeps only our six tags as markup and prints every other
``[`` literally, so no caller has to remember to escape.
"""

from __future__ import annotations

import re
from typing import Any

from rich.console import Console, RenderableType
from rich.status import Status
from rich.text import Text

#: The only markup yibao writes.  Anything else that looks like a tag is data.
OUR_TAGS = ("red", "green", "yellow")
_NOT_OURS = re.compile(r"\\*\[(?!/?(?:" + "|".join(OUR_TAGS) + r")\])")


def literal(text: str) -> str:
    """``text`` with every ``[`` that is not one of our tags escaped for Rich."""
    # Backslashes before a bracket are doubled so that they stay backslashes.
    return _NOT_OURS.sub(lambda m: m.group(0)[:-1] * 2 + "\\[", text)


def _text(status: RenderableType) -> RenderableType:
    return Text.from_markup(literal(status)) if isinstance(status, str) else status


class _SafeStatus(Status):
    def update(self, status: RenderableType | None = None, **kwargs: Any) -> None:  # noqa: ANN401
        super().update(None if status is None else _text(status), **kwargs)


class SafeConsole(Console):
    """A Rich console whose strings may contain data (see the module docstring).

    Emoji codes are off too: ``:x:`` in a hospital name stays ``:x:``.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:  # noqa: ANN401
        kwargs.setdefault("emoji", False)
        super().__init__(*args, **kwargs)

    def render_str(self, text: str, **kwargs: Any) -> Text:  # noqa: ANN401 - Rich's signature
        return super().render_str(literal(text), **kwargs)

    def status(self, status: RenderableType, **kwargs: Any) -> Status:  # noqa: ANN401
        return _SafeStatus(_text(status), console=self, **kwargs)
