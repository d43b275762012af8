"""The one way a value or a name reaches SQL text: quoted here, or passed as a parameter.

DuckDB's ``SET`` and table-function arguments such as ``read_csv('…')`` do not take
parameters, so paths and names from users (workspace paths, file names, headers) are quoted
by these two functions and nowhere else.  Tests feed them hostile paths and headers.
"""

from __future__ import annotations


def sql_literal(value: str) -> str:
    """A SQL string literal: ``O'Brien`` → ``'O''Brien'``.  NUL cannot be quoted, so refused."""
    text = str(value)
    if "\x00" in text:
        raise ValueError("SQL 文本中不能含有 NUL 字符")
    return "'" + text.replace("'", "''") + "'"


def sql_ident(name: str) -> str:
    """A quoted SQL identifier: ``a"b`` → ``"a""b"``."""
    text = str(name)
    if "\x00" in text:
        raise ValueError("SQL 名称中不能含有 NUL 字符")
    return '"' + text.replace('"', '""') + '"'
