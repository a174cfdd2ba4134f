"""Roles: what each may do, and a refusal that says why."""

import pytest

from console.auth import Action, Actor, PermissionDenied, Role, can, require

A = Action


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.ADMIN, set(Action)),
        (Role.OPERATOR, {A.VIEW, A.CREATE, A.CANCEL, A.REFUND, A.REFRESH, A.IMPORT}),
        (Role.SUPPORT, {A.VIEW, A.REFRESH, A.IMPORT}),
        (Role.VIEWER, {A.VIEW}),
    ],
)
def test_each_role_may_do_exactly_its_actions(role, allowed):
    actor = Actor("someone", role)
    assert {action for action in Action if can(actor, action)} == allowed


def test_refusal_names_the_user_role_and_action():
    with pytest.raises(PermissionDenied) as caught:
        require(Actor("sam", Role.SUPPORT), Action.CREATE)
    assert "sam (support) may not create" in caught.value.message
