"""The account a verified single sign-on identity signs in to: found by its subject at the
provider, else by its e-mail, else made just in time; its name, department, role and BRM
coverage kept as the provider says while it manages them (OIDC_MANAGE_ROLES). One person,
one account: never a second one for the same subject or e-mail. The caller commits.

A leader's departments are not a claim: they are the departments an administrator made them
lead, and those whose leader on file (`Department.leader_email`) is the person's e-mail and
which have no leader account yet, so a leader named on a department finds it on their first
sign-in. Someone the provider no longer makes a leader leads nothing (the name and e-mail
stay on the department, and link them again if they become a leader again)."""

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from portal.admin.service import lead_departments
from portal.audit import record
from portal.auth.sso import Identity, SsoError, SsoSettings, role_for
from portal.extensions import db
from portal.models import Department, Role, User, utcnow


def _departments_by_name() -> dict[str, Department]:
    # Few departments; compared in Python so that case folding is the same on every database.
    departments = db.session.scalars(sa.select(Department).options(selectinload(Department.leader)))
    return {d.name.casefold(): d for d in departments}


def _profile(user: User) -> dict:
    return {
        "name": user.name,
        "role": user.role.value,
        "department": user.department.name if user.department else None,
        "covered": [d.name for d in user.covered_departments],
        "leads": [d.name for d in user.led_departments],
    }


def _coverage(identity: Identity, role: Role, department: Department | None, known) -> list:
    """A BRM covers the departments of the covers claim, or their own when it is absent."""
    if role != Role.BRM:
        return []
    if identity.covers is None:
        return [department] if department is not None else []
    found = {known[n.casefold()] for n in identity.covers if n.casefold() in known}
    return sorted(found, key=lambda d: d.name)


def _leadership(user: User, known) -> list[Department]:
    """The departments `user` leads after this sign-in: none unless a leader; else those
    they lead and those waiting for them by e-mail."""
    if user.role != Role.LEADER:
        return []
    waiting = [
        d
        for d in known.values()
        if d.leader is None and (d.leader_email or "").strip().lower() == user.email
    ]
    return sorted({*user.led_departments, *waiting}, key=lambda d: d.name)


def _account_for(identity: Identity, provider: str) -> User | None:
    user = db.session.scalar(
        sa.select(User).where(
            User.sso_issuer == identity.issuer, User.sso_subject == identity.subject
        )
    )
    if user is not None:
        return user
    user = db.session.scalar(sa.select(User).where(User.email == identity.email))
    if user is not None and user.sso_subject is not None:
        # The e-mail's account already belongs to another identity: never a second account,
        # never someone else's.
        raise SsoError(
            f"The account for {identity.email} is linked to another identity at {provider}. "
            "Ask an administrator.",
            409,
            reason="e-mail already linked to another subject",
            email=identity.email,
            subject=identity.subject,
        )
    return user


def sign_in_identity(identity: Identity, settings: SsoSettings) -> User:
    """The active account for `identity`, provisioned or updated from its claims."""
    known = _departments_by_name()
    department = known.get((identity.department or "").casefold())
    role = role_for(identity.groups)
    user = _account_for(identity, settings.provider_name)
    # Every refusal comes before the first change: the caller audits it and commits.
    if user is not None and not user.active:
        raise SsoError(
            "This account has been deactivated. Ask an administrator.",
            403,
            reason="account deactivated",
            email=identity.email,
            subject=identity.subject,
        )
    if user is None:
        if department is None:
            raise SsoError(
                f"{settings.provider_name} did not name a department Converge knows "
                f"({identity.department or 'none given'}), so no account could be made. "
                "Ask an administrator to add it.",
                403,
                reason=f"unknown department: {identity.department!r:.120}",
                email=identity.email,
                subject=identity.subject,
            )
        user = User(
            email=identity.email,
            name=identity.name,
            password_hash="",  # no password: this account signs in with single sign-on
            role=role,
            department=department,
            sso_issuer=identity.issuer,
            sso_subject=identity.subject,
        )
        user.covered_departments = _coverage(identity, role, department, known)
        db.session.add(user)
        db.session.flush()
        lead_departments(user, _leadership(user, known))
        record(None, "user_provisioned", user, after={**_profile(user), "via": "sso"})
    else:
        before = _profile(user)
        if user.sso_subject is None:
            user.sso_issuer, user.sso_subject = identity.issuer, identity.subject
            record(None, "sso_linked", user, after={"issuer": identity.issuer})
        if settings.manages_roles:
            user.name = identity.name
            user.role = role
            user.department = department or user.department
            user.covered_departments = _coverage(identity, role, user.department, known)
            lead_departments(user, _leadership(user, known))
        after = _profile(user)
        if before != after:
            record(None, "user_updated_by_idp", user, before=before, after=after)
    user.email_confirmed = True  # the provider verified the address
    if not user.session_key:
        user.end_sessions()
    user.last_login_at = utcnow()
    return user
