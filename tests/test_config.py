"""kpireport/config.py: kpireport.toml in the working folder and the KPIREPORT_SMTP_* variables.

What docs/configuration.md promises: the file is optional; folders are relative to it; each
variable that is set and not empty wins over its key in the file, one by one; without a host there
is no mail server; an unknown key, a tls other than none/starttls/ssl or a port that is not 1 to
65535 is an error naming the key and the values allowed; and the password is never shown, not by
describe(), repr() or any error. Each test writes a real kpireport.toml into tmp_path.
"""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import pytest

from kpireport.config import (
    CONFIG_FILE,
    Config,
    ConfigError,
    SmtpConfig,
    WatchConfig,
    load_config,
)
from kpireport.errors import KpiReportError
from kpireport.i18n import LANGUAGES
from tests.conftest import ROOT

SECRET = "s3cr3t-Pässw0rd"


def write(folder: Path, text: str) -> Path:
    path = folder / CONFIG_FILE
    path.write_text(text, encoding="utf-8")
    return path


def smtp_of(folder: Path, text: str, **environ: str) -> SmtpConfig | None:
    write(folder, text)
    return load_config(folder, environ=environ).smtp


def refused(folder: Path, text: str, **environ: str) -> str:
    """The message of the ConfigError that ``text`` (and ``environ``) gives."""
    write(folder, text)
    with pytest.raises(ConfigError) as caught:
        load_config(folder, environ=environ)
    return str(caught.value)


# --- the file -------------------------------------------------------------------------------


def test_no_file_and_no_variables_is_the_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path, environ={}) == Config()
    assert Config().smtp is None and Config().source is None


def test_a_folder_named_like_the_file_is_no_file(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).mkdir()
    assert load_config(tmp_path, environ={}) == Config()


def test_an_empty_file_is_the_defaults_with_its_source(tmp_path: Path) -> None:
    path = write(tmp_path, "# nothing set yet\n")
    assert load_config(tmp_path, environ={}) == Config(source=path)


def test_the_docs_example(tmp_path: Path) -> None:
    """The kpireport.toml of docs/configuration.md, as it stands there."""
    docs = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    example = re.search(r"```toml\n(.*?)```", docs, re.DOTALL)
    assert example
    path = write(tmp_path, example[1])
    assert load_config(tmp_path, environ={}) == Config(
        inbox=tmp_path.resolve() / "inbox",
        output=tmp_path.resolve() / "reports",
        language="da",
        smtp=SmtpConfig(
            host="smtp.example.com",
            port=587,
            user="kpi-reports@example.com",
            password=None,  # commented out there
            sender="kpi-reports@example.com",
            tls="starttls",
        ),
        source=path,
        watch=WatchConfig(build_timeout=900.0, build_memory=2048),
    )


def test_the_working_folder_by_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, 'inbox = "drop"\n')
    monkeypatch.chdir(tmp_path)
    config = load_config(environ={})
    assert config.inbox == tmp_path.resolve() / "drop"
    assert config.source == Path.cwd() / CONFIG_FILE


def test_folders_are_relative_to_the_file_not_the_working_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    absolute = tmp_path / "shared" / "reports"
    write(project, f'inbox = "../drop/in"\noutput = "{absolute.as_posix()}"\n')
    config = load_config(project, environ={})
    assert config.inbox == (tmp_path / "drop" / "in").resolve()
    assert config.output == absolute  # an absolute path as it is


@pytest.mark.parametrize("code", sorted(LANGUAGES))
def test_every_output_language_is_accepted(tmp_path: Path, code: str) -> None:
    write(tmp_path, f'language = "{code}"\n')
    assert load_config(tmp_path, environ={}).language == code


# --- every error ----------------------------------------------------------------------------


def test_every_error_is_a_kpireport_error() -> None:
    # the CLI turns KpiReportError into one clean message and exit code
    assert issubclass(ConfigError, KpiReportError)


def test_unknown_settings_are_named(tmp_path: Path) -> None:
    path = tmp_path / CONFIG_FILE
    assert refused(tmp_path, 'lang = "da"\ncolour = "red"\n') == (
        f"{path}: unknown setting colour, lang; "
        "the settings are inbox, output, language, an [smtp] and a [watch] table"
    )


@pytest.mark.parametrize("language", ['"DA"', '"Danish"', '"fr"', "5"])
def test_a_language_kpireport_does_not_have(tmp_path: Path, language: str) -> None:
    shown = repr(language.strip('"')) if language.startswith('"') else language
    assert refused(tmp_path, f"language = {language}\n") == (
        f'{tmp_path / CONFIG_FILE}: language must be "en" or "da" or "sv", not {shown}'
    )


def test_a_language_that_is_not_text(tmp_path: Path) -> None:
    assert "language must be" in refused(tmp_path, 'language = ["da"]\n')


@pytest.mark.parametrize(
    "text",
    [
        "[smtp\nhost = 1",  # not TOML
        'inbox = "a"\ninbox = "b"\n',  # a key twice
        f'[smtp]\nhost = "h"\npassword = "{SECRET}\n',  # an unclosed string
    ],
)
def test_a_file_that_is_not_toml(tmp_path: Path, text: str) -> None:
    message = refused(tmp_path, text)
    assert message.startswith(f"{tmp_path / CONFIG_FILE} cannot be read: ")
    assert "line" in message  # where, from tomllib


def test_a_file_that_is_not_utf8(tmp_path: Path) -> None:
    (tmp_path / CONFIG_FILE).write_bytes('inbox = "indbakke-æøå"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=r"cannot be read: 'utf-8' codec can't decode"):
        load_config(tmp_path, environ={})


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads any file")
def test_a_file_that_may_not_be_read(tmp_path: Path) -> None:
    path = write(tmp_path, 'inbox = "in"\n')
    path.chmod(0)
    try:
        with pytest.raises(ConfigError, match=r"cannot be read: .*Permission denied"):
            load_config(tmp_path, environ={})
    finally:
        path.chmod(0o600)


@pytest.mark.parametrize("value", ["5", '""', '"   "', '["in"]', "true"])
@pytest.mark.parametrize("key", ["inbox", "output"])
def test_folders_are_text(tmp_path: Path, key: str, value: str) -> None:
    assert refused(tmp_path, f"{key} = {value}\n") == (
        f'{tmp_path / CONFIG_FILE}: folders are written as text, e.g. inbox = "inbox"'
    )


@pytest.mark.parametrize("value", ['"smtp.example.com"', "25", '["a"]'])
def test_smtp_is_a_table(tmp_path: Path, value: str) -> None:
    assert refused(tmp_path, f"smtp = {value}\n") == (
        f"{tmp_path / CONFIG_FILE}: smtp must be a table: [smtp]"
    )


@pytest.mark.parametrize("value", ["false", "0", '""'])
def test_an_empty_value_for_smtp_is_not_a_table(tmp_path: Path, value: str) -> None:
    assert refused(tmp_path, f"smtp = {value}\n").endswith("smtp must be a table: [smtp]")


def test_unknown_smtp_settings_are_named(tmp_path: Path) -> None:
    # "sender" is the field's name in the code, not a key of the file ("from" is)
    message = refused(tmp_path, '[smtp]\nhost = "h"\nsender = "a@b.c"\npasword = "x"\n')
    assert message == (
        f"{tmp_path / CONFIG_FILE}: unknown [smtp] setting pasword, sender; "
        "the settings are allowed_domains, from, host, max_recipients, password, port, timeout, "
        "tls, user"  # issue 12 adds allowed_domains, max_recipients and timeout
    )


@pytest.mark.parametrize("tls", ["tls", "SSL/TLS", "", "starttls "])
def test_tls_is_one_of_three(tmp_path: Path, tls: str) -> None:
    assert refused(tmp_path, f'[smtp]\nhost = "h"\ntls = "{tls}"\n') == (
        f"SMTP tls must be one of none, starttls, ssl, not {tls.lower()!r}"
    )


@pytest.mark.parametrize("port", ['"abc"', '"25a"', '""', "[25]"])
def test_port_is_a_number(tmp_path: Path, port: str) -> None:
    shown = {'"abc"': "'abc'", '"25a"': "'25a'", '""': "''", "[25]": "[25]"}[port]
    assert refused(tmp_path, f'[smtp]\nhost = "h"\nport = {port}\n') == (
        f"SMTP port must be a number, not {shown}"
    )


@pytest.mark.parametrize("port", [0, -1, 65536, 100_000])
def test_port_is_between_1_and_65535(tmp_path: Path, port: int) -> None:
    assert refused(tmp_path, f'[smtp]\nhost = "h"\nport = {port}\n') == (
        f"SMTP port must be between 1 and 65535, not {port}"
    )


@pytest.mark.parametrize("port", [1, 65535])
def test_the_ends_of_the_port_range(tmp_path: Path, port: int) -> None:
    smtp = smtp_of(tmp_path, f'[smtp]\nhost = "h"\nport = {port}\n')
    assert smtp and smtp.port == port


@pytest.mark.parametrize("port", ["true", "587.9"])
def test_a_port_that_is_not_a_whole_number(tmp_path: Path, port: str) -> None:
    assert refused(tmp_path, f'[smtp]\nhost = "h"\nport = {port}\n').startswith("SMTP port must")


def test_errors_in_the_variables_are_errors_too(tmp_path: Path) -> None:
    assert refused(tmp_path, "", KPIREPORT_SMTP_HOST="h", KPIREPORT_SMTP_PORT="smtp") == (
        "SMTP port must be a number, not 'smtp'"
    )
    assert refused(tmp_path, "", KPIREPORT_SMTP_HOST="h", KPIREPORT_SMTP_TLS="yes") == (
        "SMTP tls must be one of none, starttls, ssl, not 'yes'"
    )


# --- [smtp] and the variables ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("tls", "port"), [("none", 25), ("starttls", 587), ("ssl", 465), ("SSL", 465), (None, 587)]
)
def test_the_default_port_follows_tls(tmp_path: Path, tls: str | None, port: int) -> None:
    line = f'tls = "{tls}"\n' if tls else ""
    smtp = smtp_of(tmp_path, f'[smtp]\nhost = "h"\n{line}')
    assert smtp == SmtpConfig(host="h", port=port, tls=(tls or "starttls").lower())


def test_a_port_given_wins_over_the_default(tmp_path: Path) -> None:
    smtp = smtp_of(tmp_path, '[smtp]\nhost = "h"\ntls = "ssl"\nport = 2465\n')
    assert smtp and (smtp.port, smtp.tls) == (2465, "ssl")


def test_without_a_host_there_is_no_mail_server(tmp_path: Path) -> None:
    text = f'[smtp]\nuser = "u"\npassword = "{SECRET}"\nfrom = "a@example.com"\n'
    assert smtp_of(tmp_path, text) is None
    assert smtp_of(tmp_path, text, KPIREPORT_SMTP_HOST="") is None
    assert smtp_of(tmp_path, '[smtp]\nhost = ""\n') is None
    assert smtp_of(tmp_path, "", KPIREPORT_SMTP_USER="u", KPIREPORT_SMTP_PASSWORD=SECRET) is None


def test_the_variables_alone(tmp_path: Path) -> None:
    config = load_config(
        tmp_path,
        environ={
            "KPIREPORT_SMTP_HOST": "mail.example.com",
            "KPIREPORT_SMTP_PORT": "2525",
            "KPIREPORT_SMTP_USER": "kpi@example.com",
            "KPIREPORT_SMTP_PASSWORD": SECRET,
            "KPIREPORT_SMTP_FROM": "reports@example.com",
            "KPIREPORT_SMTP_TLS": "SSL",
            "KPIREPORT_INBOX": "ignored",  # only the SMTP settings come from variables
        },
    )
    assert config == Config(
        smtp=SmtpConfig(
            host="mail.example.com",
            port=2525,
            user="kpi@example.com",
            password=SECRET,
            sender="reports@example.com",
            tls="ssl",
        )
    )
    assert config.source is None


FILE = """\
[smtp]
host = "file.example.com"
port = 25
user = "file-user"
password = "file-password"
from = "file@example.com"
tls = "none"
"""

VARIABLES = {
    "host": ("KPIREPORT_SMTP_HOST", "env.example.com", "env.example.com"),
    "port": ("KPIREPORT_SMTP_PORT", "2525", 2525),
    "user": ("KPIREPORT_SMTP_USER", "env-user", "env-user"),
    "password": ("KPIREPORT_SMTP_PASSWORD", SECRET, SECRET),
    "sender": ("KPIREPORT_SMTP_FROM", "env@example.com", "env@example.com"),
    "tls": ("KPIREPORT_SMTP_TLS", "ssl", "ssl"),
}


@pytest.mark.parametrize("field", sorted(VARIABLES))
def test_each_variable_wins_over_its_key_alone(tmp_path: Path, field: str) -> None:
    variable, value, expected = VARIABLES[field]
    from_file = smtp_of(tmp_path, FILE)
    assert from_file == SmtpConfig(
        "file.example.com", 25, "file-user", "file-password", "file@example.com", "none"
    )
    mixed = smtp_of(tmp_path, FILE, **{variable: value})
    assert mixed == dataclasses.replace(from_file, **{field: expected})


@pytest.mark.parametrize("field", sorted(VARIABLES))
def test_an_empty_variable_counts_as_not_set(tmp_path: Path, field: str) -> None:
    variable, _value, _expected = VARIABLES[field]
    assert smtp_of(tmp_path, FILE, **{variable: ""}) == smtp_of(tmp_path, FILE)


def test_the_docs_split_host_in_the_file_password_in_a_variable(tmp_path: Path) -> None:
    text = '[smtp]\nhost = "smtp.example.com"\nuser = "kpi@example.com"\n'
    smtp = smtp_of(tmp_path, text, KPIREPORT_SMTP_PASSWORD=SECRET)
    assert smtp == SmtpConfig("smtp.example.com", 587, "kpi@example.com", SECRET)


def test_the_process_environment_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable, _value, _expected in VARIABLES.values():
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("KPIREPORT_SMTP_HOST", "from-env.example.com")
    write(tmp_path, '[smtp]\nhost = "file.example.com"\n')
    smtp = load_config(tmp_path).smtp
    assert smtp and smtp.host == "from-env.example.com"


def test_empty_user_password_and_from_are_none(tmp_path: Path) -> None:
    smtp = smtp_of(tmp_path, '[smtp]\nhost = "h"\nuser = ""\npassword = ""\nfrom = ""\n')
    assert smtp == SmtpConfig("h", 587)
    assert (smtp.user, smtp.password, smtp.sender) == (None, None, None)


def test_the_config_is_frozen(tmp_path: Path) -> None:
    smtp = smtp_of(tmp_path, '[smtp]\nhost = "h"\n')
    assert smtp is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        smtp.password = "x"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        Config().inbox = tmp_path  # type: ignore[misc]


# --- the password is never shown ------------------------------------------------------------


def test_describe_is_everything_but_the_password() -> None:
    with_user = SmtpConfig("smtp.example.com", 587, "kpi@example.com", SECRET, "a@b.c", "starttls")
    assert with_user.describe() == "kpi@example.com@smtp.example.com:587 (starttls)"
    assert SmtpConfig("relay", 25, tls="none").describe() == "relay:25 (none)"


def test_repr_leaves_the_password_out(tmp_path: Path) -> None:
    config = load_config(
        tmp_path,
        environ={"KPIREPORT_SMTP_HOST": "h", "KPIREPORT_SMTP_PASSWORD": SECRET},
    )
    assert config.smtp and config.smtp.password == SECRET
    for shown in (repr(config), str(config), repr(config.smtp), str(config.smtp)):
        assert SECRET not in shown and "password" not in shown
    assert config.smtp.describe() == "h:587 (starttls)"


@pytest.mark.parametrize(
    ("text", "environ"),
    [
        (f'[smtp]\nhost = "h"\npassword = "{SECRET}"\nport = "x"\n', {}),
        (f'[smtp]\nhost = "h"\npassword = "{SECRET}"\ntls = "tls"\n', {}),
        (f'[smtp]\nhost = "h"\npassword = "{SECRET}"\nport = 0\n', {}),
        (f'[smtp]\npassword = "{SECRET}"\npasword = "{SECRET}"\n', {}),
        (f'password = "{SECRET}"\n', {}),  # the password outside [smtp]
        (f'[smtp]\npassword = "{SECRET}\nhost = "h"\n', {}),  # broken TOML around it
        (f'[smtp]\nhost = "h"\npassword = "{SECRET}"\nhost = "h2"\n', {}),  # a key twice
        ('[smtp]\nhost = "h"\n', {"KPIREPORT_SMTP_PASSWORD": SECRET, "KPIREPORT_SMTP_PORT": "-"}),
        ("inbox = 1\n", {"KPIREPORT_SMTP_PASSWORD": SECRET}),
    ],
)
def test_no_error_shows_the_password(tmp_path: Path, text: str, environ: dict[str, str]) -> None:
    message = refused(tmp_path, text, **environ)
    assert SECRET not in message
    assert SECRET.split("-")[0] not in message
