"""Secrets at rest: after real API traffic, neither the whole database nor the server's
log holds key material, IAM secret access keys, plaintext or data keys, in any spelling
(raw bytes, hex, base64)."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django.db import connection

from kmsconsole.kms.materials import material_bytes
from kmsconsole.kms.models import Key

KEY_SPECS = [
    ("SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT"),
    ("HMAC_512", "GENERATE_VERIFY_MAC"),
    ("ECC_NIST_P256", "SIGN_VERIFY"),
    ("ECC_SECG_P256K1", "SIGN_VERIFY"),
    ("RSA_2048", "ENCRYPT_DECRYPT"),
    ("ECC_NIST_EDWARDS25519", "SIGN_VERIFY"),
]


def spellings(secret: bytes) -> list[bytes]:
    """How a secret could appear in a dump: raw, hex (either case), base64 (either alphabet)."""
    return [
        secret,
        secret.hex().encode(),
        secret.hex().upper().encode(),
        base64.b64encode(secret),
        base64.urlsafe_b64encode(secret),
    ]


def assert_nowhere_in(dump: bytes, secrets: dict[str, bytes], where: str) -> None:
    for label, secret in secrets.items():
        for spelling in spellings(secret):
            assert spelling not in dump, f"{label} found in {where}"


def whole_database() -> bytes:
    """Every byte the database holds: the SQLite file and its WAL, or a PostgreSQL dump."""
    settings_dict = connection.settings_dict
    if connection.vendor == "sqlite":
        # Read by another process: closing any descriptor of the file in this one would drop
        # the POSIX locks this process's SQLite connection holds, and corrupt the database.
        files = [path for path in (settings_dict["NAME"], f"{settings_dict['NAME']}-wal") if Path(path).exists()]
        return subprocess.run(["cat", *files], capture_output=True, check=True).stdout
    if shutil.which("pg_dump"):
        return _pg_dump(settings_dict)
    return _select_everything()


def _pg_dump(settings_dict: dict) -> bytes:
    command = ["pg_dump", "--data-only", "--no-owner", "--dbname", settings_dict["NAME"]]
    if settings_dict.get("HOST"):
        command += ["--host", settings_dict["HOST"], "--port", str(settings_dict.get("PORT") or 5432)]
    if settings_dict.get("USER"):
        command += ["--username", settings_dict["USER"]]
    env = {**os.environ, "PGPASSWORD": settings_dict.get("PASSWORD") or ""}
    return subprocess.run(command, env=env, capture_output=True, check=True).stdout


def _select_everything() -> bytes:
    chunks: list[bytes] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            columns = [c.name for c in connection.introspection.get_table_description(cursor, table)]
            quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
            cursor.execute(f"SELECT {quoted} FROM {connection.ops.quote_name(table)}")
            for row in cursor.fetchall():
                for value in row:
                    raw = bytes(value) if isinstance(value, bytes | memoryview) else None
                    chunks.append(raw if raw is not None else str(value).encode("utf-8", "surrogatepass"))
    return b"\n".join(chunks)


def gunicorn_logs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """The live server's log file(s); conftest's ``live_endpoint`` writes them here."""
    return sorted(tmp_path_factory.getbasetemp().glob("server*/gunicorn.log"))


@pytest.fixture
def traffic(kms, alice, orm) -> dict[str, bytes]:
    """Keys of several specs used through the API; every secret that traffic involved.
    The first entry is not secret: a key id that a real dump must contain."""
    secrets: dict[str, bytes] = {"IAM secret access key": alice.secret_access_key.encode()}
    key_ids = {}
    for spec, usage in KEY_SPECS:
        key_ids[spec] = kms.create_key(KeySpec=spec, KeyUsage=usage)["KeyMetadata"]["KeyId"]
    symmetric = key_ids["SYMMETRIC_DEFAULT"]
    secrets = {"landmark": symmetric.encode(), **secrets}
    plaintext = os.urandom(48)
    secrets["plaintext"] = plaintext
    kms.encrypt(KeyId=symmetric, Plaintext=plaintext)
    rsa_plaintext = os.urandom(100)
    secrets["RSA plaintext"] = rsa_plaintext
    kms.encrypt(KeyId=key_ids["RSA_2048"], Plaintext=rsa_plaintext, EncryptionAlgorithm="RSAES_OAEP_SHA_256")
    for index in range(3):
        secrets[f"data key {index}"] = kms.generate_data_key(KeyId=symmetric, KeySpec="AES_256")["Plaintext"]
    pair = kms.generate_data_key_pair(KeyId=symmetric, KeyPairSpec="ECC_NIST_P256")
    secrets["data key pair private key"] = pair["PrivateKeyPlaintext"]
    secrets["random bytes"] = kms.generate_random(NumberOfBytes=32)["Plaintext"]
    kms.rotate_key_on_demand(KeyId=symmetric)
    for key in Key.objects.filter(key_id__in=key_ids.values()).prefetch_related("materials"):
        for material in key.materials.all():
            secrets[f"{key.key_spec} material v{material.version}"] = material_bytes(key, material.version)
    return secrets


def test_the_database_holds_no_key_material_secret_key_or_plaintext(traffic):
    landmark = traffic.pop("landmark")
    dump = whole_database()
    assert landmark in dump, "the dump does not hold this test's keys"
    assert_nowhere_in(dump, traffic, "the database")


def test_the_server_log_holds_no_secret(traffic, tmp_path_factory):
    del traffic["landmark"]
    logs = gunicorn_logs(tmp_path_factory)
    assert logs, "the live server's log file was not found"
    for log in logs:
        assert_nowhere_in(log.read_bytes(), traffic, str(log))
