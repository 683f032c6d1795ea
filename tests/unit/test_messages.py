"""The message catalogue is typed by these tests: every key's two texts take the same
placeholders, every key the code names exists and is given exactly its placeholders, and the
modules that talk to users say nothing outside the catalogue."""

from __future__ import annotations

import ast
import copy
import pickle
import re
import string
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from lanjie.buckets import RULES
from lanjie.couriers import UNKNOWN_COURIER_NAME
from lanjie.errors import BadInput
from lanjie.i18n import MESSAGES, Listing, Text, t, translated
from lanjie.ledger.events import EVENT_LABELS, EventKind
from lanjie.model import Bucket

SRC = Path(__file__).resolve().parents[2] / "src" / "lanjie"
I18N = SRC / "i18n.py"


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


@pytest.mark.parametrize("key", sorted(MESSAGES))
def test_both_texts_of_a_message_take_the_same_placeholders(key: str) -> None:
    zh, en = MESSAGES[key]
    assert zh and en, key
    assert placeholders(zh) == placeholders(en), key
    assert all(name.isidentifier() for name in placeholders(zh)), key  # no positional {} or {0}


def test_the_catalogue_names_each_key_once() -> None:
    """A key written twice in the dict literal would silently lose its first texts."""
    tree = ast.parse(I18N.read_text(encoding="utf-8"))
    [catalogue] = [
        node.value
        for node in tree.body
        if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.target.id == "MESSAGES"
    ]
    assert isinstance(catalogue, ast.Dict)
    keys = [k.value for k in catalogue.keys if isinstance(k, ast.Constant)]
    assert len(keys) == len(catalogue.keys) == len(MESSAGES)
    assert sorted(k for k in set(keys) if keys.count(k) > 1) == []


@dataclass(frozen=True)
class Use:
    where: str
    callee: str
    keys: tuple[str, ...]
    params: frozenset[str] | None  # None: passed with **, not checked


def _callee(call: ast.Call) -> str:
    if isinstance(call.func, ast.Name):
        return call.func.id
    if isinstance(call.func, ast.Attribute):
        return call.func.attr
    return ""


def _literal_keys(node: ast.expr) -> tuple[str, ...] | None:
    """The key(s) a literal argument can be: "key", or "a" if … else "b"; None when computed."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return (node.value,)
    if isinstance(node, ast.IfExp):
        body, orelse = _literal_keys(node.body), _literal_keys(node.orelse)
        if body is not None and orelse is not None:
            return body + orelse
    return None


def _modules() -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(encoding="utf-8")) for path in sorted(SRC.rglob("*.py"))}


def _error_classes(modules: dict[Path, ast.Module]) -> set[str]:
    """LanjieError and every class anywhere in lanjie derived from it (they all take a key)."""
    bases: dict[str, set[str]] = {}
    for tree in modules.values():
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases.setdefault(node.name, set()).update(
                    b.id if isinstance(b, ast.Name) else b.attr
                    for b in node.bases
                    if isinstance(b, ast.Name | ast.Attribute)
                )
    found = {"LanjieError"}
    while True:
        more = {name for name, parents in bases.items() if parents & found} - found
        if not more:
            return found
        found |= more


def uses() -> Iterator[Use]:
    """Every call in lanjie that names a message: t(…), Text(…), and every LanjieError(…)."""
    modules = _modules()
    takes_a_key = {"t", "Text"} | _error_classes(modules)
    for path, tree in modules.items():
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _callee(node) in takes_a_key and node.args):
                continue
            keys = _literal_keys(node.args[0])
            if keys is None:
                continue  # a computed key: the tests below check the families of them
            splat = any(k.arg is None for k in node.keywords)
            params = None if splat else frozenset(k.arg for k in node.keywords if k.arg is not None)
            yield Use(f"{path.relative_to(SRC)}:{node.lineno}", _callee(node), keys, params)


def test_every_key_the_code_names_exists_and_gets_exactly_its_placeholders() -> None:
    found = list(uses())
    assert len(found) > 200, "the scan finds the calls"  # it found far fewer: the scan is broken
    assert {u.callee for u in found} >= {"t", "Text", "BadInput", "NotFound"}
    missing = [f"{u.where}: {key}" for u in found for key in u.keys if key not in MESSAGES]
    assert missing == [], "keys used but not in MESSAGES"
    wrong = [
        f"{u.where}: {key} takes {sorted(placeholders(MESSAGES[key][0]))}, given {sorted(u.params)}"
        for u in found
        if u.params is not None
        for key in u.keys
        if u.params != placeholders(MESSAGES[key][0])
    ]
    assert wrong == [], "parameters that do not match the placeholders"


def test_the_computed_keys_exist() -> None:
    for bucket in Bucket:
        assert f"bucket_label_{bucket.value}" in MESSAGES
        assert f"bucket_action_{bucket.value}" in MESSAGES
    for kind in EventKind:
        assert f"event_{kind.value}" in MESSAGES


def test_the_chinese_words_are_those_of_the_rules_and_the_ledger() -> None:
    """Buckets and events keep their Chinese in lanjie.buckets and lanjie.ledger.events too."""
    for bucket, rule in RULES.items():
        assert t(f"bucket_label_{bucket.value}") == rule.label
        assert t(f"bucket_action_{bucket.value}") == rule.action
    for kind, label in EVENT_LABELS.items():
        assert t(f"event_{kind.value}") == label
    assert t("courier_unknown") == UNKNOWN_COURIER_NAME


CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")
# The faces and the deciders: what they say goes through the catalogue. Chinese they may
# still hold is data, not sentences: words read from exports, flag colours, the default
# texts for courier groups (sent as they are), the help (Chinese by design).
HELP_WORDS = {"参数", "选项", "命令", "[必填]", "[默认：{}]", "显示帮助并退出", "[选项]", "命令 [参数]...", "用法："}
TALKERS = {
    "triage.py": set(),
    "config.py": {"灰", "紫", "青", "绿", "橙", "红", "中通", "已拦截", "小王", "未署名"},  # + the message templates
    "errors.py": set(),
    "ingest/identifiers.py": {"无", "暂无", "空"},
    "ingest/clean.py": {"年", "月", "日", r"[¥￥元,\s]|RMB|CNY"},
    "ingest/records.py": set(),
    "ingest/orders.py": set(),
    "ingest/load.py": set(),
    "outputs/summary.py": set(),
    "cli/common.py": HELP_WORDS,
    "cli/usage.py": set(),
    "cli/work.py": set(),
    "cli/ledger.py": set(),
    "cli/web.py": set(),
    "cli/demo.py": {"售后单导出-示例.xlsx"},
}


def _not_spoken(tree: ast.Module) -> set[int]:
    """Nodes whose strings are not said by the code: docstrings and help texts."""
    quiet: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if (
            isinstance(body, list)
            and body
            and isinstance(body[0], ast.Expr)
            and isinstance(body[0].value, ast.Constant)
        ):
            quiet.add(id(body[0].value))
        if isinstance(node, ast.keyword) and node.arg == "help":
            quiet.update(id(n) for n in ast.walk(node.value))
        if isinstance(node, ast.Call) and _callee(node) in ("Option", "Argument"):
            quiet.update(id(n) for a in node.args for n in ast.walk(a))
    return quiet


@pytest.mark.parametrize("module", sorted(TALKERS))
def test_what_users_read_comes_from_the_catalogue(module: str) -> None:
    tree = ast.parse((SRC / module).read_text(encoding="utf-8"))
    quiet = _not_spoken(tree)
    said = [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and id(node) not in quiet
        and CJK.search(node.value)
        and not _is_pattern(node.value)
    ]
    allowed = TALKERS[module]
    if module == "config.py":
        allowed = allowed | {v for v in said if v.startswith("以下单号")}  # the courier-group templates
    assert [s for s in said if s not in allowed] == []


def _is_pattern(value: str) -> bool:
    """Regular expressions and character sets that read exports (full-width spaces, ¥ …)."""
    return (value.startswith("[") and value.endswith(("]", "]+"))) or not value.strip(" \t\r\n\v\f\u00a0\u3000")


# --- Text and Listing: Chinese strings that can say themselves in English


def test_a_text_is_its_chinese_string() -> None:
    text = Text("reason_moving", raw="运输中")
    assert text == "包裹运输中（运输中）：发到快递群拦截"
    assert isinstance(text, str) and hash(text) == hash(str(text))
    assert text.render("zh") == text
    assert text.render("en") == "The parcel is in transit (运输中): send it to the courier group to intercept"
    with pytest.raises(AttributeError):
        text.key = "other"  # type: ignore[misc]


def test_nested_phrases_are_said_in_the_same_language() -> None:
    when = Text("reason_when", at="11-26 04:30", operator="小王")
    text = Text("reason_partly_sent", numbers=Listing(["73610555582883", "YT8962646785389"]), when=when)
    assert text == "单号 73610555582883、YT8962646785389 已于 11-26 04:30 由 小王 发过拦截，只需发其余单号"
    assert text.render("en") == (
        "73610555582883, YT8962646785389 already sent for interception at 11-26 04:30 by 小王: "
        "send only the other numbers"
    )


@pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy, lambda v: pickle.loads(pickle.dumps(v))])
def test_phrases_survive_copies_and_pickles(copier: object) -> None:
    for phrase in (Text("blocker_order_id", problem=Text("problem_bad_id")), Listing(["a", Text("kind_date")])):
        again = copier(phrase)  # type: ignore[operator]
        assert again == phrase and type(again) is type(phrase)
        assert again.render("en") == phrase.render("en")


def test_documents_are_translated_where_they_hold_phrases() -> None:
    document = {"reasons": (Text("reason_no_deadline"), "plain"), "n": 1, "nested": [{"m": Text("kind_time")}]}
    assert translated(document, "zh") is document
    assert translated(document, "en") == {
        "reasons": ["No auto-processing deadline: check it in 抖店", "plain"],
        "n": 1,
        "nested": [{"m": "a time"}],
    }


def test_errors_say_their_phrases_in_the_language_asked() -> None:
    error = BadInput("missing_columns", path="a.xlsx", missing=Listing(["售后单号", "售后类型"]), found=Text("empty"))
    assert "缺少必需的列：售后单号、售后类型。找到的列有：（空）" in error.render("zh")
    assert "lacks required columns: 售后单号, 售后类型. Columns found: (empty)" in error.render("en")


def test_history_not_found_speaks_english() -> None:
    """It crashed with a KeyError: its English asked for {key}, the command gave `what`."""
    assert 'Nothing in the ledger for "X"' in BadInput("history_not_found", what="X").render("en")
