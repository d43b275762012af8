"""Exit codes a script can trust: 3 means "yibao itself failed", never "rows quarantined".

Every command runs inside :class:`SafeGroup`.  An unexpected exception is written with its
traceback to a private log file (0600, under ``YIBAO_LOG_DIR`` or ``~/.local/state/yibao``)
and the user gets one Chinese sentence with the log's path, and exit status 3.  Known
refusals (a workspace that is busy or missing, an unmasking that is not allowed) are exit 2
with their own message.  Every file the command creates is private (see
:func:`yibao.privacy.private_umask`).
"""

from __future__ import annotations

import os
import re
import sys
import traceback
from datetime import datetime
from enum import Enum
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperGroup

from yibao.privacy import PRIVATE_DIR, private_umask

EXIT_CRASH = 3
LOG_ENV = "YIBAO_LOG_DIR"


def log_dir() -> Path:
    env = os.environ.get(LOG_ENV)
    base = Path(env) if env else Path.home() / ".local" / "state" / "yibao"
    base.mkdir(parents=True, exist_ok=True, mode=PRIVATE_DIR)
    return base


def write_crash_log(exc: BaseException, argv: list[str]) -> Path:
    """The traceback, the command line and the time, in a new private file."""
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = log_dir() / f"yibao-error-{stamp}-{os.getpid()}.log"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(f"time: {datetime.now().isoformat()}\nargv: {argv!r}\n\n")
        fh.write("".join(traceback.format_exception(exc)))
    return path


#: Where the group keeps its command line, to name a refused value.
_ARGS = "yibao.args"
#: Exceptions that are the CLI framework's own way to stop (exit codes, usage errors, ^C).
_PASS = (typer.Exit, typer.Abort, typer.TyperException, KeyboardInterrupt)


def _choices(param: Any) -> list[str]:  # noqa: ANN401 - typer's parameter class
    """The values an option allows, or [] where it is not a choice (an Enum annotation)."""
    kind = getattr(getattr(param, "type_descriptor", None), "annotation", None)
    if isinstance(kind, type) and issubclass(kind, Enum):
        return [str(m.value) for m in kind]
    return []


def choice_refusal(
    param: Any,  # noqa: ANN401 - typer's parameter class
    args: list[str],
) -> str:
    """A value outside an option's choices, in Chinese (click's own message is English)."""
    opt = max(getattr(param, "opts", None) or [param.name or ""], key=len)
    given = None
    for i, a in enumerate(args):
        if a == opt and i + 1 < len(args):
            given = args[i + 1]
        elif a.startswith(f"{opt}="):
            given = a.split("=", 1)[1]
    shown = f"「{given}」" if given is not None else ""
    choices = "、".join(_choices(param))
    return f"参数 {opt} 的取值{shown}无效;可选 {choices}"


def usage_refusal(exc: typer.TyperException) -> str | None:
    """A mistyped command line in Chinese, or None where typer's own message must stand."""
    from typer._click import exceptions as ce

    text = str(getattr(exc, "message", "") or "")
    if isinstance(exc, ce.NoSuchOption):
        near = "、".join(exc.possibilities or [])
        return f"没有参数 {exc.option_name}" + (f"(是否要用 {near}?)" if near else "")
    if isinstance(exc, ce.BadOptionUsage) and "requires an argument" in text:
        return f"参数 {exc.option_name} 后面缺少取值"
    if isinstance(exc, ce.BadOptionUsage) and "does not take a value" in text:
        return f"参数 {exc.option_name} 不带取值"
    if isinstance(exc, ce.MissingParameter) and exc.param is not None:
        p = exc.param
        label = str(getattr(p, "help", "") or "").split(" / ")[0].strip()
        name = max(p.opts, key=len) if p.param_type_name == "option" and p.opts else p.name
        return f"缺少参数 {name}" + (f"({label})" if label else "")
    if extra := re.match(r"Got unexpected extra argument(?:s|\(s\))? \((.*)\)", text):
        return f"多余的参数: {extra.group(1)}"
    return None


def _refusal(exc: typer.TyperException, args: list[str]) -> str | None:
    """The Chinese refusal of a command line typer would refuse in English, if we know it."""
    from typer._click.exceptions import UsageError

    if isinstance(exc, typer.BadParameter) and exc.param is not None and _choices(exc.param):
        return choice_refusal(exc.param, args)
    return usage_refusal(exc) if isinstance(exc, UsageError) else None


def _command_path(exc: typer.TyperException, ctx: typer.Context) -> str:
    """``yibao bench city``: the command refused, named as the user types it."""
    c = getattr(exc, "ctx", None)
    if c is None:  # the parser refused before a context existed: follow the words typed
        return " ".join(["yibao", *_subcommands(ctx, ctx.meta.get(_ARGS, []))])
    names = []
    while c is not None:
        names.append(c.info_name or "")
        c = c.parent
    return " ".join(["yibao", *reversed(names[:-1])])


def _subcommands(ctx: typer.Context, args: list[str]) -> list[str]:
    """The command names a command line starts with: ``bench city`` of ``bench city -x``."""
    names: list[str] = []
    group: Any = ctx.command
    for word in args:
        sub = group.get_command(ctx, word) if hasattr(group, "get_command") else None
        if sub is None:
            break
        names.append(word)
        group = sub
    return names


def _say(message: str) -> None:
    typer.echo(message, err=True)


class SafeGroup(TyperGroup):
    """The command group of ``yibao``: private files, refusals as exit 2, crashes as exit 3."""

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        ctx.meta[_ARGS] = list(args)  # kept to name a refused value: parsing consumes them
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context) -> Any:  # noqa: ANN401 - click's signature
        from yibao.control.users import AccessDenied
        from yibao.engine.workspace import WorkspaceError

        private_umask()
        try:
            return super().invoke(ctx)
        except typer.TyperException as exc:
            said = _refusal(exc, ctx.meta.get(_ARGS, []))
            if said is None:
                raise
            _say(f"错误: {said}\n查看帮助: {_command_path(exc, ctx)} --help")
            raise typer.Exit(2) from None
        except _PASS:
            raise
        except (WorkspaceError, AccessDenied) as exc:
            _say(f"错误: {exc}")
            raise typer.Exit(2) from None
        except Exception as exc:  # noqa: BLE001 - this is the last line of defence
            try:
                where = f"详细信息已写入 {write_crash_log(exc, sys.argv)}"
            except OSError:
                where = "且无法写入日志文件"
            _say(f"yibao 内部错误,本次操作未完成,{where},请将该文件交给维护人员。")
            raise typer.Exit(EXIT_CRASH) from None
