"""Every sentence lanjie says to a user, in Chinese (default) and English.

`MESSAGES` is the catalogue: a key and its two texts, which use the same placeholders
(tests/unit/test_messages.py checks that, and that every key the code uses exists).
`t(key, lang, **params)` says a message. Code that decides things before anyone knows the
language (triage's reasons, the cleaners' problems, settings errors) makes a `Text`: a `str`
that is the Chinese text, so it can be stored and shown as it is, and that keeps its key and
parameters, so a face can say it in English with `render(lang)` (or `translated(document, lang)`).

The language is chosen once, by `Settings.lang`: `--lang` > LANJIE_LANG > `lang` in lanjie.toml.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Literal

Lang = Literal["zh", "en"]

MESSAGES: dict[str, tuple[str, str]] = {
    # --- the 抖店 Open Platform: shops and sync
    "doudian_not_configured": (
        "还没有设置抖店应用的 App Key 和 App Secret：请在抖店开放平台的应用后台查看，"
        "设置 LANJIE_DOUDIAN_APP_KEY、LANJIE_DOUDIAN_APP_SECRET（或写进 lanjie.toml 的 doudian_app_key、doudian_app_secret）。",
        "The 抖店 app's App Key and App Secret are not set: find them in the app's console on the 抖店 Open "
        "Platform and set LANJIE_DOUDIAN_APP_KEY and LANJIE_DOUDIAN_APP_SECRET (or doudian_app_key and "
        "doudian_app_secret in lanjie.toml).",
    ),
    "platform_failed": ("{advice}\n（{detail}）", "{advice}\n({detail})"),
    "connect_needs_id_or_code": (
        "请给出 --shop-id（自用型应用：抖店的店铺 ID）或 --code（工具型应用：店铺授权后得到的 code），二选一。",
        "Give either --shop-id (a self-use app: the 抖店 shop ID) or --code (a tool app: the code from the "
        "shop's authorisation), not both.",
    ),
    "shop_id_not_digits": (
        "店铺 ID「{value}」不是数字：请在抖店商家后台「店铺 → 店铺信息」复制店铺 ID。",
        'The shop ID "{value}" is not a number: copy it from 抖店 商家后台 → 店铺信息.',
    ),
    "shop_connected_elsewhere": (
        "抖店店铺 {platform_shop_id} 已经连接为 lanjie 里的「{shop}」：一个抖店店铺只能连接一次。"
        "要改名请先 lanjie shop disconnect {shop}。",
        '抖店 shop {platform_shop_id} is already connected as "{shop}": a shop connects once. To rename it, '
        "run lanjie shop disconnect {shop} first.",
    ),
    "shop_not_connected": (
        "店铺「{shop}」还没有连接抖店开放平台：先运行 lanjie shop connect。用 lanjie shop list 查看已连接的店铺。",
        'The shop "{shop}" is not connected to the 抖店 Open Platform: run lanjie shop connect first. '
        "lanjie shop list shows the connected shops.",
    ),
    "token_unreadable": (
        "店铺「{shop}」保存的授权无法解开：它是用另一个密钥（LANJIE_SECRET_KEY）保存的。"
        "请在每台服务器上设置相同的 LANJIE_SECRET_KEY，或重新运行 lanjie shop connect。",
        'The stored authorisation of "{shop}" cannot be opened: it was sealed with another key '
        "(LANJIE_SECRET_KEY). Set the same LANJIE_SECRET_KEY on every server, or run lanjie shop connect again.",
    ),
    "shop_connected": (
        "✓ 已连接店铺「{shop}」（抖店店铺 ID {id}），授权有效期到 {until}，到期前会自动续期。",
        '✓ Connected "{shop}" (抖店 shop ID {id}); the authorisation is valid until {until} and is renewed '
        "before it expires.",
    ),
    "shop_disconnected": (
        "✓ 已断开店铺「{shop}」：保存的授权已删除，台账里的售后和记录都还在。",
        '✓ Disconnected "{shop}": its authorisation is deleted; its after-sales and history stay in the ledger.',
    ),
    "no_connected_shops": (
        "还没有连接抖店开放平台的店铺。用 lanjie shop connect --shop-id 店铺ID --name 店铺名 连接。",
        "No shop is connected to the 抖店 Open Platform yet. Connect one with lanjie shop connect --shop-id ID "
        "--name NAME.",
    ),
    "no_connected_shops_to_sync": (
        "没有可同步的店铺：先用 lanjie shop connect 连接抖店店铺。",
        "No shop to sync: connect a 抖店 shop with lanjie shop connect first.",
    ),
    "col_shop_id": ("抖店店铺 ID", "抖店 shop ID"),
    "col_token_until": ("授权到期", "Authorised until"),
    "col_synced": ("上次同步", "Last sync"),
    "col_sync_error": ("同步错误", "Sync error"),
    "sync_fetching": ("正在从抖店拉取「{shop}」的售后：已取到 {n} 条…", 'Fetching "{shop}" from 抖店: {n} so far…'),
    "sync_failed": (
        "✗ 店铺「{shop}」同步失败，台账没有改动：{error}",
        '✗ Syncing "{shop}" failed; the ledger is unchanged: {error}',
    ),
    "sync_done": (
        "✓ 「{shop}」已同步：取到 {fetched} 条，新增 {new}，有变化 {updated}，没变 {unchanged}。",
        '✓ "{shop}" synced: {fetched} fetched, {new} new, {updated} changed, {unchanged} unchanged.',
    ),
    "files_or_sync": (
        "请给出导出文件，或用 --sync 先从抖店开放平台同步已连接的店铺。",
        "Give the export files, or use --sync to sync the connected shops from the 抖店 Open Platform first.",
    ),
    "files_or_ledger": (
        "请给出导出文件，或用 --ledger 按台账分类（二选一）。",
        "Give the export files, or use --ledger to decide from the ledger (one or the other).",
    ),
    "needs_yes": (
        "这一步会改动抖店里的数据，需要确认：在终端里运行并回答 y，或加上 --yes。",
        "This changes data in 抖店 and needs a confirmation: run it in a terminal and answer y, or add --yes.",
    ),
    "cancelled": ("已取消，什么都没有做。", "Cancelled; nothing was done."),
    "push_remarks_ask": ("把这 {n} 条备注和旗帜写进抖店？", "Write these {n} remarks and flags into 抖店?"),
    "push_remarks_done": ("✓ 已写进抖店 {n} 条备注和旗帜。", "✓ {n} remarks and flags written into 抖店."),
    "push_remark_busy": (
        "订单 {order} 的备注正由别人写入或刚写过，这次跳过。",
        "The remark of order {order} is being written by someone else, or was just written: skipped.",
    ),
    "push_remark_failed": (
        "✗ 订单 {order} 的备注抖店没有接受：{reason}。它还留在待写清单里。",
        "✗ 抖店 did not accept the remark of order {order}: {reason}. It stays on the list.",
    ),
    "push_remark_skipped": ("订单 {order} 没有写入：{reason}", "Order {order} not written: {reason}"),
    "remark_shop_not_connected": (
        "店铺没有连接抖店开放平台，请手动写或先 lanjie shop connect",
        "the shop is not connected to the 抖店 Open Platform; write it by hand or run lanjie shop connect",
    ),
    "remark_needs_order_id": (
        "没有订单号，只能在抖店后台手动写",
        "no order ID: write it by hand in the 抖店 back office",
    ),
    "remark_too_long": (
        "备注有 {n} 个字，抖店最多 {max} 个字：请在设置里把 remark_template 改短",
        "the remark has {n} characters, 抖店 takes at most {max}: shorten remark_template in the settings",
    ),
    "intercept_which": (
        "请用 --courier 指定快递（如 --courier 中通），或用 --all 表示所有快递（二选一）。",
        "Name a courier with --courier (e.g. --courier 中通), or use --all for every courier (one or the other).",
    ),
    "intercept_nothing": ("没有需要拦截的包裹。", "No parcel to intercept."),
    "intercept_ask": (
        "向抖店平台申请拦截这 {n} 个包裹？平台拦截会向店铺收费。",
        "Ask 抖店 to intercept these {n} parcels? The platform charges the shop for each interception.",
    ),
    "intercept_done": (
        "✓ 平台已受理 {n} 个包裹的拦截（费用共 ¥{cost}），已记为已发拦截。",
        "✓ The platform accepted {n} interceptions (¥{cost} in all); they are recorded as requested.",
    ),
    "intercept_refused": (
        "{number}：平台不能拦截（{reason}），它还留在快递群清单里。",
        "{number}: the platform cannot intercept it ({reason}); it stays on the courier group's list.",
    ),
    "intercept_busy": (
        "{number}：别人正在申请拦截，这次跳过。",
        "{number}: someone else is asking right now; skipped.",
    ),
    "intercept_skipped": (
        "{number}：店铺没有连接抖店开放平台，请发到快递群。",
        "{number}: the shop is not connected to the 抖店 Open Platform; send it to the courier's group.",
    ),
    "agree_bucket": (
        "--bucket「{value}」不能用：只能同意 {known} 这几类的退款。",
        '--bucket "{value}" cannot be used: refunds can be agreed for {known} only.',
    ),
    "agree_nothing": ("这一类没有待同意的退款。", "No refund to agree in this group."),
    "agree_ask": (
        "通过抖店同意这 {n} 笔退款？同意后钱会退给买家。",
        "Agree these {n} refunds in 抖店? The money goes back to the buyers.",
    ),
    "agree_done": ("✓ 已同意 {n} 笔退款。", "✓ {n} refunds agreed."),
    "agree_refused": (
        "✗ 售后单 {id}：抖店没有同意（{reason}），请到抖店后台处理。",
        "✗ After-sale {id}: 抖店 refused ({reason}); handle it in the back office.",
    ),
    "agree_skipped": ("售后单 {id} 没有同意：{reason}", "After-sale {id} not agreed: {reason}"),
    "agree_shop_not_connected": (
        "店铺「{shop}」没有连接抖店开放平台",
        'the shop "{shop}" is not connected to the 抖店 Open Platform',
    ),
    "agree_in_transit": (
        "包裹还在路上，先拦截，退回后再同意",
        "the parcel is still on the road: intercept it, agree once it comes back",
    ),
    "agree_busy": ("别人正在处理这笔售后", "someone else is handling this after-sale right now"),
    "agree_not_pending": (
        "它已经不在「待商家同意」了（已刷新台账）",
        "it no longer waits for the merchant (the ledger is updated)",
    ),
    # --- the 抖店 Open Platform in the web workbench: 店铺 page, sync line, 写入抖店, 平台拦截, push
    "nav_shops": ("店铺", "Shops"),
    "shops_title": ("店铺", "Shops"),
    "shops_hint": (
        "连接抖店店铺后，工作台每 {minutes} 分钟自动从抖店同步一次售后单；点「立即同步」马上同步。",
        "Once a shop is connected, the workbench syncs its after-sales from 抖店 every {minutes} minutes; "
        "「Sync now」 syncs at once.",
    ),
    "shops_none": ("还没有连接抖店店铺。", "No 抖店 shop is connected yet."),
    "shops_col_connected": ("连接", "Connected"),
    "shops_col_last": ("上次同步结果", "Last sync result"),
    "shops_counts": (
        "取到 {fetched}，新增 {new}，有变化 {updated}",
        "{fetched} fetched, {new} new, {updated} changed",
    ),
    "shops_connected_by": ("{who}，{at}", "{who}, {at}"),
    "shops_never_synced": ("还没同步过", "not synced yet"),
    "shops_sync_now": ("立即同步", "Sync now"),
    "shops_disconnect": ("断开", "Disconnect"),
    "shops_disconnect_confirm": (
        "断开店铺「{shop}」？保存的授权会删除，台账里的售后和记录都保留。",
        'Disconnect "{shop}"? Its authorisation is deleted; its after-sales and history stay in the ledger.',
    ),
    "shops_connect_title": ("连接店铺", "Connect a shop"),
    "shops_connect_id": ("抖店店铺 ID（自用型应用）", "抖店 shop ID (a self-use app)"),
    "shops_connect_code": ("或：授权 code（工具型应用）", "or: the authorisation code (a tool app)"),
    "shops_connect_name": (
        "在 lanjie 里的店铺名（可不填：用抖店的店铺名）",
        "Name in lanjie (optional: 抖店's shop name)",
    ),
    "shops_connect_button": ("连接", "Connect"),
    "shops_connect_needs_one": (
        "请填写抖店店铺 ID 或授权 code（二选一）。",
        "Fill in either the 抖店 shop ID or the authorisation code, not both.",
    ),
    "shops_hook": (
        "消息推送地址（填在抖店开放平台的应用后台，售后一有变化台账就更新）：{url}",
        "Push URL (enter it in the app's console on the 抖店 Open Platform; the ledger is updated as soon as "
        "an after-sale changes): {url}",
    ),
    "sync_line": ("{shop}：上次同步 {at}", "{shop}: last sync {at}"),
    "sync_line_error": ("同步错误（{at}）：{error}", "Sync error ({at}): {error}"),
    "sync_unexpected": (
        "同步时出了意外（{error}），详情见服务器日志。下次同步会再试。",
        "Something unexpected happened while syncing ({error}); see the server's log. The next sync tries again.",
    ),
    "platform_sync_operator": ("自动同步", "automatic sync"),
    "platform_push_operator": ("抖店消息推送", "抖店 push"),
    "serving_sync": (
        "已连接抖店的店铺每 {minutes} 分钟自动同步一次。",
        "Connected 抖店 shops are synced every {minutes} minutes.",
    ),
    "remarks_push_button": ("写入抖店", "Write into 抖店"),
    "remarks_push_hint": (
        "「写入抖店」把本页的备注和旗帜直接写进抖店的订单（只限已连接的店铺），写过的不会再写。",
        "「Write into 抖店」 writes this page's remarks and flags into the 抖店 orders (connected shops only); "
        "a remark is never written twice.",
    ),
    "remarks_push_already": (
        "{n} 条备注已经写过了，这次没有再写。",
        "{n} remarks were written already; not written again.",
    ),
    "courier_platform_button": ("平台拦截", "Platform intercept"),
    "platform_back": ("刷新清单", "Reload the list"),
    "courier_platform_not_listed": (
        "{number} 已不在「拦截」清单里，这次没有申请。",
        "{number} is no longer on the intercept list; not asked for.",
    ),
    "setting_robots_table": (
        'robots 应写成一张表：快递 = 群机器人的 Webhook 地址，例如 [robots] 下写 zhongtong = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…"',
        'robots must be a table of courier = the group robot\'s webhook URL, e.g. zhongtong = "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…" under [robots]',
    ),
    # --- 快递100 tracking
    "kuaidi100_not_configured": (
        "还没有设置快递100的账号：请在快递100企业管理后台查看 customer 和授权 key，"
        "设置 LANJIE_KUAIDI100_CUSTOMER、LANJIE_KUAIDI100_KEY（拦截还要 LANJIE_KUAIDI100_SECRET），或写进 lanjie.toml。",
        "The 快递100 account is not set: find the customer and key in 快递100's console and set "
        "LANJIE_KUAIDI100_CUSTOMER and LANJIE_KUAIDI100_KEY (and LANJIE_KUAIDI100_SECRET for interception), or put them in lanjie.toml.",
    ),
    "tracking_progress": ("正在向快递100查询物流：{done}/{total}…", "Asking 快递100: {done}/{total}…"),
    "tracking_done": (
        "✓ 有待办的包裹 {parcels} 个：这次查询 {asked} 个（{not_due} 个 30 分钟内刚查过，不重复查），"
        "得到 {answered} 个结果，{changed} 笔售后的物流状态有变化，已按新状态分类。",
        "✓ {parcels} parcels with open work: {asked} asked ({not_due} were asked within the interval and are not asked "
        "again), {answered} answered, {changed} after-sales now decided on a new logistics state.",
    ),
    "tracking_without_courier": (
        "{n} 个包裹的快递公司还不确定，没有查询：请在 --partners 里写上合作快递，或导入订单导出。",
        "{n} parcels have no certain courier and were not asked about: name your couriers with --partners, or import the order export.",
    ),
    "tracking_error": (
        "{number}：{error}（上次知道的状态保留不变）",
        "{number}: {error} (its last known state is kept)",
    ),
    "tracking_more_errors": ("……还有 {n} 个单号查询失败。", "… and {n} more numbers failed."),
    # --- chat-group robots (lanjie notify) and interception through 快递100 (lanjie intercept --kuaidi100)
    "notify_which": (
        "请用 --courier 指定发到哪个快递的群（如 --courier 中通）。",
        "Name the courier whose group gets the list with --courier (e.g. --courier 中通).",
    ),
    "notify_one_list": (
        "--chase 和 --verify 只能选一个：一次发一份清单。",
        "Use --chase or --verify, not both: one list at a time.",
    ),
    "notify_no_robot": (
        '{courier}的群没有设置群机器人：在 lanjie.toml 的 [robots] 下写 {code} = "群机器人的 Webhook 地址"（企业微信、钉钉、飞书）。'
        "普通微信群没有接口：请照旧复制 .txt 里的消息发到群里，再用 lanjie sent 记录。",
        "{courier}'s group has no robot: put {code} = \"the robot's webhook URL\" under [robots] in lanjie.toml (企业微信, 钉钉, 飞书). "
        "Plain WeChat groups have no API: copy the .txt's message into the group as before, then record it with lanjie sent.",
    ),
    "notify_bad_robot": (
        "{courier}的群机器人地址认不出（支持企业微信、钉钉、飞书的 Webhook）：请检查 lanjie.toml 里 [robots] 的 {code}。",
        "{courier}'s robot address is not a known webhook (企业微信, 钉钉, 飞书): check {code} under [robots] in lanjie.toml.",
    ),
    "notify_nothing": (
        "{courier}现在没有「{what}」的单号，什么都没有发。",
        "{courier}: nothing is on the {what} list; nothing was sent.",
    ),
    "notify_preview": (
        "将用{robot}群机器人发到{courier}的群：{n} 个单号，共 {parts} 条消息。",
        "To post to {courier}'s group with its {robot} robot: {n} numbers in {parts} messages.",
    ),
    "notify_part_heading": ("—— 第 {part}/{parts} 条 ——", "—— message {part} of {parts} ——"),
    "notify_ask": (
        "用{robot}群机器人把这 {parts} 条消息发到{courier}的群？",
        "Post these {parts} messages to {courier}'s group with its {robot} robot?",
    ),
    "notify_needs_yes": (
        "这一步会把消息发到快递群，需要确认：在终端里运行并回答 y，或加上 --yes。",
        "This posts to the courier's group and needs a confirmation: run it in a terminal and answer y, or add --yes.",
    ),
    "notify_busy": (
        "{courier}的「{what}」清单正由别人发送，这次没有发：稍后再看清单。",
        "Someone else is posting {courier}'s {what} list right now; nothing was sent. Look at the list again shortly.",
    ),
    "notify_sent": (
        "✓ 已发到{courier}的群（共 {parts} 条消息），{n} 个单号记为「{done}」，操作人 {who}。",
        '✓ Posted to {courier}\'s group ({parts} messages); {n} numbers recorded as "{done}" by {who}.',
    ),
    "notify_none_sent": (
        "✗ 没有发到{courier}的群：共 {parts} 条消息，第 1 条就没有发出（{reason}）。什么都没有记录。",
        "✗ Nothing reached {courier}'s group: of {parts} messages, the first was not accepted ({reason}). Nothing was recorded.",
    ),
    "notify_partly_sent": (
        "✗ 共 {parts} 条消息，第 {sent} 条已发到{courier}的群，第 {failed} 条没有发出（{reason}）。"
        "这次没有记录任何单号：处理好后重新发送（会从第 1 条重发），或把其余的消息复制到群里，再用 lanjie sent 记录。",
        "✗ Of {parts} messages, {sent} reached {courier}'s group and message {failed} was not accepted ({reason}). "
        "Nothing was recorded: send again once it is fixed (from message 1), or paste the rest into the group and record it with lanjie sent.",
    ),
    "robot_kind_wecom": ("企业微信", "WeCom"),
    "robot_kind_dingtalk": ("钉钉", "DingTalk"),
    "robot_kind_feishu": ("飞书", "Feishu"),
    "intercept_one_way": (
        "请选一种拦截方式：--platform（抖店平台拦截）或 --kuaidi100（通过快递100向快递公司申请），只能选一个。"
        "发到快递群的清单用 lanjie run 生成，或用 lanjie notify 发到群机器人。",
        "Choose one way to intercept: --platform (抖店's own interception) or --kuaidi100 (through 快递100 to the courier). "
        "Lists for the courier groups come from lanjie run, or go to a group robot with lanjie notify.",
    ),
    "kuaidi100_no_public_url": (
        "快递100 的拦截结果只通过回调送回：请把 public_url（LANJIE_PUBLIC_URL）设为外网能访问 lanjie serve 的 http(s) 地址，"
        "如 https://lanjie.example.com，结果会发到它的 /hooks/kuaidi100。什么都没有申请。",
        "快递100 sends interception results only by callback: set public_url (LANJIE_PUBLIC_URL) to the http(s) address where "
        "the internet reaches lanjie serve, e.g. https://lanjie.example.com; results go to its /hooks/kuaidi100. Nothing was asked.",
    ),
    "kuaidi100_needs_yes": (
        "这一步会通过快递100申请拦截（按次收费），需要确认：在终端里运行并回答 y，或加上 --yes。",
        "This asks 快递100 to intercept (charged per request) and needs a confirmation: run it in a terminal and answer y, or add --yes.",
    ),
    "kuaidi100_intercept_ask": (
        "通过快递100申请拦截这 {n} 个包裹？快递100 按次收费，结果稍后回调。",
        "Ask 快递100 to intercept these {n} parcels? 快递100 charges per request; the results come back later.",
    ),
    "kuaidi100_intercept_done": (
        "✓ 快递100 已受理 {n} 个包裹的拦截，已记为已发拦截，不再进群消息；结果会回调到 lanjie serve。",
        "✓ 快递100 accepted {n} interceptions; they are recorded as requested and leave the group messages. "
        "The results come back to lanjie serve.",
    ),
    "kuaidi100_refused_one": (
        "{number}：快递100 不能拦截（{reason}），它还留在快递群清单里。",
        "{number}: 快递100 cannot intercept it ({reason}); it stays on the courier group's list.",
    ),
    "kuaidi100_skipped_one": (
        "{number}：快递公司不确定，没有申请。",
        "{number}: its courier is not certain; not asked for.",
    ),
    "kuaidi100_uncertain_one": (
        "{number}：请求已发出，但没有收到快递100的答复，拦截可能已经生效。没有记录，也没有重发："
        "请等结果回调或在快递100后台查看，不要马上重新申请（会再次收费）。",
        "{number}: the request went out but 快递100 did not answer; it may have been carried out. Nothing was recorded "
        "or sent again: wait for the result or check in 快递100 before asking again (a new request is charged again).",
    ),
    "kuaidi100_stopped": (
        "✗ 快递100 出错，这次到此为止（还有 {n} 个包裹没有申请）：{reason}",
        "✗ 快递100 failed, so the run stopped ({n} parcels not asked for): {reason}",
    ),
    # --- the web workbench: route lines, 刷新物流, background tracking, 发到群
    "col_route": ("最新物流", "Latest tracking"),
    "route_error": ("上次查询失败：{error}", "Last query failed: {error}"),
    "tracking_fresh": ("物流更新于 {at}", "Tracking updated {at}"),
    "tracking_never": ("还没有查过物流", "No tracking fetched yet"),
    "tracking_refresh_button": ("刷新物流", "Refresh tracking"),
    "tracking_web_running": (
        "{who} 正在刷新物流（{at} 开始）……",
        "{who} is refreshing the tracking (since {at})…",
    ),
    "tracking_web_progress": (
        "{who} 正在刷新物流（{at} 开始）：已查 {done}/{total} 个……",
        "{who} is refreshing the tracking (since {at}): {done}/{total} asked…",
    ),
    "tracking_web_done": (
        "✓ 物流已刷新（{at}，{who}）：有待办的包裹 {parcels} 个，这次查询 {asked} 个"
        "（{not_due} 个 {minutes} 分钟内刚查过，不重复查），得到 {answered} 个结果，{changed} 笔售后的物流状态有变化。",
        "✓ Tracking refreshed ({at}, {who}): {parcels} parcels with open work, {asked} asked ({not_due} were asked "
        "within {minutes} minutes and are not asked again), {answered} answered, {changed} after-sales changed state.",
    ),
    "tracking_web_errors": (
        "{n} 个单号查询失败，上次知道的物流保留不变（如 {number}：{error}）。",
        "{n} queries failed; the last known tracking is kept (e.g. {number}: {error}).",
    ),
    "tracking_web_failed": (
        "✗ 刷新物流没有完成（{at}）：{error}",
        "✗ The tracking refresh did not finish ({at}): {error}",
    ),
    "tracking_unexpected": (
        "刷新物流时出了意外（{error}），详情见服务器日志。",
        "Something unexpected happened while refreshing the tracking ({error}); see the server's log.",
    ),
    "tracking_operator": ("自动查物流", "automatic tracking"),
    "serving_tracking": (
        "有待办的包裹每 {minutes} 分钟自动向快递100查一次物流。",
        "Parcels with open work are tracked with 快递100 every {minutes} minutes.",
    ),
    "chat_button": ("发到群", "Post to group"),
    "chat_hint": (
        "{courier}的群有{robot}群机器人：「发到群」把下面全部消息发到群里，全部发出后记为「{done}」。",
        "{courier}'s group has a {robot} robot: 「Post to group」 posts every message below, and records them as "
        '"{done}" once all went out.',
    ),
    "chat_confirm": (
        "用{robot}群机器人把{courier}的 {n} 个单号（{parts} 条消息）发到群里？全部发出后记为「{done}」。",
        "Post {courier}'s {n} numbers ({parts} messages) to its group with the {robot} robot? Once all went out "
        'they are recorded as "{done}".',
    ),
    "chat_not_this_list": (
        "只有「拦截」「催拦截」「核实」的清单可以发到群。",
        "Only the intercept, chase and verify lists can be posted to a group.",
    ),
    # --- files
    "file_not_found": (
        "找不到文件：{path}。请检查文件名和所在文件夹。",
        "File not found: {path}. Check the name and the folder.",
    ),
    "file_is_dir": (
        "{path} 是一个文件夹，不是文件。请给出导出的表格文件。",
        "{path} is a folder, not a file. Give the exported spreadsheet.",
    ),
    "file_empty": (
        "文件是空的：{path}。可能还没下载完，请在抖店重新导出并下载。",
        "The file is empty: {path}. The download may be unfinished; export it again.",
    ),
    "file_is_image": (
        "{path} 是一张图片，不是表格。请在抖店「售后 → 售后工作台」点「导出」，用下载的 .xlsx 文件。",
        "{path} is a picture, not a spreadsheet. Export from 抖店 售后工作台 and use the .xlsx.",
    ),
    "file_is_pdf": (
        "{path} 是 PDF，不是表格。请在抖店「售后 → 售后工作台」导出 .xlsx 文件。",
        "{path} is a PDF, not a spreadsheet. Export the .xlsx from 抖店 售后工作台.",
    ),
    "file_is_archive": (
        "{path} 是压缩包。请先解压，再给出里面的 .xlsx 或 .csv 文件。",
        "{path} is an archive. Unpack it and give the .xlsx or .csv inside.",
    ),
    "file_is_html": (
        "{path} 是网页格式，不是真正的表格。请用 Excel/WPS 打开后另存为 .xlsx，或在抖店重新导出。",
        "{path} is a web page, not a spreadsheet. Save it as .xlsx or export again.",
    ),
    "file_not_spreadsheet": (
        "{path} 不是表格文件（内容不是 xlsx/xls/ods/csv）。请给出抖店导出的文件。",
        "{path} is not a spreadsheet (not xlsx/xls/ods/csv). Give the exported file.",
    ),
    "file_password": (
        "{path} 设置了密码。请在 Excel/WPS 里取消密码后再试。",
        "{path} is password-protected. Remove the password and try again.",
    ),
    "file_corrupt": (
        "{path} 已损坏或不完整（可能没下载完）：{detail}。请在抖店重新导出并下载。",
        "{path} is damaged or incomplete (download unfinished?): {detail}. Export it again.",
    ),
    "file_reader_stopped": (
        "读取 {path} 时读表程序意外停止（{detail}）。这台电脑的内存可能不够：请关闭其他程序后再试，或在抖店按时间分段导出、分几次导入。",
        "Reading {path} stopped unexpectedly ({detail}). This computer may not have enough memory for it: close other programs and try again, or export shorter date ranges from 抖店 and import them one by one.",
    ),
    "file_no_rows": (
        "{path} 里没有任何数据行。请确认导出时选择了要处理的售后单。",
        "{path} has no data rows. Check the export's filters.",
    ),
    "too_many_rows": (
        "{path} 的表格写到了第 {rows} 行，超过了 {limit} 行的上限。请在抖店按时间分段重新导出，不要用 Excel/WPS 拼接或另存。",
        "{path} has content down to row {rows}, beyond the limit of {limit} rows. Export again from 抖店 in shorter date ranges; do not merge or re-save it in Excel/WPS.",
    ),
    "too_many_columns": (
        "{path} 的表格有内容写在第 {column} 列（{letters} 列），超过了 {limit} 列的上限（抖店的售后单导出只有 50 列）。请在抖店重新导出，不要用 Excel/WPS 另存或拼接。",
        "{path} has content in column {column} ({letters}), beyond the limit of {limit} columns (a 抖店 after-sales export has 50). Export it again from 抖店 instead of re-saving it in Excel/WPS.",
    ),
    "cell_too_long": (
        "{path} 里有一个单元格有 {chars} 个字符，超过了一个单元格最多 {limit} 个字符的上限。请在抖店重新导出，不要用 Excel/WPS 另存。",
        "A cell in {path} holds {chars} characters, more than the {limit} a cell can hold. Export it again from 抖店 instead of re-saving it.",
    ),
    "sheet_sparse": (
        "{path} 的表格占了 {rows} 行 × {columns} 列的范围，但只有 {cells} 个单元格有内容——范围远大于内容（可能很远的地方有个单元格）。请在抖店重新导出，或删掉多余的行和列后再试。",
        "{path} spans {rows} rows × {columns} columns but only {cells} cells hold a value — far more room than content (a stray cell far away?). Export it again from 抖店, or delete the stray rows and columns.",
    ),
    "sheet_oversized": (
        "{path} 的工作表解压后有 {size} MB，但只有 {cells} 个单元格（平均每个单元格最多 {per_cell} 字节）——远超过内容能解释的大小。请在抖店重新导出。",
        "A sheet of {path} unpacks to {size} MB for only {cells} cells (at most {per_cell} bytes per cell on average) — far more than its content explains. Export it again from 抖店.",
    ),
    "strings_oversized": (
        "{path} 里的文字表解压后有 {size} MB，远超过 {cells} 个单元格用得到的量。请在抖店重新导出，不要用 Excel/WPS 另存。",
        "The text table of {path} unpacks to {size} MB, far more than {cells} cells can use. Export it again from 抖店 instead of re-saving it.",
    ),
    "strings_declared": (
        "{path} 声明有 {declared} 段文字，实际只有 {found} 段——文件已损坏或被改过。请在抖店重新导出。",
        "{path} declares {declared} strings but holds {found} — it is damaged or was tampered with. Export it again from 抖店.",
    ),
    "strings_copied": (
        "读取 {path} 要复制约 {size} MB 的文字，远超过 {cells} 个单元格应有的量（同一段长文字被大量单元格重复引用）。请在抖店重新导出。",
        "Reading {path} would copy about {size} MB of text, far more than {cells} cells should hold (one long text used by very many cells). Export it again from 抖店.",
    ),
    "rows_declared": (
        "{path} 用「重复」声明了 {rows} 行 × {columns} 列的内容，但文件里实际只写了 {written} 个单元格。请在抖店重新导出 .xlsx，不要用 WPS/LibreOffice 另存为 .ods。",
        "{path} declares {rows} rows × {columns} columns of repeated content but writes only {written} cells. Export the .xlsx again from 抖店 instead of re-saving it as .ods.",
    ),
    "file_unpacked_too_big": (
        "{path} 里的「{part}」解压后有 {size} MB（压缩时只有 {packed} MB），不像正常的导出文件。请在抖店重新导出。",
        "The part “{part}” of {path} unpacks to {size} MB ({packed} MB packed); this is not a normal export. Export it again from 抖店.",
    ),
    "file_structure": (
        "{path} 的内部结构不寻常（{detail}），无法安全读取。请在抖店重新导出，或用 Excel/WPS 打开后另存为 .xlsx。",
        "{path} has an unusual inner structure ({detail}) and cannot be read safely. Export it again from 抖店, or open it in Excel/WPS and save it as .xlsx.",
    ),
    "csv_too_big": (
        "{path} 有 {size} MB，超过了 CSV 文件 {limit} MB 的上限。请在抖店按时间分段导出，或导出 .xlsx。",
        "{path} is {size} MB, beyond the {limit} MB limit for CSV files. Export shorter date ranges, or the .xlsx.",
    ),
    "csv_undecodable": (
        "无法识别 {path} 的文字编码（能读的有 UTF-8、GBK/GB18030、UTF-16）。请用 --encoding 指定，例如 --encoding gbk、--encoding utf-8 或 --encoding utf-16，或用 Excel/WPS 另存为「CSV UTF-8」。",
        "Cannot tell the text encoding of {path} (readable: UTF-8, GBK/GB18030, UTF-16). Pass one, e.g. --encoding gbk, --encoding utf-8 or --encoding utf-16, or save it as “CSV UTF-8” in Excel/WPS.",
    ),
    "unknown_encoding": (
        "不认识的编码：{encoding}。常用的是 utf-8、gbk、gb18030。",
        "Unknown encoding: {encoding}. Common ones: utf-8, gbk, gb18030.",
    ),
    "wrong_encoding": (
        "{path} 不是 {encoding} 编码。去掉 --encoding 让 lanjie 自动识别（UTF-8、GBK/GB18030、UTF-16 都能认出），或换成其中一种。",
        "{path} is not {encoding}. Drop --encoding to detect it (UTF-8, GBK/GB18030 and UTF-16 are recognised), or pass one of those.",
    ),
    "no_header": (
        "{path} 里找不到表头（售后单号、售后类型、发货物流单号…）。第一行内容是：{found}。请确认这是抖店的售后单导出。",
        "No header row found in {path} (售后单号, 售后类型, 发货物流单号 …). First row: {found}. Is this a 抖店 after-sales export?",
    ),
    "missing_columns": (
        "{path} 缺少必需的列：{missing}。找到的列有：{found}。请在抖店「售后工作台」重新导出全部字段，或把这些列加上。",
        "{path} lacks required columns: {missing}. Columns found: {found}. Export again with all fields, or add them.",
    ),
    "only_orders": (
        "给出的文件都是订单导出，没有售后单导出。请同时给出「售后单导出」文件。",
        "All files are order exports; give the after-sales export too.",
    ),
    "file_header_only": (
        "{path} 只有表头，没有任何售后单。请确认导出时的筛选条件（如售后状态、时间范围）选中了要处理的售后单，再重新导出。",
        "{path} has a header row but no after-sales. Check the export's filters (status, time range) and export again.",
    ),
    "conflicting_columns": (
        "{path} 有两列都像是同一个字段，而第 {row} 行两列的内容不一样：{first} 是「{a}」，{second} 是「{b}」。lanjie 无法判断该用哪一列，请删掉或改名其中不对的一列后再试。",
        "{path} has two columns for the same field that disagree on row {row}: {first} holds '{a}', {second} holds '{b}'. Delete or rename the wrong column and try again.",
    ),
    "same_file_twice": (
        "{path} 和 {first} 是同一个文件，只读了一次。",
        "{path} is the same file as {first}; it was read once.",
    ),
    "file_unreadable": (
        "无法读取 {path}：{detail}。请检查文件是否被别的程序占用、是否有读取权限。",
        "Cannot read {path}: {detail}. Is it open in another program, or not readable by you?",
    ),
    # --- command-line usage (Click's own messages, in the user's language)
    "usage_missing": (
        "缺少{what}。运行 lanjie {command}--help 查看用法。",
        "Missing {what}. Run lanjie {command}--help for usage.",
    ),
    "usage_bad_value": (
        "{what} 的值不对：{detail}。运行 lanjie {command}--help 查看用法。",
        "Invalid value for {what}: {detail}. Run lanjie {command}--help for usage.",
    ),
    "usage_no_option": (
        "没有这个选项：{option}{hint}。运行 lanjie {command}--help 查看可用的选项。",
        "No such option: {option}{hint}. Run lanjie {command}--help for the options.",
    ),
    "usage_needs_value": (
        "选项 {option} 后面要跟一个值。运行 lanjie {command}--help 查看用法。",
        "Option {option} needs a value. Run lanjie {command}--help for usage.",
    ),
    "usage_did_you_mean": ("（是不是想用 {options}？）", " (did you mean {options}?)"),
    "usage_other": (
        "命令写得不对：{detail}。运行 lanjie {command}--help 查看用法。",
        "Usage error: {detail}. Run lanjie {command}--help for usage.",
    ),
    "usage_no_command": (
        "没有这个命令：{name}。运行 lanjie --help 查看所有命令。",
        "No such command: {name}. Run lanjie --help for the commands.",
    ),
    # --- options
    "unknown_partners": ("不认识的快递：{names}。可用的有：{known}。", "Unknown courier: {names}. Known: {known}."),
    "bad_now": (
        "--now 的时间看不懂：{value}。请写成 2026-11-26T09:00:00+08:00。",
        "Cannot read --now: {value}. Write it like 2026-11-26T09:00:00+08:00.",
    ),
    "out_exists": (
        "输出文件夹已存在且不是空的：{path}。请用 --out 换一个位置，或加 --overwrite 覆盖。",
        "The output folder exists and is not empty: {path}. Use --out elsewhere or add --overwrite.",
    ),
    "out_not_writable": ("无法写入输出文件夹 {path}：{detail}", "Cannot write the output folder {path}: {detail}"),
    "bad_config": ("设置有误（{source}）：{detail}", "Invalid settings ({source}): {detail}"),
    "bad_template": (
        "模板有误：{template}。可用的占位符：{fields}。",
        "Bad template: {template}. Placeholders available: {fields}.",
    ),
    "bad_rows": ("行数必须是 1 到 1000000 之间的整数，而不是 {rows}。", "Rows must be 1 to 1000000, not {rows}."),
    "internal": (
        "lanjie 出错了：{detail}。请把这条信息和所用的文件发给维护者（设置 LANJIE_DEBUG=1 可看到详细信息）。",
        "lanjie failed: {detail}. Please report it with the file used (LANJIE_DEBUG=1 shows details).",
    ),
    # --- ledger
    "db_bad_url": (
        "台账数据库地址写错了：{url}。例如 postgresql+psycopg://用户@主机/库名，或一个 .sqlite3 文件路径。",
        "Bad ledger database address: {url}. E.g. postgresql+psycopg://user@host/db or a .sqlite3 file path.",
    ),
    "db_unreachable": (
        "连不上台账数据库 {url}：{detail}。请检查数据库是否在运行，或用 --db / LANJIE_DATABASE_URL 指定其他位置。",
        "Cannot reach the ledger database {url}: {detail}. Is it running? Use --db / LANJIE_DATABASE_URL to choose another.",
    ),
    "db_error": ("台账数据库 {url} 出错：{detail}", "Ledger database {url} failed: {detail}"),
    "db_full": (
        "台账数据库的磁盘满了（{detail}）。这次什么都没有写进台账（已整体撤销）。请腾出磁盘空间后再试一次。",
        "The ledger database is out of disk space ({detail}). Nothing was written (the whole change was rolled back). "
        "Free some disk space, then try again.",
    ),
    "db_busy": (
        "台账正被别人写入（可能有人正在导入），等了 {seconds} 秒还没轮到。这次什么都没有写进台账（已整体撤销）。"
        "请过一会儿再试一次。",
        "The ledger is busy: someone else is writing to it (probably importing) and it did not free up within "
        "{seconds} s. Nothing was written (the whole change was rolled back). Try again in a moment.",
    ),
    "db_bad_timeout": (
        "LANJIE_DB_TIMEOUT 应该是等待台账的秒数（大于 0），现在是：{value}",
        "LANJIE_DB_TIMEOUT must be the seconds to wait for the ledger (more than 0), not: {value}",
    ),
    "db_connection_lost": (
        "和台账数据库的连接断了（{detail}）。这次什么都没有写进台账（已整体撤销）。"
        "请检查网络和数据库是否在运行，然后再试一次。",
        "The connection to the ledger database was lost ({detail}). Nothing was written (the whole change was "
        "rolled back). Check the network and that the database is running, then try again.",
    ),
    "db_upgraded": ("台账 {url} 的结构：{before} → {after}", "Ledger {url} schema: {before} → {after}"),
    "writing_ledger": ("写入台账 {percent}%（{done}/{total}）", "Writing the ledger {percent}% ({done}/{total})"),
    "already_imported": (
        "{file} 已在 {at} 由 {operator} 导入过，这次不再重复记录。",
        "{file} was imported at {at} by {operator}; not recorded again.",
    ),
    "ledger_unchanged": ("台账没有变化。", "The ledger did not change."),
    "import_summary": (
        "台账：新增 {new} 个售后单，更新 {changed} 个{details}，没有变化 {unchanged} 个。",
        "Ledger: {new} new after-sales, {changed} updated{details}, {unchanged} unchanged.",
    ),
    "import_older": (
        "{n} 行来自比台账里更旧的导出，没有覆盖较新的状态。",
        "{n} rows came from an export older than the ledger's; newer states were kept.",
    ),
    "import_outcomes": (
        "拦截结果：成功 {success} 个（包裹已在退回），失败 {failed} 个（发拦截后被签收）。",
        "Interceptions: {success} succeeded (coming back), {failed} failed (signed for).",
    ),
    "unknown_shop": (
        "台账里没有店铺：{shops}。已有的店铺：{known}。",
        "No such shop in the ledger: {shops}. Shops: {known}.",
    ),
    "sent_what": (
        "请说明发了哪些：--courier 快递（如 --courier zhongtong）、--tracking-no 单号，或 --all（三选一）。",
        "Say what was sent: --courier NAME, --tracking-no NUMBER, or --all (exactly one).",
    ),
    "bad_tracking_no": ("单号「{value}」不能用：{detail}", 'Tracking number "{value}" cannot be used: {detail}'),
    "unknown_tracking_no": (
        "台账里没有这些单号：{numbers}。请先用 lanjie run 或 lanjie import 导入含有它们的导出，什么都没有记录。",
        "These tracking numbers are not in the ledger: {numbers}. Import the export that has them first; nothing was recorded.",
    ),
    "sent_nothing": ("{couriers}现在没有{what}的单号，什么都没有记录。", "{couriers}: nothing to record ({what})."),
    "all_couriers": ("所有快递", "all couriers"),
    "sent_skipped_unknown": (
        "{n} 个单号的快递公司不确定，没有记录：核对后请用 --tracking-no 记录。",
        "{n} numbers have no certain courier and were not recorded; use --tracking-no after checking.",
    ),
    "sent_recorded": (
        "已记录 {n} 个拦截请求（{couriers}），操作人 {operator}，时间 {at}。",
        "Recorded {n} interception requests ({couriers}) by {operator} at {at}.",
    ),
    "sent_already": (
        "{number} 已由 {by} 在 {at} 发过拦截，没有重复记录。",
        "{number} was already sent by {by} at {at}; not recorded again.",
    ),
    "chased": (
        "已记录催拦截 {n} 个单号，操作人 {operator}，时间 {at}。",
        "Recorded a chase for {n} numbers by {operator} at {at}.",
    ),
    "remarks_done": (
        "已记录 {n} 个订单的备注为已写（操作人 {operator}）。",
        "Marked {n} remarks as written (by {operator}).",
    ),
    "history_not_found": (
        "台账里没有「{what}」：请确认是售后单号、订单号或快递单号，并且已经导入过。",
        'Nothing in the ledger for "{what}": give an after-sale ID, order ID or tracking number that was imported.',
    ),
    "history_title": ("「{what}」的经过", "History of {what}"),
    "stats_title": ("最近 {days} 天的拦截（按快递）", "Interceptions in the last {days} days, by courier"),
    "stats_rejections": ("记录到的售后拒绝：{n} 次", "Rejections recorded: {n}"),
    # --- accounts and the web
    "user_bad_name": (
        "用户名不能为空，也不能超过 100 个字。",
        "The user name must not be empty or longer than 100 characters.",
    ),
    "user_short_password": ("密码至少要 {n} 位。", "The password needs at least {n} characters."),
    "user_exists": ("已经有叫「{name}」的账号了。", 'There is already an account named "{name}".'),
    "user_added": ("已创建账号「{name}」。", 'Account "{name}" created.'),
    "user_removed": ("已删除账号「{name}」。", 'Account "{name}" removed.'),
    "user_not_found": ("没有叫「{name}」的账号。", 'No account named "{name}".'),
    "passwords_differ": ("两次输入的密码不一样。", "The two passwords differ."),
    "login_failed": ("用户名或密码不对。", "Wrong user name or password."),
    "login_throttled": ("尝试次数太多，请 {seconds} 秒后再试。", "Too many attempts; try again in {seconds} seconds."),
    "secret_too_short": (
        "LANJIE_SECRET_KEY 太短：至少要 32 个字符。",
        "LANJIE_SECRET_KEY is too short: at least 32 characters.",
    ),
    "team_needs_users": (
        "对局域网开放（--host {host}）必须先有账号：请先运行 lanjie user add 你的名字。",
        "Serving to the network (--host {host}) needs accounts: run lanjie user add NAME first.",
    ),
    "csrf_failed": ("页面已过期，请刷新后再试。", "This page has expired; reload it and try again."),
    "need_operator": ("请先填写你的名字，记录里要写是谁做的。", "Enter your name first: every record says who did it."),
    "upload_none": (
        "没有收到文件：请选择抖店导出的 .xlsx 或 .csv 文件。",
        "No file received: choose the exported .xlsx or .csv.",
    ),
    "upload_too_large": (
        "文件太大（超过 {limit} MB）：请在抖店分批导出。",
        "The file is too large (over {limit} MB); export in smaller parts.",
    ),
    "upload_too_many": (
        "一次最多导入 {n} 个文件：请分几次导入。",
        "At most {n} files at a time: import them in several goes.",
    ),
    "download_not_found": (
        "没有「{name}」这个文件：现在的工作里没有它（比如这个快递没有要拦截的单号）。请回到「下载」页，从列表里选。",
        "There is no file called {name} in the current work. Go back to 下载 and pick one from the list.",
    ),
    "aftersale_not_found": ("台账里没有这个售后单：{what}", "No such after-sale in the ledger: {what}"),
    "nothing_selected": ("没有选中任何单号。", "Nothing was selected."),
    "courier_not_found": (
        "没有「{code}」这个快递：请回到「拦截」页，从左边的快递列表里选。",
        'There is no courier "{code}": go back to 拦截 and pick one from the list.',
    ),
    "shop_not_found": (
        "台账里没有叫「{shop}」的店铺：请从店铺下拉框里选。",
        'No shop called "{shop}" in the ledger: pick one from the shop list.',
    ),
    "parcel_not_listed": (
        "单号 {tracking_no} 现在不在「{list}」的清单里（可能已由别人记录，或台账已更新）：请刷新页面再看。",
        "Parcel {tracking_no} is no longer on the {list} list (someone may have recorded it): reload the page.",
    ),
    "remark_not_due": (
        "订单 {order} 现在没有要写的「{status}」备注（可能已由别人记下，或台账已更新）：请刷新页面再看。",
        "Order {order} has no {status} remark due now (someone may have recorded it): reload the page.",
    ),
    "web_sent_recorded": (
        "已记录 {count} 个拦截请求（{who}，{at}），这些单号已移到「拦截中」。",
        "Recorded {count} interception requests ({who}, {at}); they moved to 拦截中.",
    ),
    "web_sent_partly_before": (
        "已记录 {count} 个拦截请求（{who}，{at}），另有 {earlier} 个已由 {by} 发过，没有重复记录。",
        "Recorded {count} interception requests ({who}, {at}); {earlier} were already sent by {by}, not again.",
    ),
    "web_sent_one_before": (
        "{tracking_no} 已由 {by} 在 {at} 发过拦截，没有重复记录。",
        "{tracking_no} was already sent by {by} at {at}; not recorded again.",
    ),
    "web_sent_all_before": (
        "这 {earlier} 个单号都已由 {by} 发过拦截（最早 {at}），没有重复记录。",
        "All {earlier} parcels were already sent by {by} (first at {at}); nothing recorded again.",
    ),
    "web_chase_recorded": (
        "已记录催拦截 {count} 个单号（{who}，{at}）。",
        "Recorded a chase for {count} parcels ({who}, {at}).",
    ),
    "web_verify_recorded": (
        "已记录 {count} 个单号已发给快递核实（{who}，{at}），等快递回复后联系买家。",
        "Recorded {count} parcels as sent to the courier to check ({who}, {at}); contact the buyer once it answers.",
    ),
    "web_remarks_recorded": ("已记下（{who}）：{count} 个备注。", "Recorded ({who}): {count} remarks."),
    "serving": (
        "lanjie 工作台（{mode}）：{url}　按 Ctrl+C 停止。",
        "lanjie workbench ({mode}): {url}  Ctrl+C stops it.",
    ),
    "serving_hosts": (
        "浏览器地址栏里可以用这些名字：{hosts}（要加别的，用 --allowed-host）。",
        "Browsers may use these names: {hosts} (add others with --allowed-host).",
    ),
    "local_mode": ("只有本机可用", "this computer only"),
    "team_mode": ("团队模式，需要登录", "team mode, login required"),
    "need_login": (
        "请先登录：这个工作台的账台有账号，每条记录都要写是谁做的。",
        "Log in first: this ledger has accounts, and every record says who did it.",
    ),
    "password_changed": (
        "已修改「{name}」的密码，它在各个浏览器里的登录都已退出。",
        'Password of "{name}" changed; its logins in every browser have ended.',
    ),
    "host_not_allowed": (
        "不能用「{host}」这个地址打开工作台。请用启动 lanjie serve 时显示的地址；"
        "要用这个名字访问，请在启动时加上 --allowed-host {host}。",
        'The workbench cannot be opened as "{host}". Use the address lanjie serve printed; '
        "to allow this name, start it with --allowed-host {host}.",
    ),
    "body_too_large": (
        "提交的内容太大（超过 {limit} MB），没有处理。请刷新页面后重新操作。",
        "What was sent is too large (over {limit} MB) and was not handled. Reload the page and try again.",
    ),
    "page_not_found": (
        "没有这个页面。请从上面的菜单进入，或回到工作台。",
        "There is no such page. Use the menu above, or go back to the workbench.",
    ),
    "method_not_allowed": (
        "这个地址不能这样打开。请用页面上的按钮和链接操作。",
        "This address cannot be used like that. Use the buttons and links on the pages.",
    ),
    "bad_request": (
        "请求有误，没有处理。请刷新页面后重新操作。",
        "The request was not understood. Reload the page and try again.",
    ),
    "bad_parameters": (
        "网址里的参数不对（{fields}）。请从页面上的链接进入，不要手动修改网址。",
        "The address has a wrong parameter ({fields}). Follow the links on the pages instead of editing the address.",
    ),
    "too_many_requests": ("操作太频繁，请稍等一会儿再试。", "Too many requests; wait a moment and try again."),
    "server_error": (
        "工作台内部出错了（{at}），这次操作可能没有完成。请刷新页面看看结果；"
        "一直这样的话，请把这个时间和 lanjie serve 窗口里的报错发给维护的人。",
        "The workbench hit an internal error ({at}); this action may not have finished. Reload the page to check; "
        "if it keeps happening, send this time and the error in the lanjie serve window to whoever maintains it.",
    ),
    "http_error": (
        "出错了（HTTP {status}）。请刷新页面后重新操作。",
        "Something went wrong (HTTP {status}). Reload and try again.",
    ),
    "error_title": ("出错了", "Something went wrong"),
    "error_back": ("回到工作台", "Back to the workbench"),
    "error_login": ("去登录", "Log in"),
    "login_title": ("登录", "Log in"),
    "login_name": ("用户名", "User name"),
    "login_password": ("密码", "Password"),
    # --- summary
    "summary_title": ("售后处理汇总", "After-sales summary"),
    "bucket": ("分类", "Bucket"),
    "count": ("数量", "Count"),
    "courier": ("快递", "Courier"),
    "to_intercept": ("待拦截单号", "To intercept"),
    "to_verify": ("待核实单号", "To verify"),
    "urgent_title": ("最紧急的 {n} 单（按自动处理截止时间）", "Most urgent {n} (by deadline)"),
    "deadline": ("截止时间", "Deadline"),
    "hours_left": ("剩余小时", "Hours left"),
    "aftersale_id": ("售后单号", "After-sale"),
    "action": ("建议操作", "Action"),
    "files_read": (
        "读取：{files}（{rows} 行，{aftersales} 个售后单）",
        "Read: {files} ({rows} rows, {aftersales} after-sales)",
    ),
    "orders_read": (
        "订单导出：{files}（{parcels} 个单号的快递公司）",
        "Order export: {files} (courier of {parcels} numbers)",
    ),
    "duplicates_merged": (
        "{n} 个售后单出现多次，保留了较新的一行",
        "{n} after-sales appeared more than once; kept the newer row",
    ),
    "problems_found": (
        "{n} 处数据问题（详见 decisions.json 的 problems 和 xlsx 的「数据问题」表），例如：",
        "{n} data problems (see problems in decisions.json and the 数据问题 sheet), e.g.:",
    ),
    "unknown_wording": (
        "不认识的写法 {field}「{value}」：{count} 行（如第 {rows} 行），这些单已放入「需人工处理」",
        'Unknown wording {field} "{value}": {count} rows (e.g. row {rows}); sent to manual',
    ),
    "ambiguous_hint": (
        "{n} 个单号无法确定快递公司（已放入 拦截-未识别快递.txt）。用 --partners 指定店铺的合作快递可自动归类，例如 --partners zhongtong,yunda",
        "{n} numbers have no certain courier (see 拦截-未识别快递.txt). Pass --partners, e.g. --partners zhongtong,yunda",
    ),
    "no_state_column": (
        "文件没有「售后状态」列：所有售后单都按「待商家处理」处理",
        "No 售后状态 column: every after-sale is treated as pending",
    ),
    "output_written": ("已生成输出文件夹：{path}", "Output written to: {path}"),
    "reading": ("读取", "Reading"),
    "writing": ("生成文件", "Writing"),
    "demo_written": ("已生成 {rows} 行的示例导出：{path}", "Wrote a sample export of {rows} rows: {path}"),
    # --- words and lists used inside other messages
    "empty": ("（空）", "(empty)"),
    "list_separator": ("、", ", "),
    "clause_separator": ("；", "; "),
    # --- what each bucket is called and asks for (the Chinese must equal lanjie.buckets.RULES: a test checks)
    "bucket_label_intercept": ("待拦截", "To intercept"),
    "bucket_label_intercepting": ("拦截中", "Intercepting"),
    "bucket_label_chase": ("待催拦截", "To chase"),
    "bucket_label_verify": ("待核实签收", "To verify"),
    "bucket_label_returning": ("退回中", "Coming back"),
    "bucket_label_returned": ("已退回", "Returned"),
    "bucket_label_not_shipped": ("未发货", "Not shipped"),
    "bucket_label_manual": ("需人工处理", "Manual"),
    "bucket_label_out_of_scope": ("无需处理", "Nothing to do"),
    "bucket_action_intercept": (
        "发到快递群拦截，再标旗备注",
        "Send to the courier group to intercept, then flag and remark the order",
    ),
    "bucket_action_intercepting": ("已发拦截，等快递退回", "Interception sent; wait for the parcel to come back"),
    "bucket_action_chase": ("在快递群催拦截", "Chase the interception in the courier group"),
    "bucket_action_verify": (
        "联系买家和快递核实签收；协商不成再带凭证拒绝",
        "Check the delivery with the buyer and the courier; reject with evidence only if that fails",
    ),
    "bucket_action_returning": (
        "确认退回后同意退款（同意拒签后退款）",
        "Approve the refund once the parcel is back (refund after refused delivery)",
    ),
    "bucket_action_returned": ("验货后同意退款", "Check the goods, then approve the refund"),
    "bucket_action_not_shipped": ("直接同意退款", "Approve the refund"),
    "bucket_action_manual": ("人工查看", "A person must look"),
    "bucket_action_out_of_scope": ("无需处理", "Nothing to do"),
    # --- the ledger's events (the Chinese must equal lanjie.ledger.events.EVENT_LABELS: a test checks)
    "event_first_seen": ("首次导入", "First imported"),
    "event_state_changed": ("售后状态变化", "Status changed"),
    "event_rejected": ("售后被拒绝", "Rejected"),
    "event_logistics_changed": ("物流状态变化", "Logistics changed"),
    "event_deadline_changed": ("截止时间变化", "Deadline changed"),
    "event_tracking_changed": ("发货单号变化", "Tracking number changed"),
    "event_intercept_requested": ("已发拦截", "Interception sent"),
    "event_intercept_chased": ("已催拦截", "Interception chased"),
    "event_intercept_succeeded": ("拦截成功", "Interception succeeded"),
    "event_intercept_failed": ("拦截失败", "Interception failed"),
    "event_remark_written": ("已写备注", "Remark written"),
    "web_verify_answered": (
        "已记录快递对 {count} 个单号的核实答复：{answer}（{who}，{at}）。",
        "Recorded the courier's answer for {count} numbers: {answer} ({who}, {at}).",
    ),
    "verify_answer_unknown": (
        "不认识的核实答复「{answer}」：只能是「确已签收」或「买家没收到」。请刷新页面再点。",
        "Unknown answer to the check: {answer}. Reload the page and use one of the two buttons.",
    ),
    "event_verify_answered": ("快递答复核实", "The courier answered the check"),
    "event_intercept_refused": ("平台拦截未成功", "Platform interception refused"),
    "event_refund_agreed": ("已同意退款", "Refund agreed"),
    "event_refund_agree_failed": ("同意退款失败", "Refund agreement refused"),
    "event_verify_asked": ("已发快递核实", "Sent to the courier to check"),
    # --- triage: why an after-sale is in its bucket
    "reason_no_logistics": (
        "没有物流状态，包裹还在路上：发到快递群拦截",
        "No logistics status, the parcel is on its way: send it to the courier group to intercept",
    ),
    "reason_moving": (
        "包裹运输中（{raw}）：发到快递群拦截",
        "The parcel is in transit ({raw}): send it to the courier group to intercept",
    ),
    "reason_delivering": (
        "注意：{raw}，可能来不及拦截，请尽快联系快递",
        "Careful: {raw}; it may be too late to intercept, contact the courier at once",
    ),
    "reason_logistics_problem": (
        "物流异常（{raw}）：拦截时请向快递说明",
        "Logistics problem ({raw}): tell the courier when asking to intercept",
    ),
    "reason_signed": (
        "物流显示已签收（{raw}）：先核实买家是否收到；拒绝会计入售后拒绝率，没有聊天记录等凭证时不要以「已签收」拒绝",
        "Logistics says signed for ({raw}): first check whether the buyer got it; a rejection counts against the shop's rejection rate, so never reject as signed for without evidence such as chat records",
    ),
    "reason_buyer_refused": (
        "买家已拒签（{raw}），包裹正在退回：确认退回后同意拒签后退款",
        "The buyer refused the parcel ({raw}) and it is coming back: approve the refund once it is back",
    ),
    "reason_returning": (
        "快递退回中（{raw}，含拦截成功）：确认退回后同意退款",
        "The courier is sending it back ({raw}, a successful interception included): approve the refund once it is back",
    ),
    "reason_returned": (
        "包裹已退回商家（{raw}）：验货后同意退款",
        "The parcel is back at the shop ({raw}): check the goods, then approve the refund",
    ),
    "reason_not_refund_only": ("不是仅退款（售后类型：{type}）", "Not a refund-only request (type: {type})"),
    "reason_not_pending": (
        "售后状态为「{state}」，不需要商家处理",
        'The status is "{state}": nothing for the shop to do',
    ),
    "reason_unknown_type": (
        "售后类型「{value}」不认识，请人工判断",
        'Unknown after-sale type "{value}": a person must decide',
    ),
    "reason_empty_type": ("售后类型是空的，请人工判断", "The after-sale type is empty: a person must decide"),
    "reason_unknown_state": (
        "售后状态「{value}」不认识，请人工判断",
        'Unknown after-sale status "{value}": a person must decide',
    ),
    "reason_empty_state": ("售后状态是空的，请人工判断", "The after-sale status is empty: a person must decide"),
    "reason_when": ("{at} 由 {operator}", "at {at} by {operator}"),
    "reason_intercept_failed": (
        "拦截失败：{when} 发了拦截，但包裹已被签收",
        "Interception failed: asked {when}, but the parcel was signed for",
    ),
    "reason_intercept_succeeded": ("拦截成功：{when} 发的拦截", "Interception succeeded: asked {when}"),
    "reason_partly_sent": (
        "单号 {numbers} 已于 {when} 发过拦截，只需发其余单号",
        "{numbers} already sent for interception {when}: send only the other numbers",
    ),
    "reason_chase": (
        "{when} 发了拦截，过了 {hours:g} 小时仍在路上：请在快递群催一下",
        "Interception asked {when}, still moving after {hours:g} hours: chase it in the courier group",
    ),
    "reason_intercepting": (
        "已于 {when} 发快递群拦截，等快递退回",
        "Sent to the courier group for interception {when}: wait for the parcel to come back",
    ),
    "reason_not_shipped": ("还没有发货：直接同意退款", "Not shipped yet: approve the refund"),
    "reason_no_tracking": (
        "已发货但没有发货物流单号：请在抖店订单详情里查到单号再处理",
        "Shipped but without a tracking number: look it up in the 抖店 order details first",
    ),
    "reason_shipped_since": (
        "申请时还没发货，但现在已有发货单号：包裹已寄出，需要拦截",
        "Not shipped when asked, but it has a tracking number now: the parcel left and must be intercepted",
    ),
    "reason_unknown_logistics": (
        "发货物流状态「{value}」不认识，请人工判断",
        'Unknown logistics status "{value}": a person must decide',
    ),
    "reason_courier_unknown": (
        "单号 {number} 无法确定快递公司{guess}，请核对后发到对应快递群",
        "The courier of {number} is not certain{guess}: check it, then send it to that courier's group",
    ),
    "reason_courier_guess": ("（可能是 {couriers}，仅为猜测）", " (perhaps {couriers}, only a guess)"),
    "reason_no_deadline": ("没有自动处理截止时间，请在抖店核对", "No auto-processing deadline: check it in 抖店"),
    "reason_overdue": (
        "已超过自动处理截止时间 {hours:.1f} 小时",
        "{hours:.1f} hours past the auto-processing deadline",
    ),
    "reason_hours_left": (
        "距自动处理截止只剩 {hours:.1f} 小时",
        "Only {hours:.1f} hours left before the auto-processing deadline",
    ),
    # --- cleaning: what is wrong with a cell
    "problem_scientific": (
        "单号被 Excel 改成了科学计数法，请从抖店重新导出，不要用 Excel 打开后保存",
        "Excel turned the number into scientific notation: export it again from 抖店 and do not re-save it in Excel",
    ),
    "problem_too_long_float": (
        "单号超过 15 位，被 Excel 当成数字后丢了末尾的数字，请从抖店重新导出，不要用 Excel 打开后保存",
        "The number has more than 15 digits and Excel, storing it as a number, lost the last ones: export it again from 抖店 and do not re-save it in Excel",
    ),
    "problem_zeros": (
        "单号末尾是一串 0，像是被 Excel 改成科学计数法后丢了数字，请核对原单号",
        "The number ends in a run of zeros, as if Excel lost digits in scientific notation: check the original number",
    ),
    "problem_not_integer": (
        "单号是带小数的数字，不是有效单号，请核对",
        "The number has decimals, so it is not a valid number: check it",
    ),
    "problem_float_unproven": (
        "单号被 Excel 存成了数字，无法确定开头有没有丢掉 0，请从抖店重新导出，不要用 Excel 打开后保存",
        "Excel stored the number as a number, so a leading 0 may be lost: export it again from 抖店 and do not re-save it in Excel",
    ),
    "problem_bad_tracking": (
        "单号里有不该出现的字符，只能是字母和数字，请核对",
        "The number holds characters that do not belong (only letters and digits may): check it",
    ),
    "problem_not_tracking": (
        "不像快递单号（应为 6 到 40 位字母和数字，至少 5 个数字），请核对",
        "Not like a tracking number (6 to 40 letters and digits, at least 5 digits): check it",
    ),
    "problem_space_inside": (
        "单号中间有空格，不知道是一个单号还是两个，请核对后用逗号或换行分开",
        "A space inside the number: is it one number or two? Check it, then separate numbers with commas or line breaks",
    ),
    "problem_invisible_inside": (
        "单号中间有看不见的字符（可能是从网页或聊天里复制来的），请核对后重新输入",
        "An invisible character inside the number (copied from a web page or a chat?): check it and type it again",
    ),
    "problem_not_text": (
        "这一格是{kind}，不是单号，请核对这一列是不是单号",
        "This cell holds {kind}, not a number: check that this column holds the numbers",
    ),
    "kind_bool": ("是/否", "a yes/no value"),
    "kind_date": ("日期", "a date"),
    "kind_time": ("时间", "a time"),
    "kind_duration": ("时长", "a duration"),
    "problem_formula": (
        "这一格是公式，不是单号：请从抖店重新导出，或把公式换成原来的单号",
        "This cell is a formula, not a number: export it again from 抖店, or replace the formula by the original number",
    ),
    "problem_bad_id": (
        "不是抖店的单号格式（应当全是数字），请核对",
        "Not a 抖店 ID (it should be all digits): check it",
    ),
    "problem_bad_money": ("金额看不懂，应为数字，如 89.50", "Cannot read the amount: it should be a number like 89.50"),
    "problem_bad_time": (
        "时间看不懂，应为 2026-11-26 09:30:00 这样的格式",
        "Cannot read the time: it should look like 2026-11-26 09:30:00",
    ),
    "problem_no_aftersale_id": ("这一行没有售后单号，已跳过", "This row has no after-sale ID and was skipped"),
    "problem_unknown_courier_name": (
        "快递公司名称不认识，这些单号的快递将按单号规则判断",
        "Unknown courier name: the courier of these numbers is judged by their shape",
    ),
    "blocker_aftersale_id": ("售后单号无法使用：{problem}", "The after-sale ID cannot be used: {problem}"),
    "blocker_order_id": ("订单号无法使用：{problem}", "The order ID cannot be used: {problem}"),
    # --- settings
    "setting_sources": ("命令行选项、LANJIE_* 环境变量或 {path}", "command-line options, LANJIE_* variables or {path}"),
    "setting_sources_no_file": ("命令行选项、LANJIE_* 环境变量", "command-line options or LANJIE_* variables"),
    "setting_problem": ("{name}: {problem}", "{name}: {problem}"),
    "setting_bad_lang": (
        "提示语言只能是 zh（中文）或 en（英文），而不是「{value}」",
        'The language must be zh (Chinese) or en (English), not "{value}"',
    ),
    "setting_unknown_partners": (
        "不认识的快递：{names}；可用的有：{known}",
        "Unknown courier: {names}; known: {known}",
    ),
    "setting_bad_template": (
        "模板「{template}」有误（{error}），可用的占位符：{fields}",
        'The template "{template}" is wrong ({error}); placeholders available: {fields}',
    ),
    "setting_unknown_bucket": (
        "旗帜设置里的分类「{bucket}」不存在，可用：{known}",
        'There is no bucket "{bucket}" for a flag; buckets: {known}',
    ),
    "setting_unknown_colour": (
        "旗帜颜色「{colour}」不存在，可用：{known}",
        'There is no flag colour "{colour}"; colours: {known}',
    ),
    "setting_at_least": ("应不小于 {limit}", "must be at least {limit}"),
    "setting_at_most": ("应不大于 {limit}", "must be at most {limit}"),
    "setting_more_than": ("应大于 {limit}", "must be more than {limit}"),
    "setting_less_than": ("应小于 {limit}", "must be less than {limit}"),
    "setting_whole_number": ("应为整数", "must be a whole number"),
    "setting_number": ("应为数字", "must be a number"),
    "setting_text": ("应为文字", "must be text"),
    "setting_yes_no": ("应为 true 或 false", "must be true or false"),
    "setting_table": ("应为一组「名称 = 值」", "must be a table of name = value"),
    "setting_unknown": ("没有这项设置", "there is no such setting"),
    "setting_invalid": ("值不对（{detail}）", "invalid ({detail})"),
    # --- command-line usage: the parts of the sentences above
    "usage_argument": ("参数 {name}", "{name}"),
    "usage_option": ("选项 {name}", "{name}"),
    "usage_with_help": ("{what}（{help}）", "{what} ({help})"),
    "usage_should_be": ("应为{kind}", "should be a {kind}"),
    "usage_not_a": ("「{value}」不是{kind}", '"{value}" is not a {kind}'),
    "usage_type_number": ("数字", "number"),
    "usage_type_integer": ("整数", "whole number"),
    "usage_type_boolean": ("是/否", "yes/no value"),
    # --- command-line tables and lines
    "col_urgent": ("紧急", "Urgent"),
    "courier_unknown": ("未识别快递", "Unknown courier"),
    "problem_line": (
        "{file} 第 {row} 行 {field}「{value}」：{message}",
        '{file} row {row} {field} "{value}": {message}',
    ),
    "import_details": ("（{changes}）", " ({changes})"),
    "event_count": ("{event} {n}", "{event} {n}"),
    "sent_what_chase": ("催拦截", "to chase"),
    "sent_what_intercept": ("待拦截", "to intercept"),
    "remarks_none": ("没有要写的备注。", "No remarks to write."),
    "remarks_title": ("要写的备注（{n} 个订单）", "Remarks to write ({n} orders)"),
    "col_shop": ("店铺", "Shop"),
    "col_order_id": ("订单号", "Order"),
    "col_flag": ("旗帜", "Flag"),
    "col_remark": ("备注", "Remark"),
    "history_aftersale": ("{shop} 售后单 {aftersale_id}", "{shop} after-sale {aftersale_id}"),
    "history_details": (
        "订单 {order_id}  单号 {tracking_nos}  {state} / {logistics}",
        "order {order_id}  tracking {tracking_nos}  {state} / {logistics}",
    ),
    "no_logistics_state": ("无物流状态", "no logistics status"),
    "col_time": ("时间", "Time"),
    "col_operator": ("操作人", "Operator"),
    "col_event": ("事件", "Event"),
    "col_tracking_no": ("快递单号", "Tracking no."),
    "col_change": ("内容", "Change"),
    "col_requests": ("发出拦截", "Requested"),
    "col_succeeded": ("成功", "Succeeded"),
    "col_failed": ("失败", "Failed"),
    "col_pending": ("待定", "Pending"),
    "col_median_hours": ("退回中位小时", "Median hours to return"),
    "stats_per_day_title": ("每天的工作量（当天最后一次导入后）", "Work per day (after each day's last import)"),
    "col_date": ("日期", "Date"),
    "db_location": ("台账：{url}（{backend}）", "Ledger: {url} ({backend})"),
    "db_revision": ("结构版本：{revision}（最新 {head}）", "Schema version: {revision} (latest {head})"),
    "db_size": ("文件大小：{kb:.0f} KB", "File size: {kb:.0f} KB"),
    "password_prompt": ("密码：", "Password: "),
    "password_again": ("再输一次：", "Again: "),
    # --- the 抖店 Open Platform: what to do about each error (lanjie.clients.doudian)
    "doudian_error": (
        "抖店开放平台返回了错误，请把错误代码和 log_id 发给技术同事查看。",
        "The 抖店 Open Platform answered with an error: send the error code and the log_id to your technical colleague.",
    ),
    "doudian_unavailable": (
        "暂时连不上抖店开放平台（网络中断、超时或平台繁忙），请稍后再试。",
        "The 抖店 Open Platform cannot be reached for now (network down, timeout or platform busy): try again later.",
    ),
    "doudian_token_expired": (
        "店铺授权已过期，请在抖店后台重新授权本应用（或刷新授权）后再试。",
        "The shop's authorisation has expired: authorise this app again in the 抖店 back office (or refresh the authorisation) and try again.",
    ),
    "doudian_signature_invalid": (
        "签名校验失败：请核对设置中的 App Key、App Secret 与抖店开放平台一致，并确认本机时间准确。",
        "The signature was refused: check that the App Key and App Secret in the settings match the 抖店 Open Platform, and that this computer's clock is right.",
    ),
    "doudian_ip_not_whitelisted": (
        "本机的出口 IP 不在应用的 IP 白名单里：请在抖店开放平台的应用设置中把它加入白名单。",
        "This computer's outgoing IP address is not on the app's IP whitelist: add it in the app's settings on the 抖店 Open Platform.",
    ),
    "doudian_no_permission": (
        "本应用没有调用这个接口的权限，或店铺没有授权：请在抖店开放平台申请接口权限并让店铺重新授权。",
        "This app may not call this API, or the shop has not authorised it: apply for the API permission on the 抖店 Open Platform and have the shop authorise the app again.",
    ),
    "doudian_business_failed": (
        "抖店拒绝了这次操作，需要在抖店商家后台手动处理这笔售后。",
        "抖店 refused this operation: handle this after-sale by hand in the 抖店 back office.",
    ),
    "doudian_throttled": (
        "调用太频繁，被抖店限流了：请过几分钟再试。",
        "Too many calls: 抖店 is throttling this app. Try again in a few minutes.",
    ),
    "doudian_remark_too_long": (
        "订单备注最多 {limit} 个字，这条有 {length} 个字：请缩短后再写。",
        "An order remark takes at most {limit} characters and this one has {length}: shorten it and try again.",
    ),
    "doudian_list_window": (
        "抖店一次查询最多只能翻到前 {limit} 条售后单（这次共 {total} 条）：请把更新时间的范围分成几段再查。",
        "抖店 pages through at most {limit} after-sales in one query (this one has {total}): split the update-time range into shorter ones and query again.",
    ),
    # --- 快递100 and the chat-group robots (lanjie.clients.kuaidi100, lanjie.clients.robots)
    "kuaidi100_error": (
        "快递100 返回了错误，请把错误代码和信息发给技术同事查看。",
        "快递100 answered with an error: send its code and message to the technical staff.",
    ),
    "kuaidi100_unavailable": (
        "暂时连不上快递100（网络中断、超时或服务繁忙），请稍后再试。",
        "快递100 cannot be reached right now (network down, timeout or service busy): try again later.",
    ),
    "kuaidi100_intercept_uncertain": (
        "拦截请求已发出，但没有收到快递100的答复：拦截可能已经生效。请先等拦截结果回调或在快递100后台查看，不要马上重发（重发会再次扣费）。",
        "The interception request went out but 快递100 did not answer: it may have been carried out. Wait for the result callback or check in 快递100 before sending it again (a new request is charged again).",
    ),
    "kuaidi100_bad_signature": (
        "快递100 签名校验失败：请核对设置里的快递100 key、customer 和 secret 是否与快递100后台一致。",
        "快递100 refused the signature: check that the 快递100 key, customer and secret in the settings match its back office.",
    ),
    "kuaidi100_query_locked": (
        "这个单号查询太频繁，被快递100暂时锁定：同一单号至少间隔半小时再查。",
        "This number was queried too often and 快递100 has locked it for a while: query a number at most once every 30 minutes.",
    ),
    "kuaidi100_no_result": (
        "快递100 暂时查不到这个单号的物流信息（可能刚发货还没有揽收记录，或快递公司选错了），请隔段时间再查。",
        "快递100 has nothing for this number yet (just shipped and not picked up, or the wrong courier): query it again later.",
    ),
    "kuaidi100_bad_parameters": (
        "快递100 认为请求参数有误：快递公司编码或单号不对，请核对后再试。",
        "快递100 finds the request wrong: the courier code or the number is not right. Check them and try again.",
    ),
    "kuaidi100_phone_required": (
        "顺丰、中通的单号要带收件人或寄件人手机号的后四位才能查询，请填写正确的手机号后四位。",
        "顺丰 and 中通 numbers need the last 4 digits of the recipient's or sender's phone: give the right ones.",
    ),
    "kuaidi100_account": (
        "快递100 账号不可用：key 已过期或余额不足，请在快递100后台充值或续期。",
        "The 快递100 account cannot be used: the key has expired or there is no balance left. Top it up in 快递100.",
    ),
    "kuaidi100_intercept_refused": (
        "快递100 没有接受这次拦截（常见原因：包裹已签收或正在派送、快递公司不支持），请看错误信息，或改为在快递群里申请拦截。",
        "快递100 did not accept this interception (often: already signed or out for delivery, or the courier is not supported). Read the message, or ask in the courier's group instead.",
    ),
    "kuaidi100_callback_invalid": (
        "收到的拦截结果回调签名不对或内容不完整，已忽略。",
        "An interception-result callback had a wrong signature or unreadable content; it was ignored.",
    ),
    "robot_error": (
        "群机器人拒绝了这条消息，请把错误代码和信息发给技术同事查看。",
        "The group robot refused the message: send its code and message to the technical staff.",
    ),
    "robot_unavailable": (
        "暂时连不上群机器人（网络中断或超时），请稍后再发。",
        "The group robot cannot be reached right now (network down or timeout): send again later.",
    ),
    "robot_throttled": (
        "群机器人发消息太频繁被限流了：请过几分钟再发剩下的部分（钉钉超限后会限流 10 分钟）。",
        "The group robot is throttled for sending too often: send the remaining parts in a few minutes (钉钉 blocks for 10 minutes).",
    ),
    "robot_security": (
        "群机器人的安全设置拒绝了消息：请核对加签密钥、自定义关键词和 IP 白名单。",
        "The group robot's security settings refused the message: check the signing secret, the keywords and the IP whitelist.",
    ),
    "robot_too_long": (
        "消息超过了群机器人的长度上限，请把这个问题告诉技术同事。",
        "The message is longer than the group robot accepts: tell the technical staff.",
    ),
    "robot_webhook_invalid": (
        "群机器人的 Webhook 地址无效（机器人可能已被移出群）：请在群设置里复制新的地址。",
        "The group robot's webhook is not valid (the robot may have been removed): copy the new address from the group settings.",
    ),
    "robot_unknown_url": (
        "认不出这是哪种群机器人的地址（支持企业微信、钉钉、飞书）：请检查地址，或指定机器人类型。",
        "This is not a known group robot address (企业微信, 钉钉, 飞书 are supported): check it, or say which kind it is.",
    ),
    "robot_line_too_long": (
        "消息里有一行太长，单独一条也放不下，请检查消息内容。",
        "One line of the message is too long to fit even on its own: check the message.",
    ),
    "robot_sent_all": ("已发出全部 {parts} 部分。", "All {parts} parts were sent."),
    "robot_sent_partly": (
        "共 {parts} 部分，已发出 {sent} 部分，第 {failed} 部分发送失败：{reason}",
        "{sent} of {parts} parts were sent; part {failed} failed: {reason}",
    ),
}


def lang_of(value: str | None) -> Lang | None:
    """`zh`/`en` (or zh_CN, en-US, English, 中文 …) as a Lang; None when it is neither."""
    chosen = (value or "").strip().lower()
    if chosen.startswith("en"):
        return "en"
    if chosen.startswith(("zh", "cn", "chinese")) or chosen == "中文":
        return "zh"
    return None


class Phrase(str):
    """Words for a user that can be said in either language.

    As a `str` a phrase is its Chinese text: what the ledger stores, the web shows, tests
    compare, and what `lanjie` prints by default. `render(lang)` says it in the language asked.
    """

    __slots__ = ()

    def render(self, lang: Lang) -> str:
        return str(self)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is frozen")


def say(value: object, lang: Lang) -> object:
    """A message parameter in `lang`: phrases are rendered, anything else is left as it is."""
    return value.render(lang) if isinstance(value, Phrase) else value


class Text(Phrase):
    """A catalogue message with its parameters: `Text("problem_formula")`,
    `Text("reason_moving", raw="运输中")`. Parameters may be phrases themselves; they are
    said in the same language as the message. Frozen and hashable (as its Chinese text)."""

    key: str
    params: Mapping[str, object]  # not to be changed: the Chinese text was made from them

    def __new__(cls, key: str, /, **params: object) -> Text:
        # As lean as it can be: triage makes one for most after-sales of a 100,000-row export.
        self = str.__new__(cls, MESSAGES[key][0].format(**params))
        attributes = self.__dict__
        attributes["key"] = key
        attributes["params"] = params
        return self

    def render(self, lang: Lang) -> str:
        return str(self) if lang == "zh" else t(self.key, lang, **self.params)

    def __reduce__(self) -> tuple[Any, ...]:  # pickle and copy rebuild it from its key, not its text
        return _text, (self.key, dict(self.params))

    def __repr__(self) -> str:
        return f"Text({self.key!r}{''.join(f', {k}={v!r}' for k, v in self.params.items())})"


def _text(key: str, params: dict[str, object]) -> Text:
    return Text(key, **params)


class Listing(Phrase):
    """Several values in one phrase: `中通、韵达` in Chinese, `中通, 韵达` in English
    (`separator` names the catalogue entry that joins them)."""

    items: tuple[object, ...]
    separator: str

    def __new__(cls, items: Iterable[object], /, separator: str = "list_separator") -> Listing:
        values = tuple(items)
        self = str.__new__(cls, MESSAGES[separator][0].join(str(v) for v in values))
        attributes = self.__dict__
        attributes["items"] = values
        attributes["separator"] = separator
        return self

    def render(self, lang: Lang) -> str:
        if lang == "zh":
            return str(self)
        return t(self.separator, lang).join(str(say(v, lang)) for v in self.items)

    def __reduce__(self) -> tuple[Any, ...]:
        return Listing, (self.items, self.separator)


def t(key: str, lang: Lang = "zh", **params: object) -> str:
    """The message `key` in `lang`, its placeholders filled with `params`."""
    zh, en = MESSAGES[key]
    if lang == "zh":  # a phrase is its Chinese text already
        return zh.format(**params)
    return en.format(**{name: say(value, lang) for name, value in params.items()})


def translated(document: Any, lang: Lang) -> Any:
    """A JSON-like document (dicts, lists, tuples) with every phrase in it said in `lang`."""
    if lang == "zh":
        return document
    if isinstance(document, Phrase):
        return document.render(lang)
    if isinstance(document, dict):
        return {key: translated(value, lang) for key, value in document.items()}
    if isinstance(document, (list, tuple)):
        return [translated(value, lang) for value in document]
    return document
