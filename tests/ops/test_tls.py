"""The hall server behind TLS with a private CA: provisioning with --ca-bundle works (and the
kiosk keeps its own copy of the CA), an untrusted certificate is E-NET-04, and
`kiosk serve --tls-cert/--tls-key` serves HTTPS itself."""

from __future__ import annotations

import ipaddress
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from tests.support.kiosk_cli import KioskCli
from tests.support.server import REPO, isolated_settings


def _ca(name: str):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=2))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _server_cert(ca_key, ca_cert):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hall.local")]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return key, cert


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> dict[str, Path]:
    from cryptography.hazmat.primitives import serialization

    d = tmp_path_factory.mktemp("pki")
    ca_key, ca_cert = _ca("Hall private CA")
    key, cert = _server_cert(ca_key, ca_cert)
    _other_key, other_ca = _ca("Somebody else's CA")
    pem = serialization.Encoding.PEM
    files = {
        "ca": d / "ca.pem",
        "cert": d / "server.pem",
        "key": d / "server.key",
        "other_ca": d / "other-ca.pem",
    }
    files["ca"].write_bytes(ca_cert.public_bytes(pem))
    files["other_ca"].write_bytes(other_ca.public_bytes(pem))
    files["cert"].write_bytes(cert.public_bytes(pem))
    files["key"].write_bytes(
        key.private_bytes(pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return files


@pytest.fixture(scope="module")
def tls_server(pki, tmp_path_factory):
    from hall_server.runner import start_in_thread

    d = tmp_path_factory.mktemp("tls-hall")
    running = start_in_thread(
        isolated_settings(d),
        data_dir=d / "data",
        demo=True,
        tls_cert=pki["cert"],
        tls_key=pki["key"],
    )
    yield running
    running.stop()


def _code(running) -> str:
    from hall_server import devices

    with running.database.write() as conn:
        return devices.create_enroll_code(
            conn, role="kiosk", expires=timedelta(hours=1), now=running.clock.now()
        )["code"]


def test_provision_over_tls_with_a_private_ca(tls_server, pki, tmp_path):
    assert tls_server.url.startswith("https://")
    ca_copy = tmp_path / "ca-from-usb-stick.pem"
    ca_copy.write_bytes(pki["ca"].read_bytes())
    cli = KioskCli(tmp_path / "kiosk")
    result = cli.json(
        "provision",
        "--server",
        tls_server.url,
        "--code",
        _code(tls_server),
        "--name",
        "TLS-K1",
        "--ca-bundle",
        str(ca_copy),
        "--hardware",
        "sim",
        "--noinput",
    )
    assert result["sync_state"] == "online" and result["catalog_items"] >= 200
    kept = cli.home / "ca-bundle.pem"
    assert kept.read_bytes() == pki["ca"].read_bytes() and kept.stat().st_mode & 0o777 == 0o600
    ca_copy.unlink()  # the stick is gone: the kiosk uses its own copy
    report = cli.json("doctor", check=False)
    checks = {c["name"]: c for c in report["checks"]}
    assert checks["server"]["status"] == "ok" and checks["token"]["status"] == "ok"
    sync = cli.json("sync")
    assert sync["state"] == "online"


def test_untrusted_certificate_is_refused(tls_server, pki, tmp_path):
    cli = KioskCli(tmp_path / "kiosk")
    code = _code(tls_server)
    for extra in ([], ["--ca-bundle", str(pki["other_ca"])]):
        proc = cli.run(
            "provision",
            "--server",
            tls_server.url,
            "--code",
            code,
            "--name",
            "TLS-X",
            "--noinput",
            "--json",
            *extra,
            check=False,
        )
        assert proc.returncode == 4, proc.stdout
        assert json.loads(proc.stdout)["error"]["code"] == "E-NET-04"
    assert not (cli.home / "credentials.json").exists()
    ok = cli.json(
        "provision",
        "--server",
        tls_server.url,
        "--code",
        code,
        "--name",
        "TLS-X",
        "--ca-bundle",
        str(pki["ca"]),
        "--noinput",
    )
    assert ok["role"] == "kiosk"  # the refused attempts never reached the enrolment


def test_not_a_ca_file_is_a_clear_error(tmp_path, tls_server):
    junk = tmp_path / "junk.pem"
    junk.write_text("not a certificate")
    proc = KioskCli(tmp_path / "k").run(
        "provision",
        "--server",
        tls_server.url,
        "--code",
        "AAAA-BBBB-CCCC",
        "--name",
        "X",
        "--ca-bundle",
        str(junk),
        "--noinput",
        "--json",
        check=False,
    )
    assert json.loads(proc.stdout)["error"]["code"] == "E-NET-04"
    assert "no PEM certificate" in json.loads(proc.stdout)["error"]["message"]


def test_kiosk_serve_with_tls_flags(pki, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("KIOSK_")}
    env["KIOSK_HOME"] = str(tmp_path / "home")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kiosk",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path / "data"),
            "--tls-cert",
            str(pki["cert"]),
            "--tls-key",
            str(pki["key"]),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=REPO,
        env=env,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith("serving on https://127.0.0.1:"), line
        url = line.split()[-1]
        reply = None
        for _ in range(100):
            try:
                reply = requests.get(f"{url}/api/v1/health", verify=str(pki["ca"]), timeout=2)
                break
            except requests.ConnectionError:
                import time

                time.sleep(0.1)
        assert reply is not None and reply.json()["status"] == "ok"
        with pytest.raises(requests.exceptions.SSLError):
            requests.get(f"{url}/api/v1/health", timeout=2)  # not trusted without the CA
    finally:
        proc.terminate()
        proc.wait(15)
        proc.stdout.close()
    half = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiosk",
            "serve",
            "--tls-cert",
            str(pki["cert"]),
            "--data-dir",
            str(tmp_path / "data"),
            "--port",
            "0",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env=env,
        timeout=60,
    )
    assert half.returncode == 2 and "--tls-key" in half.stderr
