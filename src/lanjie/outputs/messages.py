"""Plain texts to paste: per-courier interception/verification messages and search strings."""

from __future__ import annotations

from lanjie.couriers import courier_name
from lanjie.work import CourierGroup


def chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i : i + size] for i in range(0, len(items), size)] or [[]]


def courier_messages(
    group: CourierGroup, *, template: str, chunk_size: int, date: str, first_part: int = 1, parts: int | None = None
) -> list[str]:
    """Ready-to-send messages: the request line, then one number per line.

    A list longer than `chunk_size` becomes numbered messages (第1/3条 …). `first_part` and
    `parts` number a slice of a longer list (one page of it) as part of the whole."""
    pieces = chunks(group.numbers, chunk_size)
    total = parts or len(pieces)
    messages = []
    for index, numbers in enumerate(pieces, first_part):
        request = template.format(courier=group.name, count=len(numbers), date=date, part=index, parts=total)
        if total > 1 and "{part}" not in template:
            request += f"（第{index}/{total}条）"
        messages.append("\n".join([request, *numbers]))
    return messages


def message_file(messages: list[str]) -> str:
    """One file per courier; long lists are split into numbered messages to send one by one."""
    if len(messages) == 1:
        return messages[0] + "\n"
    blocks = []
    for index, message in enumerate(messages, 1):
        blocks.append(f"======== 第 {index}/{len(messages)} 条：复制下面这段发送 ========\n{message}\n")
    return "\n".join(blocks)


def unknown_courier_file(group: CourierGroup) -> str:
    """Numbers whose courier is not certain: never sent blindly, the guesses shown as guesses."""
    lines = ["以下单号无法确定快递公司，请核对后发到对应的快递群（“可能是”仅为按单号规则的猜测）：", ""]
    for parcel in group.parcels:
        maybe = "、".join(courier_name(c) for c in parcel.candidates)
        lines.append(f"{parcel.tracking_no}    " + (f"可能是：{maybe}" if maybe else "没有匹配的单号规则"))
    return "\n".join(lines) + "\n"


def search_file(groups: list[CourierGroup]) -> str:
    """Comma-joined numbers for the platform's batch search: all, then per courier."""
    everything = [n for group in groups for n in group.numbers]
    sections = [f"# 全部待拦截（{len(everything)} 个单号）", ",".join(everything), ""]
    for group in groups:
        sections += [f"# {group.name}（{len(group.numbers)} 个单号）", ",".join(group.numbers), ""]
    return "\n".join(sections)
