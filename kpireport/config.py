"""Settings that are not in the workbook: ``kpireport.toml`` in the working folder and the
``KPIREPORT_SMTP_*`` environment variables (which win over the file). Command-line options win
over both. Passwords come from here only, never from a workbook, and are never printed."""

from __future__ import annotations

import contextlib
import math
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kpireport.errors import KpiReportError
from kpireport.i18n import LANGUAGES
from kpireport.limits import MIN_MEMORY

CONFIG_FILE = "kpireport.toml"
TLS_MODES = ("none", "starttls", "ssl")
# [smtp] timeout: seconds one message's whole exchange with the server may take
SMTP_TIMEOUT = 60.0
# [smtp] max_recipients: addresses one report (one PDF) may go to
MAX_RECIPIENTS = 50


class ConfigError(KpiReportError):
    """kpireport.toml or a KPIREPORT_* variable has a value that cannot be used."""


@dataclass(frozen=True)
class SmtpConfig:
    """How to reach the mail server."""

    host: str
    port: int
    user: str | None = None
    password: str | None = field(default=None, repr=False)  # never shown
    sender: str | None = None  # the From address
    tls: str = "starttls"
    timeout: float = SMTP_TIMEOUT
    max_recipients: int = MAX_RECIPIENTS
    # the domains addresses may be at (their subdomains too), in ASCII (IDNA); () for any
    allowed_domains: tuple[str, ...] = ()

    def describe(self) -> str:
        """For messages: everything but the password."""
        who = f"{self.user}@" if self.user else ""
        return f"{who}{self.host}:{self.port} ({self.tls})"


@dataclass(frozen=True)
class WatchConfig:
    """``[watch]``: the limits of each workbook's build (None: the command's default)."""

    build_timeout: float | None = None  # seconds
    build_memory: int | None = None  # MB


@dataclass(frozen=True)
class Config:
    """Everything kpireport.toml can hold, with defaults."""

    inbox: Path | None = None
    output: Path | None = None
    language: str | None = None
    smtp: SmtpConfig | None = None
    source: Path | None = None  # the file read, if any
    watch: WatchConfig = field(default_factory=WatchConfig)


_SMTP_ENV = {
    "host": "KPIREPORT_SMTP_HOST",
    "port": "KPIREPORT_SMTP_PORT",
    "user": "KPIREPORT_SMTP_USER",
    "password": "KPIREPORT_SMTP_PASSWORD",
    "sender": "KPIREPORT_SMTP_FROM",
    "tls": "KPIREPORT_SMTP_TLS",
    "timeout": "KPIREPORT_SMTP_TIMEOUT",
}
_SMTP_FILE_KEYS = {
    "host",
    "port",
    "user",
    "password",
    "from",
    "tls",
    "timeout",
    "max_recipients",
    "allowed_domains",
}


def load_config(folder: Path | None = None, environ: dict[str, str] | None = None) -> Config:
    """Read ``kpireport.toml`` in ``folder`` (default: the working folder), then the environment."""
    environ = dict(os.environ if environ is None else environ)
    path = Path(folder or Path.cwd()) / CONFIG_FILE
    data: dict[str, Any] = {}
    if path.is_file():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ConfigError(f"{path} cannot be read: {exc}") from None
    unknown = set(data) - {"inbox", "output", "language", "smtp", "watch"}
    if unknown:
        raise ConfigError(
            f"{path}: unknown setting {', '.join(sorted(unknown))}; "
            "the settings are inbox, output, language, an [smtp] and a [watch] table"
        )
    language = data.get("language")
    # a TOML array or table is not a language (and cannot be looked up: it is unhashable)
    if language is not None and (not isinstance(language, str) or language not in LANGUAGES):
        choices = " or ".join(f'"{code}"' for code in LANGUAGES)
        raise ConfigError(f"{path}: language must be {choices}, not {language!r}")
    return Config(
        inbox=_path(data.get("inbox"), path),
        output=_path(data.get("output"), path),
        language=language,
        smtp=_smtp(data.get("smtp", {}), environ, path),
        source=path if path.is_file() else None,
        watch=_watch(data.get("watch", {}), path),
    )


def _watch(table: Any, source: Path) -> WatchConfig:
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: watch must be a table: [watch]")
    unknown = set(table) - {"build_timeout", "build_memory"}
    if unknown:
        raise ConfigError(
            f"{source}: unknown [watch] setting {', '.join(sorted(unknown))}; "
            "the settings are build_memory, build_timeout"
        )
    timeout, memory = table.get("build_timeout"), table.get("build_memory")
    if timeout is not None and (
        isinstance(timeout, bool) or not isinstance(timeout, int | float) or not timeout > 0
    ):
        raise ConfigError(f"{source}: build_timeout must be seconds above 0, not {timeout!r}")
    if memory is not None and (
        isinstance(memory, bool) or not isinstance(memory, int) or memory < MIN_MEMORY
    ):
        raise ConfigError(
            f"{source}: build_memory must be a whole number of MB, at least "
            f"{MIN_MEMORY}, not {memory!r}"
        )
    return WatchConfig(float(timeout) if timeout is not None else None, memory)


def _path(value: Any, source: Path) -> Path | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f'{source}: folders are written as text, e.g. inbox = "inbox"')
    return (source.parent / value).resolve() if not Path(value).is_absolute() else Path(value)


def _port(value: Any) -> int:
    """A port as the file (a TOML integer) or a variable (text) gives it; ``true`` or
    ``587.9`` is not a port (``int()`` would make them 1 and 587)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            return int(value)
    if isinstance(value, bool | float):
        raise ConfigError(f"SMTP port must be a whole number, not {value!r}")
    raise ConfigError(f"SMTP port must be a number, not {value!r}")


def _smtp(table: Any, environ: dict[str, str], source: Path) -> SmtpConfig | None:
    if not isinstance(table, dict):
        raise ConfigError(f"{source}: smtp must be a table: [smtp]")
    unknown = set(table) - _SMTP_FILE_KEYS
    if unknown:
        raise ConfigError(
            f"{source}: unknown [smtp] setting {', '.join(sorted(unknown))}; "
            f"the settings are {', '.join(sorted(_SMTP_FILE_KEYS))}"
        )
    values: dict[str, Any] = {("sender" if k == "from" else k): v for k, v in table.items()}
    for key, variable in _SMTP_ENV.items():
        if environ.get(variable):
            values[key] = environ[variable]
    if not values.get("host"):
        return None
    tls = str(values.get("tls", "starttls")).lower()
    if tls not in TLS_MODES:
        raise ConfigError(f"SMTP tls must be one of {', '.join(TLS_MODES)}, not {tls!r}")
    default_port = {"none": 25, "starttls": 587, "ssl": 465}[tls]
    port = _port(values.get("port", default_port))
    if not 0 < port < 65536:
        raise ConfigError(f"SMTP port must be between 1 and 65535, not {port}")
    return SmtpConfig(
        host=str(values["host"]),
        port=port,
        user=str(values["user"]) if values.get("user") else None,
        password=str(values["password"]) if values.get("password") else None,
        sender=str(values["sender"]) if values.get("sender") else None,
        tls=tls,
        timeout=_timeout(values.get("timeout", SMTP_TIMEOUT)),
        max_recipients=_max_recipients(values.get("max_recipients", MAX_RECIPIENTS)),
        allowed_domains=_domains(values.get("allowed_domains", [])),
    )


def _timeout(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = math.nan
    if isinstance(value, bool) or not 0 < seconds <= 3600:  # also refuses nan and inf
        raise ConfigError(
            f"SMTP timeout must be a number of seconds above 0 and at most 3600, not {value!r}"
        )
    return seconds


def _max_recipients(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"SMTP max_recipients must be a whole number from 1 up, not {value!r}")
    return value


def _domains(value: Any) -> tuple[str, ...]:
    from kpireport.workbook.addresses import ascii_domain

    if not isinstance(value, list):
        raise ConfigError(
            f'SMTP allowed_domains must be a list of domains, e.g. ["example.com"], not {value!r}'
        )
    domains = []
    for item in value:
        domain = ascii_domain(item.strip().lower()) if isinstance(item, str) else None
        if domain is None:
            raise ConfigError(f"SMTP allowed_domains: {item!r} is not a domain name")
        domains.append(domain)
    return tuple(domains)
