"""Migration a0004 on both backends: the record of reads made before it keeps every row, each
now a token read, and console reveals (no token) can be written after it."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from api.migrations import MIGRATIONS, VERSION_TABLE
from api.personal_reads import PersonalReads, StaffReader
from ledger.db import make_engine, writer
from ledger.migrate import upgrade


def _upgrade_to(engine: Engine, revision: str) -> None:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["version_table"] = VERSION_TABLE
    with writer(engine).begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def test_token_reads_recorded_before_a0004_are_kept_as_token_reads(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        _upgrade_to(engine, "a0002")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO api_personal_reads (read_at, token_id, organization, name,"
                    " log_index) VALUES (:at, 'abcdef0123456789', '11430900MB1P00500L',"
                    " 'alice', 7)"
                ),
                {"at": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)},
            )
        upgrade(writer(engine), MIGRATIONS, VERSION_TABLE)
        reads = PersonalReads(engine)
        reader = StaffReader("acct-1", "zhao", "赵监管", "11430900MB1P00500L")
        reads.record_reveal(reader, 9, "核查")
        old, new = reads.list()
        assert (old.kind, old.token_id, old.name, old.log_index, old.reason) == (
            "token",
            "abcdef0123456789",
            "alice",
            7,
            None,
        )
        assert (new.kind, new.token_id, new.login, new.account_id, new.reason) == (
            "console",
            None,
            "zhao",
            "acct-1",
            "核查",
        )
    finally:
        engine.dispose()
