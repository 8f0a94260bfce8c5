"""Upload the portal of a deployed stage: `python -m infra.portal_deploy dev`.

Run after `cdk deploy` (infra/README.md). Reads the stack's outputs, uploads
web/ and the design system's files (under dsfr/) to the portal's bucket, and
writes /config.json there: the API URL, the user pool's hosted UI domain and
client id, the LiveChat's WebSocket. So the portal is configured at deploy,
from what the stack created, and the same files serve every stage. Then it
invalidates CloudFront's cache.
"""

from __future__ import annotations

import argparse
import json
import mimetypes
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from infra.portal import DSFR_FILES

ROOT = Path(__file__).resolve().parent.parent
WEB_ROOT = ROOT / "web"
DSFR_ROOT = ROOT / "node_modules" / "@gouvfr" / "dsfr" / "dist"
CONTENT_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".woff2": "font/woff2",
    ".woff": "font/woff",
    ".webmanifest": "application/manifest+json",
}
# The portal's own files change with each deploy and are not fingerprinted:
# browsers revalidate them. The design system's files change with its version.
REVALIDATE = "no-cache"
ONE_DAY = "public, max-age=86400"


@dataclass(frozen=True)
class PortalFile:
    key: str
    path: Path
    content_type: str
    cache_control: str


def portal_files(web_root: Path = WEB_ROOT, dsfr_root: Path = DSFR_ROOT) -> Iterator[PortalFile]:
    """Every file of the portal and the DSFR files it loads, with their bucket keys."""
    for path in sorted(web_root.rglob("*")):
        if path.is_file() and path.suffix != ".py":
            yield _file(path.relative_to(web_root).as_posix(), path, REVALIDATE)
    for name in DSFR_FILES:
        source = dsfr_root / name
        paths = sorted(p for p in source.rglob("*") if p.is_file()) if source.is_dir() else [source]
        for path in paths:
            if path.suffix != ".map":
                yield _file(f"dsfr/{path.relative_to(dsfr_root).as_posix()}", path, ONE_DAY)


def _file(key: str, path: Path, cache_control: str) -> PortalFile:
    content_type = CONTENT_TYPES.get(path.suffix) or (
        mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    )
    return PortalFile(key, path, content_type, cache_control)


def deployed_config(stage: str, outputs: Mapping[str, str]) -> dict[str, Any]:
    """/config.json of a deployed stage, from its stack's outputs."""
    return {
        "stage": stage,
        "api_url": outputs["ApiUrl"],
        "websocket_url": outputs.get("WebsocketUrl"),
        "auth": {
            "mode": "cognito",
            "domain": outputs["AuthDomainUrl"],
            "client_id": outputs["UserPoolClientId"],
        },
    }


def stack_outputs(cloudformation: Any, stack_name: str) -> dict[str, str]:
    stack = cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
    return {output["OutputKey"]: output["OutputValue"] for output in stack.get("Outputs", [])}


def deploy(stage: str, session: Any) -> int:
    """Upload every file and the config; returns how many objects were written."""
    outputs = stack_outputs(session.client("cloudformation"), f"guichet-{stage}")
    bucket = outputs["PortalBucketName"]
    s3 = session.client("s3")
    count = 0
    for item in portal_files():
        s3.upload_file(
            str(item.path),
            bucket,
            item.key,
            ExtraArgs={"ContentType": item.content_type, "CacheControl": item.cache_control},
        )
        count += 1
    s3.put_object(
        Bucket=bucket,
        Key="config.json",
        Body=json.dumps(deployed_config(stage, outputs)).encode(),
        ContentType=CONTENT_TYPES[".json"],
        CacheControl=REVALIDATE,
    )
    session.client("cloudfront").create_invalidation(
        DistributionId=outputs["PortalDistributionId"],
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"guichet-{stage}-{time.time_ns()}",
        },
    )
    return count + 1


def main() -> None:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("stage", choices=["dev", "prod"])
    args = parser.parse_args()
    count = deploy(args.stage, boto3.session.Session())
    print(f"portal of {args.stage}: {count} objects uploaded, CloudFront invalidated")


if __name__ == "__main__":
    main()
