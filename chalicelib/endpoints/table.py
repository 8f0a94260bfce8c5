"""The route table: every route's method and path, and the edge module that serves it.

One Lambda function serves every route, and the scheduled and event-driven
functions import the app too; importing every area at a cold start would make
each of them pay for all the others (~70 ms with bytecode compiled, ~120 ms
without: the README's "Cold start"). So the app registers its routes from this
table and imports an edge module on the first request that module serves.

The table (chalicelib/data/routes.json) is written from the declarations
themselves (`Api.route`) by `make routes`, like a lock file; a test fails when
it is stale, so it cannot drift from the code.
"""

from __future__ import annotations

import importlib
import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from chalicelib.endpoints.api import ROUTES, VIEWS, View, portal_cors

if TYPE_CHECKING:
    from chalice import Chalice, Response

TABLE = Path(__file__).resolve().parent.parent / "data" / "routes.json"
# Every edge module that declares routes.
ROUTE_MODULES = (
    "chalicelib.endpoints.identity",
    "chalicelib.endpoints.assistant",
    "chalicelib.endpoints.livechat",
    "chalicelib.endpoints.attachments",
    "chalicelib.endpoints.tickets",
    "chalicelib.endpoints.followup",
    "chalicelib.endpoints.notifications",
    "chalicelib.endpoints.desk",
)


def register_routes(app: Chalice) -> None:
    """Register every route of the table on `app`, each served by its module when first hit."""
    for route in json.loads(TABLE.read_text(encoding="utf-8")):
        register_route(app, route["method"], route["path"], route["module"], route["function"])


def register_route(app: Chalice, method: str, path: str, module: str, function: str) -> None:
    """One route on `app`, served by the view `module` declares for `function`."""
    app.route(path, methods=[method], content_types=["*/*"], cors=portal_cors(), name=function)(
        lazy_view(app, module, function)
    )


def lazy_view(app: Chalice, module: str, function: str) -> Any:
    """A view that imports `module` on its first call and serves the request with its view."""

    def view(**path_parameters: str) -> Response:
        return served_by(module, function)(app.current_request, **path_parameters)

    view.__name__ = function
    return view


@cache
def served_by(module: str, function: str) -> View:
    """The view `module` declared for `function` (importing the module)."""
    importlib.import_module(module)
    return VIEWS[(module, function)]


def load_all() -> None:
    """Import every edge module, so that ROUTES holds every declaration (OpenAPI, the table)."""
    for module in ROUTE_MODULES:
        importlib.import_module(module)


def declared_routes() -> list[dict[str, str]]:
    """The table as the declarations say it should be, in a stable order."""
    load_all()
    rows = [
        {"method": s.method, "path": s.path, "module": s.module, "function": s.operation_id}
        for s in ROUTES
    ]
    return sorted(rows, key=lambda row: (row["path"], row["method"]))


def write_table() -> None:
    """Write the table from the declarations (`make routes`)."""
    text = json.dumps(declared_routes(), indent=1, ensure_ascii=False) + "\n"
    TABLE.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    write_table()
