"""Click's own complaints (missing argument, bad value, unknown option) in the user's language.

They are raised before any command runs, so before `--lang` is parsed: the language is read
straight from the arguments or LANJIE_LANG. Typer ships its own copy of Click (`typer._click`)
in recent versions, so errors are recognised by their class names, whichever Click raised them.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Sequence
from typing import Any

import typer

from lanjie.i18n import Lang, t

_NOT_VALID = re.compile(r"'(?P<value>.*)' is not a valid (?P<type>[\w ]+)\.?", re.DOTALL)
_SHOULD_BE = re.compile(r"should be a valid (?P<type>\w+)")
_TYPE_NAMES: dict[str, tuple[str, str]] = {
    "float": ("数字", "number"),
    "number": ("数字", "number"),
    "integer": ("整数", "whole number"),
    "boolean": ("是/否", "yes/no"),
}


def lang_of(args: Sequence[str]) -> Lang:
    chosen = os.environ.get("LANJIE_LANG", "zh")
    for index, arg in enumerate(args):
        if arg == "--lang" and index + 1 < len(args):
            chosen = args[index + 1]
        elif arg.startswith("--lang="):
            chosen = arg.partition("=")[2]
    return "en" if chosen.lower().startswith("en") else "zh"


def is_usage_error(error: BaseException) -> bool:
    return any(kind.__name__ == "UsageError" for kind in type(error).__mro__)


def _kind(error: BaseException) -> str:
    return type(error).__name__


def _is_argument(param: Any) -> bool:
    return getattr(param, "param_type_name", "") == "argument"


def _param_name(param: Any) -> str:
    if param is None:
        return "?"
    if _is_argument(param):
        return str(param.name or "?").upper()
    return "/".join(param.opts)


def _detail(message: str, lang: Lang) -> str:
    if lang == "en":
        return message.rstrip(".")
    should = _SHOULD_BE.search(message)
    if should:
        return "应为" + _TYPE_NAMES.get(should["type"], (should["type"], ""))[0]
    match = _NOT_VALID.search(message)
    if match is None:
        return message.rstrip(".")
    kind = _TYPE_NAMES.get(match["type"].strip(), (match["type"], ""))[0]
    return f"「{match['value']}」不是{kind}"


def explain(error: Any, lang: Lang) -> str:
    """One sentence saying what was wrong with the command line and where to read more."""
    ctx = getattr(error, "ctx", None)
    command = ctx.command_path.partition(" ")[2] if ctx is not None else ""
    command = f"{command} " if command else ""
    kind = _kind(error)
    message = str(getattr(error, "message", error))
    if kind == "MissingParameter":
        what = _param_name(error.param)
        if lang == "zh":
            what = ("参数 " if _is_argument(error.param) else "选项 ") + what
            help_text = getattr(error.param, "help", None)
            if help_text:
                what += f"（{help_text}）"
        return t("usage_missing", lang, what=what, command=command)
    if kind == "NoSuchOption":
        hint = ""
        if error.possibilities:
            hint = t("usage_did_you_mean", lang, options="、".join(sorted(error.possibilities)))
        return t("usage_no_option", lang, option=error.option_name, hint=hint, command=command)
    if kind == "BadParameter":
        return t("usage_bad_value", lang, what=_param_name(error.param), detail=_detail(message, lang), command=command)
    needs_value = re.match(r"Option '(.*?)' requires an? (?:argument|value)", message)
    if needs_value:
        return t("usage_needs_value", lang, option=needs_value.group(1), command=command)
    no_command = re.match(r"No such command '(.*?)'", message)
    if no_command:
        return t("usage_no_command", lang, name=no_command.group(1))
    return t("usage_other", lang, detail=_detail(message, lang), command=command)


def refuse(error: BaseException) -> typer.Exit:
    """Print the explanation on stderr; the caller raises the returned exit (code 2)."""
    sys.stderr.write(f"✗ {explain(error, lang_of(sys.argv[1:]))}\n")
    return typer.Exit(2)
