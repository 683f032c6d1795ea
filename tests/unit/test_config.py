from __future__ import annotations

from pathlib import Path

import pytest

from lanjie.config import Settings, load_settings
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


def test_the_language_is_a_setting_like_the_others(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert load_settings().lang == "zh"
    (tmp_path / "lanjie.toml").write_text('lang = "en"\n', encoding="utf-8")
    assert load_settings().lang == "en"
    monkeypatch.setenv("LANJIE_LANG", "zh_CN")
    assert load_settings().lang == "zh"
    assert load_settings(lang="English").lang == "en"
    with pytest.raises(BadInput) as caught:
        load_settings(lang="fr")
    assert "提示语言只能是 zh（中文）或 en（英文），而不是「fr」" in caught.value.params["detail"]


def test_the_language_of_messages_about_loading_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    """lanjie.toml is not read for it: it may be the file that is broken."""
    assert Settings.early_lang() == "zh"
    monkeypatch.setenv("LANJIE_LANG", "en")
    assert Settings.early_lang() == "en"
    assert Settings.early_lang("zh") == "zh"
    assert Settings.early_lang("klingon") == "zh"


def test_the_secret_key_is_checked_with_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANJIE_SECRET_KEY", "short")
    with pytest.raises(BadInput) as caught:
        load_settings()
    assert "secret_key: LANJIE_SECRET_KEY 太短：至少要 32 个字符" in caught.value.params["detail"]
    assert "secret_key: LANJIE_SECRET_KEY is too short" in caught.value.render("en")
    monkeypatch.setenv("LANJIE_SECRET_KEY", "k" * 32)
    assert load_settings().secret_key == "k" * 32


def test_the_database_url_comes_from_the_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANJIE_DATABASE_URL", "sqlite:///from-env.sqlite3")
    assert load_settings().database_url == "sqlite:///from-env.sqlite3"
    assert load_settings(database_url="sqlite:///from-option.sqlite3").database_url == "sqlite:///from-option.sqlite3"


def test_settings_errors_can_be_read_in_english(tmp_path: Path) -> None:
    (tmp_path / "lanjie.toml").write_text('chunk_size = "many"\ncolour = 1\n', encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        load_settings(partners="mars", urgent_hours=-1)
    english = caught.value.render("en")
    assert english.startswith("Invalid settings (command-line options, LANJIE_* variables or lanjie.toml): ")
    for part in (
        "partners: Unknown courier: mars; known: zhongtong（中通）",
        "urgent_hours: must be at least 0",
        "chunk_size: must be a whole number",
        "colour: there is no such setting",
    ):
        assert part in english
    chinese = caught.value.render("zh")
    assert "设置有误（命令行选项、LANJIE_* 环境变量或 lanjie.toml）：" in chinese
    assert "urgent_hours: 应不小于 0；" in chinese and "colour: 没有这项设置" in chinese


def test_group_robots_by_courier_name_or_code_with_a_dingtalk_secret(tmp_path: Path) -> None:
    path = tmp_path / "lanjie.toml"
    path.write_text(
        "[robots]\n"
        '"中通" = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K1"\n'
        '[robots.yunda]\nurl = "https://oapi.dingtalk.com/robot/send?access_token=T2"\nsecret = "SEC2"\n',
        encoding="utf-8",
    )
    settings = load_settings(path)
    assert settings.robots == {
        "zhongtong": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K1",
        "yunda": "https://oapi.dingtalk.com/robot/send?access_token=T2",
    }
    assert settings.robot_secrets == {"yunda": "SEC2"}
    assert "SEC2" not in repr(settings)
    path.write_text('[robots]\n"没有这家" = "https://x/cgi-bin/webhook/send?key=1"\n', encoding="utf-8")
    with pytest.raises(BadInput) as caught:
        load_settings(path)
    assert "没有这家" in caught.value.render("zh")
