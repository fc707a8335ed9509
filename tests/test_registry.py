"""Registries are data: they must validate, and `nianbao sites check` says so."""
import pytest
import yaml

from crawler.registry import RegistryError, load_registry
from tests.conftest import run_cli


def test_bundled_registries_validate():
    replica = load_registry("replica", port=1234)
    assert len(replica) >= 6 and all(":1234/" in a.start_url for a in replica)
    assert load_registry("real")


def test_replica_needs_a_port():
    with pytest.raises(RegistryError, match="port"):
        load_registry("replica")


@pytest.mark.parametrize("change,message", [
    ({"level": "galaxy"}, "level"),
    ({"start_url": "ftp://x"}, "start_url"),
    ({"platform": "wordpress"}, "platform"),
    ({"colour": "red"}, "colour"),
])
def test_bad_entries_name_the_field(tmp_path, change, message):
    entry = {"id": "a-b", "name": "某县民政局", "province": "某省", "level": "county",
             "platform": "trs", "start_url": "http://a/"}
    entry.update(change)
    p = tmp_path / "r.yml"
    p.write_text(yaml.safe_dump({"agencies": [entry]}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RegistryError, match=message):
        load_registry(p)


def test_duplicate_ids_rejected(tmp_path):
    entry = {"id": "a", "name": "某县民政局", "province": "某省", "level": "county",
             "platform": "trs", "start_url": "http://a/"}
    p = tmp_path / "r.yml"
    p.write_text(yaml.safe_dump({"agencies": [entry, entry]}, allow_unicode=True), encoding="utf-8")
    with pytest.raises(RegistryError, match="duplicate"):
        load_registry(p)


def test_sites_check_cli(tmp_path):
    ok = run_cli("sites", "check")
    assert "replica" in ok.stdout and "real" in ok.stdout
    p = tmp_path / "bad.yml"
    p.write_text("agencies: [{id: X}]", encoding="utf-8")
    bad = run_cli("sites", "check", str(p), check=False)
    assert bad.returncode == 1 and "bad.yml" in bad.stderr
