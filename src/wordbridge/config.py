"""Typed configuration machinery: YAML -> frozen dataclasses, dotted overrides, strict validation.

Each component owns its config dataclass (text.config.PrepareConfig, translate.config.ModelConfig, ...); a YAML file
holds one section per component and a command loads the sections it needs with `load_sections`. Unknown keys are an
error that lists the valid ones. Literal-typed fields are checked against their choices.
"""

import dataclasses
import types
import typing
from pathlib import Path
from typing import Any, Literal, Mapping

import yaml

from wordbridge.errors import ConfigError

KNOWN_SECTIONS = ("data", "model", "train", "devise")
PACKAGED = Path(__file__).parent / "configs"  # the presets shipped in the package (configs/ in a clone links here)


def packaged_configs() -> tuple[str, ...]:
    """Names of the packaged presets (default, devise, ...), each usable as CONFIG on its own."""
    return tuple(sorted(p.stem for p in PACKAGED.glob("*.yaml")))


def resolve_config(path: str | Path) -> Path:
    """A config file that exists, else a packaged preset named `default`, `default.yaml` or `configs/default.yaml`
    (so that the README's commands work outside the clone); ConfigError (one line) listing the presets otherwise."""
    given = Path(path)
    if given.is_file():
        return given
    stem = given.name[: -len(given.suffix)] if given.suffix in (".yaml", ".yml") else given.name
    packaged = PACKAGED / f"{stem}.yaml"
    if given.parent.name in ("", "configs") and packaged.is_file():
        return packaged
    raise ConfigError(f"Config file {path} does not exist. Packaged configs: {', '.join(packaged_configs())} "
                      "(give one by name, e.g. `default`).")


def _check_type(value: Any, tp: Any, where: str) -> Any:
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if tp is Any:
        return value
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"Invalid {where} {value!r}. Valid: {', '.join(str(a) for a in args)}.")
        return value
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        errors = []
        for arg in args:
            if arg is type(None):
                continue
            try:
                return _check_type(value, arg, where)
            except ConfigError as exc:
                errors.append(str(exc))
        raise ConfigError(errors[0] if errors else f"Invalid {where} {value!r}.")
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"Invalid {where} {value!r}: expected a list.")
        inner = args[0] if args else Any
        return tuple(_check_type(v, inner, f"{where}[]") for v in value)
    if origin is dict:
        if not isinstance(value, Mapping):
            raise ConfigError(f"Invalid {where} {value!r}: expected a mapping.")
        return dict(value)
    if dataclasses.is_dataclass(tp):
        return from_dict(tp, value, where)
    if tp is bool:
        if not isinstance(value, bool):
            raise ConfigError(f"Invalid {where} {value!r}: expected true or false.")
        return value
    if tp is float:
        if isinstance(value, str):  # YAML 1.1 reads `1e-3` (no dot) as a string
            try:
                value = float(value)
            except ValueError:
                pass
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"Invalid {where} {value!r}: expected a number.")
        return float(value)
    if tp is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"Invalid {where} {value!r}: expected an integer.")
        return value
    if tp is str:
        if not isinstance(value, str):
            raise ConfigError(f"Invalid {where} {value!r}: expected a string.")
        return value
    return value


def from_dict(cls: type, data: Mapping[str, Any] | None, where: str = "") -> Any:
    """Build dataclass `cls` from a mapping; unknown keys and wrong types raise ConfigError naming the key."""
    data = {} if data is None else data
    if not isinstance(data, Mapping):
        raise ConfigError(f"Invalid {where or 'config'}: expected a mapping, got {data!r}.")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    hints = typing.get_type_hints(cls)
    unknown = [k for k in data if k not in fields]
    if unknown:
        key = f"{where}.{unknown[0]}" if where else unknown[0]
        raise ConfigError(f"Unknown config key '{key}'. Valid: {', '.join(fields)}.")
    kwargs = {}
    for name, value in data.items():
        kwargs[name] = _check_type(value, hints[name], f"{where}.{name}" if where else name)
    try:
        return cls(**kwargs)
    except TypeError as exc:  # a required field is missing
        raise ConfigError(f"Invalid {where or 'config'}: {exc}") from None


def to_dict(obj: Any) -> Any:
    """Dataclass -> plain dict of YAML-safe values (tuples become lists)."""
    if dataclasses.is_dataclass(obj):
        return {f.name: to_dict(getattr(obj, f.name)) for f in dataclasses.fields(obj)}
    if isinstance(obj, (list, tuple)):
        return [to_dict(v) for v in obj]
    if isinstance(obj, dict):
        return {k: to_dict(v) for k, v in obj.items()}
    if isinstance(obj, Path):
        return str(obj)
    return obj


def apply_overrides(raw: dict, overrides: list[str] | None) -> dict:
    """Apply `a.b.c=value` overrides (value parsed as YAML) to a nested dict, in place; returns it."""
    for item in overrides or []:
        if "=" not in item:
            raise ConfigError(f"Invalid override {item!r}: expected KEY=VALUE, e.g. train.lr=3e-3.")
        key, text = item.split("=", 1)
        parts = key.strip().split(".")
        node = raw
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"Invalid override {item!r}: '{part}' is not a section.")
        node[parts[-1]] = yaml.safe_load(text)
    return raw


def read_yaml(path: str | Path | None) -> dict:
    """Read a YAML mapping (an absent path gives {}); errors name the file."""
    if path is None:
        return {}
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"Config file {path} does not exist.")
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ConfigError(f"Config file {path} is not valid YAML: {str(exc).splitlines()[0]}") from None
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise ConfigError(f"Config file {path} must hold a mapping of sections ({', '.join(KNOWN_SECTIONS)}).")
    return raw


def load_sections(
    path: str | Path | None,
    schemas: Mapping[str, type],
    overrides: list[str] | None = None,
    raw: dict | None = None,
) -> dict[str, Any]:
    """Load the named sections of a config file into their dataclasses.

    Top-level keys must be one of KNOWN_SECTIONS (sections a command does not use are left unchecked for the command
    that does). Returns {section: dataclass instance} for each schema.
    """
    if raw is None:
        raw = read_yaml(None if path is None else resolve_config(path))
    raw = apply_overrides(raw, overrides)
    unknown = [k for k in raw if k not in KNOWN_SECTIONS]
    if unknown:
        raise ConfigError(f"Unknown config key '{unknown[0]}'. Valid: {', '.join(KNOWN_SECTIONS)}.")
    return {name: from_dict(cls, raw.get(name), name) for name, cls in schemas.items()}


def dump_yaml(sections: Mapping[str, Any]) -> str:
    """Resolved config as YAML text, one section per dataclass."""
    return yaml.safe_dump({k: to_dict(v) for k, v in sections.items()}, sort_keys=False, allow_unicode=True)
