from __future__ import annotations

from pathlib import Path

import pytest

from lanjie.config import load_settings
from lanjie.errors import BadInput


def test_defaults() -> None:
    settings = load_settings()
    assert settings.partners == ()
    assert settings.urgent_hours == 12
    assert settings.chunk_size == 50
    assert settings.flags["intercept"] == "紫"


def test_command_line_beats_environment_beats_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "lanjie.toml").write_text(
        'partners = ["中通", "韵达"]\nurgent_hours = 6\nchunk_size = 30\n[flags]\nverify = "红"\n', encoding="utf-8"
    )
    settings = load_settings()
    assert settings.partners == ("yunda", "zhongtong")
    assert (settings.urgent_hours, settings.chunk_size, settings.flags["verify"]) == (6, 30, "红")
    assert settings.flags["intercept"] == "紫"  # the others keep their defaults
    monkeypatch.setenv("LANJIE_URGENT_HOURS", "8")
    monkeypatch.setenv("LANJIE_PARTNERS", "shentong")
    settings = load_settings()
    assert (settings.urgent_hours, settings.partners, settings.chunk_size) == (8, ("shentong",), 30)
    settings = load_settings(urgent_hours=2, partners="jtexpress,yuantong")
    assert (settings.urgent_hours, settings.partners) == (2, ("jtexpress", "yuantong"))


def test_explicit_config_file(tmp_path: Path) -> None:
    path = tmp_path / "shop-a.toml"
    path.write_text('remark_template = "{date} {operator} {status}"\noperator = "小王"\n', encoding="utf-8")
    settings = load_settings(path)
    assert settings.remark_template == "{date} {operator} {status}" and settings.operator == "小王"


@pytest.mark.parametrize(
    ("overrides", "fragment"),
    [
        ({"partners": "zhongtong,mars"}, "不认识的快递：mars"),
        ({"intercept_template": "以下{cnt}单"}, "可用的占位符"),
        ({"remark_template": "{date} {"}, "可用的占位符"),
        ({"chunk_size": 0}, "chunk_size"),
        ({"urgent_hours": -1}, "urgent_hours"),
        ({"flags": {"intercept": "黑"}}, "旗帜颜色「黑」不存在"),
        ({"flags": {"later": "红"}}, "分类「later」不存在"),
    ],
)
def test_bad_settings_are_one_clear_error(overrides: dict[str, object], fragment: str) -> None:
    with pytest.raises(BadInput) as caught:
        load_settings(**overrides)
    assert caught.value.key == "bad_config"
    assert fragment in caught.value.params["detail"]


def test_broken_config_file(tmp_path: Path) -> None:
    path = tmp_path / "lanjie.toml"
    path.write_text("partners = [", encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        load_settings()
    assert caught.value.key == "bad_config" and caught.value.params["source"] == "lanjie.toml"
    path.write_text("colour = 1\n", encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        load_settings()
    assert "colour" in caught.value.params["detail"]
