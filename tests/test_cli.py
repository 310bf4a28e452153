"""The `flask` commands (`create-user` in detail) and the configuration read from the
environment."""

import pytest
import sqlalchemy as sa

from portal import create_app
from portal.config import ConfigError, normalize_database_url
from portal.extensions import db
from portal.models import Role, User

COMMANDS = {
    "seed-demo": ["--if-empty"],
    "create-user": ["EMAIL", "--role", "--department", "--name", "--password"],
    "run-worker": ["--burst"],
    "import-ideas": ["PATH", "--as"],
    "export-data": ["PATH"],
    "import-data": ["PATH"],
}


@pytest.mark.parametrize(("name", "options"), COMMANDS.items())
def test_commands_keep_their_names_and_options(app, runner, name, options):
    assert name in app.cli.commands
    result = runner.invoke(args=[name, "--help"])
    assert result.exit_code == 0, result.output
    for option in options:
        assert option in result.output


def test_commands_are_not_grouped_under_the_blueprint(app):
    assert "cli" not in app.cli.commands


def test_create_user(runner, department):
    result = runner.invoke(
        args=[
            "create-user",
            "New@Converge.example",
            "--role",
            "brm",
            "--department",
            "finance",
            "--password",
            "long enough pw",
        ]
    )
    assert result.exit_code == 0, result.output
    assert "Created new@converge.example (brm) in Finance." in result.output
    user = db.session.scalar(sa.select(User).where(User.email == "new@converge.example"))
    assert user.role == Role.BRM and user.check_password("long enough pw")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--department", "Nowhere", "--password", "long enough pw"], "No department named"),
        (["--department", "Finance", "--password", "short"], "at least 10 characters"),
        (
            ["--department", "Finance", "--role", "king", "--password", "long enough pw"],
            "Invalid value for '--role'",
        ),
    ],
)
def test_create_user_bad_input(runner, department, args, message):
    result = runner.invoke(args=["create-user", "x@converge.example", *args])
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_create_user_twice(runner, employee):
    result = runner.invoke(
        args=["create-user", employee.email, "--department", "Finance", "--password", "x" * 12]
    )
    assert result.exit_code != 0
    assert "already exists" in result.output


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg://u@h/db"),
        ("sqlite:///x.db", "sqlite:///x.db"),
    ],
)
def test_database_url_normalized(given, expected):
    assert normalize_database_url(given) == expected


def test_production_requires_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("PORTAL_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    with pytest.raises(ConfigError, match="SECRET_KEY must be set"):
        create_app()


def test_development_key_is_kept_in_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.delenv("PORTAL_ENV", raising=False)
    monkeypatch.setenv("PORTAL_INSTANCE_PATH", str(tmp_path))
    monkeypatch.setenv("PORTAL_DATABASE_URL", "sqlite:///" + str(tmp_path / "x.sqlite"))
    first = create_app().config["SECRET_KEY"]
    second = create_app().config["SECRET_KEY"]
    assert first == second and len(first) == 64
    assert (tmp_path / "dev-secret-key").stat().st_mode & 0o077 == 0


def test_ideas_list_pages_by_the_configured_size(app, employee_client, employee, make_idea):
    for i in range(5):
        make_idea(employee, title=f"Numbered idea {i:02d}")
    app.config["IDEAS_PER_PAGE"] = 2
    first = employee_client.get("/ideas/").text
    third = employee_client.get("/ideas/?page=3").text
    assert "Numbered idea 04" in first and "Numbered idea 02" not in first
    assert "Numbered idea 00" in third and "Numbered idea 01" not in third
