"""Credentials out of every message shown to a visitor, a terminal or a log: the one helper to call
wherever a URL or a transport error is put in text."""

from __future__ import annotations

import logging
import re
import sys
import traceback

# The user-information part of any URL (``scheme://user:password@``), up to the last ``@`` before the
# path, so that a password with a raw ``@`` in it is masked whole.
_USERINFO = re.compile(r"\b([A-Za-z][A-Za-z0-9+.\-]*://)[^/\s?#]*@")


def mask_credentials(text: object) -> str:
    """``text`` with the user and password of every URL in it replaced by ``***``."""
    return _USERINFO.sub(r"\1***@", str(text))


class MaskCredentialsFilter(logging.Filter):
    """A handler filter: every log line, whoever wrote it (ours, elastic_transport's, aiokafka's), masked."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = mask_credentials(message)
        if masked != message:
            record.msg, record.args = masked, None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            record.exc_text = mask_credentials(logging.Formatter().formatException(record.exc_info))
        return True


def mask_log_credentials(logger: logging.Logger | None = None) -> None:
    """Put :class:`MaskCredentialsFilter` on every handler of ``logger`` (the root logger by default)."""
    for handler in (logger or logging.getLogger()).handlers:
        if not any(isinstance(f, MaskCredentialsFilter) for f in handler.filters):
            handler.addFilter(MaskCredentialsFilter())


def masked_excepthook(kind, value, tb) -> None:
    """``sys.excepthook`` that prints the traceback of an uncaught error with credentials masked."""
    sys.stderr.write(mask_credentials("".join(traceback.format_exception(kind, value, tb))))
