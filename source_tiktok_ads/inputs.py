"""Reading the protocol's input files (config, catalog, state) with errors a user can act on.

The CDK's readers raise a bare ValueError or a schema error with a stack trace; these name the file
and the problem, as config errors.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, MutableMapping
from typing import Any

from airbyte_cdk.models import ConfiguredAirbyteCatalog
from airbyte_cdk.sources import Source

from .config import config_error


def _read_json(path: str, what: str) -> Any:
    try:
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except OSError as error:
        raise config_error(f"Cannot read the {what} file {path}: {error.strerror}.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise config_error(f"The {what} file {path} is not valid JSON ({error}).") from None


class ProtocolInputs:
    """Mixed into the source: Airbyte calls these to load --config, --catalog and --state."""

    def configure(self, config: Mapping[str, Any], temp_dir: str) -> Mapping[str, Any]:
        """The config as read. The CDK would also write a copy, secrets included, into a temporary
        directory that a killed process leaves behind; nothing reads that copy."""
        return config

    @staticmethod
    def read_config(config_path: str) -> MutableMapping[str, Any]:
        config = _read_json(config_path, "config")
        if not isinstance(config, dict):
            raise config_error(
                f"The config file {config_path} must hold a JSON object, not {type(config).__name__}."
            )
        return config

    @classmethod
    def read_catalog(cls, catalog_path: str) -> ConfiguredAirbyteCatalog:
        _read_json(catalog_path, "catalog")
        try:
            return Source.read_catalog.__func__(cls, catalog_path)  # type: ignore[attr-defined]
        except Exception as error:
            raise config_error(
                f"The catalog file {catalog_path} is not a valid configured catalog: {str(error)[:300]}"
            ) from None

    @classmethod
    def read_state(cls, state_path: str | None) -> list[Any]:
        if state_path:
            _read_json(state_path, "state")
        try:
            return Source.read_state.__func__(cls, state_path)  # type: ignore[attr-defined]
        except Exception as error:
            raise config_error(
                f"The state file {state_path} is not valid Airbyte state (a JSON list of per-stream state "
                f"messages): {str(error)[:300]}"
            ) from None
