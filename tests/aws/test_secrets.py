"""The JWT secret from SSM Parameter Store or Secrets Manager (moto), read once per container,
and a clear ``SettingsError`` naming the variable for everything that can go wrong."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from handlers.lambda_http import LambdaHandler
from infra.settings import SettingsError
from tests.aws.conftest import Configure
from tests.aws.helpers import invoke, publish
from tests.aws.payloads import Request
from tests.server import SECRET

PARAMETER = "/burstream/test/jwt-secret"
SECRET_ID = "burstream/test/jwt-secret"
SSM = "BURSTREAM_JWT_SECRET_SSM_PARAMETER"
SECRETS_MANAGER = "BURSTREAM_JWT_SECRET_SECRETS_MANAGER_ID"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """moto's AWS, with the fake credentials a Lambda role would give."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    with mock_aws():
        yield


def _put_parameter(value: str = SECRET, region: str = "eu-west-1") -> str:
    ssm = boto3.client("ssm", region_name=region)
    ssm.put_parameter(Name=PARAMETER, Value=value, Type="SecureString")
    arn: str = ssm.get_parameter(Name=PARAMETER)["Parameter"]["ARN"]
    return arn


def _create_secret(**value: Any) -> str:
    arn: str = boto3.client("secretsmanager").create_secret(Name=SECRET_ID, **value)["ARN"]
    return arn


def _health(handler: LambdaHandler) -> int:
    return invoke(handler, Request("GET", "/api/v1/health")).answer.status


def test_secret_from_ssm_is_read_once_per_container(
    aws: None, handler: LambdaHandler, lambda_env: Configure
) -> None:
    _put_parameter()
    lambda_env(jwt_secret=None, jwt_secret_ssm_parameter=PARAMETER)
    publish(handler, "ssm", 1)
    boto3.client("ssm").delete_parameter(Name=PARAMETER)
    publish(handler, "ssm", 2)
    publish(handler, "ssm", 3)
    handler.close()
    with pytest.raises(SettingsError, match=f"{SSM}: ssm '{PARAMETER}' was not found"):
        _health(handler)


@pytest.mark.parametrize("by", ["name", "arn"])
def test_secret_from_secrets_manager(
    aws: None, handler: LambdaHandler, lambda_env: Configure, by: str
) -> None:
    arn = _create_secret(SecretString=SECRET)
    lambda_env(jwt_secret=None, jwt_secret_secrets_manager_id=arn if by == "arn" else SECRET_ID)
    assert publish(handler, "sm", {"by": by})


def test_an_arn_is_read_in_its_own_region(
    aws: None, handler: LambdaHandler, lambda_env: Configure
) -> None:
    arn = _put_parameter(region="us-east-1")
    lambda_env(jwt_secret=None, jwt_secret_ssm_parameter=arn)
    assert publish(handler, "elsewhere", 1)


FAILURES = [
    pytest.param(
        {"jwt_secret_ssm_parameter": PARAMETER}, f"{SSM}: .* was not found", id="ssm-missing"
    ),
    pytest.param(
        {"jwt_secret_secrets_manager_id": SECRET_ID},
        f"{SECRETS_MANAGER}: .* was not found",
        id="secret-missing",
    ),
    pytest.param(
        {"jwt_secret_ssm_parameter": "/short"},
        f"{SSM}: the secret in '/short' is 5 bytes",
        id="ssm-too-short",
    ),
    pytest.param(
        {"jwt_secret_secrets_manager_id": "binary"},
        f"{SECRETS_MANAGER}: .* no SecretString",
        id="secret-binary",
    ),
    pytest.param(
        {"jwt_secret": SECRET, "jwt_secret_ssm_parameter": PARAMETER},
        "set only one of BURSTREAM_JWT_SECRET, BURSTREAM_JWT_SECRET_SSM_PARAMETER",
        id="two-sources",
    ),
    pytest.param({}, "BURSTREAM_JWT_SECRET is not set", id="no-secret"),
]


@pytest.mark.parametrize(("settings", "message"), FAILURES)
def test_failures_name_the_variable(
    aws: None,
    handler: LambdaHandler,
    lambda_env: Configure,
    settings: dict[str, str],
    message: str,
) -> None:
    boto3.client("ssm").put_parameter(Name="/short", Value="short", Type="SecureString")
    boto3.client("secretsmanager").create_secret(Name="binary", SecretBinary=b"\x00\x01")
    lambda_env(**{"jwt_secret": None, **settings})
    with pytest.raises(SettingsError, match=message):
        _health(handler)
    assert handler.services is None


def test_denied_says_which_permission_the_role_needs(
    aws: None, handler: LambdaHandler, lambda_env: Configure, monkeypatch: pytest.MonkeyPatch
) -> None:
    lambda_env(jwt_secret=None, jwt_secret_ssm_parameter=PARAMETER)

    @set_initial_no_auth_action_count(5)
    def as_a_role_without_access() -> None:
        key = _user_allowed(
            "ssm:GetParameter", "arn:aws:ssm:eu-west-1:123456789012:parameter/other"
        )
        _put_parameter()
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", key["AccessKeyId"])
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", key["SecretAccessKey"])
        with pytest.raises(
            SettingsError, match=f"{SSM}: .* access denied; .* needs ssm:GetParameter"
        ):
            _health(handler)

    as_a_role_without_access()


def test_unreachable_service_says_what_to_check(
    aws: None, handler: LambdaHandler, lambda_env: Configure, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_REGION")
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    lambda_env(jwt_secret=None, jwt_secret_ssm_parameter=PARAMETER)
    with pytest.raises(SettingsError, match=f"{SSM}: could not reach ssm .* Set AWS_REGION"):
        _health(handler)


def _user_allowed(action: str, resource: str) -> dict[str, str]:
    iam = boto3.client("iam")
    iam.create_user(UserName="function-role")
    policy = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": resource}],
    }
    iam.put_user_policy(UserName="function-role", PolicyName="p", PolicyDocument=json.dumps(policy))
    key: dict[str, str] = iam.create_access_key(UserName="function-role")["AccessKey"]
    return key
