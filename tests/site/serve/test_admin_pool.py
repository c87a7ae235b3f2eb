"""The moderators' user pool the dev server makes in moto, read from the template: the same
pool, app client and group that CloudFormation makes, and a moderator with a strong password."""

from __future__ import annotations

import copy
import re
import string
from collections.abc import Iterator
from typing import Any

import pytest

from sitegen import infra_template
from sitegen.serve.moto import (
    MODERATOR_NAME,
    MotoServer,
    add_moderator,
    create_user_pool,
    strong_password,
)

# The resources as the template declares them, reduced to what the readers look at.
TEMPLATE: dict[str, Any] = {
    "Resources": {
        "ModeratorsUserPool": {
            "Type": "AWS::Cognito::UserPool",
            "Properties": {
                "UserPoolName": {"Fn::Sub": "${AWS::StackName}-moderators"},
                "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
                "UsernameAttributes": ["email"],
                "MfaConfiguration": "ON",
                "EnabledMfas": ["SOFTWARE_TOKEN_MFA"],
                "Policies": {
                    "PasswordPolicy": {
                        "MinimumLength": 14,
                        "RequireLowercase": True,
                        "RequireUppercase": True,
                        "RequireNumbers": True,
                        "RequireSymbols": True,
                        "TemporaryPasswordValidityDays": 3,
                    }
                },
                "UserPoolTags": {"project": "ask-for-help"},
            },
        },
        "ModeratorsUserPoolClient": {
            "Type": "AWS::Cognito::UserPoolClient",
            "Properties": {
                "UserPoolId": {"Ref": "ModeratorsUserPool"},
                "ClientName": "inbox",
                "GenerateSecret": False,
                "ExplicitAuthFlows": ["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
                "PreventUserExistenceErrors": "ENABLED",
            },
        },
        "ModeratorsGroup": {
            "Type": "AWS::Cognito::UserPoolGroup",
            "Properties": {"UserPoolId": {"Ref": "ModeratorsUserPool"}, "GroupName": "moderators"},
        },
    }
}


@pytest.fixture(scope="module")
def moto() -> Iterator[MotoServer]:
    with MotoServer() as server:
        yield server


def test_pool_arguments_are_the_templates_minus_what_cloudformation_resolves() -> None:
    kwargs = infra_template.user_pool_kwargs(TEMPLATE, "local")
    props = TEMPLATE["Resources"]["ModeratorsUserPool"]["Properties"]
    assert kwargs == {
        "PoolName": "local",
        "AdminCreateUserConfig": {"AllowAdminCreateUserOnly": True},
        "UsernameAttributes": ["email"],
        "MfaConfiguration": "ON",
        "Policies": props["Policies"],
    }
    assert infra_template.software_token_mfa(TEMPLATE) is True
    client = infra_template.user_pool_client_kwargs(TEMPLATE, "pool-1")
    assert client["UserPoolId"] == "pool-1"
    assert client["ClientName"] == "inbox"
    assert client["GenerateSecret"] is False
    assert infra_template.user_pool_group_kwargs(TEMPLATE, "pool-1") == {
        "UserPoolId": "pool-1",
        "GroupName": "moderators",
    }


def test_a_reference_the_local_pool_cannot_resolve_is_named() -> None:
    template = copy.deepcopy(TEMPLATE)
    props = template["Resources"]["ModeratorsUserPool"]["Properties"]
    props["AdminCreateUserConfig"] = {"InviteMessageTemplate": {"EmailSubject": {"Ref": "X"}}}
    with pytest.raises(ValueError, match=r"^ModeratorsUserPool.AdminCreateUserConfig: "):
        infra_template.user_pool_kwargs(template, "local")
    with pytest.raises(ValueError, match="no AWS::Cognito::UserPoolGroup named ModeratorsGroup"):
        infra_template.user_pool_group_kwargs({"Resources": {}}, "pool-1")


def test_the_pool_is_made_in_moto_as_the_template_says(moto: MotoServer) -> None:
    cognito = moto.client("cognito-idp")
    pool = create_user_pool(cognito, moto.endpoint, TEMPLATE)
    described = cognito.describe_user_pool(UserPoolId=pool.pool_id)["UserPool"]
    assert described["MfaConfiguration"] == "ON"
    assert described["Policies"]["PasswordPolicy"]["MinimumLength"] == 14
    assert described["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    mfa = cognito.get_user_pool_mfa_config(UserPoolId=pool.pool_id)
    assert mfa["SoftwareTokenMfaConfiguration"] == {"Enabled": True}
    client = cognito.describe_user_pool_client(UserPoolId=pool.pool_id, ClientId=pool.client_id)
    assert "ClientSecret" not in client["UserPoolClient"]
    groups = cognito.list_groups(UserPoolId=pool.pool_id)["Groups"]
    assert [group["GroupName"] for group in groups] == ["moderators"]
    assert pool.issuer == f"https://cognito-idp.us-east-1.amazonaws.com/{pool.pool_id}"
    assert pool.jwks_url == f"{moto.endpoint}/{pool.pool_id}/.well-known/jwks.json"


def test_the_first_moderator_must_choose_a_password_and_is_in_the_group(
    moto: MotoServer,
) -> None:
    cognito = moto.client("cognito-idp")
    template = infra_template.load_template()
    pool = create_user_pool(cognito, moto.endpoint, template)
    moderator = add_moderator(cognito, pool, template)
    assert (moderator.username, moderator.email) == (MODERATOR_NAME, "moderator@example.org")
    user = cognito.admin_get_user(UserPoolId=pool.pool_id, Username=moderator.username)
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"
    attributes = {item["Name"]: item["Value"] for item in user["UserAttributes"]}
    assert attributes["email"] == moderator.email
    groups = cognito.admin_list_groups_for_user(
        UserPoolId=pool.pool_id, Username=moderator.username
    )
    assert [group["GroupName"] for group in groups["Groups"]] == ["moderators"]
    started = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=pool.client_id,
        AuthParameters={"USERNAME": moderator.username, "PASSWORD": moderator.password},
    )
    assert started["ChallengeName"] == "NEW_PASSWORD_REQUIRED"


def test_a_pool_of_e_mail_user_names_gets_its_moderator_by_address(moto: MotoServer) -> None:
    cognito = moto.client("cognito-idp")
    pool = create_user_pool(cognito, moto.endpoint, TEMPLATE)
    moderator = add_moderator(cognito, pool, TEMPLATE, "anna")
    assert moderator.username == moderator.email == "anna@example.org"
    user = cognito.admin_get_user(UserPoolId=pool.pool_id, Username="anna@example.org")
    assert user["UserStatus"] == "FORCE_CHANGE_PASSWORD"


def test_the_real_templates_pool_is_made_in_moto(moto: MotoServer) -> None:
    template = infra_template.load_template()
    cognito = moto.client("cognito-idp")
    pool = create_user_pool(cognito, moto.endpoint, template)
    described = cognito.describe_user_pool(UserPoolId=pool.pool_id)["UserPool"]
    policy = template["Resources"]["ModeratorsUserPool"]["Properties"]["Policies"]
    assert described["Policies"]["PasswordPolicy"] == policy["PasswordPolicy"]
    assert described["MfaConfiguration"] == "ON"
    assert described["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    client = cognito.describe_user_pool_client(UserPoolId=pool.pool_id, ClientId=pool.client_id)
    assert set(client["UserPoolClient"]["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }


def test_generated_passwords_meet_a_strong_policy() -> None:
    passwords = {strong_password() for _ in range(200)}
    assert len(passwords) == 200
    for password in passwords:
        assert len(password) == 20
        assert re.search(f"[{re.escape(string.ascii_uppercase)}]", password)
        assert re.search(f"[{re.escape(string.ascii_lowercase)}]", password)
        assert re.search(r"\d", password)
        assert re.search(r"[^A-Za-z0-9]", password)
        assert not re.search(r"[\s'\"`\\^]", password)


def test_the_inbox_headers_need_the_templates_cognito_source() -> None:
    template = infra_template.load_template()
    headers = infra_template.admin_security_headers(template, "http://127.0.0.1:5999")
    assert "connect-src 'self' http://127.0.0.1:5999;" in headers["Content-Security-Policy"]
    assert "${" not in headers["Content-Security-Policy"]
    assert headers["Cache-Control"] == "no-store"
    config = template["Resources"]["AdminHeadersPolicy"]["Properties"]
    security = config["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
    security["ContentSecurityPolicy"]["ContentSecurityPolicy"] = "default-src 'self'"
    with pytest.raises(ValueError, match=r"^AdminHeadersPolicy: its Content-Security-Policy must"):
        infra_template.admin_security_headers(template, "http://127.0.0.1:5999")
