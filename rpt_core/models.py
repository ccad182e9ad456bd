"""The model registry: which RPT model was trained from which base, on which domains.

A registry file (YAML) lists every model once::

    models:
      - name: DeepSeek-R1-Distill-Qwen-1.5B        # a base model: no `base`, no domains
        path: deepseek-ai/DeepSeek-R1-Distill-Qwen-1.5B
        size_b: 1.5
        family: qwen2
      - name: DeepScaleR-1.5B-Preview               # an RPT model: `base` names another entry
        base: DeepSeek-R1-Distill-Qwen-1.5B
        path: agentica-org/DeepScaleR-1.5B-Preview
        size_b: 1.5
        training_data: DeepScaleR-Preview-Dataset (40K math problems)
        domains: [math]                              # math | code | knowledge
        algorithm: GRPO
        confirmed: true                              # false: inclusion in the paper is unconfirmed

The domains an RPT model was trained on decide, for every benchmark, whether that benchmark is
in-domain (``"ID"``, seen) or out-of-domain (``"OOD"``, unseen) for it: :meth:`Registry.split`.
Model names are the names used in the evaluation records' ``model`` column.

Domains are grouped by the paper's taxonomy: math and code are *structured* reasoning, knowledge
(medical, legal, finance QA) is *unstructured*, knowledge-intensive reasoning (:data:`DOMAIN_GROUP`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import pandas as pd
import yaml

from .config import ConfigError, build_section, require
from .errors import UnknownName

DOMAINS: tuple[str, ...] = ("math", "code", "knowledge")
DOMAIN_GROUP: dict[str, str] = {"math": "structured", "code": "structured", "knowledge": "unstructured"}
SPLITS: tuple[str, ...] = ("ID", "OOD")


def id_or_ood(domain: str, trained: Iterable[str]) -> str:
    """``"ID"`` when the evaluation ``domain`` is one of the ``trained`` domains, else ``"OOD"``: the one
    place the paper's seen/unseen distinction is decided (registry, strata, tables all call it)."""
    return "ID" if domain in tuple(trained) else "OOD"


def domain_label(domains: Iterable[str]) -> str:
    """``"math+code"``: training domains as one label, in :data:`DOMAINS` order."""
    domains = tuple(domains)
    return "+".join(d for d in DOMAINS if d in domains)


def label_domains(label: str) -> tuple[str, ...]:
    """The inverse of :func:`domain_label`: ``"math+code"`` -> ``("math", "code")``."""
    return tuple(label.split("+")) if label else ()


@dataclass(frozen=True)
class ModelEntry:
    """One model. ``base`` is ``None`` for a base model (which then has no ``domains``); ``size_b`` is
    the parameter count in billions; ``domains`` are the RPT training domains, in :data:`DOMAINS`."""

    name: str
    base: str | None = None
    path: str | None = None
    size_b: float | None = None
    family: str | None = None
    training_data: str | None = None
    domains: tuple[str, ...] = ()
    algorithm: str | None = None
    confirmed: bool = True
    notes: str | None = None

    @property
    def is_rpt(self) -> bool:
        return self.base is not None

    @property
    def domain_label(self) -> str:
        """The training domains joined in :data:`DOMAINS` order, e.g. ``"math+code"``; ``""`` for a base."""
        return "+".join(d for d in DOMAINS if d in self.domains)


class Registry:
    """Models by name, in file order. Iterating yields :class:`ModelEntry` objects."""

    def __init__(self, entries: list[ModelEntry], source: str = "<registry>"):
        self.source = source
        self.entries: dict[str, ModelEntry] = {}
        for entry in entries:
            require(entry.name not in self.entries, source, "models", f"duplicate model name {entry.name!r}")
            self.entries[entry.name] = entry
        for i, entry in enumerate(entries):
            if entry.base is not None:
                require(entry.base in self.entries, source, f"models[{i}].base",
                       f"{entry.base!r} is not a model in this registry; known: {', '.join(self.entries)}")
                require(self.entries[entry.base].base is None, source, f"models[{i}].base",
                       f"{entry.base!r} is itself an RPT model; a base must have no base")

    def __iter__(self) -> Iterator[ModelEntry]:
        return iter(self.entries.values())

    def __len__(self) -> int:
        return len(self.entries)

    def __contains__(self, name: object) -> bool:
        return name in self.entries

    def __getitem__(self, name: str) -> ModelEntry:
        try:
            return self.entries[name]
        except KeyError:
            raise UnknownName(f"model {name!r} is not in the registry ({self.source}); known: "
                           f"{', '.join(self.entries)}") from None

    def rpt_models(self) -> list[ModelEntry]:
        return [e for e in self if e.is_rpt]

    def base_models(self) -> list[ModelEntry]:
        return [e for e in self if not e.is_rpt]

    def pairs(self) -> list[tuple[str, str]]:
        """``(rpt, base)`` name pairs, one per RPT model, in file order."""
        return [(e.name, e.base) for e in self.rpt_models()]

    def split(self, model: str, domain: str) -> str:
        """``"ID"`` if RPT model ``model`` was trained on ``domain``, else ``"OOD"``."""
        entry = self[model]
        if not entry.is_rpt:
            raise ValueError(f"{model!r} is a base model: ID/OOD is only defined for RPT models")
        if domain not in DOMAINS:
            raise ValueError(f"unknown domain {domain!r}; allowed: {', '.join(DOMAINS)}")
        return id_or_ood(domain, entry.domains)

    def to_frame(self) -> pd.DataFrame:
        """One row per model, every :class:`ModelEntry` field as a column (domains as ``"math+code"``)."""
        rows = [{**asdict(e), "domains": e.domain_label} for e in self]
        return pd.DataFrame(rows, columns=[f.name for f in fields(ModelEntry)])


def load_registry(source: str | Path | Mapping[str, Any]) -> Registry:
    """Read and validate a registry from a YAML file or an already-parsed mapping ``{models: [...]}``.

    Raises :class:`rpt_core.config.ConfigError` naming the file, the field and what is allowed.
    """
    if isinstance(source, Mapping):
        where, raw = "<mapping>", dict(source)
    else:
        where = str(source)
        try:
            raw = yaml.safe_load(Path(source).read_text()) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ConfigError(f"{where}: cannot read registry: {exc}") from None
    require(isinstance(raw, dict), where, "<top>", "must be a mapping with a 'models' list")
    unknown = sorted(set(raw) - {"models"})
    require(not unknown, where, ", ".join(unknown), "unknown field(s); allowed: models")
    models = raw.get("models")
    require(isinstance(models, list) and models, where, "models", "must be a non-empty list")
    return Registry([_entry(item, f"models[{i}]", where) for i, item in enumerate(models)], where)


def _entry(raw: Any, field_name: str, source: str) -> ModelEntry:
    if isinstance(raw, dict) and isinstance(raw.get("domains"), list):
        raw = {**raw, "domains": tuple(raw["domains"])}
    entry = build_section(ModelEntry, raw, field_name, source)
    require(isinstance(entry.name, str) and entry.name.strip() != "", source, f"{field_name}.name",
           "must be a non-empty string")
    require(entry.base is None or (isinstance(entry.base, str) and entry.base != ""), source,
           f"{field_name}.base", "must be a model name or null (null: a base model)")
    require(isinstance(entry.domains, tuple), source, f"{field_name}.domains",
           f"must be a list drawn from: {', '.join(DOMAINS)}")
    for domain in entry.domains:
        require(domain in DOMAINS, source, f"{field_name}.domains",
               f"{domain!r} is not allowed; allowed: {', '.join(DOMAINS)}")
    require(len(set(entry.domains)) == len(entry.domains), source, f"{field_name}.domains", "lists a domain twice")
    if entry.base is None:
        require(not entry.domains, source, f"{field_name}.domains",
               "a base model (no `base`) has no training domains; set `base` for an RPT model")
    else:
        require(bool(entry.domains), source, f"{field_name}.domains",
               f"an RPT model needs at least one training domain; allowed: {', '.join(DOMAINS)}")
    size = entry.size_b
    require(size is None or (isinstance(size, (int, float)) and not isinstance(size, bool) and size > 0), source,
           f"{field_name}.size_b", "must be a positive number of billions of parameters or null")
    require(isinstance(entry.confirmed, bool), source, f"{field_name}.confirmed", "must be true or false")
    for name in ("path", "family", "training_data", "algorithm", "notes"):
        value = getattr(entry, name)
        require(value is None or isinstance(value, str), source, f"{field_name}.{name}", "must be a string or null")
    return ModelEntry(**{**asdict(entry), "size_b": None if size is None else float(size),
                         "domains": tuple(d for d in DOMAINS if d in entry.domains)})


__all__ = ["DOMAINS", "DOMAIN_GROUP", "SPLITS", "ModelEntry", "Registry", "domain_label", "id_or_ood",
           "label_domains", "load_registry"]
