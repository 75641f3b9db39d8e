"""An elevator's file as a bundle: `elevator-ledger bundle CODE --out FILE` writes it from a real
small town (on each backend), and `elevator-ledger verify FILE` checks it offline in a process
of its own, with no server running and no database; the console's route serves the same file,
scoped to the regulator's districts. A forged entry, a key the bundle does not register, a
wrong log key: each is one line naming it, exit 1."""

from __future__ import annotations

import hashlib
import io
import subprocess
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner, Result

from api.app import create_app
from api.cli.main import app
from api.elevator_bundle import elevator_bundle
from domain.model.onboarding import key_registration
from domain.model.roles import Role
from domain.model.subjects import SubjectRef
from domain.replay.bundle import BundleRejected, check_bundle
from ledger.bundle import build_bundle, open_bundle
from ledger.keys import SigningKey
from tests.support.city import NOW, City, Org, append_forged, statement
from tests.support.seeded import PlannedCity
from tests.support.servers import cli_command
from tests.support.timeline import Days
from tests.support.web import regulator_user, signed_in

CODE = "311023010201500098"
OTHER = "311023010201500099"
HISTORY = Days(NOW - timedelta(days=800))
at, day = HISTORY.at, HISTORY.day


@dataclass
class Town:
    home: Path
    url: str
    city: City
    maker: Org
    builder: Org
    institute: Org

    def lifecycle(self, code: str) -> None:
        m, b, i = self.maker, self.builder, self.institute
        say = self.city.say
        say(m, statement("elevator.manufactured", code, m, at(0), manufactured_on=day(0)))
        say(m, statement("elevator.sold", code, m, at(1)))
        say(b, statement("construction.notified", code, b, at(10), planned_start=day(11)))
        say(b, statement("construction.completed", code, b, at(40), completed_on=day(40)))
        say(i, statement("inspection.concluded", code, i, at(45), next_due=day(400)))

    @property
    def log_key(self) -> str:
        return self.city.node.log.signer.verifier.text()

    def cli(self, *args: str | Path) -> Result:
        env: dict[str, str | None] = {
            "LEDGER_HOME": str(self.home),
            "LEDGER_DATABASE_URL": self.url,
            "LEDGER_ORIGIN": None,
        }
        return CliRunner().invoke(app, [str(a) for a in args], env=env)


@pytest.fixture
def town(tmp_path: Path, database_url: str) -> Iterator[Town]:
    city = City.open(tmp_path / "home", database_url)
    town = Town(
        tmp_path / "home",
        database_url,
        city,
        maker=city.org(Role.MANUFACTURER),
        builder=city.org(Role.CONSTRUCTION_UNIT),
        institute=city.org(Role.INSPECTION_INSTITUTE),
    )
    town.lifecycle(CODE)
    town.lifecycle(OTHER)
    yield town
    town.city.node.close()


def offline_verify(bundle: Path, *args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    """`elevator-ledger verify` in a process of its own: an empty home, a database that does not
    exist, and no network to ask (no server runs)."""
    env = {
        "LEDGER_HOME": str(tmp / "auditor"),
        "LEDGER_DATABASE_URL": f"sqlite:///{tmp / 'auditor' / 'none.db'}",
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp / "auditor"),
    }
    return subprocess.run(
        cli_command("verify", str(bundle), *args),
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_bundle_written_by_the_cli_verifies_offline_in_another_process(
    town: Town, tmp_path: Path
) -> None:
    out = tmp_path / "file.zip"
    made = town.cli("bundle", CODE, "--out", out)
    assert made.exit_code == 0, made.output
    town.city.node.close()  # nothing of the ledger is left running
    done = offline_verify(out, "--log-key", town.log_key, tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    assert f"verified the file of elevator {CODE}: 5 entries (versions 1..5)" in done.stdout
    assert ": OK" in done.stdout and "WARNING" not in done.stderr
    assert "inclusion proof" in done.stdout and "not checked here: roles" in done.stdout
    assert not (tmp_path / "auditor" / "none.db").exists(), "verify opened no database"
    town.city = City.open(town.home, town.url)


def test_the_bundle_holds_the_whole_chain_and_every_signers_organization_chain(
    town: Town,
) -> None:
    node = town.city.node
    made = elevator_bundle(node, CODE)
    assert made is not None and made.filename.startswith(f"elevator-{CODE}-log")
    opened = open_bundle(made.data, node.log.signer.verifier)
    org = SubjectRef.organization
    assert set(opened.chains) == {
        str(SubjectRef.elevator(CODE)),
        str(org(node.anchor.uscc)),
        str(org(town.maker.uscc)),
        str(org(town.builder.uscc)),
        str(org(town.institute.uscc)),
    }, "not the other elevator, not anyone who did not sign"
    assert opened.checkpoint.size == node.log.latest_checkpoint().size
    authority = opened.chains[str(org(node.anchor.uscc))]
    assert authority[0].index == 0, "the root authority's genesis opens the log"
    assert opened.extra["authority"]["uscc"] == node.anchor.uscc
    readme = zipfile.ZipFile(io.BytesIO(made.data)).read("README.txt").decode()
    assert f"电梯 {CODE} 的电子档案" in readme and "elevator.manufactured" in readme


def test_without_a_pinned_log_key_the_check_says_loudly_whose_key_it_used(
    town: Town, tmp_path: Path
) -> None:
    out = tmp_path / "file.zip"
    assert town.cli("bundle", CODE, "--out", out).exit_code == 0
    done = offline_verify(out, tmp=tmp_path)
    assert done.returncode == 0, done.stderr
    digest = hashlib.sha256(town.log_key.encode()).hexdigest()
    assert "WARNING:" in done.stderr and "taken from the bundle" in done.stderr
    assert digest in done.stderr and "compare it with the one the ledger publishes" in done.stderr


def test_a_log_key_pinned_by_an_earlier_verify_is_the_trust_a_bundle_is_checked_with(
    town: Town, tmp_path: Path
) -> None:
    state = tmp_path / "seen.json"
    export = tmp_path / "export"
    assert town.cli("export", export).exit_code == 0
    assert town.cli("verify", export, "--state", state).exit_code == 0
    out = tmp_path / "file.zip"
    assert town.cli("bundle", CODE, "--out", out).exit_code == 0
    result = town.cli("verify", out, "--state", state)
    assert result.exit_code == 0, result.output
    assert "WARNING" not in result.stderr
    assert f"taken from the bundle, the one {state} pinned on" in result.stdout

    forged = orjson.loads(state.read_bytes())
    other = City.open(tmp_path / "elsewhere", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    forged[town.city.node.log.origin]["log_key"] = other.node.log.signer.verifier.text()
    other.node.close()
    state.write_bytes(orjson.dumps(forged))
    refused = town.cli("verify", out, "--state", state)
    assert refused.exit_code == 1
    assert "the log key of" in refused.stderr and "but it was" in refused.stderr


def test_a_bundle_checked_under_another_log_key_fails_in_one_line(
    town: Town, tmp_path: Path
) -> None:
    out = tmp_path / "file.zip"
    assert town.cli("bundle", CODE, "--out", out).exit_code == 0
    other = City.open(tmp_path / "elsewhere", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    stranger = other.node.log.signer.verifier.text()
    other.node.close()
    done = offline_verify(out, "--log-key", stranger, tmp=tmp_path)
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr.strip().splitlines()[-1].startswith("error: bundle ")
    assert "not the pinned" in done.stderr


def test_an_entry_signed_by_a_key_no_entry_registers_is_named(town: Town, tmp_path: Path) -> None:
    """What a server with the log key could append: the log and the chain hold it, only the
    signature check finds it."""
    impostor = Org(town.maker.uscc, SigningKey.generate(), (Role.MANUFACTURER,))
    envelope = town.city.envelope([impostor], statement("elevator.sold", CODE, impostor, at(50)))
    index = append_forged(town.city, CODE, envelope, NOW)
    out = tmp_path / "file.zip"
    assert town.cli("bundle", CODE, "--out", out).exit_code == 0, "the log holds it"
    result = town.cli("verify", out, "--log-key", town.log_key)
    assert result.exit_code == 1
    line = result.stderr.strip().splitlines()[-1]
    assert f"entry {index} (elevator:{CODE} version 6: signature 1 names key" in line, line
    assert "which is not known" in line


def test_a_rotated_key_counts_until_its_revocation_in_log_order(town: Town) -> None:
    """The maker registers a new key and revokes the old one: the old key's signatures before
    the revocation verify, the new key's after it; an entry the old key signed after it (what
    a server with the log key could append) is named."""
    maker, third = town.maker, "311023010201500097"
    town.city.say(
        maker, statement("elevator.manufactured", third, maker, at(2), manufactured_on=day(2))
    )
    rotated = Org(maker.uscc, SigningKey.generate(), maker.roles)
    town.city.say(maker, key_registration(maker.uscc, maker.uscc, rotated.key.verifying_key, at(3)))
    revocation = {
        "type": "key.revoked",
        "organization": maker.uscc,
        "issuer": maker.uscc,
        "occurred_at": at(4).isoformat(),
        "data": {"key_id": maker.key.verifying_key.key_id, "reason": "密钥轮换"},
    }
    town.city.say(rotated, revocation)
    town.city.say(rotated, statement("elevator.sold", third, rotated, at(5)))
    node = town.city.node
    made = elevator_bundle(node, third)
    assert made is not None
    opened = open_bundle(made.data, node.log.signer.verifier)
    verdict = check_bundle(opened.indexed(), third, node.anchor, NOW + timedelta(days=1))
    assert verdict.replay.verified and verdict.replay.entries_checked == 2

    late = town.city.envelope([maker], statement("elevator.sold", third, maker, at(6)))
    index = append_forged(town.city, third, late, NOW)
    made = elevator_bundle(node, third)
    assert made is not None
    opened = open_bundle(made.data, node.log.signer.verifier)
    with pytest.raises(BundleRejected) as caught:
        check_bundle(opened.indexed(), third, node.anchor, NOW + timedelta(days=1))
    message = str(caught.value)
    assert message.startswith(f"entry {index} (elevator:{third} version 3: "), message
    assert "revoked earlier in the log" in message


def test_every_elevator_of_a_planned_city_verifies_from_its_bundle(
    planned_city: PlannedCity,
) -> None:
    """Two years of the demo's planned history — maintenance contracts co-signed by the use
    unit, visits and their confirmations, faults, hazards, inspections, penalties — pass the
    bundle's check for each lift."""
    node = planned_city.city.node
    for code in planned_city.plan.elevators:
        made = elevator_bundle(node, code)
        assert made is not None
        opened = open_bundle(made.data, node.log.signer.verifier)
        verdict = check_bundle(opened.indexed(), code, node.anchor, node.now())
        assert verdict.replay.verified, verdict.replay.problem
        assert verdict.replay.entries_checked == len(opened.chains[f"elevator:{code}"])


def test_a_bundle_without_a_signers_key_registration_is_refused(town: Town, tmp_path: Path) -> None:
    """A bundle made (and signed with the log key) without the maker's organization chain:
    the maker's key is registered nowhere in it."""
    node = town.city.node
    chains = node.chains()
    selection = {
        subject: [(e.index, e.data) for e in chains.entries(subject)]
        for subject in (
            str(SubjectRef.elevator(CODE)),
            str(SubjectRef.organization(node.anchor.uscc)),
        )
    }
    extra = {
        "equipment_code": CODE,
        "authority": {"uscc": node.anchor.uscc, "public_key": node.anchor.key.public_b64()},
    }
    data = build_bundle(
        node.log, node.log.signer, str(SubjectRef.elevator(CODE)), selection, NOW, extra
    )
    out = tmp_path / "partial.zip"
    out.write_bytes(data)
    result = town.cli("verify", out, "--log-key", town.log_key)
    assert result.exit_code == 1
    first = selection[str(SubjectRef.elevator(CODE))][0][0]
    line = result.stderr.strip().splitlines()[-1]
    assert f"entry {first} (elevator:{CODE} version 1: signature 1 names key" in line, line
    assert "not known" in line


def test_bundle_refuses_an_unknown_elevator_and_an_existing_file(
    town: Town, tmp_path: Path
) -> None:
    result = town.cli("bundle", "311023010201500011", "--out", tmp_path / "x.zip")
    assert result.exit_code == 1 and "no elevator 311023010201500011" in result.stderr
    (tmp_path / "there.zip").write_bytes(b"")
    result = town.cli("bundle", CODE, "--out", tmp_path / "there.zip")
    assert result.exit_code == 1 and "exists" in result.stderr


def test_log_key_is_only_for_bundles(town: Town, tmp_path: Path) -> None:
    result = town.cli("verify", tmp_path, "--log-key", town.log_key)
    assert result.exit_code == 1 and "--log-key is for a bundle" in result.stderr


# --- the console's route -----------------------------------------------------------------


@pytest.fixture(scope="module")
def console(planned_city: PlannedCity) -> Iterator[tuple[TestClient, PlannedCity]]:
    served = create_app(node=planned_city.city.node)
    with TestClient(served) as client:
        yield client, planned_city


def _district(city: PlannedCity, code: str) -> str:
    view = city.city.node.app.elevator(code)
    assert view is not None and view.state.registration is not None
    from projections.read import elevator

    found = elevator(city.city.node.engine, code, city.city.node.today())
    assert found is not None and found.status.district is not None
    return found.status.district


def test_the_console_serves_the_file_of_an_elevator_in_the_users_district(
    console: tuple[TestClient, PlannedCity],
) -> None:
    client, city = console
    code = city.plan.elevators[0]
    user = regulator_user(city.city.node.anchor.uscc, (_district(city, code),))
    with signed_in(client.app, user):  # type: ignore[arg-type]
        answer = client.get(f"/console/elevators/{code}/bundle")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/zip"
    assert answer.headers["cache-control"] == "no-store"
    assert f'filename="elevator-{code}-log' in answer.headers["content-disposition"]
    opened = open_bundle(answer.content, city.city.node.log.signer.verifier)
    assert opened.extra["equipment_code"] == code


def test_another_districts_elevator_is_a_403_page_and_an_unknown_one_a_404_page(
    console: tuple[TestClient, PlannedCity],
) -> None:
    client, city = console
    code = city.plan.elevators[0]
    elsewhere = regulator_user(city.city.node.anchor.uscc, ("110101",))
    with signed_in(client.app, elsewhere):  # type: ignore[arg-type]
        refused = client.get(f"/console/elevators/{code}/bundle")
        unknown = client.get("/console/elevators/311023010201599999/bundle")
    assert refused.status_code == 403 and "不在您的辖区" in refused.text
    assert refused.headers["content-type"].startswith("text/html")
    assert "entries.jsonl" not in refused.text and code not in refused.text
    assert unknown.status_code == 404 and "没有这部电梯" in unknown.text


def test_a_lift_not_yet_registered_is_in_the_district_its_construction_notice_names(
    town: Town,
) -> None:
    """The town's lifts are inspected but never registered for use: the bureau where the work
    was notified (施工告知) has them, another province's does not."""
    town.city.node.projections.catch_up()
    served = create_app(node=town.city.node)
    home = regulator_user(town.city.node.anchor.uscc, ("430000",))
    elsewhere = regulator_user(town.city.node.anchor.uscc, ("350000",))
    with TestClient(served) as client:
        with signed_in(served, home):
            assert client.get(f"/console/elevators/{CODE}/bundle").status_code == 200
        with signed_in(served, elsewhere):
            refused = client.get(f"/console/elevators/{CODE}/bundle")
    assert refused.status_code == 403 and "不在您的辖区" in refused.text


def test_the_download_needs_a_signed_in_regulator(
    console: tuple[TestClient, PlannedCity],
) -> None:
    client, city = console
    answer = client.get(
        f"/console/elevators/{city.plan.elevators[0]}/bundle", follow_redirects=False
    )
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/console/sign-in")


def test_the_manifest_the_console_serves_lists_each_entry_once(
    console: tuple[TestClient, PlannedCity],
) -> None:
    client, city = console
    code = city.plan.elevators[1]
    user = regulator_user(city.city.node.anchor.uscc, ("430900",))
    with signed_in(client.app, user):  # type: ignore[arg-type]
        answer = client.get(f"/console/elevators/{code}/bundle")
    assert answer.status_code == 200, answer.text
    manifest = orjson.loads(zipfile.ZipFile(io.BytesIO(answer.content)).read("manifest.json"))
    indices = [e["index"] for e in manifest["entries"]]
    assert indices == sorted(set(indices))
