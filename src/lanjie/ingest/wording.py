"""Map the platform's wording (售后类型, 售后状态, 发货物流状态 …) to enums.

Exact phrases first, then key words in a fixed order (拒签 before 签收, 退回签收 before 签收 …).
Wording that matches nothing is UNKNOWN, so it can be reported and looked at, never guessed.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

from lanjie.model import AfterSaleState, AfterSaleType, LogisticsState


def _key(raw: str) -> str:
    text = unicodedata.normalize("NFKC", raw)
    return "".join(text.split()).replace("(", "").replace(")", "").upper()


_TYPE_RULES: tuple[tuple[tuple[str, ...], AfterSaleType], ...] = (
    (("未发货",), AfterSaleType.UNSHIPPED_REFUND_ONLY),
    (("已发货",), AfterSaleType.SHIPPED_REFUND_ONLY),
    (("退货退款", "退货", "退款退货"), AfterSaleType.RETURN_REFUND),
    (("换货",), AfterSaleType.EXCHANGE),
    (("价保", "补寄", "维修", "补发"), AfterSaleType.OTHER),
    (("仅退款", "退款"), AfterSaleType.REFUND_ONLY),
)


@lru_cache(maxsize=1024)
def aftersale_type(raw: str) -> AfterSaleType:
    key = _key(raw)
    if not key:
        return AfterSaleType.UNKNOWN
    if key in ("0", "1", "2", "3"):  # afterSale/List's aftersale_type enum
        return (
            AfterSaleType.RETURN_REFUND,
            AfterSaleType.SHIPPED_REFUND_ONLY,
            AfterSaleType.UNSHIPPED_REFUND_ONLY,
            AfterSaleType.EXCHANGE,
        )[int(key)]
    for words, kind in _TYPE_RULES:
        if any(word in key for word in words):
            return kind
    return AfterSaleType.UNKNOWN


_STATE_RULES: tuple[tuple[tuple[str, ...], AfterSaleState], ...] = (
    (("关闭", "撤销", "取消"), AfterSaleState.CLOSED),
    (("退款成功", "售后成功", "已退款", "退款完成"), AfterSaleState.REFUNDED),
    (("仲裁", "平台介入", "平台处理"), AfterSaleState.ARBITRATION),
    (("拒绝", "售后失败", "驳回"), AfterSaleState.REJECTED),
    (("待买家退货", "待买家寄回", "待退货"), AfterSaleState.WAITING_BUYER_RETURN),
    (("待商家收货", "待卖家收货", "买家已退货", "待收货"), AfterSaleState.WAITING_MERCHANT_RECEIPT),
    (("待商家", "待卖家", "待处理", "待审核", "待同意", "商家处理中", "申请中"), AfterSaleState.PENDING),
)


@lru_cache(maxsize=1024)
def aftersale_state(raw: str) -> AfterSaleState:
    key = _key(raw)
    for words, state in _STATE_RULES:
        if any(word in key for word in words):
            return state
    return AfterSaleState.UNKNOWN


_LOGISTICS_RULES: tuple[tuple[tuple[str, ...], LogisticsState], ...] = (
    (
        ("商家已签收", "卖家已签收", "已退回", "退回签收", "退签", "退件签收", "退回成功", "已退货签收"),
        LogisticsState.RETURNED,
    ),
    (("退回中", "拦截成功", "已拦截", "退件", "退回", "返回中", "逆向"), LogisticsState.RETURNING),
    (("拒签", "拒收"), LogisticsState.REJECTED),
    (("签收", "妥投", "已取件", "已收货", "已送达"), LogisticsState.SIGNED),
    (("派送", "派件", "待取件", "驿站", "投柜", "自提", "快递柜"), LogisticsState.DELIVERING),
    (("疑难", "异常", "滞留", "问题件", "清关", "转投"), LogisticsState.PROBLEM),
    (
        ("运输", "在途", "揽收", "揽件", "已发货", "发出", "到达", "中转", "转运", "待揽", "途中", "已出库"),
        LogisticsState.MOVING,
    ),
)
_BLANK_LOGISTICS = frozenset({"", "-", "--", "—", "无", "暂无", "空", "NULL", "NONE"})


@lru_cache(maxsize=1024)
def logistics_state(raw: str) -> LogisticsState:
    key = _key(raw)
    if key in _BLANK_LOGISTICS:
        return LogisticsState.NONE
    if key in ("1", "2", "3", "4"):  # afterSale/List's order_logistics_state enum
        return (LogisticsState.REJECTED, LogisticsState.SIGNED, LogisticsState.RETURNING, LogisticsState.RETURNED)[
            int(key) - 1
        ]
    for words, state in _LOGISTICS_RULES:
        if any(word in key for word in words):
            return state
    return LogisticsState.UNKNOWN


@lru_cache(maxsize=1024)
def shipped(raw: str) -> bool | None:
    """商品发货状态: `1/1已发货` → True, `未发货` → False, blank or other → None."""
    key = _key(raw)
    if "未发货" in key or key.startswith("0/"):
        return False
    if "发货" in key:
        return True
    return None
