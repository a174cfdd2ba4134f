"""Pages a role may open: the router offers only these."""

import pytest

from console.auth import LOCAL_ADMIN, PAGE_ACTIONS, Actor, Role, allowed_pages

READ_PAGES = {
    "pay_links",
    "subscriptions",
    "monitor",
    "revenue",
    "payments",
    "lookup",
    "customer",
    "activity",
}


@pytest.mark.parametrize(
    ("role", "pages"),
    [
        (Role.ADMIN, set(PAGE_ACTIONS)),
        (Role.OPERATOR, READ_PAGES | {"new_payment"}),
        (Role.SUPPORT, READ_PAGES),
        (Role.VIEWER, READ_PAGES),
    ],
)
def test_each_role_sees_its_pages(role, pages):
    assert allowed_pages(Actor("someone", role)) == pages


def test_settings_page_is_for_admins_only():
    assert "settings" in allowed_pages(LOCAL_ADMIN)
    assert not any("settings" in allowed_pages(Actor("x", r)) for r in Role if r != Role.ADMIN)
