"""Settings from the environment (prefix ``LEDGER_``), one typed object for every entry point."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

#: The URL schemes of the databases the ledger runs on (a driver may follow a "+").
DATABASES = ("sqlite", "postgresql", "postgres")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LEDGER_", extra="ignore")

    home: Path = Path("var")
    """Where the embedded database and the key files live."""
    database_url: str = ""
    """``sqlite:///path`` (default: ``<home>/ledger.db``) or ``postgresql://…``."""
    origin: str = "ledger.yiyang.example/elevators"
    """The log's origin line and the name of its checkpoint key."""
    authority_uscc: str = "11430900MB1C2D3E45"
    """The root authority (the regulator running the ledger): its unified social credit code."""
    authority_name: str = "益阳市市场监督管理局"
    authority_district: str = "430900"
    time_zone: str = "Asia/Shanghai"
    """The ledger's time zone (IANA name): "today" for due dates, work lists, flags, the QR
    page and scorecard years is the date there, not UTC's. Instants are never shifted by it."""
    host: str = "127.0.0.1"
    port: int = 8000
    secure_cookies: bool = False
    """Mark the console's and the desk's cookies ``Secure`` even on a plain-HTTP request (set it
    behind a TLS-terminating proxy that does not forward the scheme); an https request always
    gets them ``Secure``."""

    @field_validator("time_zone")
    @classmethod
    def _known_zone(cls, name: str) -> str:
        try:
            ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"unknown time zone {name!r}: an IANA name such as Asia/Shanghai"
            ) from None
        return name

    @field_validator("database_url")
    @classmethod
    def _supported_database(cls, url: str) -> str:
        """Only the two backends the ledger runs on (the event store's settings are derived
        from the URL: ``domain.application.ledger_factory``)."""
        scheme = url.partition("://")[0].lower()
        if url and (not url.partition("://")[1] or scheme.split("+")[0] not in DATABASES):
            raise ValueError(
                "not a database this ledger runs on: expected sqlite:///<path> or"
                " postgresql://<user>@<host>/<database>"
            )
        return url

    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    @cached_property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'ledger.db'}"

    @property
    def keys_dir(self) -> Path:
        return self.home / "keys"

    @property
    def log_key_path(self) -> Path:
        return self.keys_dir / "log.note-key"

    @property
    def authority_key_path(self) -> Path:
        """The root authority's private key: in production kept offline by the regulator."""
        return self.keys_dir / "authority.pem"

    @property
    def trust_path(self) -> Path:
        """Public trust configuration: log verifier key and the root authority's public key."""
        return self.home / "trust.json"

    @property
    def demo_keys_dir(self) -> Path:
        """Demo organizations' private keys, one PEM per USCC (and per IoT terminal)."""
        return self.keys_dir / "demo"

    @property
    def demo_marker_path(self) -> Path:
        """Written when the demo city is fully seeded: what was made and where its keys are."""
        return self.home / "demo-city.json"
