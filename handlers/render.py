"""Resident-facing Chinese texts. Short, and always saying what happened or why not."""

from __future__ import annotations

from pydantic import BaseModel, Field

from bot.classifier import normalize
from bot.services.notify import CATEGORY_NAMES, STATUS_NAMES, SUBTYPE_NAMES, kind_label
from bot.settings import Settings
from models.ticket import Ticket

# The labels live with the ticket notifications (services must not import handlers); re-exported here.
__all__ = [
    "CATEGORY_NAMES",
    "HELP",
    "STATUS_NAMES",
    "SUBTYPE_NAMES",
    "emergency_advice",
    "kind_label",
    "ticket_merged",
    "ticket_opened",
]


ROLE_LABELS = {
    "building_leader": "楼栋长",
    "grid_member": "网格员",
    "grid_leader": "网格长",
    "admins": "社区",
    "on_duty": "值班人员",
    "team_lead": "服务队",
    "volunteer": "服务队",
    "admin": "社区",
}


def ticket_opened(ticket: Ticket, *, routed_to: str | None = None) -> str:
    """The group's answer to a new report: the number, the kind, and who is on it."""
    head = "【紧急】" if ticket.urgent else ""
    who = ROLE_LABELS.get((routed_to or "grid_member").partition(":")[0], "网格员")
    tail = "已同时通知网格员、网格长和值班人员。" if ticket.urgent else f"已通知{who}处理。"
    return f"{head}已登记工单 #{ticket.number}（{kind_label(ticket.category, ticket.subtype)}），{tail}"


def ticket_merged(ticket: Ticket) -> str:
    return f"已并入工单 #{ticket.number}（已有{ticket.report_count}人反映），正在处理中。"


class EmergencyConfig(BaseModel):
    """The ``emergency:`` section: the numbers to call, and the cues that pick them."""

    fire: str = "119"
    medical: str = "120"
    police: str = "110"
    gas_hotline: str = ""
    elevator_hotline: str = "96333"
    cues: dict[str, list[str]] = Field(default_factory=dict)


DEFAULT_CUES: dict[str, tuple[str, ...]] = {
    "gas": ("煤气", "燃气", "天然气", "液化气", "漏气", "气味"),
    "fire": ("着火", "起火", "失火", "火灾", "冒烟", "浓烟", "烟雾", "火苗", "烧起来", "打火花", "冒火花", "火花", "短路", "焦味", "烧焦"),
    "medical": (
        "晕倒", "昏倒", "昏迷", "摔倒", "跌倒", "倒地", "起不来", "不省人事", "受伤", "流血", "出血",
        "心脏", "呼吸", "抽搐", "急救", "救护车", "中风", "晕过去", "不动了", "没反应",
    ),
    "police": (
        "打架", "打人", "动手", "持刀", "拿刀", "砍人", "家暴", "抢劫", "小偷", "入室", "撬门", "偷",
        "走失", "失踪", "找不到", "不见了", "诈骗", "骗子", "跟踪", "砸",
    ),
    "trapped": ("困在电梯", "被困", "困住", "关在电梯", "卡在电梯", "电梯里出不来"),
}  # fmt: skip
_ADVICE = {
    "gas": "燃气泄漏：关闭阀门、开窗通风，不要开关电器、不要用明火，人员撤到室外。",
    "fire": "立即撤离，不要乘电梯；用湿毛巾捂住口鼻，低姿前进。",
    "medical": "不要随意搬动伤者，保持通话，请邻居协助并等候急救。",
    "police": "注意自身安全，远离危险，等候民警。",
    "trapped": "被困人员请保持冷静，按电梯警铃，不要扒门。",
}
_BY_CATEGORY = {"hazard": "fire", "security": "police", "service": "medical", "dispute": "police"}


def emergency_advice(ticket: Ticket, settings: Settings) -> str:
    """The numbers to call now and one line of advice, chosen from the message's cues and category."""
    config = EmergencyConfig.model_validate(settings.emergency or {})
    cues = {**DEFAULT_CUES, **{k: tuple(v) for k, v in config.cues.items()}}
    norm = normalize(ticket.text) + " " + " ".join(ticket.matched or [])
    kinds = [kind for kind, words in cues.items() if any(w in norm for w in words)]
    kinds = kinds or [_BY_CATEGORY.get(ticket.category, "police")]
    numbers: list[str] = []
    if "gas" in kinds and config.gas_hotline:
        numbers.append(f"燃气抢修 {config.gas_hotline}")
    if "fire" in kinds or "gas" in kinds or "trapped" in kinds:
        numbers.append(f"{config.fire}（火警/救援）")
    if "trapped" in kinds and config.elevator_hotline:
        numbers.append(f"电梯困人 {config.elevator_hotline}")
    if "medical" in kinds:
        numbers.append(f"{config.medical}（急救）")
    if "police" in kinds:
        numbers.append(f"{config.police}（报警）")
    advice = " ".join(_ADVICE[k] for k in kinds[:2] if k in _ADVICE)
    return f"请立即拨打：{'、'.join(dict.fromkeys(numbers))}。{advice}".strip()


def usage(verb: str) -> str:
    """A one-line usage hint for a ticket command given without a ticket number."""
    examples = {
        "接单": "接单 #12",
        "签收": "接单 #12",
        "进展": "进展 #12 已联系物业",
        "办结": "办结 #12 已修好",
        "退回": "退回 #12 不属于本网格",
        "退单": "退回 #12 不属于本网格",
        "转派": "转派 #12 家庭维修队",
        "查询": "查询 #12",
        "满意": "满意 #12",
        "不满意": "不满意 #12 还没修好",
    }
    return f"请写明工单号，如：{examples.get(verb, verb + ' #12')}"


def status_line(ticket: Ticket, *, detailed: bool) -> str:
    """One line of a ticket list; private categories show only the number and state unless ``detailed``."""
    state = STATUS_NAMES.get(ticket.status, ticket.status)
    urgent = "【紧急】" if ticket.urgent else ""
    if not detailed:
        return f"#{ticket.number} {urgent}{state}"
    return f"#{ticket.number} {urgent}{kind_label(ticket.category, ticket.subtype)} {state}"


HELP = (
    "微网格助手使用说明：\n"
    "· 直接在群里描述问题（如“3栋楼道有人拉飞线充电”），我会登记工单并通知网格员。\n"
    "· 查询 #工单号：查看处理进度\n"
    "· 我的工单：查看我提交或负责的工单\n"
    "· 满意 #工单号 / 不满意 #工单号 原因：评价处理结果\n"
    "工作人员：接单 #N、进展 #N 说明、办结 #N 说明、退回 #N 原因、转派 #N 对象（人员或服务队）\n"
    "（工单号可写 #12、12号工单或工单12；群里和私聊应用都可以用）\n"
    "紧急情况请直接拨打 119（火警）、120（急救）、110（报警）。"
)
