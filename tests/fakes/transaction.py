"""The in-memory transaction the fake stores add their items to, and a failed single write.

`FakeTransaction` keeps, for each labelled item, a check (its condition) and an
apply (its write). `commit()` takes the process-wide `STATE_LOCK`, evaluates
every check against the state as it is before any write, and either raises
`TransactionFailed` naming each label whose check failed (as DynamoDB's
cancellation reasons do, `ConditionalCheckFailed`) or applies every write. All
or nothing, and exact under threads: every fake store reads and writes under the
same lock, so no other operation interleaves with a commit.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chalicelib.shared.dynamo import CONDITION_FAILED, Transaction, TransactionFailed

# One lock for the state of every fake: a transaction spans several fake stores.
STATE_LOCK = threading.RLock()


def always() -> bool:
    """The check of an item written without a condition."""
    return True


@dataclass(frozen=True)
class Step:
    """One labelled item of a transaction: its condition and its write."""

    label: str
    check: Callable[[], bool]
    apply: Callable[[], None]


class FakeTransaction:
    """A unit of work's single write, in memory: every step or none.

    `before_commit`, if given, runs once when `commit` is first called, before the
    checks: a test puts there what a concurrent request does in between.
    """

    def __init__(self, before_commit: Callable[[], None] | None = None) -> None:
        self._steps: list[Step] = []
        self._before_commit = before_commit

    def __len__(self) -> int:
        return len(self._steps)

    @property
    def labels(self) -> list[str]:
        return [step.label for step in self._steps]

    def add(self, label: str, check: Callable[[], bool], apply: Callable[[], None]) -> None:
        """Add one item; two items with one label are a programming error, as in DynamoDB's."""
        if label in self.labels:
            raise ValueError(f"two items labelled {label!r} in one transaction")
        self._steps.append(Step(label, check, apply))

    def commit(self) -> None:
        """Write every item or none; raises TransactionFailed naming the failed labels."""
        hook, self._before_commit = self._before_commit, None
        if hook is not None:
            hook()
        if not self._steps:
            return
        with STATE_LOCK:
            failed = {step.label: CONDITION_FAILED for step in self._steps if not step.check()}
            if failed:
                raise TransactionFailed(failed)
            for step in self._steps:
                step.apply()


def fake_transaction(tx: Transaction) -> FakeTransaction:
    """`tx` as the fake it must be: a fake store cannot write through DynamoDB."""
    if not isinstance(tx, FakeTransaction):
        raise TypeError(f"a fake store needs a FakeTransaction, not {type(tx).__name__}")
    return tx


class ConditionFailedError(Exception):
    """A single conditional write refused, shaped like botocore's (`condition_failed` is True)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"The conditional request failed: {what}")
        self.response: dict[str, Any] = {
            "Error": {"Code": CONDITION_FAILED + "Exception", "Message": str(self)}
        }
