"""The JWT secret from AWS: an SSM parameter or a Secrets Manager secret, read with boto3.

A process reads it once, when ``handlers.bootstrap.build_services`` builds its adapters: on
Lambda that is once per warm container (the handler keeps the services it built), under uvicorn
once per process. Every failure becomes a ``SettingsError`` that names the variable and says what
to fix (missing, denied, unreadable, unreachable), so a misconfigured function fails its first
invocation with a message in its log instead of answering ``401`` to everyone.

Deliberate choices:
- boto3 is imported on first use, not at import: a function configured with a plain
  ``BURSTREAM_JWT_SECRET`` does not pay boto3's import time on a cold start.
- Calls are bounded (2 s to connect, 3 s to read, two attempts): a function in a VPC without an
  SSM/Secrets Manager endpoint or NAT fails in seconds, not at its timeout.
- An ARN carries its region, so a secret in another region is read there; a bare name uses the
  default chain (``AWS_REGION``, which Lambda sets).
- Each read uses a fresh boto3 session, so it sees the credentials of the moment rather than
  whatever boto3's process-wide default session cached earlier.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from infra.settings import MIN_SECRET_BYTES, PREFIX, Settings, SettingsError

if TYPE_CHECKING:
    from botocore.config import Config
    from botocore.exceptions import ClientError
    from mypy_boto3_secretsmanager import SecretsManagerClient
    from mypy_boto3_ssm import SSMClient

SSM_VARIABLE = f"{PREFIX}JWT_SECRET_SSM_PARAMETER"
SECRETS_MANAGER_VARIABLE = f"{PREFIX}JWT_SECRET_SECRETS_MANAGER_ID"
PLAIN_VARIABLE = f"{PREFIX}JWT_SECRET"

_NOT_FOUND = {"ParameterNotFound", "ParameterVersionNotFound", "ResourceNotFoundException"}
_DENIED = {"AccessDeniedException", "AccessDenied", "UnauthorizedOperation"}
_UNDECRYPTABLE = {"DecryptionFailure", "InvalidKeyId", "KMSAccessDeniedException"}


class Service(StrEnum):
    SSM = "ssm"
    SECRETS_MANAGER = "secretsmanager"


@dataclass(frozen=True, slots=True)
class SecretRef:
    """Where the secret lives, and the variable that said so (for error messages)."""

    service: Service
    name: str
    variable: str

    @property
    def region(self) -> str | None:
        """An ARN's own region, else ``AWS_REGION`` (None: boto3's default chain decides)."""
        parts = self.name.split(":")
        if self.name.startswith("arn:") and len(parts) > 3 and parts[3]:
            return parts[3]
        return os.environ.get("AWS_REGION") or None

    @property
    def action(self) -> str:
        """The IAM action the function's role needs on this resource."""
        if self.service is Service.SSM:
            return "ssm:GetParameter"
        return "secretsmanager:GetSecretValue"


def secret_ref(settings: Settings) -> SecretRef | None:
    """The AWS-held secret the settings name, or None; ``SettingsError`` if several are set."""
    named = [
        variable
        for variable, value in (
            (PLAIN_VARIABLE, settings.jwt_secret),
            (SSM_VARIABLE, settings.jwt_secret_ssm_parameter),
            (SECRETS_MANAGER_VARIABLE, settings.jwt_secret_secrets_manager_id),
        )
        if value is not None
    ]
    if len(named) > 1:
        raise SettingsError(f"set only one of {', '.join(named)}: they all name the JWT secret")
    if settings.jwt_secret_ssm_parameter is not None:
        return SecretRef(Service.SSM, settings.jwt_secret_ssm_parameter, SSM_VARIABLE)
    if settings.jwt_secret_secrets_manager_id is not None:
        name = settings.jwt_secret_secrets_manager_id
        return SecretRef(Service.SECRETS_MANAGER, name, SECRETS_MANAGER_VARIABLE)
    return None


def read_secret(ref: SecretRef) -> str:
    """The secret's value; ``SettingsError`` naming ``ref.variable`` for any failure."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        value = _read_ssm(ref) if ref.service is Service.SSM else _read_secrets_manager(ref)
    except ClientError as exc:
        raise SettingsError(_refusal(ref, exc)) from None
    except BotoCoreError as exc:
        raise SettingsError(
            f"{ref.variable}: could not reach {ref.service.value} to read {ref.name!r} ({exc})."
            " Set AWS_REGION; in a VPC the function needs a VPC endpoint or a NAT gateway"
            f" for {ref.service.value}"
        ) from None
    if len(value.encode()) < MIN_SECRET_BYTES:
        raise SettingsError(
            f"{ref.variable}: the secret in {ref.name!r} is {len(value.encode())} bytes;"
            f" HS256 needs at least {MIN_SECRET_BYTES}"
        )
    return value


def _read_ssm(ref: SecretRef) -> str:
    reply = _ssm(ref.region).get_parameter(Name=ref.name, WithDecryption=True)
    value = reply["Parameter"].get("Value")
    if not value:
        raise SettingsError(f"{ref.variable}: parameter {ref.name!r} has no value")
    return value


def _read_secrets_manager(ref: SecretRef) -> str:
    value = _secrets_manager(ref.region).get_secret_value(SecretId=ref.name).get("SecretString")
    if not value:
        raise SettingsError(
            f"{ref.variable}: secret {ref.name!r} has no SecretString; store the JWT secret as"
            " plain text (not binary, not a JSON key/value pair)"
        )
    return value


def _ssm(region: str | None) -> SSMClient:
    import boto3

    return boto3.session.Session().client("ssm", region_name=region, config=_bounded())


def _secrets_manager(region: str | None) -> SecretsManagerClient:
    import boto3

    session = boto3.session.Session()
    return session.client("secretsmanager", region_name=region, config=_bounded())


def _bounded() -> Config:
    from botocore.config import Config

    return Config(
        connect_timeout=2, read_timeout=3, retries={"total_max_attempts": 2, "mode": "standard"}
    )


def _refusal(ref: SecretRef, exc: ClientError) -> str:
    code = exc.response.get("Error", {}).get("Code", "")
    detail = exc.response.get("Error", {}).get("Message", "")
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    where = f"{ref.variable}: {ref.service.value} {ref.name!r}"
    if code in _NOT_FOUND:
        return f"{where} was not found (check the name and the region)"
    if code in _DENIED or status == 403:
        return f"{where}: access denied; the function's role needs {ref.action} on it ({detail})"
    if code in _UNDECRYPTABLE:
        return f"{where} cannot be decrypted; the role needs kms:Decrypt on its key ({detail})"
    return f"{where} could not be read: {code} {detail}".rstrip()
