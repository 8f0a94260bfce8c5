"""The assistant's knowledge base: one entry per topic, validated, loaded once on first use."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Literal

from pydantic import ConfigDict, Field, field_validator, model_validator

from chalicelib.shared.models import Model

Profile = Literal["fournisseur", "structure_publique", "anonyme"]

KNOWLEDGE_BASE_PATH = (
    Path(__file__).resolve().parent.parent / "data" / "assistant" / "knowledge.yaml"
)


class TicketHint(Model):
    """Category and sub-category (codes of the ticket catalogue) to pre-fill a ticket."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category: str = Field(pattern=r"^[A-Z]+$")
    subcategory: str = Field(pattern=r"^[SM]\d{2}$")


class Topic(Model):
    """One knowledge-base entry: how to recognise a question, and what to answer."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z_]+\.[a-z0-9_]+$")
    title: str = Field(min_length=3)
    answer: str = Field(min_length=20)
    variants: dict[Profile, str] = Field(default_factory=dict)
    examples: list[str] = Field(min_length=1)
    keywords: list[str] = Field(default_factory=list)
    related: list[str] = Field(default_factory=list)
    audiences: list[Profile] = Field(min_length=1)
    suggestion: str = Field(min_length=3, max_length=60)
    ticket: TicketHint | None = None
    data_aware: bool = False

    @field_validator("examples")
    @classmethod
    def examples_are_distinct(cls, examples: list[str]) -> list[str]:
        """Duplicated examples would silently weigh a topic twice in the index."""
        lowered = [example.strip().lower() for example in examples]
        if len(set(lowered)) != len(lowered):
            raise ValueError("duplicated example")
        return examples


class KnowledgeBase(Model):
    """All topics, with referential integrity checked (unique ids, related ids exist)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int = 1
    topics: list[Topic] = Field(min_length=1)

    @model_validator(mode="after")
    def ids_are_consistent(self) -> KnowledgeBase:
        """Ids are unique and every `related` id names a topic of this base."""
        ids = [topic.id for topic in self.topics]
        duplicates = {topic_id for topic_id in ids if ids.count(topic_id) > 1}
        if duplicates:
            raise ValueError(f"duplicated topic ids: {sorted(duplicates)}")
        known = set(ids)
        for topic in self.topics:
            unknown = [related for related in topic.related if related not in known]
            if unknown:
                raise ValueError(f"{topic.id}: unknown related topics {unknown}")
            if topic.id in topic.related:
                raise ValueError(f"{topic.id}: a topic cannot be related to itself")
        return self

    def topic(self, topic_id: str) -> Topic:
        """The topic with this id; KeyError when there is none."""
        for topic in self.topics:
            if topic.id == topic_id:
                return topic
        raise KeyError(topic_id)

    def answer_for(self, topic_id: str, profile: str | None) -> str:
        """The answer for this profile when the topic has a variant for it, else the default."""
        topic = self.topic(topic_id)
        if profile is not None and profile in topic.variants:
            return topic.variants[profile]
        return topic.answer


def parse_knowledge_base(text: str) -> KnowledgeBase:
    """Validate a knowledge base given as YAML text."""
    # Lazy: PyYAML costs ~38 ms at import (median of 7 fresh processes after `import app`,
    # 2026-11), paid by the first assistant request only, not by every cold start.
    import yaml

    return KnowledgeBase.model_validate(yaml.safe_load(text))


@cache
def load_knowledge_base(path: Path = KNOWLEDGE_BASE_PATH) -> KnowledgeBase:
    """The packaged knowledge base, read and validated on first call only."""
    return parse_knowledge_base(path.read_text(encoding="utf-8"))
