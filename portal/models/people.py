"""People and organisation: users, roles, departments, BRM coverage, leaders, API tokens."""

import enum
import hmac
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from portal.extensions import db
from portal.models.base import enum_type, utcnow


class Role(enum.StrEnum):
    EMPLOYEE = "employee"
    BRM = "brm"
    PORTFOLIO_MANAGER = "portfolio_manager"
    ADMIN = "admin"
    LEADER = "leader"

    @property
    def label(self) -> str:
        return {
            "employee": "Employee",
            "brm": "Business relationship manager",
            "portfolio_manager": "Portfolio manager",
            "admin": "Administrator",
            "leader": "Department leader",
        }[self.value]


# The roles by authority, lowest first, defined once: when a person's groups at the identity
# provider map to several roles (OIDC_ROLE_MAP), the highest wins. Every Role must be here
# (a test checks); a name here that Role does not define is simply never used.
ROLE_AUTHORITY = ("employee", "leader", "brm", "portfolio_manager", "admin")


def role_rank(role: Role) -> int:
    """The role's authority: its place in ROLE_AUTHORITY."""
    return ROLE_AUTHORITY.index(role.value)


department_brms = sa.Table(
    "department_brms",
    db.metadata,
    sa.Column(
        "department_id", sa.ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

# A department's leader as a user: at most one account per department (the primary key);
# one leader may lead several departments. The name and e-mail on the department stay for
# leaders without an account.
department_leaders = sa.Table(
    "department_leaders",
    db.metadata,
    sa.Column(
        "department_id", sa.ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False, index=True),
)


class Department(db.Model):
    __tablename__ = "departments"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    leader_name: Mapped[str | None] = mapped_column(sa.String(120))
    leader_email: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    brms: Mapped[list["User"]] = relationship(
        secondary=department_brms, back_populates="covered_departments", order_by="User.name"
    )
    members: Mapped[list["User"]] = relationship(
        back_populates="department", foreign_keys="User.department_id", viewonly=True
    )
    leader: Mapped["User | None"] = relationship(
        secondary=department_leaders, back_populates="led_departments"
    )

    @property
    def leader_label(self) -> str | None:
        """The leader's name: their account's when linked, else the name kept on file."""
        return self.leader.name if self.leader is not None else self.leader_name

    @property
    def leader_address(self) -> str | None:
        return self.leader.email if self.leader is not None else self.leader_email

    def __repr__(self) -> str:
        return f"<Department {self.name}>"


def new_session_key() -> str:
    """A fresh random key: every session and remember-me cookie made with the old one ends."""
    return secrets.token_urlsafe(24)


class NoticeKind(enum.StrEnum):
    """What a notification is about, for the e-mail preferences (the inbox gets them all)."""

    MY_IDEAS = "my_ideas"
    FOLLOWING = "following"
    QUEUE = "queue"
    CAMPAIGNS = "campaigns"

    @property
    def label(self) -> str:
        return {
            "my_ideas": "My ideas",
            "following": "Ideas I follow",
            "queue": "My review queue and plans",
            "campaigns": "Campaigns",
        }[self.value]

    @property
    def description(self) -> str:
        return {
            "my_ideas": "Changes to ideas you submitted, plan outcomes, unanswered questions.",
            "following": "Changes to ideas you follow and their plan outcomes.",
            "queue": "Reviews waiting for you, overdue reviews, merges and assignments.",
            "campaigns": "A campaign asking your department opened or closes soon; a "
            "campaign you took part in is decided.",
        }[self.value]


class Frequency(enum.StrEnum):
    """How often a kind of notification is e-mailed."""

    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"
    OFF = "off"

    @property
    def label(self) -> str:
        return {
            "immediate": "Each one at once",
            "daily": "Daily digest",
            "weekly": "Weekly digest",
            "off": "No e-mail (inbox only)",
        }[self.value]


DEFAULT_FREQUENCY = {
    NoticeKind.MY_IDEAS: Frequency.IMMEDIATE,
    NoticeKind.FOLLOWING: Frequency.WEEKLY,
    NoticeKind.QUEUE: Frequency.IMMEDIATE,
    NoticeKind.CAMPAIGNS: Frequency.IMMEDIATE,
}
"""E-mail for each kind until a person chooses otherwise on the account page."""


class User(UserMixin, db.Model):
    __tablename__ = "users"
    # One account per identity at an identity provider (single sign-on).
    __table_args__ = (sa.UniqueConstraint("sso_issuer", "sso_subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(256))
    role: Mapped[Role] = mapped_column(enum_type(Role), default=Role.EMPLOYEE, index=True)
    department_id: Mapped[int] = mapped_column(sa.ForeignKey("departments.id"), index=True)
    active: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # False from a sign-up until its e-mailed link is followed (when e-mail is configured).
    email_confirmed: Mapped[bool] = mapped_column(default=True, server_default=sa.true())
    # When an administrator last invited the person to choose a password (made the account
    # or renewed the link); None for accounts made any other way.
    invited_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # When the inbox was last opened (recorded by a POST from the inbox page): the badge
    # counts unread notifications that came after it.
    inbox_seen_at: Mapped[datetime | None]
    # Part of every session and remember-me cookie (see get_id); "" until the first sign-in
    # after the column was added, which means no cookie is valid.
    session_key: Mapped[str] = mapped_column(
        sa.String(64), default=new_session_key, server_default=""
    )
    # The person's identity at the OpenID provider (issuer and subject) once they signed in
    # with single sign-on; None for accounts that only ever used a password.
    sso_issuer: Mapped[str | None] = mapped_column(sa.String(255))
    sso_subject: Mapped[str | None] = mapped_column(sa.String(255))
    # {kind: frequency} for the kinds a person changed; the rest follow DEFAULT_FREQUENCY.
    notice_preferences: Mapped[dict | None] = mapped_column(sa.JSON)

    department: Mapped[Department] = relationship(
        back_populates="members", foreign_keys=[department_id]
    )
    covered_departments: Mapped[list[Department]] = relationship(
        secondary=department_brms, back_populates="brms", order_by=Department.name
    )
    led_departments: Mapped[list[Department]] = relationship(
        secondary=department_leaders, back_populates="leader", order_by=Department.name
    )

    # Unread notifications, for the navigation bar: counted with the user when a session
    # loads them (portal/auth/login.py), not by a query of its own.
    unread_count = 0
    # The ids of the departments a BRM covers, read with the user when a session loads them
    # (portal/auth/login.py); None: not read, `covers` asks `covered_departments`.
    covered_ids = None  # frozenset[int] once read

    def frequency(self, kind: "NoticeKind | str") -> Frequency:
        """How this person wants e-mail about `kind`."""
        kind = NoticeKind(kind)
        chosen = (self.notice_preferences or {}).get(kind.value)
        return (
            Frequency(chosen)
            if chosen in Frequency._value2member_map_
            else (DEFAULT_FREQUENCY[kind])
        )

    def get_id(self) -> str:
        """What Flask-Login keeps in the session and the remember-me cookie: the id and the
        session key, so a new key (sign-out, password change…) ends every copy at once."""
        return f"{self.id}:{self.session_key}"

    def holds_session(self, key: str) -> bool:
        """Whether a cookie's session key is this user's current one."""
        current = self.session_key.encode()
        return bool(current) and hmac.compare_digest(current, key.encode())

    def end_sessions(self) -> None:
        """End every session and remember-me cookie of this user (caller commits)."""
        self.session_key = new_session_key()
        if self.id is not None:
            db.session.execute(sa.delete(SignIn).where(SignIn.user_id == self.id))

    @property
    def awaits_password(self) -> bool:
        """Invited by an administrator and no password chosen yet: cannot sign in until the
        invitation's link is followed (it confirms the address)."""
        return self.invited_at is not None and not self.email_confirmed

    def set_password(self, password: str) -> None:
        self.password_hash = generate_password_hash(password)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive users
        return self.active

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    @property
    def is_reviewer(self) -> bool:
        """BRMs and portfolio managers read the review side of the portal."""
        return self.role in (Role.BRM, Role.PORTFOLIO_MANAGER)

    def covers(self, department_id: int) -> bool:
        """Whether this user may review ideas of the department."""
        if self.role == Role.PORTFOLIO_MANAGER:
            return True
        if self.role == Role.BRM:
            if self.covered_ids is not None:
                return department_id in self.covered_ids
            return any(d.id == department_id for d in self.covered_departments)
        return False

    def leads(self, department_id: int) -> bool:
        """Whether this user is a department leader leading the department."""
        return self.role == Role.LEADER and any(d.id == department_id for d in self.led_departments)

    def __repr__(self) -> str:
        return f"<User {self.email} {self.role.value}>"


class ApiToken(db.Model):
    """A personal API token; only its hash is stored, the secret is shown once."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    prefix: Mapped[str] = mapped_column(sa.String(12))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # None only for tokens made before tokens expired; new ones always get a date.
    expires_at: Mapped[datetime | None]
    read_only: Mapped[bool] = mapped_column(default=False, server_default=sa.false())

    user: Mapped[User] = relationship()

    def expired(self, now: datetime) -> bool:
        return self.expires_at is not None and self.expires_at <= now


class SignIn(db.Model):
    """One device's sign-in: its session cookie names this row, and its remember-me cookie
    ("<id>.<secret>") matches `remember_hash`. Deleting the row signs that device out.

    The secret before the last rotation stays known (`previous_hash`, `rotated_at`): shown
    again later it can only be a stolen copy racing its owner, and the sign-in is ended."""

    __tablename__ = "sign_ins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The session, and the remember-me cookie, stop working then (moved on with each rotation).
    expires_at: Mapped[datetime]
    # SHA-256 (hex) of the current remember-me secret; None without "remember me".
    remember_hash: Mapped[str | None] = mapped_column(sa.String(64))
    # SHA-256 (hex) of the secret the last rotation replaced, and when it did.
    previous_hash: Mapped[str | None] = mapped_column(sa.String(64))
    rotated_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
