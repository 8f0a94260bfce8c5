"""The base of every pydantic model in the service.

Schemas are built when a model is first used, not when its module is imported
(`defer_build`): a Lambda serving one route builds only that route's models,
which keeps ~35 ms off every cold start (bench/cold_start.py).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """A pydantic model whose schema is built on first use."""

    model_config = ConfigDict(defer_build=True)
