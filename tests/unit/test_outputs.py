from __future__ import annotations

from datetime import timedelta

import pytest
from test_triage import facts_for, record

from exports import NOW
from lanjie.config import DEFAULT_FLAGS
from lanjie.model import AfterSale, Bucket, CourierSource, Decision, InterceptionFact, Parcel
from lanjie.outputs.messages import courier_messages, message_file, search_file, unknown_courier_file
from lanjie.outputs.remarks import remarks_file
from lanjie.remarks import build_remarks
from lanjie.triage import triage
from lanjie.work import group_by_courier


def zto(number: str) -> Parcel:
    return Parcel(number, "zhongtong", ("zhongtong",), CourierSource.PARTNERS)


def yto(number: str) -> Parcel:
    return Parcel(number, "yuantong", ("yuantong",), CourierSource.PATTERN)


def decisions_for(*records: AfterSale) -> list[Decision]:
    return triage(records, urgent_hours=12, now=NOW)


def test_each_parcel_once_even_when_shared_and_most_urgent_first() -> None:
    decisions = decisions_for(
        record(aftersale_id="1", order_id="o1", parcels=(zto("73000000000002"),), deadline=NOW + timedelta(hours=9)),
        record(aftersale_id="2", order_id="o1", parcels=(zto("73000000000001"),), deadline=NOW + timedelta(hours=1)),
        record(aftersale_id="3", order_id="o2", parcels=(zto("73000000000001"), yto("YT0000000000001"))),
        record(aftersale_id="4", order_id="o3", parcels=(zto("73000000000003"),), logistics_raw="买家已签收"),
    )
    groups = group_by_courier(decisions, Bucket.INTERCEPT)
    assert [(g.courier, g.numbers) for g in groups] == [
        ("zhongtong", ["73000000000001", "73000000000002"]),
        ("yuantong", ["YT0000000000001"]),
    ]
    assert [g.numbers for g in group_by_courier(decisions, Bucket.VERIFY)] == [["73000000000003"]]


def test_message_is_the_request_then_one_number_per_line() -> None:
    group = group_by_courier(
        decisions_for(record(parcels=(zto("73000000000001"), zto("73000000000002")))), Bucket.INTERCEPT
    )[0]
    messages = courier_messages(group, template="以下单号麻烦拦截退回，谢谢！", chunk_size=50, date="11-26")
    assert messages == ["以下单号麻烦拦截退回，谢谢！\n73000000000001\n73000000000002"]
    assert message_file(messages) == messages[0] + "\n"


def test_long_lists_are_split_into_numbered_messages() -> None:
    parcels = tuple(zto(f"7300000000{i:04d}") for i in range(120))
    group = group_by_courier(decisions_for(record(parcels=parcels)), Bucket.INTERCEPT)[0]
    messages = courier_messages(group, template="{courier}：以下{count}单麻烦拦截", chunk_size=50, date="11-26")
    assert [len(m.splitlines()) - 1 for m in messages] == [50, 50, 20]
    assert messages[0].splitlines()[0] == "中通：以下50单麻烦拦截（第1/3条）"
    assert messages[2].splitlines()[0] == "中通：以下20单麻烦拦截（第3/3条）"
    numbers = [line for m in messages for line in m.splitlines()[1:]]
    assert numbers == [p.tracking_no for p in parcels]
    text = message_file(messages)
    assert text.count("第 1/3 条") == 1 and text.count("第 3/3 条") == 1


def test_unknown_courier_list_shows_guesses_as_guesses() -> None:
    parcels = (
        Parcel("431234567890123", None, ("yunda", "shentong"), CourierSource.UNKNOWN),
        Parcel("ABC123", None, (), CourierSource.UNKNOWN),
    )
    group = group_by_courier(decisions_for(record(parcels=parcels)), Bucket.INTERCEPT)[0]
    assert group.courier is None and group.name == "未识别快递"
    text = unknown_courier_file(group)
    assert "431234567890123    可能是：韵达、申通" in text
    assert "ABC123    没有匹配的单号规则" in text
    assert "猜测" in text


def test_search_string_is_comma_joined_all_and_per_courier() -> None:
    decisions = decisions_for(record(parcels=(zto("73000000000001"), yto("YT0000000000001"), zto("73000000000002"))))
    text = search_file(group_by_courier(decisions, Bucket.INTERCEPT))
    lines = text.splitlines()
    assert lines[0] == "# 全部待拦截（3 个单号）"
    assert lines[1] == "73000000000001,73000000000002,YT0000000000001"
    assert "73000000000001,73000000000002" in lines and "YT0000000000001" in lines


def test_one_remark_per_order_with_its_flag() -> None:
    decisions = decisions_for(
        record(aftersale_id="1", order_id="o1", parcels=(zto("73000000000001"),)),
        record(aftersale_id="2", order_id="o1", parcels=(zto("73000000000001"),)),
        record(aftersale_id="3", order_id="o2", logistics_raw="已签收", parcels=(yto("YT0000000000001"),)),
        record(aftersale_id="4", order_id="o3", type_raw="退货退款"),
        record(aftersale_id="5", order_id=None, type_raw="未发货退款", parcels=(), shipped=False),
    )
    remarks = build_remarks(decisions, template="{date} {status} {courier}", flags=DEFAULT_FLAGS, now=NOW)
    by_order = {r.order_id: r for r in remarks}
    assert set(by_order) == {"o2", None}  # o1 is still to send: no 已拦截 before the request
    assert by_order["o2"].text == "11-26 已签收待核实 圆通" and by_order["o2"].flag == "橙"
    assert by_order[None].text == "11-26 未发货退款"
    text = remarks_file(remarks)
    assert "已拦截" not in text and "# 待拦截" not in text
    assert "（无订单号）售后单 5\t11-26 未发货退款" in text


def test_the_intercepted_remark_is_due_once_the_request_is_recorded_and_dated_by_it() -> None:
    records = (
        record(aftersale_id="1", order_id="o1", parcels=(zto("73000000000001"),)),
        record(aftersale_id="2", order_id="o1", parcels=(zto("73000000000001"),)),
        record(aftersale_id="6", order_id="o4", parcels=(zto("73000000000006"),)),
    )
    asked = NOW - timedelta(days=1)
    facts = {"73000000000001": InterceptionFact(asked, "小王")}
    decisions = triage(records, urgent_hours=12, now=NOW, facts=facts)
    remarks = build_remarks(decisions, facts=facts, template="{date} {status} {courier}", flags=DEFAULT_FLAGS, now=NOW)
    assert [(r.order_id, r.text, r.flag, r.aftersale_ids) for r in remarks] == [
        ("o1", "11-25 已拦截 中通", "紫", ("1", "2"))
    ]


def test_each_json_decision_names_its_shop() -> None:
    """An export can hold several shops (门店名称): a script must know whose after-sale it reads."""
    from lanjie.outputs.jsonout import decision_item

    one, two = record(aftersale_id="101"), record(aftersale_id="102", shop="二号店")
    items = [decision_item(d) for d in triage([one, two], urgent_hours=12, now=NOW)]
    assert {(i["aftersale_id"], i["shop"]) for i in items} == {("101", one.shop), ("102", "二号店")}


def test_json_written_in_pieces_is_the_whole_document(monkeypatch: pytest.MonkeyPatch) -> None:
    """The streamed decisions.json holds exactly what the one-object document holds, in both languages."""
    import io

    import orjson

    from lanjie.i18n import translated
    from lanjie.ingest.identifiers import MSG_SCIENTIFIC
    from lanjie.ingest.load import Batch
    from lanjie.model import Problem
    from lanjie.outputs import jsonout

    monkeypatch.setattr(jsonout, "_ITEMS_PER_WRITE", 2)
    records = [record(aftersale_id=str(n), order_id=f"o{n}", parcels=(zto(f"7300000000{n:04d}"),)) for n in range(7)]
    batch = Batch(files=['"items":[] 售后.xlsx'])
    batch.problems.append(Problem("售后.xlsx", 3, "快递单号", "7.3E+13", MSG_SCIENTIFIC))
    for decisions in (decisions_for(*records), []):
        for lang in ("zh", "en"):
            out = io.BytesIO()
            jsonout.write_document(out, decisions, batch, now=NOW, lang=lang)
            whole = jsonout.dumps(translated(jsonout.decisions_document(decisions, batch, now=NOW), lang))
            assert out.getvalue() == whole
            assert len(orjson.loads(out.getvalue())["items"]) == len(decisions)


def test_english_items_are_what_translating_the_whole_document_gives() -> None:
    """Items say their own phrases in English: every kind of reason, the same bytes as
    translating the one-object document."""
    import io

    from lanjie.i18n import translated
    from lanjie.ingest.identifiers import MSG_FORMULA
    from lanjie.ingest.load import Batch
    from lanjie.outputs import jsonout
    from lanjie.triage import decide

    cases = [
        (record(), facts_for("73610555582883", hours_ago=5)),
        (record(deadline=NOW - timedelta(hours=3)), facts_for("73610555582883", hours_ago=50)),
        (
            record(logistics_raw="买家已签收", deadline=NOW + timedelta(hours=2)),
            facts_for("73610555582883", hours_ago=2),
        ),
        (record(parcels=(Parcel("431234567890123", None, ("yunda", "shentong")),)), {}),
        (record(type_raw="未发货退款", shipped=False, deadline=NOW - timedelta(hours=2)), {}),
        (record(type_raw="维修", deadline=None), {}),
        (record(type_raw="", state_raw="奇怪的状态"), {}),
        (record(logistics_raw="奇怪的物流"), {}),
        (record(parcels=(), blockers=[MSG_FORMULA, "一句没有英文的话"]), {}),
    ]
    decisions = [decide(r, urgent_hours=12, now=NOW, facts=facts) for r, facts in cases]
    batch = Batch(files=["售后.xlsx"])
    for lang in ("zh", "en"):
        out = io.BytesIO()
        jsonout.write_document(out, decisions, batch, now=NOW, lang=lang)
        assert out.getvalue() == jsonout.dumps(translated(jsonout.decisions_document(decisions, batch, now=NOW), lang))
