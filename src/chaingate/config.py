"""Where settings come from, in order: command-line options, CHAINGATE_* environment
variables, pip's own index settings (PIP_INDEX_URL, pip.conf), then defaults. Cache and
data directories follow XDG (platformdirs)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from chaingate.facts.advisories import AdvisorySettings


def index_url(cli_value: str | None) -> tuple[str, str]:
    """The index to use and where that choice came from (shown in reports)."""
    if cli_value:
        return cli_value, "--index-url"
    for var in ("CHAINGATE_INDEX_URL", "PIP_INDEX_URL"):
        if os.environ.get(var):
            return os.environ[var], var
    found = _pip_conf_index_url()
    if found:
        return found
    from chaingate.ecosystems.pypi.registry import DEFAULT_INDEX

    return DEFAULT_INDEX, "default"


def _pip_conf_files() -> list[Path]:
    """pip's configuration files, lowest precedence first (pip's documented order)."""
    if os.environ.get("PIP_CONFIG_FILE"):
        if os.environ["PIP_CONFIG_FILE"] == os.devnull:
            return []
        return [Path(os.environ["PIP_CONFIG_FILE"])]
    xdg_dirs = os.environ.get("XDG_CONFIG_DIRS", "/etc/xdg").split(os.pathsep)
    files = [Path(d) / "pip" / "pip.conf" for d in xdg_dirs] + [Path("/etc/pip.conf")]
    home = Path.home()
    xdg_home = Path(os.environ.get("XDG_CONFIG_HOME", home / ".config"))
    files += [home / ".pip" / "pip.conf", xdg_home / "pip" / "pip.conf"]
    venv = os.environ.get("VIRTUAL_ENV")
    if venv:
        files.append(Path(venv) / "pip.conf")
    return files


def _pip_conf_index_url() -> tuple[str, str] | None:
    import configparser

    result: tuple[str, str] | None = None
    for path in _pip_conf_files():
        parser = configparser.ConfigParser(interpolation=None)
        try:
            parser.read(path, encoding="utf-8")
        except (OSError, configparser.Error):
            continue
        for section in ("global", "install"):
            value = parser.get(section, "index-url", fallback=None)
            if value:
                result = (value.strip(), str(path))
    return result


def db_url(cli_value: str | None) -> str:
    if cli_value:
        return cli_value
    if os.environ.get("CHAINGATE_DB"):
        return os.environ["CHAINGATE_DB"]
    from chaingate.store.interface import default_url

    return default_url()


def cache_dir(cli_value: Path | None) -> Path:
    if cli_value:
        return cli_value
    if os.environ.get("CHAINGATE_CACHE_DIR"):
        return Path(os.environ["CHAINGATE_CACHE_DIR"])
    from platformdirs import user_cache_path

    return user_cache_path("chaingate", appauthor=False) / "http"


def dns_servers(cli_values: list[str] | None) -> tuple[str, ...] | None:
    """DNS servers for email-domain checks: --dns-server, else CHAINGATE_DNS_SERVERS
    (comma-separated), else None for the system's resolver. Each is HOST[:PORT]."""
    values = list(cli_values or [])
    if not values and os.environ.get("CHAINGATE_DNS_SERVERS"):
        values = [v.strip() for v in os.environ["CHAINGATE_DNS_SERVERS"].split(",") if v.strip()]
    if not values:
        return None
    for value in values:
        _split_host_port(value)
    return tuple(values)


def _split_host_port(value: str) -> tuple[str, int]:
    import ipaddress

    host, port = value, 53
    if value.startswith("["):
        host, _, rest = value[1:].partition("]")
        if rest:
            if not rest.startswith(":"):
                raise ValueError(f"not HOST[:PORT]: {value!r}")
            port = _port(rest[1:], value)
    elif value.count(":") == 1:
        host, raw = value.split(":")
        port = _port(raw, value)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{value!r}: the DNS server must be an IP address") from None
    return host, port


def _port(raw: str, value: str) -> int:
    if not raw.isdigit() or not 0 < int(raw) < 65536:
        raise ValueError(f"bad port in {value!r}")
    return int(raw)


def rdap_bootstrap_url() -> str:
    """The IANA RDAP bootstrap file for DNS (RFC 9224), or a mirror from
    CHAINGATE_RDAP_BOOTSTRAP_URL."""
    return os.environ.get("CHAINGATE_RDAP_BOOTSTRAP_URL") or "https://data.iana.org/rdap/dns.json"


def advisories(cli_value: str | None, offline: bool) -> AdvisorySettings | None:
    """Where known advisories come from: `--advisories` or CHAINGATE_ADVISORIES (`online`,
    the default: the OSV API at CHAINGATE_OSV_URL, else https://api.osv.dev; `offline`: the
    dump `chaingate advisories update` fetched, also with --offline; `off`: the registry's
    own lists only). ValueError for another value."""
    from chaingate.facts.advisories import DEFAULT_URL, AdvisorySettings

    given = cli_value or os.environ.get("CHAINGATE_ADVISORIES") or "online"
    mode = given.strip().lower()
    if mode not in ("online", "offline", "off"):
        raise ValueError(f"CHAINGATE_ADVISORIES: {given!r} is not online, offline or off")
    if mode == "off":
        return None
    return AdvisorySettings(
        url=os.environ.get("CHAINGATE_OSV_URL") or DEFAULT_URL,
        dump_dir=advisories_dir(),
        offline=offline or mode == "offline",
    )


def advisories_dir() -> Path:
    """Where `chaingate advisories update` keeps the dumps: CHAINGATE_ADVISORIES_DIR, else
    `advisories` in the user data directory."""
    if os.environ.get("CHAINGATE_ADVISORIES_DIR"):
        return Path(os.environ["CHAINGATE_ADVISORIES_DIR"])
    from platformdirs import user_data_path

    return user_data_path("chaingate", appauthor=False) / "advisories"
