"""备注.txt: the remarks due, grouped by bucket, ready to paste order by order."""

from __future__ import annotations

from lanjie.buckets import RULES
from lanjie.model import Bucket
from lanjie.remarks import Remark


def remarks_file(remarks: list[Remark]) -> str:
    """备注.txt: grouped by bucket; each line is 订单号, tab, the remark to paste."""
    lines: list[str] = ["在抖店按订单号搜索，给每个订单插旗并写上备注（订单号 ⇥ 备注）。", ""]
    if not remarks:
        lines.append(
            "现在没有要写的备注：待拦截的单号发到快递群、用 lanjie sent 记下之后，这里会列出要写的「已拦截」备注。"
        )
    for bucket in Bucket:
        group = [r for r in remarks if r.bucket is bucket]
        if not group:
            continue
        lines.append(f"# {RULES[bucket].label}：插{group[0].flag}旗（{len(group)} 个订单）")
        for remark in group:
            order = remark.order_id or f"（无订单号）售后单 {'、'.join(remark.aftersale_ids)}"
            lines.append(f"{order}\t{remark.text}")
        lines.append("")
    return "\n".join(lines)
