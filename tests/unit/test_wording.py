from __future__ import annotations

import pytest

from lanjie.ingest.wording import aftersale_state, aftersale_type, logistics_state, shipped
from lanjie.model import AfterSaleState, AfterSaleType, LogisticsState


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("已发货退款", AfterSaleType.SHIPPED_REFUND_ONLY),
        ("已发货仅退款", AfterSaleType.SHIPPED_REFUND_ONLY),
        ("仅退款（已发货）", AfterSaleType.SHIPPED_REFUND_ONLY),
        ("未发货退款", AfterSaleType.UNSHIPPED_REFUND_ONLY),
        ("未发货仅退款", AfterSaleType.UNSHIPPED_REFUND_ONLY),
        ("仅退款", AfterSaleType.REFUND_ONLY),
        ("退货退款", AfterSaleType.RETURN_REFUND),
        ("换货", AfterSaleType.EXCHANGE),
        ("价保", AfterSaleType.OTHER),
        ("补寄", AfterSaleType.OTHER),
        (" 已发货 退款 ", AfterSaleType.SHIPPED_REFUND_ONLY),
        ("1", AfterSaleType.SHIPPED_REFUND_ONLY),
        ("", AfterSaleType.UNKNOWN),
        ("其它服务", AfterSaleType.UNKNOWN),
    ],
)
def test_aftersale_type(raw: str, expected: AfterSaleType) -> None:
    assert aftersale_type(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("待商家处理", AfterSaleState.PENDING),
        ("待商家同意", AfterSaleState.PENDING),
        ("待卖家处理", AfterSaleState.PENDING),
        ("待买家退货", AfterSaleState.WAITING_BUYER_RETURN),
        ("待商家收货", AfterSaleState.WAITING_MERCHANT_RECEIPT),
        ("同意退款，退款成功", AfterSaleState.REFUNDED),
        ("售后关闭", AfterSaleState.CLOSED),
        ("商家拒绝", AfterSaleState.REJECTED),
        ("仲裁中", AfterSaleState.ARBITRATION),
        ("", AfterSaleState.UNKNOWN),
        ("神秘状态", AfterSaleState.UNKNOWN),
    ],
)
def test_aftersale_state(raw: str, expected: AfterSaleState) -> None:
    assert aftersale_state(raw) is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", LogisticsState.NONE),
        ("-", LogisticsState.NONE),
        ("买家已签收", LogisticsState.SIGNED),
        ("已签收", LogisticsState.SIGNED),
        ("本人签收", LogisticsState.SIGNED),
        ("买家已拒签", LogisticsState.REJECTED),
        ("拒签", LogisticsState.REJECTED),
        ("拒收", LogisticsState.REJECTED),
        ("快递退回中", LogisticsState.RETURNING),
        ("拦截成功", LogisticsState.RETURNING),
        ("商家已签收", LogisticsState.RETURNED),
        ("已退回", LogisticsState.RETURNED),
        ("退回签收", LogisticsState.RETURNED),
        ("运输中", LogisticsState.MOVING),
        ("在途", LogisticsState.MOVING),
        ("已揽收", LogisticsState.MOVING),
        ("派送中", LogisticsState.DELIVERING),
        ("已到达驿站", LogisticsState.DELIVERING),
        ("疑难件", LogisticsState.PROBLEM),
        ("2", LogisticsState.SIGNED),
        ("3", LogisticsState.RETURNING),
        ("火星快递中", LogisticsState.UNKNOWN),
    ],
)
def test_logistics_state(raw: str, expected: LogisticsState) -> None:
    assert logistics_state(raw) is expected


def test_shipped() -> None:
    assert shipped("1/1已发货") is True
    assert shipped("2/3已发货") is True
    assert shipped("未发货") is False
    assert shipped("0/1已发货") is False
    assert shipped("") is None
