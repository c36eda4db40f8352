"""Issue 13: MySQL TLS always verifies the chain and the host name, whatever ssl-mode says.

A private mariadbd (empty temp datadir, free port) serves TLS with a certificate for
`localhost` issued by a CA made here; the engine is built from
Aiven-style URIs exactly as production builds it.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import attrs
import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from domestyx.adapters.sql.engine import create_database_engine
from tests.support.services import free_port, port_open, unavailable, wait_until
from tests.support.tls import Authority

WRONG_HOST = r"mismatch, certificate is not valid for .127\.0\.0\.1"
MARIADBD = shutil.which("mariadbd") or "/usr/sbin/mariadbd"


@attrs.frozen
class TlsServer:
    port: int
    ca_file: str
    other_ca_file: str

    def url(self, host: str, mode: str) -> str:
        """An Aiven-style URI for this server."""
        return f"mysql://root@{host}:{self.port}/information_schema?ssl-mode={mode}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    if not Path(MARIADBD).exists():
        unavailable("mariadbd", "the MariaDB server binary is not installed")
    root = Path(tmp_path_factory.mktemp("tls-mariadb"))
    ca = Authority.create("DomestyX test CA")
    certs = ca.issue(root / "certs", dns=("localhost",))
    port = free_port()
    (root / "data").mkdir()
    log = (root / "mariadbd.log").open("wb")
    process = subprocess.Popen(
        [MARIADBD, "--no-defaults", f"--datadir={root / 'data'}", "--user=root",
         f"--port={port}", "--bind-address=127.0.0.1", f"--socket={root / 'mysqld.sock'}",
         f"--pid-file={root / 'mysqld.pid'}", "--skip-grant-tables", "--skip-log-bin",
         "--innodb-buffer-pool-size=16M", "--innodb-log-file-size=4M",
         f"--ssl-ca={ca.write(root / 'ca.pem')}", f"--ssl-cert={certs / 'server.pem'}",
         f"--ssl-key={certs / 'server-key.pem'}"],
        stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        up = wait_until(lambda: port_open(f"mysql://127.0.0.1:{port}", port), timeout=30)
        assert up, (root / "mariadbd.log").read_text()
        other = Authority.create("Someone else's CA").write(root / "other-ca.pem")
        yield TlsServer(port, str(root / "ca.pem"), str(other))
    finally:
        process.terminate()
        process.wait(30)
        log.close()


def cipher(url: str, ca_file: str | None) -> str:
    """Connect as production does and return the session's TLS cipher."""
    engine = create_database_engine(url, ca_file=ca_file, pool_size=1)
    try:
        with engine.connect() as conn:
            row = conn.execute(text("SHOW SESSION STATUS LIKE 'Ssl_cipher'")).one()
            return str(row[1])
    finally:
        engine.dispose()


@pytest.mark.parametrize("mode", ["REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"])
def test_the_right_ca_and_host_connect_over_tls(server: TlsServer, mode: str) -> None:
    assert cipher(server.url("localhost", mode), server.ca_file)


@pytest.mark.parametrize("mode", ["REQUIRED", "VERIFY_CA"])
def test_a_certificate_from_another_ca_is_refused(server: TlsServer, mode: str) -> None:
    with pytest.raises(OperationalError, match="CERTIFICATE_VERIFY_FAILED"):
        cipher(server.url("localhost", mode), server.other_ca_file)


@pytest.mark.parametrize("mode", ["REQUIRED", "VERIFY_CA"])
def test_a_host_name_the_certificate_does_not_name_is_refused(server: TlsServer, mode: str) -> None:
    # The certificate names `localhost`; 127.0.0.1 reaches the same server under another name.
    with pytest.raises(OperationalError, match=WRONG_HOST):
        cipher(server.url("127.0.0.1", mode), server.ca_file)


@pytest.mark.parametrize("mode", ["REQUIRED", "VERIFY_CA", "VERIFY_IDENTITY"])
def test_tls_without_a_ca_is_never_unverified(server: TlsServer, mode: str) -> None:
    # No CA given: the system roots are the trust anchor, and they do not know this CA.
    with pytest.raises(OperationalError, match="CERTIFICATE_VERIFY_FAILED"):
        cipher(server.url("localhost", mode), None)


def test_the_cipher_check_can_tell_plain_from_tls(server: TlsServer) -> None:
    # ssl-mode=DISABLED is plain: the tests above saw a cipher because they did speak TLS.
    assert cipher(server.url("localhost", "DISABLED"), None) == ""
