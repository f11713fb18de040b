"""Each component owns its config type; settings/ only maps keys onto it. These hold the map honest."""

from __future__ import annotations

import dataclasses

import pytest

from components.config_base import ValidatedConfig
from settings import declared_keys
from settings.keys import CONFIG_KEY_MAPS

CONFIGS = sorted(CONFIG_KEY_MAPS, key=lambda config: config.__name__)


@pytest.mark.parametrize("config_type", CONFIGS, ids=lambda config: config.__name__)
def test_keys_and_fields_map_one_to_one(config_type: type[ValidatedConfig]) -> None:
    keys = CONFIG_KEY_MAPS[config_type]
    fields = {field.name for field in dataclasses.fields(config_type)}  # type: ignore[arg-type]
    assert set(keys) == fields - config_type.DERIVED_FIELDS
    assert set(keys.values()) <= set(declared_keys())
    assert len(set(keys.values())) == len(keys)


def test_no_key_reaches_two_configs() -> None:
    seen: dict[str, str] = {}
    for config_type, keys in CONFIG_KEY_MAPS.items():
        for key in keys.values():
            assert key not in seen, f"{key} is read by {seen[key]} and {config_type.__name__}"
            seen[key] = config_type.__name__


@pytest.mark.parametrize("config_type", CONFIGS, ids=lambda config: config.__name__)
def test_configs_are_frozen_and_keyword_only(config_type: type[ValidatedConfig]) -> None:
    params = config_type.__dataclass_params__  # type: ignore[attr-defined]
    assert params.frozen
    assert all(field.kw_only for field in dataclasses.fields(config_type))  # type: ignore[arg-type]
