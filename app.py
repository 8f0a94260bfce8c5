"""Guichet's Chalice app: wiring only. Each area's routes and handlers are a blueprint."""

from __future__ import annotations

from chalice import Chalice

from chalicelib.api import problem_middleware
from chalicelib.endpoints import identity, tickets

app = Chalice(app_name="guichet")
app.register_middleware(problem_middleware, "http")
app.register_blueprint(identity.blueprint)
app.register_blueprint(tickets.blueprint)
