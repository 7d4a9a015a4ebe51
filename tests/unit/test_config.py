import dataclasses
from typing import Literal

import pytest

from wordbridge import config
from wordbridge.config import apply_overrides, dump_yaml, from_dict, load_sections
from wordbridge.errors import ConfigError
from wordbridge.text.config import PrepareConfig


@dataclasses.dataclass(frozen=True)
class Inner:
    size: int = 3
    kind: Literal["a", "b"] = "a"


@dataclasses.dataclass(frozen=True)
class Outer:
    lr: float = 0.1
    name: str = "x"
    betas: tuple[float, float] = (0.8, 0.99)
    limit: int | None = None
    inner: Inner = Inner()


def test_defaults_and_nested_values():
    cfg = from_dict(Outer, {"lr": 1, "inner": {"kind": "b"}, "betas": [0.9, 0.999]})
    assert cfg == Outer(lr=1.0, betas=(0.9, 0.999), inner=Inner(kind="b"))
    assert isinstance(cfg.lr, float)


def test_unknown_key_names_the_key_and_the_valid_ones():
    with pytest.raises(ConfigError, match=r"Unknown config key 'inner.sise'. Valid: size, kind."):
        from_dict(Outer, {"inner": {"sise": 3}})


def test_literal_lists_choices_and_types_are_checked():
    with pytest.raises(ConfigError, match=r"Invalid inner.kind 'c'. Valid: a, b."):
        from_dict(Outer, {"inner": {"kind": "c"}})
    with pytest.raises(ConfigError, match="expected an integer"):
        from_dict(Outer, {"inner": {"size": "3"}})
    with pytest.raises(ConfigError, match="expected a number"):
        from_dict(Outer, {"lr": "fast"})


def test_overrides_parse_yaml_values_including_bare_exponents():
    raw = apply_overrides({}, ["lr=1e-3", "inner.size=7", "limit=null"])
    cfg = from_dict(Outer, raw)
    assert cfg.lr == pytest.approx(1e-3) and cfg.inner.size == 7 and cfg.limit is None
    with pytest.raises(ConfigError, match="KEY=VALUE"):
        apply_overrides({}, ["lr"])


def test_load_sections_rejects_unknown_top_level_and_round_trips(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("data:\n  lr: 0.5\nmodel: {}\n", encoding="utf-8")
    sections = load_sections(path, {"data": Outer}, overrides=["data.name=y"])
    assert sections["data"].lr == 0.5 and sections["data"].name == "y"
    again = tmp_path / "again.yaml"
    again.write_text(dump_yaml(sections), encoding="utf-8")
    assert load_sections(again, {"data": Outer})["data"] == sections["data"]
    path.write_text("dta: {}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="Unknown config key 'dta'"):
        load_sections(path, {"data": Outer})


def test_missing_or_invalid_file_is_one_line_error(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_sections(tmp_path / "nope.yaml", {"data": Outer})
    bad = tmp_path / "bad.yaml"
    bad.write_text("data: [unclosed\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid YAML") as info:
        load_sections(bad, {"data": Outer})
    assert "\n" not in str(info.value)


def test_packaged_configs_resolve_by_name_from_any_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # outside the clone: no configs/ here
    for name in ("default", "default.yaml", "configs/default.yaml"):
        assert config.resolve_config(name) == config.PACKAGED / "default.yaml"
    assert {"default", "devise", "transformer"} <= set(config.packaged_configs())
    own = tmp_path / "default.yaml"  # a file of the user's own wins over the packaged one
    own.write_text("data: {}\n", encoding="utf-8")
    assert config.resolve_config("default.yaml").resolve() == own
    with pytest.raises(ConfigError, match=r"nope does not exist\. Packaged configs: .*default"):
        config.resolve_config("nope")
    with pytest.raises(ConfigError):
        config.resolve_config("elsewhere/default.yaml")  # a path that is not there is not a preset name


def test_the_dataclass_defaults_are_the_default_configs_data_section():
    # `prepare` without a config prepares what configs/default.yaml describes
    assert config.load_sections("default", {"data": PrepareConfig})["data"] == PrepareConfig()


def test_every_translation_config_prepares_the_same_data():
    # the demo trains the GRU and the Transformer on one prepared folder: a config whose data section drifted would
    # prepare another corpus (lowercased, other sources) when a user prepares with it
    assert config.load_sections("transformer", {"data": PrepareConfig})["data"] == PrepareConfig()
