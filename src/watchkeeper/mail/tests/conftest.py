"""A throw-away Dovecot IMAP server for the IMAP polling tests: its own configuration, sockets, mail and log
in a temporary directory, on a free port of 127.0.0.1, so it never meets a system Dovecot (none needs to run).
Debian's `dovecot-imapd` package provides the binary; `.ci/run` and `make test-services` install it."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from imap_tools import MailBoxUnencrypted

DOVECOT = os.environ.get("DOVECOT_PATH") or shutil.which("dovecot") or "/usr/sbin/dovecot"

# passwd-file lines are colon-separated, so the passwords hold no colon; they hold what must be
# percent-encoded in a URL, to prove IMAP_MAILBOXES decodes it.
USERS = {"support@exchange.test": "s3cret/p@ss,word%", "kyc@exchange.test": "another-Secret#2"}


@dataclass(frozen=True)
class Dovecot:
    port: int
    workdir: Path

    def url(self, user: str, password: str | None = None, folder: str = "INBOX", query: str = "") -> str:
        secret = USERS[user] if password is None else password
        url = f"imap://{quote(user, safe='')}:{quote(secret, safe='')}@127.0.0.1:{self.port}/{folder}"
        return f"{url}?{query}" if query else url

    def connect(self, user: str, folder: str = "INBOX") -> MailBoxUnencrypted:
        return MailBoxUnencrypted("127.0.0.1", self.port, timeout=10).login(
            user, USERS[user], initial_folder=folder
        )

    def log(self) -> str:
        path = self.workdir / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _config(workdir: Path, port: int) -> str:
    if os.geteuid() == 0:
        # Dovecot runs nothing as root but its master and, here, auth (which reads our root-owned
        # passwd file); mail is served as the package's own `dovecot` user, which owns the maildirs.
        internal, login, auth = "dovecot", "dovenull", "root"
        mail_user = pwd.getpwnam("dovecot")
    else:
        # Unprivileged: every process runs as this user, so nothing may chroot.
        mail_user = pwd.getpwuid(os.geteuid())
        internal = login = auth = mail_user.pw_name
    return f"""
instance_name = watchkeeper-test-{port}
base_dir = {workdir}/run
state_dir = {workdir}/state
log_path = {workdir}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# A refused log-in answers at once instead of after the default 2 s.
auth_failure_delay = 0
default_internal_user = {internal}
default_internal_group = {grp.getgrgid(pwd.getpwnam(internal).pw_gid).gr_name}
default_login_user = {login}
first_valid_uid = {mail_user.pw_uid}
last_valid_uid = {mail_user.pw_uid}
first_valid_gid = {mail_user.pw_gid}
mail_location = maildir:{workdir}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN {workdir}/passwd
}}
userdb {{
  driver = static
  args = uid={mail_user.pw_uid} gid={mail_user.pw_gid} home={workdir}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
  # No growing delay after failed log-ins: the tests fail some on purpose (Dovecot's documented switch).
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
service auth {{
  user = {auth}
}}
"""


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    if not Path(DOVECOT).exists():
        message = f"Dovecot not found at {DOVECOT} (apt-get install dovecot-imapd)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    # Not pytest's tmp_path: it lies under a directory only its owner may enter, and when we run as root
    # Dovecot's own users must reach the sockets and the mail.
    workdir = Path(tempfile.mkdtemp(prefix="wk-dovecot-"))
    workdir.chmod(0o755)
    port = _free_port()
    (workdir / "passwd").write_text(
        "".join(f"{user}:{{PLAIN}}{password}::::::\n" for user, password in USERS.items())
    )
    (workdir / "passwd").chmod(0o600)
    (workdir / "mail").mkdir(mode=0o700)
    if os.geteuid() == 0:
        owner = pwd.getpwnam("dovecot")
        os.chown(workdir / "mail", owner.pw_uid, owner.pw_gid)
    (workdir / "dovecot.conf").write_text(_config(workdir, port))
    process = subprocess.Popen(
        [DOVECOT, "-c", str(workdir / "dovecot.conf"), "-F"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    server = Dovecot(port, workdir)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                stderr = process.stderr.read().decode(errors="replace") if process.stderr else ""
                pytest.fail(f"dovecot exited with {process.returncode}:\n{stderr}\n{server.log()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                    if probe.recv(100).startswith(b"* OK"):
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"dovecot did not answer on 127.0.0.1:{port}:\n{server.log()}")
            time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stderr:
            process.stderr.close()
        shutil.rmtree(workdir, ignore_errors=True)
