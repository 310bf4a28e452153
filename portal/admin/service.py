"""Operations on users and departments that only an administrator performs."""

import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from portal.audit import record
from portal.errors import PortalError
from portal.extensions import db
from portal.models import Department, Idea, Role, User, utcnow
from portal.templating import plural


class AdminError(PortalError):
    """The change would break an administration rule; the message says which."""

    status_code = 409


# (id, name) columns, built once: loading whole departments for a form's choices cost
# more than the query.
_DEPARTMENT_CHOICES = sa.select(Department.id, Department.name).order_by(Department.name)


def department_choices() -> list[tuple[int, str]]:
    return [tuple(row) for row in db.session.execute(_DEPARTMENT_CHOICES)]


def departments_with_idea_counts() -> list[tuple[Department, int]]:
    """Every department by name, with the ideas submitted to it: drafts are their authors'
    own and not counted, as the department's review page counts (`workflow.SUBMITTED_ONCE`)."""
    # portal.workflow imports the feature packages, which import this one: imported here.
    from portal import workflow

    query = (
        sa.select(Department, sa.func.count(Idea.id))
        .outerjoin(
            Idea,
            sa.and_(
                Idea.department_id == Department.id,
                Idea.status.in_(workflow.SUBMITTED_ONCE),
            ),
        )
        .group_by(Department.id)
        .order_by(Department.name)
    )
    return [tuple(row) for row in db.session.execute(query)]


def brm_choices() -> list[tuple[int, str]]:
    query = sa.select(User).where(User.role == Role.BRM, User.active).order_by(User.name)
    return [(u.id, f"{u.name} ({u.email})") for u in db.session.scalars(query)]


def _active(role: Role) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(User.id)).where(User.role == role, User.active)
    )


# Roles the portal cannot be without: nobody else can do what they do (an administrator
# manages accounts; a portfolio manager runs and adopts plans and manages objectives).
INDISPENSABLE = {
    Role.ADMIN: "The portal needs at least one active administrator.",
    Role.PORTFOLIO_MANAGER: (
        "The portal needs at least one active portfolio manager: make someone else one first."
    ),
}


@dataclass
class Invitation:
    """An invited account, and its link when the portal could not e-mail it: the inviter
    passes the link on (it is shown once and stored nowhere)."""

    user: User
    link: str | None


def invite_user(
    actor: User,
    *,
    email: str,
    name: str,
    role: Role,
    department: Department,
    covered: list[Department],
    leads: list[Department] | None = None,
) -> Invitation:
    """Create an account and invite its owner to choose a password (caller commits): the
    link is e-mailed, or returned when the portal cannot send e-mail. Until then the account
    has a random password nobody knows."""
    # portal.auth.routes imports this module (for department choices): imported here.
    from portal.auth import service as auth

    leads = list(leads or [])
    _check_assignments(role, covered, leads)
    user = auth.create_user(
        email=email,
        name=name,
        password=secrets.token_urlsafe(32),
        department=department,
        role=role,
    )
    user.covered_departments = covered
    user.email_confirmed = False  # until the invitation's link is followed
    user.invited_at = utcnow()
    db.session.flush()
    lead_departments(user, leads)
    record(
        actor,
        "user_invited",
        user,
        after={
            "role": role.value,
            "department": department.name,
            "covered": [d.name for d in covered],
            "leads": sorted(d.name for d in leads),
        },
    )
    return Invitation(user, auth.send_invitation(user, actor))


def renew_invitation(actor: User, user: User) -> Invitation:
    """A new invitation for someone who has not chosen a password yet (caller commits): a
    new random password makes every earlier link stop working (a link is bound to the
    password it was made with); the new link is e-mailed or returned like the first."""
    from portal.auth import service as auth

    if not user.awaits_password:
        raise AdminError(
            f"{user.name} already chose a password; they can ask for a reset on the sign-in "
            "page if they forgot it."
        )
    if not user.active:
        raise AdminError(f"{user.name} is deactivated: activate the account first.")
    user.set_password(secrets.token_urlsafe(32))
    user.end_sessions()
    user.invited_at = utcnow()
    record(actor, "invitation_renewed", user)
    return Invitation(user, auth.send_invitation(user, actor))


def update_user(
    actor: User,
    user: User,
    *,
    name: str,
    role: Role,
    department: Department,
    active: bool,
    covered: list[Department],
    leads: list[Department] | None = None,
) -> list[str]:
    """Change a user's profile, role, coverage and the departments they lead (a department
    has one leader account: leading it takes it from its previous leader); keeps at least
    one active administrator and portfolio manager (`INDISPENSABLE`). Returns what else
    changed, for the administrator to read: a department that changed leader, departments
    left without an active BRM."""
    leads = list(leads or [])
    losing = user.active and (role != user.role or not active)
    if losing and user.role in INDISPENSABLE and _active(user.role) <= 1:
        raise AdminError(INDISPENSABLE[user.role], field="role")
    _check_assignments(role, covered, leads)
    was_covered = [d for d in user.covered_departments if user.active]
    taken = [(d, d.leader) for d in leads if d.leader is not None and d.leader is not user]
    before = {
        "role": user.role.value,
        "department": user.department.name,
        "active": user.active,
        "covered": [d.name for d in user.covered_departments],
        "leads": [d.name for d in user.led_departments],
    }
    user.name = name.strip()
    user.role = role
    user.department = department
    if user.active and not active:
        user.end_sessions()
    user.active = active
    user.covered_departments = covered
    lead_departments(user, leads)
    after = {
        "role": role.value,
        "department": department.name,
        "active": active,
        "covered": [d.name for d in covered],
        "leads": sorted(d.name for d in leads),
    }
    if before != after:
        record(actor, "user_updated", user, before=before, after=after)
    said = [f"{d.name} was led by {old.name}; {user.name} leads it now." for d, old in taken]
    uncovered = [d.name for d in was_covered if not any(b.active for b in d.brms)]
    if uncovered:
        said.append(
            f"{plural(len(uncovered), 'department')} ({', '.join(uncovered)}) "
            f"{'has' if len(uncovered) == 1 else 'have'} no active BRM now: "
            "their ideas wait for a reviewer until someone covers them."
        )
    return said


def _check_assignments(role: Role, covered: list[Department], leads: list[Department]) -> None:
    """Only BRMs cover departments; only department leaders lead them."""
    if role != Role.BRM and covered:
        raise AdminError("Only BRMs cover departments.", field="covered")
    if role != Role.LEADER and leads:
        raise AdminError(
            "Only department leaders lead departments: choose the leader role, or no department.",
            field="leads",
        )


def lead_departments(user: User, leads: list[Department]) -> None:
    """Make `user` the leader account of exactly `leads`; the name and e-mail kept on each
    department follow the account."""
    for department in list(user.led_departments):
        if department not in leads:
            department.leader = None
    db.session.flush()  # the old links go before the new ones take their departments
    for department in leads:
        department.leader = user
        department.leader_name = user.name
        department.leader_email = user.email


def save_department(
    actor: User,
    department: Department | None,
    *,
    name: str,
    leader_name: str | None,
    leader_email: str | None,
    brms: list[User],
) -> Department:
    """Create or update a department and the BRMs who cover it."""
    name = name.strip()
    clash = db.session.scalar(
        sa.select(Department.id).where(sa.func.lower(Department.name) == name.lower())
    )
    if clash is not None and (department is None or clash != department.id):
        raise AdminError("A department with this name already exists.", field="name")
    if any(u.role != Role.BRM for u in brms):
        raise AdminError("Only users with the BRM role can cover a department.", field="brms")
    created = department is None
    if created:
        department = Department()
        db.session.add(department)
    department.name = name
    department.leader_name = (leader_name or "").strip() or None
    department.leader_email = (leader_email or "").strip().lower() or None
    department.brms = brms
    record(
        actor,
        "department_created" if created else "department_updated",
        department,
        after={"name": name, "brms": [u.email for u in brms]},
    )
    return department
