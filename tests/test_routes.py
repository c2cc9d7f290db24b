"""The app's route table: the routers are tried hot-first (app/factory.py), which is only safe while no
path of one router can be matched by a route of another; and /docs keeps its own order of tags."""

from __future__ import annotations

import re

from starlette.routing import BaseRoute, Match

from app.factory import DOC_TAGS, create_app


def _routers(routes: list[BaseRoute]) -> list[list[BaseRoute]]:
    """The routes of each included router (a route of the app itself is a router of one)."""
    groups: list[list[BaseRoute]] = []
    for route in routes:
        inner = getattr(route, "original_router", None)
        groups.append(list(inner.routes) if inner is not None else [route])
    return groups


def _example_path(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", template)


def test_no_two_routers_can_match_one_path() -> None:
    groups = _routers(create_app().router.routes)
    assert len(groups) > 10
    for index, group in enumerate(groups):
        others = [route for other, routes in enumerate(groups) if other != index for route in routes]
        for route in group:
            path = _example_path(str(getattr(route, "path", "")))
            kind = "websocket" if not hasattr(route, "methods") and isinstance(route, BaseRoute) else "http"
            for method in sorted(getattr(route, "methods", None) or {"GET"}):
                scope = {"type": kind, "path": path, "root_path": "", "method": method}
                clashes = [
                    str(getattr(other, "path", other))
                    for other in others
                    if other.matches(scope)[0] is not Match.NONE
                ]
                assert not clashes, f"{method} {path} is matched by another router's {clashes}"


def test_the_hot_routers_come_first() -> None:
    groups = [[str(getattr(r, "path", "")) for r in g] for g in _routers(create_app().router.routes)]

    def position(path: str) -> int:
        return next(i for i, paths in enumerate(groups) if path in paths)

    admin = position("/api/admin/orgs")
    assert position("/twilio/voice") < position("/api/realtime/session") < position("/api/call/end") < admin


def test_docs_list_tags_in_their_own_order() -> None:
    schema = create_app().openapi()
    assert [tag["name"] for tag in schema["tags"]] == list(DOC_TAGS)
    used = {tag for operation in _operations(schema) for tag in operation.get("tags", [])}
    assert used <= set(DOC_TAGS), f"a tag /docs would list last: {used - set(DOC_TAGS)}"


def _operations(schema: dict) -> list[dict]:  # type: ignore[type-arg]
    return [op for item in schema["paths"].values() for op in item.values() if isinstance(op, dict)]
