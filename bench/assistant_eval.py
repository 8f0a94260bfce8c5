"""Measure the assistant's question understanding on a labelled set of questions (no AWS).

Usage: python bench/assistant_eval.py [--questions FILE] [--predictions OUT]
                                      [--dialogues FILE]

Each input line is {"text", "topic" (id or null), "profile", "style"?, "also"?: [ids]}.
Prints one JSON line:
- in_scope_accuracy ("top-1"): in-scope questions answered with the expected topic (or one
  of its `also` topics);
- answer_or_offer: in-scope questions answered right, or whose right topic is among those
  offered when the engine was unsure; in_scope_offered: the share that got an offer;
- false_reject_rate: in-scope questions refused outright (neither answered nor offered);
  wrong_answer_rate: answered with another topic;
- oos_recall: out-of-scope questions not answered (refused, or offered topics);
  oos_refused: refused outright; oos_precision: of the questions not answered, the share
  out of scope;
- ranked_top1 / ranked_top3: the expected topic first / among the first three candidates,
  whatever the band (what the ranking alone achieves);
- latency percentiles, the index build time measured from a cold cache, and `by_style`:
  top-1 and answer-or-offer per style (lines without a style are "unlabelled").
With --dialogues FILE (lines {"profile", "turns": [{"text", "topic"}, ...]}), each turn after
the first is understood in the context of the topic the engine gave the turn before, and the
figures of those later turns are added (followup_accuracy, followup_answer_or_offer).
--predictions OUT writes one line per question: text, expected, predicted, band, offered,
score.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from chalicelib.assistant import engine, index  # noqa: E402
from chalicelib.assistant.knowledge import load_knowledge_base  # noqa: E402

DEFAULT_QUESTIONS = REPO_ROOT / "bench" / "data" / "dev_questions.jsonl"


def read_questions(path: Path) -> list[dict[str, Any]]:
    """The labelled questions (or dialogues) of a JSONL file, blank lines skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def measure_index_build() -> float:
    """Milliseconds to build the index from a cold state (knowledge base already parsed).

    Every cached table the index reads (stems, lemmas, word lists) is re-read too: only the
    YAML parsing is left out, being the loader's cost.
    """
    load_knowledge_base()
    for cached in index.INDEX_CACHES:
        cached.cache_clear()
    started = time.perf_counter()
    index.get_index()
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


def _ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


class Tally:
    """Counts of one group of in-scope and out-of-scope outcomes."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = defaultdict(int)

    def add(self, accepted: set[str | None] | None, result: engine.Understanding) -> None:
        counts = self.counts
        ranked = [candidate.topic for candidate in result.candidates]
        if accepted is None:
            counts["out_of_scope"] += 1
            counts["oos_not_answered"] += result.band != "answer"
            counts["oos_refused"] += result.band == "refuse"
            return
        counts["in_scope"] += 1
        right = result.band == "answer" and result.topic in accepted
        counts["right"] += right
        counts["answer_or_offer"] += right or bool(accepted & set(result.offered))
        counts["offered"] += result.band == "offer"
        counts["refused"] += result.band == "refuse"
        counts["wrong"] += result.band == "answer" and not right
        counts["ranked_top1"] += bool(ranked) and ranked[0] in accepted
        counts["ranked_top3"] += bool(accepted & set(ranked[:3]))

    def figures(self) -> dict[str, float | int]:
        c = self.counts
        not_answered = c["oos_not_answered"] + c["offered"] + c["refused"]
        return {
            "n": c["in_scope"] + c["out_of_scope"],
            "in_scope_accuracy": _ratio(c["right"], c["in_scope"]),
            "answer_or_offer": _ratio(c["answer_or_offer"], c["in_scope"]),
            "in_scope_offered": _ratio(c["offered"], c["in_scope"]),
            "false_reject_rate": _ratio(c["refused"], c["in_scope"]),
            "wrong_answer_rate": _ratio(c["wrong"], c["in_scope"]),
            "ranked_top1": _ratio(c["ranked_top1"], c["in_scope"]),
            "ranked_top3": _ratio(c["ranked_top3"], c["in_scope"]),
            "oos_recall": _ratio(c["oos_not_answered"], c["out_of_scope"]),
            "oos_refused": _ratio(c["oos_refused"], c["out_of_scope"]),
            "oos_precision": _ratio(c["oos_not_answered"], not_answered),
        }


def _accepted(question: dict[str, Any]) -> set[str | None] | None:
    expected = question.get("topic")
    return None if expected is None else {expected, *question.get("also", [])}


def evaluate(
    questions: list[dict[str, Any]],
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Run every question through the engine; return the figures and one prediction per line."""
    build_ms = measure_index_build()
    latencies: list[float] = []
    predictions: list[dict[str, Any]] = []
    overall = Tally()
    by_style: dict[str, Tally] = defaultdict(Tally)
    for question in questions:
        started = time.perf_counter()
        result = engine.understand(question["text"], question.get("profile"))
        latencies.append((time.perf_counter() - started) * 1000)
        accepted = _accepted(question)
        overall.add(accepted, result)
        by_style[question.get("style", "unlabelled")].add(accepted, result)
        predictions.append(
            {
                "text": question["text"],
                "expected": question.get("topic"),
                "predicted": result.topic,
                "band": result.band,
                "offered": result.offered,
                "score": result.score,
            }
        )
    figures: dict[str, Any] = overall.figures()
    figures |= {
        "p50_ms": round(percentile(latencies, 0.50), 3),
        "p99_ms": round(percentile(latencies, 0.99), 3),
        "index_build_ms": round(build_ms, 2),
    }
    if len(by_style) > 1:
        figures["by_style"] = {
            style: _style_figures(tally) for style, tally in sorted(by_style.items())
        }
    return figures, predictions


def _style_figures(tally: Tally) -> dict[str, float | int]:
    figures = tally.figures()
    if not tally.counts["in_scope"]:
        return {"n": figures["n"], "oos_recall": figures["oos_recall"]}
    return {
        "n": figures["n"],
        "top1": figures["in_scope_accuracy"],
        "answer_or_offer": figures["answer_or_offer"],
    }


def evaluate_dialogues(dialogues: list[dict[str, Any]]) -> dict[str, float | int]:
    """Each later turn understood after the topic the engine gave the turn before."""
    tally = Tally()
    for dialogue in dialogues:
        profile = dialogue.get("profile")
        previous: str | None = None
        for position, turn in enumerate(dialogue["turns"]):
            result = engine.understand(turn["text"], profile, previous_topic=previous)
            if position:
                tally.add(_accepted(turn), result)
            previous = result.topic or previous
    figures = tally.figures()
    return {
        "followup_turns": figures["n"],
        "followup_accuracy": figures["in_scope_accuracy"],
        "followup_answer_or_offer": figures["answer_or_offer"],
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, evaluate, print the figures as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--predictions", type=Path, default=None)
    parser.add_argument("--dialogues", type=Path, default=None)
    arguments = parser.parse_args(argv)
    figures, predictions = evaluate(read_questions(arguments.questions))
    if arguments.dialogues is not None:
        figures |= evaluate_dialogues(read_questions(arguments.dialogues))
    if arguments.predictions is not None:
        arguments.predictions.write_text(
            "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in predictions),
            encoding="utf-8",
        )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
