"""An afterSale/List item becomes the record an export row becomes."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from lanjie.model import SHANGHAI, AfterSaleState, AfterSaleType, CourierSource, LogisticsState, SourceRef
from lanjie.platform.records import aftersale_from_item, item_from_detail

SOURCE = SourceRef("抖店同步 示例旗舰店 2026-11-26 09:30:00", 1)


def item(**info: object) -> dict[str, object]:
    aftersale_info = {
        "aftersale_id": "7300000000000000001",
        "aftersale_type": 1,
        "aftersale_status": 6,
        "status_deadline": int(datetime(2026, 11, 26, 18, tzinfo=SHANGHAI).timestamp()),
        "refund_amount": 15990,
        "update_time": 1_764_000_000,
        "order_logistics": [
            {
                "tracking_no": "73610555582881",
                "company_code": "zhongtong",
                "company_name": "中通快递",
                "logistics_state": 0,
            }
        ],
    }
    aftersale_info.update(info)
    return {
        "aftersale_info": aftersale_info,
        "order_info": {"shop_order_id": "6920000000000000001", "related_order_info": [{"product_name": "羊羔绒外套"}]},
        "text_part": {"reason_text": "不想要了"},
    }


def test_an_item_reads_like_the_export_row_of_the_same_after_sale() -> None:
    record = aftersale_from_item(item(), shop="示例旗舰店", source=SOURCE)
    assert record is not None
    assert (record.type, record.type_raw) == (AfterSaleType.SHIPPED_REFUND_ONLY, "已发货退款")
    assert (record.state, record.state_raw) == (AfterSaleState.PENDING, "待商家处理")
    assert (record.logistics, record.logistics_raw) == (LogisticsState.NONE, "")
    assert record.deadline == datetime(2026, 11, 26, 18, tzinfo=SHANGHAI)
    assert record.refund_amount == Decimal("159.90")
    assert record.order_id == "6920000000000000001" and record.product == "羊羔绒外套" and record.reason == "不想要了"
    assert record.parcels[0].courier == "zhongtong" and record.parcels[0].courier_source is CourierSource.PLATFORM


def test_a_courier_code_lanjie_does_not_know_is_kept_and_shown_never_guessed() -> None:
    logistics = [
        {"tracking_no": "73610555582881", "company_code": "xinkuaidi", "company_name": "新快递", "logistics_state": 0}
    ]
    record = aftersale_from_item(item(order_logistics=logistics), shop="店", source=SOURCE)
    assert record is not None
    [parcel] = record.parcels
    assert parcel.courier == "xinkuaidi" and parcel.candidates == () and parcel.courier_source is CourierSource.PLATFORM


def test_a_courier_named_by_its_name_maps_to_the_registry() -> None:
    logistics = [
        {"tracking_no": "YT8962646785389", "company_code": "YTO", "company_name": "圆通速递", "logistics_state": 3}
    ]
    record = aftersale_from_item(item(order_logistics=logistics), shop="店", source=SOURCE)
    assert record is not None and record.parcels[0].courier == "yuantong"
    assert (record.logistics, record.logistics_raw) == (LogisticsState.RETURNING, "快递退回中")


def test_numbers_that_are_not_exactly_numbers_go_to_a_person() -> None:
    logistics = [{"tracking_no": "7361 0555 582881", "company_code": "zhongtong", "logistics_state": 0}]
    record = aftersale_from_item(item(order_logistics=logistics), shop="店", source=SOURCE)
    assert record is not None and record.parcels == () and record.blockers
    assert aftersale_from_item(item(aftersale_id="73e18"), shop="店", source=SOURCE) is None


def test_a_detail_answer_reads_like_a_list_item() -> None:
    detail = {
        "process_info": {
            "after_sale_info": {
                "after_sale_id": 7300000000000000001,
                "after_sale_type": 1,
                "after_sale_status": 12,
                "refund_total_amount": 16990,
                "refund_post_amount": 1000,
                "status_deadline": 0,
                "reason": "不想要了",
            },
            "logistics_info": {
                "order": [{"tracking_no": "73610555582881", "company_code": "zhongtong", "logistics_state": 4}]
            },
        },
        "order_info": {"shop_order_id": 6920000000000000001, "sku_order_infos": [{"product_name": "羊羔绒外套"}]},
    }
    record = aftersale_from_item(item_from_detail(detail), shop="店", source=SOURCE)
    assert record is not None and record.aftersale_id == "7300000000000000001"
    assert record.state is AfterSaleState.REFUNDED and record.refund_amount == Decimal("159.90")
    assert record.logistics is LogisticsState.RETURNED and record.deadline is None
