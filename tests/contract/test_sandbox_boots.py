"""The sandbox answers over real loopback HTTP."""


def test_unknown_route_is_404(anonymous):
    assert anonymous.get("/no-such-route").status_code == 404
