"""The `advanced_auth` block of `spec`: valid for Airbyte's models, and consistent with the config it fills in."""

from __future__ import annotations

import logging
from importlib.resources import files
from typing import Any

import jsonschema
import orjson
import pytest
import yaml
from airbyte_cdk.models import AirbyteMessage, AirbyteMessageSerializer, Type
from airbyte_cdk.sources.declarative.models import declarative_component_schema as declarative
from airbyte_protocol_dataclasses.models import ConnectorSpecification as ProtocolSpecification
from serpyco_rs import Serializer

from source_tiktok_ads import SourceTiktokAds


@pytest.fixture(scope="module")
def printed_spec() -> dict[str, Any]:
    """The `spec` object exactly as the connector prints it."""
    spec = SourceTiktokAds().spec(logging.getLogger("airbyte"))
    message = AirbyteMessageSerializer.dump(AirbyteMessage(type=Type.SPEC, spec=spec))
    return orjson.loads(orjson.dumps(message))["spec"]


@pytest.fixture(scope="module")
def advanced_auth(printed_spec: dict[str, Any]) -> dict[str, Any]:
    return printed_spec["advanced_auth"]


def oauth_branch(printed_spec: dict[str, Any], auth_type: str) -> dict[str, Any]:
    (branch,) = [
        branch
        for branch in printed_spec["connectionSpecification"]["properties"]["credentials"]["oneOf"]
        if branch["properties"]["auth_type"].get("const") == auth_type
    ]
    return branch


def test_the_protocol_models_read_the_block_back_unchanged(printed_spec: dict[str, Any]) -> None:
    """Airbyte reads `spec` with the protocol models: nothing may be dropped or refused."""
    message = {"type": "SPEC", "spec": printed_spec}
    assert AirbyteMessageSerializer.dump(AirbyteMessageSerializer.load(message))["spec"] == printed_spec
    plain_protocol = Serializer(ProtocolSpecification, omit_none=True)
    assert (
        plain_protocol.dump(plain_protocol.load(printed_spec))["advanced_auth"]
        == printed_spec["advanced_auth"]
    )


def test_the_cdk_declarative_oauth_models_accept_the_block(advanced_auth: dict[str, Any]) -> None:
    parsed = declarative.AuthFlow.parse_obj(advanced_auth)
    flow = advanced_auth["oauth_config_specification"]["oauth_connector_input_specification"]
    assert parsed.oauth_config_specification.oauth_connector_input_specification.auth_code_key == "auth_code"
    # The models allow extra keys, which the platform would ignore: every key used must be a known one.
    assert set(flow) <= set(declarative.OauthConnectorInputSpecification.__fields__)
    assert set(advanced_auth["oauth_config_specification"]) <= set(
        declarative.OAuthConfigSpecification.__fields__
    )


def test_the_cdk_declarative_schema_accepts_the_block(advanced_auth: dict[str, Any]) -> None:
    schema_text = (
        files("airbyte_cdk.sources.declarative").joinpath("declarative_component_schema.yaml").read_text()
    )
    schema = yaml.safe_load(schema_text)
    validator = jsonschema.Draft7Validator({**schema, "$ref": "#/definitions/AuthFlow"})
    assert list(validator.iter_errors(advanced_auth)) == []


def test_the_button_belongs_to_the_oauth_option_only(
    printed_spec: dict[str, Any], advanced_auth: dict[str, Any]
) -> None:
    assert advanced_auth["auth_flow_type"] == "oauth2.0"
    assert advanced_auth["predicate_key"] == ["credentials", "auth_type"]
    assert oauth_branch(printed_spec, advanced_auth["predicate_value"])["title"] == "OAuth2.0"
    assert advanced_auth["predicate_value"] != "sandbox_access_token"


def test_every_field_the_flow_writes_is_a_field_of_the_oauth_option(
    printed_spec: dict[str, Any], advanced_auth: dict[str, Any]
) -> None:
    branch = oauth_branch(printed_spec, advanced_auth["predicate_value"])
    oauth_config = advanced_auth["oauth_config_specification"]
    written = [
        schema["path_in_connector_config"]
        for section in ("complete_oauth_output_specification", "complete_oauth_server_output_specification")
        for schema in oauth_config[section]["properties"].values()
    ]
    assert sorted(written) == [
        ["credentials", "access_token"],
        ["credentials", "app_id"],
        ["credentials", "secret"],
    ]
    for _, name in written:
        assert name in branch["properties"] and name in branch["required"]
    assert (
        branch["properties"]["access_token"]["airbyte_secret"]
        and branch["properties"]["secret"]["airbyte_secret"]
    )


def test_the_server_inputs_are_the_ones_the_templates_name(advanced_auth: dict[str, Any]) -> None:
    """The platform looks the client id and secret up under `client_id_key` and `client_secret_key`."""
    oauth_config = advanced_auth["oauth_config_specification"]
    flow = oauth_config["oauth_connector_input_specification"]
    server_inputs = set(oauth_config["complete_oauth_server_input_specification"]["properties"])
    assert server_inputs == {flow["client_id_key"], flow["client_secret_key"]} == {"app_id", "secret"}
    assert set(oauth_config["complete_oauth_server_output_specification"]["properties"]) == server_inputs


def test_the_token_is_taken_from_tiktoks_envelope(advanced_auth: dict[str, Any]) -> None:
    oauth_config = advanced_auth["oauth_config_specification"]
    flow = oauth_config["oauth_connector_input_specification"]
    token = oauth_config["complete_oauth_output_specification"]["properties"]["access_token"]
    assert flow["extract_output"] == [".".join(token["path_in_oauth_response"])] == ["data.access_token"]
    # Advertiser tokens are long-term: nothing to refresh, no expiry to compute.
    assert "token_expiry_key" not in flow and "refresh_token" not in str(oauth_config)
