"""Resident-facing Chinese texts. Short, and always saying what happened or why not."""

from __future__ import annotations

from models.ticket import Ticket

CATEGORY_NAMES = {
    "dispute": "矛盾纠纷",
    "hazard": "安全隐患",
    "security": "治安警情",
    "service": "服务请求",
    "none": "其他",
}
SUBTYPE_NAMES = {
    "sanitation": "环境卫生",
    "health": "医疗保健",
    "legal": "法律服务",
    "repair": "家庭维修",
    "assistance": "帮扶救助",
}
STATUS_NAMES = {
    "new": "已受理",
    "assigned": "已分拨",
    "accepted": "已签收",
    "in_progress": "处置中",
    "resolved": "已办结",
    "closed": "已归档",
    "returned": "已退回",
    "reopened": "重办中",
    "merged": "已合并",
    "duplicate": "重复",
}


def kind_label(category: str, subtype: str | None) -> str:
    """ "服务请求·家庭维修" or "安全隐患"."""
    label = CATEGORY_NAMES.get(category, category)
    if subtype:
        label += "·" + SUBTYPE_NAMES.get(subtype, subtype)
    return label


def ticket_opened(ticket: Ticket) -> str:
    head = "【紧急】" if ticket.urgent else ""
    return f"{head}已登记工单 #{ticket.number}（{kind_label(ticket.category, ticket.subtype)}），网格员会尽快处理。"


HELP = (
    "微网格助手使用说明：\n"
    "· 直接在群里描述问题（如“3栋楼道有人拉飞线充电”），我会登记工单并通知网格员。\n"
    "· 查询 #工单号：查看处理进度\n"
    "· 我的工单：查看我提交或负责的工单\n"
    "· 满意 #工单号 / 不满意 #工单号 原因：评价处理结果\n"
    "工作人员：接单 #N、进展 #N 说明、办结 #N 说明、退回 #N 原因、转派 #N 对象\n"
    "紧急情况请直接拨打 119（火警）、120（急救）、110（报警）。"
)
