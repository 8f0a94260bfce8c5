"""The portal in deployed stages: private bucket behind CloudFront, security headers,
sign-in through the hosted UI, CORS for its origin, and what is uploaded at deploy."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from aws_cdk.assertions import Match, Template

from infra.portal import PAGE_REWRITE
from infra.portal_deploy import deploy, deployed_config, portal_files
from infra.stages import STAGES
from tests.infra.templates import resources_of

STAGE_NAMES = sorted(STAGES)
Json = Callable[[str], dict[str, Any]]


def _one(template: dict[str, Any], resource_type: str) -> dict[str, Any]:
    found = list(resources_of(template, resource_type).values())
    assert len(found) == 1, f"{resource_type}: {len(found)}"
    return found[0]["Properties"]


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_cloudfront_reads_the_private_portal_bucket_through_origin_access_control(
    template: Callable[[str], Template], template_json: Json, stage: str
) -> None:
    resources = template_json(stage)
    distribution = _one(resources, "AWS::CloudFront::Distribution")["DistributionConfig"]
    (origin,) = distribution["Origins"]
    assert "OriginAccessControlId" in origin
    assert origin["S3OriginConfig"].get("OriginAccessIdentity", "") == ""
    bucket_id = origin["DomainName"]["Fn::GetAtt"][0]
    assert resources["Resources"][bucket_id]["Properties"]["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "BlockPublicPolicy": True,
        "IgnorePublicAcls": True,
        "RestrictPublicBuckets": True,
    }
    template(stage).has_resource_properties(
        "AWS::CloudFront::OriginAccessControl",
        {"OriginAccessControlConfig": Match.object_like({"SigningBehavior": "always"})},
    )
    template(stage).has_resource_properties(
        "AWS::S3::BucketPolicy",
        {
            "Bucket": {"Ref": bucket_id},
            "PolicyDocument": {
                "Statement": Match.array_with(
                    [
                        Match.object_like(
                            {
                                "Action": "s3:GetObject",
                                "Effect": "Allow",
                                "Principal": {"Service": "cloudfront.amazonaws.com"},
                            }
                        )
                    ]
                )
            },
        },
    )
    assert distribution["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert distribution["DefaultRootObject"] == "index.html"


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_portal_pages_are_rewritten_to_index_html_at_the_edge(
    template_json: Json, stage: str
) -> None:
    resources = template_json(stage)
    function = _one(resources, "AWS::CloudFront::Function")
    behavior = _one(resources, "AWS::CloudFront::Distribution")["DistributionConfig"][
        "DefaultCacheBehavior"
    ]

    assert function["FunctionCode"] == PAGE_REWRITE
    (association,) = behavior["FunctionAssociations"]
    assert association["EventType"] == "viewer-request"


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_portal_responses_carry_the_security_headers_and_a_csp_without_inline_scripts(
    template_json: Json, stage: str
) -> None:
    config = _one(template_json(stage), "AWS::CloudFront::ResponseHeadersPolicy")[
        "ResponseHeadersPolicyConfig"
    ]
    security = config["SecurityHeadersConfig"]
    csp = json.dumps(security["ContentSecurityPolicy"]["ContentSecurityPolicy"])
    script_src = re.search(r"script-src ([^;]*);", csp)

    assert script_src is not None and script_src.group(1) == "'self'"
    assert "unsafe-inline" not in script_src.group(1) and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "RestAPI" in csp and "amazoncognito.com" in csp  # connect-src: the API, sign-in
    assert security["FrameOptions"]["FrameOption"] == "DENY"
    assert security["ContentTypeOptions"]["Override"] is True
    assert security["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31_536_000
    assert security["ReferrerPolicy"]["ReferrerPolicy"] == "strict-origin-when-cross-origin"
    custom = {item["Header"] for item in config["CustomHeadersConfig"]["Items"]}
    assert custom == {"Permissions-Policy", "Cross-Origin-Opener-Policy"}


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_the_portal_signs_in_through_the_hosted_ui_with_the_code_flow_back_to_connexion(
    template: Callable[[str], Template], stage: str
) -> None:
    origin = STAGES[stage].portal_origin
    template(stage).has_resource_properties(
        "AWS::Cognito::UserPoolDomain", {"Domain": f"guichet-{stage}"}
    )
    template(stage).has_resource_properties(
        "AWS::Cognito::UserPoolClient",
        {
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthFlowsUserPoolClient": True,
            "AllowedOAuthScopes": Match.array_with(["openid"]),
            "CallbackURLs": [f"{origin}/connexion"],
            "GenerateSecret": False,
        },
    )


def _allowed_origins(node: Any) -> Iterator[str]:
    """Every static Access-Control-Allow-Origin value of API Gateway's mock integrations."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("Access-Control-Allow-Origin") and isinstance(value, str):
                yield value.strip("'")
            else:
                yield from _allowed_origins(value)
    elif isinstance(node, list):
        for item in node:
            yield from _allowed_origins(item)


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_api_gateway_answers_preflights_for_the_stages_portal_origin_only(
    template_json: Json, stage: str
) -> None:
    api = resources_of(template_json(stage), "AWS::Serverless::Api")
    origins = set(_allowed_origins(api))

    assert origins == {STAGES[stage].portal_origin}


@pytest.mark.parametrize("stage", STAGE_NAMES)
def test_the_stack_outputs_what_the_portal_deploy_writes_into_config_json(
    template_json: Json, stage: str
) -> None:
    outputs = template_json(stage)["Outputs"]

    assert {
        "PortalBucketName",
        "PortalDistributionId",
        "ApiUrl",
        "AuthDomainUrl",
        "UserPoolClientId",
    } <= set(outputs)


# --- what infra/portal_deploy.py uploads ------------------------------------------------------


def test_deploy_uploads_the_portal_and_the_dsfr_files_it_loads_with_their_types() -> None:
    files = {item.key: item for item in portal_files()}

    assert files["index.html"].content_type == "text/html; charset=utf-8"
    assert files["claudia/claudia.js"].content_type == "text/javascript; charset=utf-8"
    assert files["dsfr/dsfr.min.css"].cache_control.startswith("public")
    assert any(key.startswith("dsfr/fonts/Marianne") for key in files)
    assert not any(key.endswith(".map") for key in files)
    index = files["index.html"].path.read_text()
    for linked in re.findall(r'(?:href|src)="/([^"]+\.[a-z]+)"', index):
        assert linked in files, f"index.html loads /{linked}, which is not uploaded"


def test_config_json_is_written_from_the_stacks_outputs() -> None:
    outputs = {
        "ApiUrl": "https://abc.execute-api.eu-west-3.amazonaws.com/dev",
        "AuthDomainUrl": "https://guichet-dev.auth.eu-west-3.amazoncognito.com",
        "UserPoolClientId": "client123",
        "WebsocketUrl": "wss://ws.execute-api.eu-west-3.amazonaws.com/dev",
    }

    assert deployed_config("dev", outputs) == {
        "stage": "dev",
        "api_url": outputs["ApiUrl"],
        "websocket_url": outputs["WebsocketUrl"],
        "auth": {"mode": "cognito", "domain": outputs["AuthDomainUrl"], "client_id": "client123"},
    }


class _Recorder:
    def __init__(self, outputs: dict[str, str]) -> None:
        self.outputs = outputs
        self.uploads: list[str] = []
        self.puts: dict[str, bytes] = {}
        self.invalidated: list[str] = []

    def client(self, service: str) -> Any:
        return self

    def describe_stacks(self, StackName: str) -> dict[str, Any]:  # noqa: N803 - boto3's name
        items = [{"OutputKey": key, "OutputValue": value} for key, value in self.outputs.items()]
        return {"Stacks": [{"StackName": StackName, "Outputs": items}]}

    def upload_file(self, path: str, bucket: str, key: str, ExtraArgs: Any) -> None:  # noqa: N803
        self.uploads.append(key)

    def put_object(self, Bucket: str, Key: str, Body: bytes, **_: Any) -> None:  # noqa: N803
        self.puts[Key] = Body

    def create_invalidation(self, DistributionId: str, InvalidationBatch: Any) -> None:  # noqa: N803
        self.invalidated.append(DistributionId)


def test_deploy_writes_every_file_then_the_config_and_invalidates_the_cache() -> None:
    session = _Recorder(
        {
            "PortalBucketName": "portal-bucket",
            "PortalDistributionId": "E123",
            "ApiUrl": "https://api.example/dev",
            "AuthDomainUrl": "https://auth.example",
            "UserPoolClientId": "client123",
        }
    )

    written = deploy("dev", session)

    assert written == len(session.uploads) + 1
    assert "app.js" in session.uploads and "dsfr/dsfr.module.min.js" in session.uploads
    assert json.loads(session.puts["config.json"])["api_url"] == "https://api.example/dev"
    assert session.invalidated == ["E123"]
    assert Path("web/index.html").exists()
