"""Account operations: create users, authenticate."""

import sqlalchemy as sa

from portal.errors import PortalError
from portal.extensions import db
from portal.models import Department, Role, User, utcnow

# How long a password must be: long enough to resist guessing, short enough to hash quickly.
PASSWORD_MIN = 10
PASSWORD_MAX = 128


class AccountError(PortalError):
    """The account cannot be created or used as asked; the message says why."""

    status_code = 409


def normalize_email(email: str) -> str:
    return email.strip().lower()


def check_password(password: str) -> None:
    """Refuse (AccountError on `password`) a password outside the allowed length."""
    if len(password or "") < PASSWORD_MIN:
        raise AccountError(
            f"The password needs at least {PASSWORD_MIN} characters.", field="password"
        )
    if len(password) > PASSWORD_MAX:
        raise AccountError(
            f"The password may have at most {PASSWORD_MAX} characters.", field="password"
        )


def create_user(
    *, email: str, name: str, password: str, department: Department, role: Role = Role.EMPLOYEE
) -> User:
    """Add a user (caller commits); refuses an e-mail already registered or a password
    outside the allowed length."""
    email = normalize_email(email)
    if db.session.scalar(sa.select(User.id).where(User.email == email)) is not None:
        raise AccountError("An account with this e-mail already exists.", field="email")
    check_password(password)
    user = User(email=email, name=name.strip(), role=role, department=department)
    user.set_password(password)
    db.session.add(user)
    return user


def authenticate(email: str, password: str) -> User:
    """The user with these credentials, or AccountError with a message safe to show."""
    user = db.session.scalar(sa.select(User).where(User.email == normalize_email(email)))
    if user is None or not user.check_password(password):
        raise AccountError("Wrong e-mail or password.", 401)
    if not user.active:
        raise AccountError("This account has been deactivated. Ask an administrator.", 401)
    user.last_login_at = utcnow()
    return user
