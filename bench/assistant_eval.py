"""Measure the assistant's question understanding on a labelled set of questions (no AWS).

Usage: python bench/assistant_eval.py [--questions FILE] [--predictions OUT]

Each input line is {"text", "topic" (id or null), "profile", "also"?: [ids]}. Prints one JSON
line: accuracy on in-scope questions (the expected topic or one of its `also` topics), recall
and precision of refusals on out-of-scope questions, false-reject rate, latency percentiles
and the index build time measured from a cold cache.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from chalicelib.assistant import engine, text  # noqa: E402
from chalicelib.assistant.knowledge import load_knowledge_base  # noqa: E402

DEFAULT_QUESTIONS = REPO_ROOT / "bench" / "data" / "dev_questions.jsonl"


def read_questions(path: Path) -> list[dict[str, Any]]:
    """The labelled questions of a JSONL file, blank lines skipped."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def measure_index_build() -> float:
    """Milliseconds to build the index from a cold state (knowledge base already parsed).

    The stem table is re-read too: only the YAML parsing is left out, being the loader's cost.
    """
    load_knowledge_base()
    for cached in (engine.get_index, text.stem, text.expand, text.load_stem_table):
        cached.cache_clear()
    started = time.perf_counter()
    engine.get_index()
    return (time.perf_counter() - started) * 1000


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile of a non-empty list."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(share * len(ordered) + 0.5) - 1))
    return ordered[rank]


def _ratio(numerator: int, denominator: int) -> float:
    return round(numerator / denominator, 4) if denominator else 0.0


def evaluate(
    questions: list[dict[str, Any]],
) -> tuple[dict[str, float | int], list[dict[str, Any]]]:
    """Run every question through the engine; return the figures and one prediction per line."""
    build_ms = measure_index_build()
    latencies: list[float] = []
    predictions: list[dict[str, Any]] = []
    right = in_scope = refused_in_scope = 0
    out_of_scope = refused_out_of_scope = 0
    for question in questions:
        started = time.perf_counter()
        result = engine.understand(question["text"], question.get("profile"))
        latencies.append((time.perf_counter() - started) * 1000)
        expected = question.get("topic")
        accepted = {expected, *question.get("also", [])}
        if expected is None:
            out_of_scope += 1
            refused_out_of_scope += result.topic is None
        else:
            in_scope += 1
            right += result.topic in accepted
            refused_in_scope += result.topic is None
        predictions.append(
            {
                "text": question["text"],
                "expected": expected,
                "predicted": result.topic,
                "score": result.score,
            }
        )
    refusals = refused_out_of_scope + refused_in_scope
    figures: dict[str, float | int] = {
        "n": len(questions),
        "in_scope_accuracy": _ratio(right, in_scope),
        "oos_recall": _ratio(refused_out_of_scope, out_of_scope),
        "oos_precision": _ratio(refused_out_of_scope, refusals),
        "false_reject_rate": _ratio(refused_in_scope, in_scope),
        "p50_ms": round(percentile(latencies, 0.50), 3),
        "p99_ms": round(percentile(latencies, 0.99), 3),
        "index_build_ms": round(build_ms, 2),
    }
    return figures, predictions


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, evaluate, print the figures as one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--questions", type=Path, default=DEFAULT_QUESTIONS)
    parser.add_argument("--predictions", type=Path, default=None)
    arguments = parser.parse_args(argv)
    figures, predictions = evaluate(read_questions(arguments.questions))
    if arguments.predictions is not None:
        arguments.predictions.write_text(
            "".join(json.dumps(line, ensure_ascii=False) + "\n" for line in predictions),
            encoding="utf-8",
        )
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
