"""Administrators manage users, roles, departments and BRM coverage; nobody else may."""

import pytest
import sqlalchemy as sa

from portal.extensions import db
from portal.models import AuditEvent, Department, Role

ADMIN_PAGES = ["/admin/users", "/admin/users/new", "/admin/departments", "/admin/departments/new"]


@pytest.mark.parametrize("path", ADMIN_PAGES)
def test_admin_pages_render(admin_client, path):
    assert admin_client.get(path).status_code == 200


@pytest.mark.parametrize("path", ADMIN_PAGES)
@pytest.mark.parametrize("role_client", ["employee_client", "brm_client", "pm_client"])
def test_other_roles_are_refused(request, role_client, path):
    client = request.getfixturevalue(role_client)
    response = client.get(path)
    assert response.status_code == 403
    assert b"You do not have permission" in response.data


def test_anonymous_is_sent_to_login(client):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_user_list_search_and_filter(admin_client, employee, brm):
    page = admin_client.get("/admin/users?q=erin").get_data(as_text=True)
    assert "erin@converge.example" in page and "bob@converge.example" not in page
    page = admin_client.get("/admin/users?role=brm").get_data(as_text=True)
    assert "bob@converge.example" in page and "erin@converge.example" not in page


def test_make_employee_a_brm_covering_departments(admin_client, employee, make_department):
    sales = make_department("Sales")
    response = admin_client.post(
        f"/admin/users/{employee.id}",
        data={
            "name": "Erin Employee",
            "role": "brm",
            "department": employee.department_id,
            "covered": [sales.id],
            "active": "y",
        },
    )
    assert response.status_code == 302
    db.session.refresh(employee)
    assert employee.role == Role.BRM
    assert [d.name for d in employee.covered_departments] == ["Sales"]
    assert employee.covers(sales.id)
    event = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "user_updated"))
    assert event.one().after["role"] == "brm"


def test_only_brms_cover_departments(admin_client, employee, department):
    response = admin_client.post(
        f"/admin/users/{employee.id}",
        data={
            "name": "Erin",
            "role": "employee",
            "department": department.id,
            "covered": [department.id],
            "active": "y",
        },
    )
    assert response.status_code == 409
    assert b"Only BRMs cover departments." in response.data
    db.session.refresh(employee)
    assert employee.covered_departments == []


def test_deactivate_user(admin_client, employee, department):
    admin_client.post(
        f"/admin/users/{employee.id}",
        data={"name": "Erin", "role": "employee", "department": department.id},
    )
    db.session.refresh(employee)
    assert employee.active is False


def test_the_last_portfolio_manager_stays(admin_client, pm, make_user, department):
    demote = {"name": "Pat", "role": "employee", "department": department.id, "active": "y"}
    response = admin_client.post(f"/admin/users/{pm.id}", data=demote)
    assert response.status_code == 409
    assert b"at least one active portfolio manager" in response.data
    deactivate = {**demote, "role": "portfolio_manager"}
    del deactivate["active"]
    assert admin_client.post(f"/admin/users/{pm.id}", data=deactivate).status_code == 409
    db.session.refresh(pm)
    assert pm.role == Role.PORTFOLIO_MANAGER and pm.active
    make_user(Role.PORTFOLIO_MANAGER)
    assert admin_client.post(f"/admin/users/{pm.id}", data=demote).status_code == 302
    db.session.refresh(pm)
    assert pm.role == Role.EMPLOYEE


def test_deactivating_the_only_brm_of_departments_says_so(
    admin_client, make_user, department, make_department
):
    sales = make_department("Sales")
    brm = make_user(Role.BRM, name="Marcus", covers=[department, sales])
    make_user(Role.BRM, covers=[sales])  # Sales keeps a reviewer
    data = {"name": "Marcus", "role": "brm", "department": department.id}
    data["covered"] = [department.id, sales.id]
    response = admin_client.post(f"/admin/users/{brm.id}", data=data, follow_redirects=True)
    assert response.status_code == 200
    assert f"1 department ({department.name}) has no active BRM now" in response.text
    assert "Sales" not in response.text.split("has no active BRM")[0].split("alert")[-1]
    listing = admin_client.get("/admin/departments").text
    assert listing.count("data-inactive") == 2 and listing.count("data-no-reviewer") == 1


def test_last_admin_cannot_demote_themself(admin_client, admin, department):
    response = admin_client.post(
        f"/admin/users/{admin.id}",
        data={"name": "Ada", "role": "employee", "department": department.id, "active": "y"},
    )
    assert response.status_code == 409
    assert b"at least one active administrator" in response.data
    db.session.refresh(admin)
    assert admin.role == Role.ADMIN


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("role", "emperor", b"Not a valid choice"),
        ("department", "9999", b"Not a valid choice"),
        ("name", "", b"This field is required."),
    ],
)
def test_bad_user_input(admin_client, employee, department, field, value, message):
    data = {"name": "Erin", "role": "employee", "department": department.id, "active": "y"}
    data[field] = value
    response = admin_client.post(f"/admin/users/{employee.id}", data=data)
    assert response.status_code == 400
    assert message in response.data


def test_edit_missing_user_is_404(admin_client):
    assert admin_client.get("/admin/users/424242").status_code == 404


def test_create_department_with_leader_and_brms(admin_client, brm):
    response = admin_client.post(
        "/admin/departments/new",
        data={
            "name": "Legal",
            "leader_name": "Lee Gal",
            "leader_email": "LEE@converge.example",
            "brms": [brm.id],
        },
    )
    assert response.status_code == 302
    legal = db.session.scalar(sa.select(Department).where(Department.name == "Legal"))
    assert legal.leader_email == "lee@converge.example"
    assert [u.id for u in legal.brms] == [brm.id]


def test_department_names_are_unique(admin_client, department):
    response = admin_client.post("/admin/departments/new", data={"name": "FINANCE"})
    assert response.status_code == 409
    assert b"already exists" in response.data


def test_only_brms_in_department_coverage(admin_client, employee, department):
    response = admin_client.post(
        f"/admin/departments/{department.id}/edit",
        data={"name": "Finance", "brms": [employee.id]},
    )
    assert response.status_code == 400  # employees are not offered as choices


def test_rename_department(admin_client, department):
    response = admin_client.post(
        f"/admin/departments/{department.id}/edit",
        data={"name": "Group Finance", "leader_email": "not-an-email"},
    )
    assert response.status_code == 400
    assert b"Invalid email address." in response.data
    admin_client.post(f"/admin/departments/{department.id}/edit", data={"name": "Group Finance"})
    db.session.refresh(department)
    assert department.name == "Group Finance"


def test_navigation_shows_only_what_the_role_may_use(admin_client, employee_client):
    assert b'href="/admin/users"' in admin_client.get("/ideas/").data
    assert b'href="/admin/users"' not in employee_client.get("/ideas/").data


# ------------------------------------------------------------------ invitations without e-mail

NEW_PASSWORD = "quay lantern orbit 42"


def _invite(admin_client, department, email="nora.new@converge.example"):
    data = {"name": "Nora New", "email": email, "role": "employee", "department": department.id}
    return admin_client.post("/admin/users/new", data=data)


def _invitation_path(page: str) -> str:
    import re

    link = re.search(r'id="invitation-link" value="([^"]+)"', page).group(1)
    return "/auth/reset/" + link.split("/auth/reset/", 1)[1]


def _status(admin_client, email: str) -> str:
    import re

    page = admin_client.get(f"/admin/users?q={email}").get_data(as_text=True)
    return re.sub(r"<[^>]+>", "", re.search(r"<td data-status>(.*?)</td>", page).group(1))


def test_without_e_mail_the_admin_is_shown_the_invitation_link_once(app, admin_client, department):
    assert "no e-mail server configured" in admin_client.get("/admin/users/new").text
    response = _invite(admin_client, department)
    page = response.get_data(as_text=True)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert "no e-mail was sent" in page and "MAIL_SERVER" in page
    assert "went to nora.new" not in page  # no claim that a letter was sent
    path = _invitation_path(page)
    assert _status(admin_client, "nora.new") == "invited (no password yet)"
    # The link is not kept anywhere the admin could see it again.
    assert path not in admin_client.get("/admin/users").text

    visitor = app.test_client()
    assert visitor.get(path).status_code == 200
    done = visitor.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302
    assert _status(admin_client, "nora.new") == "active"
    assert visitor.get(path).status_code == 400  # used once
    signed_in = visitor.post(
        "/auth/login", data={"email": "nora.new@converge.example", "password": NEW_PASSWORD}
    )
    assert signed_in.status_code == 302


def test_a_new_invitation_replaces_the_old_link(app, admin_client, department):
    from portal.models import User

    old = _invitation_path(_invite(admin_client, department).get_data(as_text=True))
    user = db.session.scalar(sa.select(User).where(User.email == "nora.new@converge.example"))
    user_page = admin_client.get(f"/admin/users/{user.id}").text
    assert "Invited, no password yet" in user_page and "Send a new invitation" in user_page

    response = admin_client.post(f"/admin/users/{user.id}/invitation")
    assert response.status_code == 200
    new = _invitation_path(response.get_data(as_text=True))
    assert new != old
    visitor = app.test_client()
    assert visitor.get(old).status_code == 400  # the old link stopped working
    assert visitor.get(new).status_code == 200
    assert db.session.scalar(
        sa.select(sa.func.count(AuditEvent.id)).where(AuditEvent.action == "invitation_renewed")
    )
    assert _status(admin_client, "nora.new") == "invited (no password yet)"


def test_no_new_invitation_for_someone_with_a_password(admin_client, employee):
    page = admin_client.get(f"/admin/users/{employee.id}").text
    assert "Send a new invitation" not in page
    response = admin_client.post(f"/admin/users/{employee.id}/invitation")
    assert response.status_code == 409
    assert "already chose a password" in response.get_data(as_text=True)
    assert _status(admin_client, "erin") == "active"


def test_only_admins_renew_invitations(client_for, pm, employee):
    assert client_for(pm).post(f"/admin/users/{employee.id}/invitation").status_code == 403


def test_departments_count_the_ideas_the_department_page_counts(
    admin_client, client_for, brm, employee, department, make_idea
):
    import re

    from portal.models import IdeaStatus as S

    brm.covered_departments = [department]
    db.session.commit()
    for status in (S.DRAFT, S.SUBMITTED, S.APPROVED, S.REJECTED):
        make_idea(employee, status)
    admin_page = admin_client.get("/admin/departments").text
    assert "Ideas submitted" in admin_page
    row = admin_page[admin_page.index(f"<td>{department.name}</td>") :]
    counted = re.search(r'<td class="text-end">(\d+)</td>', row).group(1)
    brm_page = client_for(brm).get(f"/review/departments/{department.id}").text
    assert f"{counted} ideas submitted" in brm_page and counted == "3"  # the draft is not
