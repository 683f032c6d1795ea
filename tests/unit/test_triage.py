from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from exports import NOW
from lanjie.i18n import Text
from lanjie.ingest import wording
from lanjie.ingest.identifiers import MSG_FORMULA
from lanjie.model import (
    AfterSale,
    Bucket,
    CourierSource,
    InterceptionFact,
    LedgerFacts,
    LogisticsState,
    Outcome,
    Parcel,
    SourceRef,
)
from lanjie.triage import decide, interception_outcome, triage


def record(
    *,
    type_raw: str = "已发货退款",
    state_raw: str = "待商家处理",
    logistics_raw: str = "",
    parcels: tuple[Parcel, ...] = (Parcel("73610555582883", "zhongtong", ("zhongtong",), CourierSource.PARTNERS),),
    deadline: datetime | None = NOW + timedelta(hours=30),
    shipped: bool | None = True,
    **extra: Any,
) -> AfterSale:
    return AfterSale(
        aftersale_id=extra.pop("aftersale_id", "7300000000000000001"),
        source=SourceRef("x.xlsx", 2),
        type=wording.aftersale_type(type_raw),
        type_raw=type_raw,
        state=wording.aftersale_state(state_raw),
        state_raw=state_raw,
        logistics=wording.logistics_state(logistics_raw),
        logistics_raw=logistics_raw,
        parcels=parcels,
        deadline=deadline,
        shipped=shipped,
        **extra,
    )


def bucket_of(aftersale: AfterSale) -> Bucket:
    return decide(aftersale, urgent_hours=12, now=NOW).bucket


@pytest.mark.parametrize(
    ("logistics", "bucket"),
    [
        ("", Bucket.INTERCEPT),
        ("运输中", Bucket.INTERCEPT),
        ("已揽收", Bucket.INTERCEPT),
        ("派送中", Bucket.INTERCEPT),
        ("买家已签收", Bucket.VERIFY),
        ("已签收", Bucket.VERIFY),
        ("买家已拒签", Bucket.RETURNING),
        ("快递退回中", Bucket.RETURNING),
        ("拦截成功", Bucket.RETURNING),
        ("商家已签收", Bucket.RETURNED),
        ("已退回", Bucket.RETURNED),
        ("火星快递中", Bucket.MANUAL),
    ],
)
def test_shipped_refund_only_by_logistics_state(logistics: str, bucket: Bucket) -> None:
    assert bucket_of(record(logistics_raw=logistics)) is bucket


def test_delivering_stays_in_intercept_with_a_warning() -> None:
    decision = decide(record(logistics_raw="派送中"), urgent_hours=12, now=NOW)
    assert decision.bucket is Bucket.INTERCEPT
    assert any("来不及" in reason for reason in decision.reasons)


def test_signed_warns_about_the_rejection_rate() -> None:
    decision = decide(record(logistics_raw="买家已签收"), urgent_hours=12, now=NOW)
    assert any("拒绝率" in reason for reason in decision.reasons)


def test_not_shipped() -> None:
    assert bucket_of(record(type_raw="未发货退款", parcels=(), shipped=False)) is Bucket.NOT_SHIPPED
    assert bucket_of(record(type_raw="仅退款", parcels=(), shipped=False)) is Bucket.NOT_SHIPPED


def test_unshipped_request_with_a_tracking_number_is_intercepted() -> None:
    decision = decide(record(type_raw="未发货退款", shipped=False), urgent_hours=12, now=NOW)
    assert decision.bucket is Bucket.INTERCEPT
    assert any("已有发货单号" in reason for reason in decision.reasons)


def test_shipped_without_tracking_number_needs_a_person() -> None:
    decision = decide(record(parcels=()), urgent_hours=12, now=NOW)
    assert decision.bucket is Bucket.MANUAL
    assert "没有发货物流单号" in decision.reasons[0]


def test_destroyed_number_needs_a_person_with_the_reason() -> None:
    decision = decide(record(parcels=(), blockers=["单号被 Excel 改成了科学计数法"]), urgent_hours=12, now=NOW)
    assert decision.bucket is Bucket.MANUAL
    assert "科学计数法" in decision.reasons[0]


@pytest.mark.parametrize(
    ("type_raw", "state_raw"),
    [
        ("退货退款", "待商家处理"),
        ("换货", "待商家处理"),
        ("已发货退款", "同意退款，退款成功"),
        ("已发货退款", "售后关闭"),
        ("已发货退款", "待买家退货"),
    ],
)
def test_out_of_scope(type_raw: str, state_raw: str) -> None:
    decision = decide(record(type_raw=type_raw, state_raw=state_raw), urgent_hours=12, now=NOW)
    assert decision.bucket is Bucket.OUT_OF_SCOPE
    assert decision.urgent is False


def test_unknown_type_or_state_wording_is_not_guessed() -> None:
    assert bucket_of(record(type_raw="神秘售后")) is Bucket.MANUAL
    assert bucket_of(record(type_raw="")) is Bucket.MANUAL
    assert bucket_of(record(state_raw="神秘状态")) is Bucket.MANUAL


def test_hours_left_and_urgency_against_now() -> None:
    soon = decide(record(deadline=NOW + timedelta(hours=5)), urgent_hours=12, now=NOW)
    assert soon.hours_left == pytest.approx(5.0)
    assert soon.urgent and "只剩 5.0 小时" in soon.reasons[0]
    later = decide(record(deadline=NOW + timedelta(hours=13)), urgent_hours=12, now=NOW)
    assert later.urgent is False
    assert decide(record(deadline=NOW + timedelta(hours=13)), urgent_hours=24, now=NOW).urgent is True
    overdue = decide(record(deadline=NOW - timedelta(hours=2)), urgent_hours=12, now=NOW)
    assert overdue.urgent and overdue.hours_left == pytest.approx(-2.0)
    assert "已超过" in overdue.reasons[0]


def test_missing_deadline_is_said() -> None:
    decision = decide(record(deadline=None), urgent_hours=12, now=NOW)
    assert decision.hours_left is None and decision.urgent is False
    assert any("没有自动处理截止时间" in reason for reason in decision.reasons)


def test_unsure_courier_is_shown_as_a_guess() -> None:
    parcel = Parcel("431234567890123", None, ("yunda", "shentong"), CourierSource.UNKNOWN)
    decision = decide(record(parcels=(parcel,)), urgent_hours=12, now=NOW)
    assert decision.bucket is Bucket.INTERCEPT
    assert any("可能是 韵达、申通，仅为猜测" in reason for reason in decision.reasons)


def test_ordered_by_deadline_none_last() -> None:
    records = [
        record(aftersale_id="c", deadline=None),
        record(aftersale_id="b", deadline=NOW + timedelta(hours=3)),
        record(aftersale_id="a", deadline=NOW + timedelta(hours=1)),
        record(aftersale_id="d", deadline=NOW - timedelta(hours=1)),
    ]
    assert [d.aftersale.aftersale_id for d in triage(records, urgent_hours=12, now=NOW)] == ["d", "a", "b", "c"]


def test_deadlines_in_any_zone_are_ordered_and_counted_by_their_instant() -> None:
    """Exports give Beijing time, the ledger gives UTC: one instant is one deadline either way."""
    records = [
        record(aftersale_id="a", deadline=(NOW + timedelta(hours=2)).astimezone(UTC)),
        record(aftersale_id="c", deadline=datetime.fromisoformat("2026-11-26T10:30:00+08:00")),
        record(aftersale_id="d", deadline=None),
        record(aftersale_id="b", deadline=NOW + timedelta(hours=1)),
    ]
    decisions = triage(records, urgent_hours=12, now=NOW.astimezone(UTC))
    assert [(d.aftersale.aftersale_id, d.hours_left) for d in decisions] == [
        ("b", 1.0),
        ("c", 1.0),
        ("a", 2.0),
        ("d", None),
    ]


def facts_for(*numbers: str, hours_ago: float, by: str = "小王", chased_hours_ago: float | None = None) -> LedgerFacts:
    chased = None if chased_hours_ago is None else NOW - timedelta(hours=chased_hours_ago)
    return {n: InterceptionFact(NOW - timedelta(hours=hours_ago), by, Outcome.PENDING, chased) for n in numbers}


def test_sent_parcels_are_intercepting_until_the_chase_window_passes() -> None:
    sent = facts_for("73610555582883", hours_ago=5)
    decision = decide(record(), urgent_hours=12, now=NOW, facts=sent, chase_hours=48)
    assert decision.bucket is Bucket.INTERCEPTING
    assert "11-26 04:30 由 小王" in decision.reasons[0]
    late = decide(record(), urgent_hours=12, now=NOW, facts=facts_for("73610555582883", hours_ago=50), chase_hours=48)
    assert late.bucket is Bucket.CHASE and "过了 48 小时仍在路上" in late.reasons[0]
    assert [p.tracking_no for p in late.parcels] == ["73610555582883"]


def test_a_chase_restarts_the_window() -> None:
    chased = facts_for("73610555582883", hours_ago=60, chased_hours_ago=10)
    assert decide(record(), urgent_hours=12, now=NOW, facts=chased, chase_hours=48).bucket is Bucket.INTERCEPTING


def test_only_unsent_parcels_are_left_to_send() -> None:
    parcels = (Parcel("73610555582883", "zhongtong"), Parcel("YT8962646785389", "yuantong"))
    decision = decide(record(parcels=parcels), urgent_hours=12, now=NOW, facts=facts_for("73610555582883", hours_ago=1))
    assert decision.bucket is Bucket.INTERCEPT
    assert [p.tracking_no for p in decision.parcels] == ["YT8962646785389"]
    assert "已于 11-26 08:30 由 小王 发过拦截" in decision.reasons[0]


def test_outcomes_read_from_later_states() -> None:
    sent = facts_for("73610555582883", hours_ago=20)
    signed = decide(record(logistics_raw="买家已签收"), urgent_hours=12, now=NOW, facts=sent)
    assert signed.bucket is Bucket.VERIFY and "拦截失败" in signed.reasons[0]
    back = decide(record(logistics_raw="快递退回中"), urgent_hours=12, now=NOW, facts=sent)
    assert back.bucket is Bucket.RETURNING and "拦截成功" in back.reasons[0]
    assert interception_outcome(LogisticsState.RETURNED) is Outcome.SUCCESS
    assert interception_outcome(LogisticsState.REJECTED) is Outcome.SUCCESS
    assert interception_outcome(LogisticsState.SIGNED) is Outcome.FAILED
    assert interception_outcome(LogisticsState.MOVING) is None


_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORDS_FROM_THE_DATA = (  # kept as the export or the ledger wrote them, and proper nouns
    *("小王", "买家已签收", "快递退回中", "维修", "退款成功"),
    *("奇怪的状态", "奇怪的物流", "韵达", "抖店"),
)


@pytest.mark.parametrize(
    ("aftersale", "facts"),
    [
        (record(), facts_for("73610555582883", hours_ago=5)),
        (record(), facts_for("73610555582883", hours_ago=50)),
        (record(logistics_raw="买家已签收"), facts_for("73610555582883", hours_ago=20)),
        (record(logistics_raw="快递退回中"), facts_for("73610555582883", hours_ago=20)),
        (
            record(parcels=(Parcel("73610555582883", "zhongtong"), Parcel("431234567890123", None, ("yunda",)))),
            facts_for("73610555582883", hours_ago=1),
        ),
        (record(type_raw="未发货退款", shipped=False, deadline=NOW - timedelta(hours=2)), {}),
        (record(type_raw="维修", deadline=None), {}),
        (record(state_raw="退款成功"), {}),
        (record(type_raw="", state_raw="奇怪的状态"), {}),
        (record(logistics_raw="奇怪的物流"), {}),
        (record(parcels=(), deadline=NOW + timedelta(hours=3)), {}),
        (record(parcels=(), blockers=[MSG_FORMULA]), {}),
    ],
)
def test_every_reason_and_action_is_said_in_english_too(aftersale: AfterSale, facts: LedgerFacts) -> None:
    decision = decide(aftersale, urgent_hours=12, now=NOW, facts=facts)
    for said in (decision.action, *decision.reasons, *decision.basis):
        assert isinstance(said, Text), said  # from the catalogue, not an f-string
        english = said.render("en")
        for data in _WORDS_FROM_THE_DATA:
            english = english.replace(data, "")
        assert not _CJK.search(english), english
