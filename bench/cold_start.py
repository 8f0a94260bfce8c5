"""Cold start: fresh processes handling one request, Guichet against a bare-library floor.

floor: what any app on this stack pays: a Chalice app with one route that reads one
       DynamoDB item (GetItem) and validates it into one pydantic model, called
       through the Lambda entry point.
app:   `import app` + one `GET /me` through the Lambda entry point (token verified,
       directory read) against the same moto server.
Each is timed inside a fresh interpreter (interpreter start-up excluded from both),
median of RUNS, the two alternating. Both run from compiled bytecode, as a Lambda
bundle that ships its .pyc files does (a warm-up run of each writes them, whatever
PYTHONDONTWRITEBYTECODE says in the caller's environment): compiling from source
would add ~0.3-0.4 s to both and blur what the app itself costs.
Prints {"floor_ms", "app_ms", "ratio", "app_import_ms", "runs", "bytecode"}.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

RUNS = 9

FLOOR = """
import time
t0 = time.perf_counter()
import boto3
from chalice import Chalice
from pydantic import BaseModel


class Profile(BaseModel):
    pk: str
    sk: str
    email: str | None = None
    name: str | None = None


floor = Chalice(app_name="floor")


@floor.route("/me")
def me():
    client = boto3.client("dynamodb")
    item = client.get_item(
        TableName="{table}", Key={{"pk": {{"S": "USER#alice"}}, "sk": {{"S": "PROFILE"}}}}
    )["Item"]
    plain = {{name: next(iter(value.values())) for name, value in item.items()}}
    return Profile.model_validate(plain).model_dump()


event = {{
    "resource": "/me", "path": "/me", "httpMethod": "GET", "headers": {{}},
    "multiValueHeaders": {{}}, "queryStringParameters": None, "pathParameters": None,
    "multiValueQueryStringParameters": None, "stageVariables": None, "body": None,
    "isBase64Encoded": False,
    "requestContext": {{"resourcePath": "/me", "httpMethod": "GET", "requestId": "bench",
                        "identity": {{"sourceIp": "127.0.0.1"}}}},
}}
response = floor(event, None)
assert response["statusCode"] == 200, response
print(json.dumps({{"total_ms": (time.perf_counter() - t0) * 1000}}))
"""

APP = """
import time
t0 = time.perf_counter()
import app
t1 = time.perf_counter()
event = {{
    "resource": "/me", "path": "/me", "httpMethod": "GET",
    "headers": {{"Authorization": "Bearer {token}"}},
    "multiValueHeaders": {{}}, "queryStringParameters": None, "pathParameters": None,
    "multiValueQueryStringParameters": None,
    "stageVariables": None, "body": None, "isBase64Encoded": False,
    "requestContext": {{"resourcePath": "/me", "httpMethod": "GET", "requestId": "bench",
                        "identity": {{"sourceIp": "127.0.0.1"}}}},
}}
response = app.app(event, None)
assert response["statusCode"] == 200, response
print(json.dumps({{"total_ms": (time.perf_counter() - t0) * 1000,
                   "import_ms": (t1 - t0) * 1000}}))
"""


def run(snippet: str, env: dict[str, str]) -> dict[str, float]:
    completed = subprocess.run(
        [sys.executable, "-c", "import json\n" + snippet],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    if completed.returncode != 0:
        raise SystemExit(completed.stderr)
    output = completed.stdout
    result: dict[str, float] = json.loads(output.strip().splitlines()[-1])
    return result


def main() -> None:
    from bench._moto import moto_server_with_resources
    from chalicelib.auth import generate_signing_key, mint_token
    from chalicelib.shared.config import get_settings

    with moto_server_with_resources() as resources:
        key = generate_signing_key()
        # An empty PYTHONDONTWRITEBYTECODE lets the warm-up runs write bytecode.
        env = {
            **os.environ,
            **resources,
            "AUTH_LOCAL_SIGNING_KEY": key,
            "PYTHONDONTWRITEBYTECODE": "",
        }
        settings = get_settings()
        token = mint_token(
            key,
            issuer=settings.auth_issuer,
            audience=settings.auth_audience,
            user_id="alice",
            now=datetime.now(UTC),
        )
        floor, app, imports = [], [], []
        run(FLOOR.format(table=resources["DIRECTORY_TABLE"]), env)
        run(APP.format(token=token), env)
        for _ in range(RUNS):
            floor.append(run(FLOOR.format(table=resources["DIRECTORY_TABLE"]), env)["total_ms"])
            result = run(APP.format(token=token), env)
            app.append(result["total_ms"])
            imports.append(result["import_ms"])
    floor_ms = statistics.median(floor)
    app_ms = statistics.median(app)
    print(
        json.dumps(
            {
                "floor_ms": round(floor_ms, 1),
                "app_ms": round(app_ms, 1),
                "ratio": round(app_ms / floor_ms, 3),
                "app_import_ms": round(statistics.median(imports), 1),
                "runs": RUNS,
                "bytecode": "compiled",
            }
        )
    )


if __name__ == "__main__":
    main()
