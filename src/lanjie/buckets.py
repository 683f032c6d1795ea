"""What each bucket means to staff, in one table: its name, the next step, its flag, the
remark it calls for, its courier list and when it is urgent.

Triage decides the bucket; everything a face shows or writes about a bucket comes from here.
The remark follows the source article's order: numbers go to the courier group first, and
only then is the order flagged and remarked with the date of that request. So 待拦截 has no
remark yet (the order is still work to send), and 已拦截 is dated by the recorded request.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from lanjie.model import Bucket

Urgency = Literal["overdue", "urgent"]


@dataclass(frozen=True, slots=True)
class BucketRule:
    label: str  # what staff call it
    action: str  # the next step
    flag: str  # the flag colour of its remark (灰 紫 青 绿 橙 红); `[flags]` in lanjie.toml may change it
    remark: str | None  # the status word of the remark due, None when no remark is due
    remark_after_request: bool  # the remark is dated by the interception request recorded for it
    list_name: str | None  # its per-courier list (拦截-中通.txt, the web tab), None when it has none
    counts_time: bool  # whether its deadline makes it urgent (work to do) or it is only counted


RULES: dict[Bucket, BucketRule] = {
    Bucket.INTERCEPT: BucketRule("待拦截", "发到快递群拦截，再标旗备注", "紫", None, False, "拦截", True),
    Bucket.INTERCEPTING: BucketRule("拦截中", "已发拦截，等快递退回", "紫", "已拦截", True, None, True),
    Bucket.CHASE: BucketRule("待催拦截", "在快递群催拦截", "紫", "已拦截", True, "催拦截", True),
    Bucket.VERIFY: BucketRule(
        "待核实签收", "联系买家和快递核实签收；协商不成再带凭证拒绝", "橙", "已签收待核实", False, "核实", True
    ),
    Bucket.RETURNING: BucketRule("退回中", "确认退回后同意退款（同意拒签后退款）", "青", "退回中", False, None, True),
    Bucket.RETURNED: BucketRule("已退回", "验货后同意退款", "绿", "已退回", False, None, True),
    Bucket.NOT_SHIPPED: BucketRule("未发货", "直接同意退款", "灰", "未发货退款", False, None, True),
    Bucket.MANUAL: BucketRule("需人工处理", "人工查看", "红", "待人工处理", False, None, True),
    Bucket.OUT_OF_SCOPE: BucketRule("无需处理", "无需处理", "灰", None, False, None, False),
}

LISTED: tuple[Bucket, ...] = tuple(b for b, rule in RULES.items() if rule.list_name)  # buckets with courier lists
REMARKED: tuple[Bucket, ...] = tuple(b for b, rule in RULES.items() if rule.remark)


def label(bucket: Bucket) -> str:
    return RULES[bucket].label


def urgency(bucket: Bucket, hours_left: float | None, urgent_hours: float) -> Urgency | None:
    """Overdue once the deadline has passed, urgent when fewer than `urgent_hours` are left."""
    if hours_left is None or not RULES[bucket].counts_time:
        return None
    if hours_left < 0:
        return "overdue"
    return "urgent" if hours_left < urgent_hours else None
