"""Identity numbers: GB 11643-1999 resident ID checks."""

from yibao.identity.idcard import (
    CHECK_CHARS,
    WEIGHTS,
    IdCheck,
    check_char,
    check_id,
    random_valid_id,
)

__all__ = ["CHECK_CHARS", "WEIGHTS", "IdCheck", "check_char", "check_id", "random_valid_id"]
