"""The ticket catalogue: categories, sub-categories and what each sub-category decides.

A sub-category decides the recipient type (tool support or a business service),
whether the object number is required, optional or not asked, and whether it is
offered without an account. The operator edits chalicelib/data/catalogue.yaml
(a copy of the shared catalogue, plus an optional `object_kind` per category);
it is read once per process, on first use, never at import time (cold start).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict

from chalicelib.directory import ObjectKind
from chalicelib.shared.errors import InvalidFieldsError
from chalicelib.shared.models import Model
from chalicelib.tickets.records import RecipientType

ObjectNumberRule = Literal["required", "optional", "none"]
CATALOGUE_PATH = Path(__file__).resolve().parent.parent / "data" / "catalogue.yaml"


class Subcategory(Model):
    """A sub-category, as the form offers it."""

    model_config = ConfigDict(frozen=True)

    code: str
    label: str
    recipient: RecipientType
    object_number: ObjectNumberRule
    connected_only: bool


class Category(Model):
    model_config = ConfigDict(frozen=True)

    code: str
    label: str
    subcategories: tuple[Subcategory, ...]
    # Not published: the kind of object the category's numbers must designate.
    object_kind: ObjectKind | None = None


class HelpProblem(Model):
    """A problem a person who cannot log in picks first (non-connected mode)."""

    model_config = ConfigDict(frozen=True)

    code: str
    label: str
    subcategory: str


class Catalogue(Model):
    model_config = ConfigDict(frozen=True, extra="ignore")

    categories: tuple[Category, ...]
    help_problems: tuple[HelpProblem, ...] = ()

    def find(self, category_code: str, subcategory_code: str) -> tuple[Category, Subcategory]:
        """The pair, or a 422 naming the field that is wrong."""
        category = next((c for c in self.categories if c.code == category_code), None)
        if category is None:
            raise InvalidFieldsError.single("category", "Catégorie inconnue.")
        subcategory = next((s for s in category.subcategories if s.code == subcategory_code), None)
        if subcategory is None:
            raise InvalidFieldsError.single(
                "subcategory", "Cette sous-catégorie n'existe pas dans la catégorie choisie."
            )
        return category, subcategory

    def find_offline(self, category_code: str, subcategory_code: str) -> Subcategory:
        """A pair offered without an account, or a 422 on `subcategory`."""
        _, subcategory = self.find(category_code, subcategory_code)
        if subcategory.connected_only:
            raise InvalidFieldsError.single(
                "subcategory", "Cette demande nécessite d'être connecté au portail."
            )
        return subcategory

    def subcategory_label(self, category_code: str, subcategory_code: str) -> str | None:
        """The label of a pair, None when the catalogue no longer has it."""
        category = next((c for c in self.categories if c.code == category_code), None)
        found = (
            next((s for s in category.subcategories if s.code == subcategory_code), None)
            if category
            else None
        )
        return found.label if found else None

    def category_label(self, category_code: str) -> str | None:
        """The label of a category, None when the catalogue no longer has it."""
        return next((c.label for c in self.categories if c.code == category_code), None)

    def help_problem(self, code: str) -> HelpProblem | None:
        return next((p for p in self.help_problems if p.code == code), None)


class SubcategoryOut(Model):
    code: str
    label: str
    recipient: RecipientType
    object_number: ObjectNumberRule
    connected_only: bool


class CategoryOut(Model):
    """A category as `GET /tickets/catalogue` publishes it."""

    code: str
    label: str
    subcategories: list[SubcategoryOut]


def parse_catalogue(text: str) -> Catalogue:
    import yaml

    return Catalogue.model_validate(yaml.safe_load(text))


@cache
def get_catalogue() -> Catalogue:
    """The packaged catalogue, read on first use and kept for the process."""
    return parse_catalogue(CATALOGUE_PATH.read_text(encoding="utf-8"))


def published_catalogue(catalogue: Catalogue) -> list[CategoryOut]:
    return [
        CategoryOut(
            code=category.code,
            label=category.label,
            subcategories=[SubcategoryOut(**s.model_dump()) for s in category.subcategories],
        )
        for category in catalogue.categories
    ]
