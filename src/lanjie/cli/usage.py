"""Click's own complaints (missing argument, bad value, unknown option) in the user's language.

They are raised before any command runs, so before its settings are loaded: the language is
`--lang` from the arguments, else LANJIE_LANG (`Settings.early_lang`). Typer ships its own
copy of Click (`typer._click`) in recent versions, so errors are recognised by their class
names, whichever Click raised them.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

import typer

from lanjie.i18n import Lang, Listing, Text, t

_NOT_VALID = re.compile(r"'(?P<value>.*)' is not a valid (?P<type>[\w ]+)\.?", re.DOTALL)
_SHOULD_BE = re.compile(r"should be a valid (?P<type>\w+)")


def _type_name(name: str) -> str:
    """What Click calls a type, in words from the catalogue (other names as Click says them)."""
    match name.strip():
        case "float" | "number":
            return Text("usage_type_number")
        case "integer":
            return Text("usage_type_integer")
        case "boolean":
            return Text("usage_type_boolean")
    return name


def lang_in(args: Sequence[str]) -> Lang:
    """The language asked for by `--lang` among `args`, else by LANJIE_LANG."""
    chosen: str | None = None
    for index, arg in enumerate(args):
        if arg == "--lang" and index + 1 < len(args):
            chosen = args[index + 1]
        elif arg.startswith("--lang="):
            chosen = arg.partition("=")[2]
    from lanjie.config import Settings  # only when something went wrong: start-up stays quick

    return Settings.early_lang(chosen)


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
    should = _SHOULD_BE.search(message)
    if should:
        return t("usage_should_be", lang, kind=_type_name(should["type"]))
    match = _NOT_VALID.search(message)
    if match is None:
        return message.rstrip(".")
    return t("usage_not_a", lang, value=match["value"], kind=_type_name(match["type"]))


def explain(error: Any, lang: Lang) -> str:
    """One sentence saying what was wrong with the command line and where to read more."""
    ctx = getattr(error, "ctx", None)
    command = ctx.command_path.partition(" ")[2] if ctx is not None else ""
    command = f"{command} " if command else ""
    kind = _kind(error)
    message = str(getattr(error, "message", error))
    if kind == "MissingParameter":
        name = _param_name(error.param)
        what = Text("usage_argument" if _is_argument(error.param) else "usage_option", name=name)
        help_text = getattr(error.param, "help", None)
        if help_text and lang == "zh":  # the help is in Chinese
            what = Text("usage_with_help", what=what, help=help_text)
        return t("usage_missing", lang, what=what, command=command)
    if kind == "NoSuchOption":
        hint = ""
        if error.possibilities:
            hint = t("usage_did_you_mean", lang, options=Listing(sorted(error.possibilities)))
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


def refuse(error: BaseException, args: Sequence[str]) -> typer.Exit:
    """Print the explanation on stderr; the caller raises the returned exit (code 2).
    `args` are the command line's arguments, where `--lang` may be."""
    sys.stderr.write(f"✗ {explain(error, lang_in(args))}\n")
    return typer.Exit(2)
