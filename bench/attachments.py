"""Attachments: AWS calls and median latency to presign an upload and to check one.

moto in-process (mock_aws) with Guichet's resources and demo data. presign: the
service behind POST /tickets/attachments, for a user and without an account
(rate limit); check: the S3 checker on one uploaded PNG (the upload itself is
not counted). Calls are counted with botocore's before-call hook on the app's
session. Target: presign ≤ 2 AWS calls, no S3 call (boto3 signs locally).
Prints one JSON line.
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

RUNS = 50
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 64


class CallCounter:
    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()

    def record(self, model: Any, **_: Any) -> None:
        self.calls[f"{model.service_model.service_name}.{model.name}"] += 1


def _environment() -> None:
    os.environ.update(
        {
            "AWS_ACCESS_KEY_ID": "bench",
            "AWS_SECRET_ACCESS_KEY": "bench",
            "AWS_DEFAULT_REGION": "eu-west-3",
            "AWS_REGION": "eu-west-3",
            "GUICHET_STAGE": "test",
        }
    )
    os.environ.pop("AWS_ENDPOINT_URL", None)


def main() -> None:
    _environment()
    from moto import mock_aws

    from chalicelib.attachments import models as attachment_models
    from chalicelib.attachments import service as attachments
    from chalicelib.endpoints import wiring
    from chalicelib.shared import aws
    from chalicelib.shared.config import get_settings
    from infra.demo import seed_directory
    from infra.provision import create_all

    with mock_aws():
        os.environ.update(create_all(aws.session(), "test"))
        get_settings.cache_clear()
        seed_directory(wiring.directory())
        # Clients made from now on carry the counting hook (it is per session).
        aws.reset()
        counter = CallCounter()
        aws.session().events.register("before-call.*.*", counter.record)
        repo = wiring.attachment_repository()
        store = wiring.upload_store()
        limiter = wiring.rate_limiter()

        def presign(
            uploader: attachment_models.Uploader, run: int = 0
        ) -> attachment_models.UploadGrant:
            return attachments.request_upload(
                repo,
                store,
                limiter,
                uploader,
                filename="capture.png",
                content_type="image/png",
                size=len(PNG),
                # One address a run: the anonymous rate limit is not what is measured.
                client_address=f"192.0.2.{run}",
                now=datetime.now(UTC),
            )

        presign(attachment_models.Uploader("alice"))  # warm the clients
        results: dict[str, Any] = {}
        for label, uploader in (
            ("presign_user", attachment_models.Uploader("alice")),
            ("presign_anonymous", attachments.uploader_for(None, None)),
        ):
            timings, grants = [], []
            counter.calls.clear()
            for run in range(RUNS):
                start = time.perf_counter()
                grants.append(presign(uploader, run))
                timings.append((time.perf_counter() - start) * 1000)
            results[f"{label}_aws_calls"] = sum(counter.calls.values()) / RUNS
            results[f"{label}_s3_calls"] = sum(
                n for name, n in counter.calls.items() if name.startswith("s3.")
            )
            results[f"{label}_median_ms"] = round(statistics.median(timings), 2)

        keys = [grant.upload.fields["key"] for grant in grants]
        for key in keys:
            aws.s3().put_object(Bucket=store.bucket, Key=key, Body=PNG, ContentType="image/png")
        timings = []
        counter.calls.clear()
        for key in keys:
            start = time.perf_counter()
            checked = attachments.check_upload(repo, store, key, datetime.now(UTC))
            timings.append((time.perf_counter() - start) * 1000)
            assert checked is not None and checked.status == "ready"
        results["check_aws_calls"] = sum(counter.calls.values()) / len(keys)
        results["check_calls"] = {name: n // len(keys) for name, n in sorted(counter.calls.items())}
        results["check_median_ms"] = round(statistics.median(timings), 2)
        results["check_object_bytes"] = len(PNG)
        results["runs"] = RUNS
        results["presign_target_met"] = (
            results["presign_anonymous_aws_calls"] <= 2 and results["presign_user_s3_calls"] == 0
        )
    print(json.dumps(results))


if __name__ == "__main__":
    main()
