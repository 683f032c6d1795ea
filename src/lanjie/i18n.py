"""User-facing messages in Chinese (default) and English (`--lang en` / LANJIE_LANG=en)."""

from __future__ import annotations

from typing import Any, Literal

Lang = Literal["zh", "en"]

MESSAGES: dict[str, tuple[str, str]] = {
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
    "file_no_rows": (
        "{path} 里没有任何数据行。请确认导出时选择了要处理的售后单。",
        "{path} has no data rows. Check the export's filters.",
    ),
    "unknown_encoding": (
        "不认识的编码：{encoding}。常用的是 utf-8、gbk、gb18030。",
        "Unknown encoding: {encoding}. Common ones: utf-8, gbk, gb18030.",
    ),
    "wrong_encoding": (
        "{path} 不是 {encoding} 编码。去掉 --encoding 让 lanjie 自动识别，或换成 gbk / utf-8。",
        "{path} is not {encoding}. Drop --encoding to detect it, or try gbk / utf-8.",
    ),
    "undecodable": (
        "无法识别 {path} 的文字编码。请用 --encoding gbk 或 --encoding utf-8 指定。",
        "Cannot tell the text encoding of {path}. Pass --encoding gbk or --encoding utf-8.",
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
        'Nothing in the ledger for "{key}": give an after-sale ID, order ID or tracking number that was imported.',
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
    "aftersale_not_found": ("台账里没有这个售后单：{what}", "No such after-sale in the ledger: {what}"),
    "nothing_selected": ("没有选中任何单号。", "Nothing was selected."),
    "serving": (
        "lanjie 工作台（{mode}）：{url}　按 Ctrl+C 停止。",
        "lanjie workbench ({mode}): {url}  Ctrl+C stops it.",
    ),
    "local_mode": ("只有本机可用", "this computer only"),
    "team_mode": ("团队模式，需要登录", "team mode, login required"),
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
}


def t(key: str, lang: Lang = "zh", **params: Any) -> str:
    zh, en = MESSAGES[key]
    return (en if lang == "en" else zh).format(**params)
