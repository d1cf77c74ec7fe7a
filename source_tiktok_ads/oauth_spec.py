"""The `advanced_auth` block of `spec`: how the Airbyte platform runs TikTok's OAuth for the `oauth2.0` option.

Airbyte's declarative OAuth reads this block and does the whole flow itself, with no code of ours: it
opens the consent URL, receives TikTok's redirect, exchanges the code for a token and writes the token
into the config. The templates use the platform's variables (`{{ client_id_value }}`, `{{ state_value }}`,
`{{ redirect_uri_value }}`, `{{ auth_code_value }}`, the `*_key` names, the `urlencode` filter).

TikTok differs from plain OAuth 2.0 in names and format, hence the key overrides: the client id is
`app_id`, the client secret `secret`, the redirect carries the code as `auth_code`, and the exchange is a
JSON body whose answer is TikTok's envelope (`data.access_token`). Advertiser tokens are long-term, so
there is no refresh token and no expiry to extract. The sandbox option keeps its pasted token: TikTok
issues sandbox tokens in the developer portal, not through a consent screen.
"""

from __future__ import annotations

from typing import Any

from airbyte_cdk.models import (
    AdvancedAuth,
    AuthFlowType,
    OAuthConfigSpecification,
    OauthConnectorInputSpecification,
)

from .config import PRODUCTION_BASE_URL

CONSENT_URL = "https://business-api.tiktok.com/portal/auth"
ACCESS_TOKEN_URL = PRODUCTION_BASE_URL + "oauth2/access_token/"

# Where the option is chosen in the config, and the option the OAuth button belongs to.
PREDICATE_KEY = ["credentials", "auth_type"]
PREDICATE_VALUE = "oauth2.0"

CONSENT_URL_TEMPLATE = (
    CONSENT_URL + "?{{ client_id_key }}={{ client_id_value }}"
    "&{{ state_key }}={{ state_value }}"
    "&{{ redirect_uri_key }}={{ redirect_uri_value | urlencode }}"
)
ACCESS_TOKEN_PARAMS = {
    "{{ client_id_key }}": "{{ client_id_value }}",
    "{{ client_secret_key }}": "{{ client_secret_value }}",
    "{{ auth_code_key }}": "{{ auth_code_value }}",
}
# With `access_token_params` present the platform sends them as the body; this header makes it JSON.
ACCESS_TOKEN_HEADERS = {"Content-Type": "application/json", "Accept": "application/json"}
TOKEN_PATH_IN_RESPONSE = ["data", "access_token"]


def _in_credentials(name: str) -> dict[str, Any]:
    return {"type": "string", "path_in_connector_config": ["credentials", name]}


def connector_input_specification() -> OauthConnectorInputSpecification:
    return OauthConnectorInputSpecification(
        consent_url=CONSENT_URL_TEMPLATE,
        access_token_url=ACCESS_TOKEN_URL,
        access_token_headers=dict(ACCESS_TOKEN_HEADERS),
        access_token_params=dict(ACCESS_TOKEN_PARAMS),
        extract_output=[".".join(TOKEN_PATH_IN_RESPONSE)],
        client_id_key="app_id",
        client_secret_key="secret",
        auth_code_key="auth_code",
    )


def advanced_auth() -> AdvancedAuth:
    """OAuth for the `oauth2.0` credentials option; the app id and secret are the app's, set in Airbyte."""
    app_credentials = {"app_id": {"type": "string"}, "secret": {"type": "string"}}
    return AdvancedAuth(
        auth_flow_type=AuthFlowType.oauth2_0,
        predicate_key=list(PREDICATE_KEY),
        predicate_value=PREDICATE_VALUE,
        oauth_config_specification=OAuthConfigSpecification(
            oauth_connector_input_specification=connector_input_specification(),
            complete_oauth_output_specification={
                "type": "object",
                "additionalProperties": True,
                "required": ["access_token"],
                "properties": {
                    "access_token": {
                        **_in_credentials("access_token"),
                        "path_in_oauth_response": list(TOKEN_PATH_IN_RESPONSE),
                    }
                },
            },
            complete_oauth_server_input_specification={
                "type": "object",
                "additionalProperties": True,
                "required": ["app_id", "secret"],
                "properties": app_credentials,
            },
            complete_oauth_server_output_specification={
                "type": "object",
                "additionalProperties": True,
                "required": ["app_id", "secret"],
                "properties": {name: _in_credentials(name) for name in app_credentials},
            },
        ),
    )
