"""Mutation testing of the critical modules (`make mutation`): one JSON line of scores.

Each module is mutated by mutmut in a scratch copy of the repository's tracked
files (the working tree stays clean), against the unit tests (and fast
functional ones) that cover it, and the verdicts are summed per module:

    {"auth": {"mutants": 458, "killed": 440, "survived": 12, "timed_out": 2,
              "no_tests": 4, "score": 0.96}, ...}

`score` is killed (timeouts count as killed, as mutmut counts them) over the
mutants that some test ran. Survivors judged equivalent are explained in
tests/mutation_equivalents.md. Slow on 2 cores (several minutes per module): not
run by CI. `python -m tests.mutation auth calendar` runs some modules only;
`--ref REV` mutates another commit (e.g. to measure a score before new tests).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from fnmatch import fnmatch
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Target:
    """A module (or a few) to mutate, and the tests that must kill its mutants."""

    sources: tuple[str, ...]
    tests: tuple[str, ...]
    # fnmatch patterns of the functions whose mutants count (mutmut's names); none: all.
    functions: tuple[str, ...] = ()


TARGETS: dict[str, Target] = {
    # Token verification: not the local minting helpers (mint_token, generate_signing_key,
    # public_jwks) nor the JWKS download (fetch_json), which the local and test stages use.
    "auth": Target(
        ("chalicelib/auth.py",),
        (
            "tests/unit/test_auth.py",
            "tests/unit/test_auth_hardening.py",
            "tests/unit/test_token_boundaries.py",
            "tests/unit/test_token_claims.py",
        ),
        tuple(
            f"chalicelib.auth.{name}__mutmut_*"
            for name in (
                "x_verify_token",
                "x__check_times",
                "x__check_audience_and_use",
                "x_rs256_signature_is_valid",
                "x_keys_from_jwks",
                "x__b64url_decode",
                "x__b64url_int",
                "x__json_object",
                "x_identity_from_claims",
                "x_authenticate",
                "xǁJwksKeyStoreǁkey_for",
                "xǁIdentityǁ*",
                "xǁStaticKeyStoreǁkey_for",
            )
        ),  # fmt: skip
    ),
    "catalogue": Target(
        ("chalicelib/routing/catalogue.py", "chalicelib/routing/recipients.py"),
        (
            "tests/unit/test_ticket_rules.py",
            "tests/unit/tickets/test_submission.py",
            "tests/unit/tickets/test_help_requests.py",
            "tests/unit/tickets/test_catalogue_rules.py",
        ),
        # The rules; not DirectoryFacts (the directory's BatchGetItem, tested on moto).
        (
            "chalicelib.routing.catalogue.*",
            "chalicelib.routing.recipients.x_*",
        ),
    ),
    "calendar": Target(
        ("chalicelib/livechat/calendar.py",),
        (
            "tests/unit/test_livechat_calendar.py",
            "tests/unit/livechat/test_calendar_properties.py",
            "tests/unit/livechat/test_calendar_edges.py",
        ),
    ),
    "chat_access": Target(
        ("chalicelib/livechat/access.py",),
        ("tests/unit/livechat/test_chat_access.py", "tests/functional/test_livechat.py"),
    ),
    "escalation": Target(
        ("chalicelib/assistant/policy.py",),
        ("tests/unit/assistant",),
    ),
    "ticket_access": Target(
        ("chalicelib/tickets/access.py",),
        (
            "tests/unit/test_ticket_access.py",
            "tests/unit/tickets/test_desk.py",
            "tests/unit/tickets/test_followup.py",
            "tests/unit/tickets/test_ownership.py",
        ),
    ),
    "attachment_access": Target(
        ("chalicelib/attachments/service.py",),
        (
            "tests/unit/attachments/test_attachment_service.py",
            "tests/unit/test_attachments.py",
            "tests/unit/tickets/test_help_requests.py",
            "tests/unit/tickets/test_ownership.py",
            "tests/unit/attachments/test_upload_tokens.py",
            "tests/unit/attachments/test_claim_rules.py",
        ),
        # Who owns an upload and who gets a download link; not the upload checks.
        tuple(
            f"chalicelib.attachments.service.{name}__mutmut_*"
            for name in (
                "x_help_owner",
                "x_uploader_for",
                "x_caller_owners",
                "x_claim_attachments",
                "x__claim_problem",
                "x_attachment_links",
                "xǁ*ǁowner_for",
            )
        ),  # fmt: skip
    ),
}
# Besides `chalicelib` (mutmut's source path) and `tests`, what the tests import or read.
ALSO_COPY = ["app.py", "infra", ".chalice", "docs", "web", "bench"]
KILLED_STATUSES = {"killed", "timeout"}
RESULT_LINE = re.compile(r"^\s*(?P<name>\S+__mutmut_\d+): (?P<status>.+?)\s*$")


def tracked_files(ref: str | None) -> Path:
    """A scratch copy of the tracked files (of `ref`, or of the working tree)."""
    scratch = Path(tempfile.mkdtemp(prefix="guichet-mutation-"))
    if ref:
        archive = subprocess.run(
            ["git", "archive", ref], cwd=ROOT, check=True, capture_output=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(scratch)], input=archive, check=True)
        return scratch
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for name in filter(None, listed):
        source = ROOT / name.decode()
        if source.is_file():
            target = scratch / name.decode()
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return scratch


def mutmut_config(target: Target, present: set[str]) -> str:
    tests = [test for test in target.tests if test in present]
    lines = [
        "",
        "[tool.mutmut]",
        'source_paths = ["chalicelib"]',
        f"only_mutate = {json.dumps(list(target.sources))}",
        f"also_copy = {json.dumps(ALSO_COPY)}",
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-n", "0"]',
        f"pytest_add_cli_args_test_selection = {json.dumps(tests)}",
        "",
    ]
    return "\n".join(lines)


def run_target(
    name: str, target: Target, ref: str | None, children: int, keep: bool
) -> dict[str, object]:
    scratch = tracked_files(ref)
    if keep:
        print(f"{name}: {scratch}", file=sys.stderr)
    try:
        present = {test for test in target.tests if (scratch / test).exists()}
        with (scratch / "pyproject.toml").open("a", encoding="utf-8") as config:
            config.write(mutmut_config(target, present))
        mutmut = str(Path(sys.executable).parent / "mutmut")
        subprocess.run(
            [mutmut, "run", "--max-children", str(children), *target.functions],
            cwd=scratch,
            capture_output=True,
            check=False,
        )
        listed = subprocess.run(
            [mutmut, "results", "--all", "true"],
            cwd=scratch,
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        return summary(listed, target)
    finally:
        if not keep:
            shutil.rmtree(scratch, ignore_errors=True)


def summary(listed: str, target: Target) -> dict[str, object]:
    prefixes = tuple(
        source.removesuffix(".py").replace("/", ".") + ".*" for source in target.sources
    )
    patterns = target.functions or prefixes
    counts = {"killed": 0, "survived": 0, "timed_out": 0, "no_tests": 0, "other": 0}
    survivors: list[str] = []
    for line in listed.splitlines():
        found = RESULT_LINE.match(line)
        if not found or not any(fnmatch(found["name"], pattern) for pattern in patterns):
            continue
        status = found["status"]
        if status == "killed":
            counts["killed"] += 1
        elif status == "timeout":
            counts["timed_out"] += 1
        elif status == "survived":
            counts["survived"] += 1
            survivors.append(found["name"])
        elif status == "no tests":
            counts["no_tests"] += 1
        else:
            counts["other"] += 1
    mutants = sum(counts.values())
    tested = mutants - counts["no_tests"]
    killed = counts["killed"] + counts["timed_out"]
    return {
        "mutants": mutants,
        **counts,
        "score": round(killed / tested, 3) if tested else None,
        "survivors": survivors,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="*", help=", ".join(TARGETS) + " (default: all)")
    parser.add_argument("--ref", help="a commit to mutate instead of the working tree")
    parser.add_argument("--children", type=int, default=2)
    parser.add_argument("--survivors", action="store_true", help="list the surviving mutants")
    parser.add_argument("--keep", action="store_true", help="keep the scratch copies")
    args = parser.parse_args()
    unknown = set(args.modules) - set(TARGETS)
    if unknown:
        parser.error(f"unknown modules: {sorted(unknown)}; choose among {list(TARGETS)}")
    results = {}
    for name in args.modules or list(TARGETS):
        result = run_target(name, TARGETS[name], args.ref, args.children, args.keep)
        if not args.survivors:
            result.pop("survivors")
        results[name] = result
    print(json.dumps(results, ensure_ascii=False))


if __name__ == "__main__":
    main()
