"""The gateway's routers are included with the busiest first, which is safe only while no two routes share an
address: the order then decides how fast a request finds its route, never which route it finds."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from gateway.app import ROUTERS

pytestmark = pytest.mark.unit


def test_no_route_answers_an_address_of_another() -> None:
    routes = [route for router in ROUTERS for route in router.routes if isinstance(route, APIRoute)]
    shared = [(route.path, other.path) for route in routes for other in routes
              if other is not route and route.methods & other.methods
              and other.path_regex.match(re.sub(r"\{[^}]+\}", "some-id", route.path))]

    assert len(routes) > 30
    assert shared == []


def test_the_search_and_the_views_are_matched_first() -> None:
    first = [route.path for router in ROUTERS[:3] for route in router.routes if isinstance(route, APIRoute)]

    assert {"/api/v1/search", "/api/v1/users/{user_id}", "/api/v1/customers/{org_id}"} <= set(first)
