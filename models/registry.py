"""The group registry: community (社区) → grid (网格) → building (楼栋) → group (楼栋群), and people.

Groups are keyed by the platform's chat/room id, never by name, so a rename changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, utcnow


class Role(StrEnum):
    """What a person is in the grid model."""

    RESIDENT = "resident"
    BUILDING_LEADER = "building_leader"  # 楼栋长
    GRID_MEMBER = "grid_member"  # 网格员
    GRID_LEADER = "grid_leader"  # 网格长
    ADMIN = "admin"  # community staff
    VOLUNTEER = "volunteer"  # a member of one of the five teams


class Channel(StrEnum):
    WECOM = "wecom"  # WeCom app callback / appchat
    WECOM_BOT = "wecom_bot"  # WeCom intelligent robot
    BRIDGE = "bridge"  # relay for ordinary WeChat groups
    LOCAL = "local"  # development / demo


class Community(Base):
    """社区: the top of the registry."""

    __tablename__ = "communities"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    grids: Mapped[list[Grid]] = relationship(back_populates="community")


class Grid(Base):
    """网格: a grid member's patch, a handful of buildings."""

    __tablename__ = "grids"
    __table_args__ = (UniqueConstraint("community_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    community: Mapped[Community] = relationship(back_populates="grids")
    buildings: Mapped[list[Building]] = relationship(back_populates="grid")


class Building(Base):
    """楼栋."""

    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("grid_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(ForeignKey("grids.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    grid: Mapped[Grid] = relationship(back_populates="buildings")


class Group(Base):
    """楼栋群: one chat per building, keyed by the platform chat/room id."""

    __tablename__ = "groups"
    group_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    channel: Mapped[str] = mapped_column(String(16), default=Channel.LOCAL.value)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"), index=True)
    leader_id: Mapped[str | None] = mapped_column(String(64))
    grid_member_id: Mapped[str | None] = mapped_column(String(64))
    robot_key: Mapped[str | None] = mapped_column(String(128))
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    registered: Mapped[bool] = mapped_column(default=True, index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime | None]
    building: Mapped[Building | None] = relationship()


class Team(Base):
    """One of the five volunteer teams (环境卫生, 医疗保健, 法律服务, 家庭维修, 帮扶救助)."""

    __tablename__ = "teams"
    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    lead_id: Mapped[str | None] = mapped_column(String(64))


class Person(Base):
    """A resident, leader, grid member, admin or volunteer. ``person_id`` is the roster's id."""

    __tablename__ = "people"
    person_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    role: Mapped[str] = mapped_column(String(32), default=Role.RESIDENT.value, index=True)
    grid_id: Mapped[int | None] = mapped_column(ForeignKey("grids.id"), index=True)
    team: Mapped[str | None] = mapped_column(String(32))
    phone: Mapped[str | None] = mapped_column(String(32))
    group_id: Mapped[str | None] = mapped_column(String(128))
    on_duty: Mapped[bool] = mapped_column(default=False)
    active: Mapped[bool] = mapped_column(default=True)
    accounts: Mapped[list[PersonAccount]] = relationship(
        back_populates="person", cascade="all, delete-orphan"
    )


class PersonAccount(Base):
    """A person's user id on one channel (WeCom userid, wxid, ...)."""

    __tablename__ = "person_accounts"
    __table_args__ = (UniqueConstraint("channel", "user_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("people.person_id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(128))
    person: Mapped[Person] = relationship(back_populates="accounts")


def group_summary(group: Group) -> dict[str, Any]:
    """A small JSON-able view of a group."""
    return {
        "group_id": group.group_id,
        "name": group.name,
        "channel": group.channel,
        "registered": group.registered,
        "tags": list(group.tags or []),
    }
