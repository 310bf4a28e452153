"""Small things a user trial caught: "Mark all as read" says what it did, and the API's
documentation page links back to the portal."""

from portal.audit import notify
from portal.extensions import db


def test_mark_all_as_read_says_what_it_did(client_for, employee):
    notify([employee], "First news")
    notify([employee], "Second news")
    db.session.commit()
    client = client_for(employee)
    page = client.post("/notifications/read", follow_redirects=True).get_data(as_text=True)
    assert "Marked 2 notifications as read." in page
    page = client.post("/notifications/read", follow_redirects=True).get_data(as_text=True)
    assert "Nothing was unread." in page


def test_the_api_documentation_links_back_to_the_portal(client):
    page = client.get("/api/v1/docs").get_data(as_text=True)
    assert "data-back-to-portal" in page and 'href="/"' in page and "Back to Converge" in page
