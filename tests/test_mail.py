"""`--send` delivers each personal message over SMTP (a real aiosmtpd server on 127.0.0.1): one per
pending post, from the editor, with the preview attached; STARTTLS + AUTH; failures named per person."""

from __future__ import annotations

import os
import re
import ssl
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import Mailbox, Site, assert_problem, free_port, plain_text, run_roundup_env

TOKEN_LINE = re.compile(r"(ru2[a-z2-7]{44})")
PASSWORD = "s3cret-pw"


def mail_site(site: Site, port: int, **mail) -> Site:
    """zoe and sam (with e-mail) and lee (without) in alpha; zoe also in beta, and approved in gamma."""
    site.config(mail={"host": "127.0.0.1", "port": port, **mail})
    site.contributor("zoe", name="Zoë Quill", handle="@zoe", email="zoe@example.org")
    site.contributor("sam", name="Sam Reed", email="sam@example.org")
    site.contributor("lee", name="Lee Park")
    site.quote("alpha", "zoe", "Zoe's words.\n", note="Zoë, thank you for the essay. NOTE-ZOE")
    site.quote("alpha", "sam", "Sam's words.\n", note="Sam, short is fine. NOTE-SAM")
    site.quote("alpha", "lee", "Lee's words.\n")
    site.post("alpha", title="Alpha Roundup", voices=["zoe", "sam", "lee"])
    site.quote("beta", "zoe", "More words.\n", note="Second ask. NOTE-ZOE-BETA")
    site.post("beta", title="Beta Roundup", voices=["zoe"])
    site.quote("gamma", "zoe", "Old words.\n")
    site.post("gamma", title="Gamma Roundup", voices=["zoe"])
    site.approve("zoe", "gamma")
    return site


@pytest.fixture
def mailed(site: Site, smtp_server: Mailbox) -> Site:
    return mail_site(site, smtp_server.port)


def attachment(message):
    parts = list(message.iter_attachments())
    assert len(parts) == 1, [p.get_filename() for p in parts]
    return parts[0]


def test_send_delivers_one_message_per_pending_post_from_the_editor(mailed: Site, smtp_server: Mailbox):
    result = mailed.ok("preview", "zoe", "--send")
    assert "Sent 2 of 2 messages." in result.stdout
    assert [r["rcpt_tos"] for r in smtp_server.received] == [["zoe@example.org"]] * 2
    assert {r["mail_from"] for r in smtp_server.received} == {"ed@example.com"}
    by_title = {}
    for message in smtp_server.to("zoe@example.org"):
        (sender,) = message["From"].addresses
        assert (sender.display_name, sender.addr_spec) == ("Ed Itor", "ed@example.com")
        assert message["To"].addresses[0].addr_spec == "zoe@example.org"
        title = re.search(r"(Alpha|Beta|Gamma) Roundup", message["Subject"]).group(0)
        by_title[title] = message
    assert set(by_title) == {"Alpha Roundup", "Beta Roundup"}
    for title, slug, note in (("Alpha Roundup", "alpha", "NOTE-ZOE"), ("Beta Roundup", "beta", "NOTE-ZOE-BETA")):
        message = by_title[title]
        text = plain_text(message)
        assert text.startswith("Dear Zoë Quill,")
        assert note in text
        preview = (mailed.root / f"_previews/zoe/{slug}.html").read_bytes()
        token = TOKEN_LINE.search(preview.decode()).group(1)
        assert re.search(rf"^Approve: mailto:ed@example\.com\?subject=Approve%3A%20{title.replace(' ', '%20')}%20{token}&",
                         text, re.M), text
        html = message.get_body(("html",))
        assert html is not None and html.get_content_type() == "text/html"
        assert "Dear Zoë Quill," in html.get_content()
        assert re.search(rf'<a href="mailto:ed@example\.com\?subject=Approve[^"]*{token}[^"]*"[^>]*>Approve</a>',
                         html.get_content())
        attached = attachment(message)
        assert attached.get_filename().endswith(".html")
        assert attached.get_payload(decode=True) == preview


def test_two_contributors_get_their_own_personal_texts(mailed: Site, smtp_server: Mailbox):
    mailed.ok("preview", "zoe", "--post", "alpha", "--send")
    mailed.ok("preview", "sam", "--post", "alpha", "--send")
    (zoe,), (sam,) = smtp_server.to("zoe@example.org"), smtp_server.to("sam@example.org")
    zoe_text, sam_text = plain_text(zoe), plain_text(sam)
    assert zoe_text.startswith("Dear Zoë Quill,") and sam_text.startswith("Dear Sam Reed,")
    assert "NOTE-ZOE" in zoe_text and "NOTE-SAM" not in zoe_text
    assert "NOTE-SAM" in sam_text and "NOTE-ZOE" not in sam_text
    assert TOKEN_LINE.search(zoe_text).group(1) != TOKEN_LINE.search(sam_text).group(1)


def test_without_send_files_are_written_and_nothing_is_delivered(mailed: Site, smtp_server: Mailbox):
    result = mailed.ok("preview", "zoe")
    assert "Nothing was sent" in result.stdout
    assert (mailed.root / "_previews/zoe/alpha.eml").is_file()
    assert (mailed.root / "_previews/zoe/beta.html").is_file()
    assert smtp_server.received == []


def test_contributor_without_email_is_named_as_not_sent(mailed: Site, smtp_server: Mailbox):
    result = mailed.run("preview", "lee", "--send")
    assert result.returncode == 1
    assert re.search(r"not sent: lee: no `email` in contributors/lee\.yml", result.stderr), result.stderr
    assert (mailed.root / "_previews/lee/alpha.eml").is_file()
    assert smtp_server.received == []


def test_one_refused_address_fails_only_that_contributor(mailed: Site, smtp_server: Mailbox):
    smtp_server.refuse.add("sam@example.org")
    result = mailed.run("cancel", "alpha", "--send")
    assert result.returncode == 1
    sam_line = next(line for line in result.stderr.splitlines() if "sam" in line)
    assert "sam@example.org" in sam_line and "550 no such user" in sam_line
    assert re.search(r"not sent: lee: no `email`", result.stderr)
    assert "zoe" not in result.stderr
    assert [r["rcpt_tos"] for r in smtp_server.received] == [["zoe@example.org"]]
    assert "Sent 1 of 3 messages." in result.stdout
    smtp_server.refuse = {"zoe@example.org"}
    smtp_server.received.clear()
    result = mailed.run("preview", "zoe", "--send")
    assert result.returncode == 1
    assert re.search(r"not sent: zoe: .*550 no such user", result.stderr), result.stderr


def test_unreachable_server_names_every_message_not_sent(site: Site):
    mail_site(site, free_port())  # nothing listens there
    result = site.run("preview", "zoe", "--send")
    assert result.returncode == 1
    failures = [line for line in result.stderr.splitlines() if line.strip().startswith("not sent: zoe:")]
    assert len(failures) == 2 and all("127.0.0.1:" in line for line in failures), result.stderr
    assert "Sent 0 of 2 messages." in result.stdout
    assert (site.root / "_previews/zoe/alpha.eml").is_file()


# ---- STARTTLS and AUTH --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    folder = tmp_path_factory.mktemp("tls")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "key.pem",
                    "-out", "cert.pem", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
                   cwd=folder, check=True, capture_output=True, timeout=60)
    return folder / "cert.pem", folder / "key.pem"


@pytest.fixture
def tls_server(certificate):
    """aiosmtpd requiring STARTTLS, with AUTH (only over TLS) accepting user `ed` with PASSWORD."""
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox()
    box.port = free_port()

    def authenticator(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        box.logins.append((login, password))
        ok = (login, password) == ("ed", PASSWORD)
        return AuthResult(success=ok, handled=ok)  # handled=False: the server answers 535

    controller = Controller(box, hostname="127.0.0.1", port=box.port, tls_context=context,
                            require_starttls=True, authenticator=authenticator, auth_require_tls=True)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def tls_site(site: Site, tls_server: Mailbox) -> Site:
    return mail_site(site, tls_server.port, host="localhost", starttls=True, username="ed",
                     password_env="TEST_SMTP_PW")


def test_starttls_and_login_deliver_the_message(tls_site: Site, tls_server: Mailbox, certificate):
    env = {"TEST_SMTP_PW": PASSWORD, "SSL_CERT_FILE": str(certificate[0])}
    result = run_roundup_env("preview", "zoe", "--post", "alpha", "--send", cwd=tls_site.root, env=env)
    assert result.returncode == 0, result.stderr
    assert tls_server.logins == [("ed", PASSWORD)]
    (message,) = tls_server.to("zoe@example.org")
    assert plain_text(message).startswith("Dear Zoë Quill,")


def test_wrong_password_names_every_contributor_and_the_reason(tls_site: Site, tls_server: Mailbox,
                                                              certificate):
    env = {"TEST_SMTP_PW": "wrong", "SSL_CERT_FILE": str(certificate[0])}
    result = run_roundup_env("cancel", "alpha", "--send", cwd=tls_site.root, env=env)
    assert result.returncode == 1
    for cid in ("zoe", "sam"):
        line = next((x for x in result.stderr.splitlines() if f"not sent: {cid}:" in x), None)
        assert line and "535" in line, result.stderr
    assert ("ed", "wrong") in tls_server.logins
    assert tls_server.received == []


def test_missing_password_variable_is_a_clear_error(tls_site: Site, tls_server: Mailbox, certificate):
    env = {"SSL_CERT_FILE": str(certificate[0])}
    result = run_roundup_env("preview", "zoe", "--send", cwd=tls_site.root, env=env)
    assert result.returncode == 1
    assert "site.yml" in result.stderr and "TEST_SMTP_PW" in result.stderr
    assert tls_server.received == []


def test_untrusted_certificate_is_not_sent_to(tls_site: Site, tls_server: Mailbox):
    env = {"TEST_SMTP_PW": PASSWORD, "SSL_CERT_FILE": "/nonexistent/cert.pem"}
    result = run_roundup_env("preview", "zoe", "--post", "alpha", "--send", cwd=tls_site.root, env=env)
    assert result.returncode == 1
    assert re.search(r"not sent: zoe: .*certificate", result.stderr, re.IGNORECASE), result.stderr
    assert tls_server.logins == [] and tls_server.received == []


# ---- implicit TLS (SMTPS), and no password in the clear -----------------------------------------------

def authenticator_for(box: Mailbox):
    """AUTH that records each login and accepts only `ed` with PASSWORD."""
    from aiosmtpd.smtp import AuthResult, LoginPassword

    def authenticate(server, session, envelope, mechanism, auth_data):
        if not isinstance(auth_data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = auth_data.login.decode(), auth_data.password.decode()
        box.logins.append((login, password))
        ok = (login, password) == ("ed", PASSWORD)
        return AuthResult(success=ok, handled=ok)
    return authenticate


@pytest.fixture
def smtps_server(certificate):
    """aiosmtpd speaking TLS from the first byte (SMTPS), with AUTH accepting `ed` with PASSWORD. (aiosmtpd
    counts only STARTTLS as TLS for `auth_require_tls`; here nothing but TLS is ever spoken.)"""
    from aiosmtpd.controller import Controller
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    box = Mailbox()
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port, ssl_context=context,
                            authenticator=authenticator_for(box), auth_require_tls=False)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


@pytest.fixture
def plain_auth_server():
    """aiosmtpd without any TLS that would accept a login in the clear (`ed` with PASSWORD)."""
    from aiosmtpd.controller import Controller
    box = Mailbox()
    box.port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=box.port, authenticator=authenticator_for(box),
                            auth_require_tls=False)
    controller.start()
    try:
        yield box
    finally:
        controller.stop()


def mail_line(site: Site, key: str) -> int:
    """The line of `key:` under `mail:` in site.yml."""
    lines = site.read("site.yml").splitlines()
    start = lines.index("mail:")
    return next(n for n, line in enumerate(lines[start:], start + 1) if line.strip().startswith(f"{key}:"))


def test_implicit_tls_and_login_deliver_the_message(site: Site, smtps_server: Mailbox, certificate):
    mail_site(site, smtps_server.port, host="localhost", tls=True, username="ed", password_env="TEST_SMTP_PW")
    env = {"TEST_SMTP_PW": PASSWORD, "SSL_CERT_FILE": str(certificate[0])}
    result = run_roundup_env("preview", "zoe", "--post", "alpha", "--send", cwd=site.root, env=env)
    assert result.returncode == 0, result.stderr
    assert "Sent 1 of 1 message." in result.stdout
    assert smtps_server.logins == [("ed", PASSWORD)]
    (message,) = smtps_server.to("zoe@example.org")
    assert plain_text(message).startswith("Dear Zoë Quill,")


def test_implicit_tls_checks_the_certificate(site: Site, smtps_server: Mailbox):
    mail_site(site, smtps_server.port, host="localhost", tls=True, username="ed", password_env="TEST_SMTP_PW")
    env = {"TEST_SMTP_PW": PASSWORD, "SSL_CERT_FILE": "/nonexistent/cert.pem"}
    result = run_roundup_env("preview", "zoe", "--post", "alpha", "--send", cwd=site.root, env=env)
    assert result.returncode == 1
    assert re.search(r"not sent: zoe: .*certificate", result.stderr, re.IGNORECASE), result.stderr
    assert_problem(result.stderr, "site.yml", mail_line(site, "tls"), "TLS handshake", "`mail: tls`",
                   "certificate is not trusted", "SSL_CERT_FILE")
    assert smtps_server.logins == [] and smtps_server.received == []


def test_implicit_tls_to_a_starttls_server_names_the_tls_setting(site: Site, tls_server: Mailbox, certificate):
    mail_site(site, tls_server.port, host="localhost", tls=True, username="ed", password_env="TEST_SMTP_PW")
    env = {"TEST_SMTP_PW": PASSWORD, "SSL_CERT_FILE": str(certificate[0])}
    result = run_roundup_env("preview", "zoe", "--post", "alpha", "--send", cwd=site.root, env=env)
    assert result.returncode == 1
    assert_problem(result.stderr, "site.yml", mail_line(site, "tls"), "`mail: tls`", "`mail: starttls`")
    assert tls_server.logins == [] and tls_server.received == []


def test_tls_without_a_port_goes_to_port_465(site: Site):
    site.config(mail={"host": "127.0.0.1", "tls": True})
    site.contributor("zoe", name="Zoë Quill", email="zoe@example.org")
    site.add_post("alpha", ["zoe"], title="Alpha Roundup")
    result = site.run("preview", "zoe", "--send")
    assert result.returncode == 1
    assert re.search(r"not sent: zoe: .*\(127\.0\.0\.1:465\)", result.stderr), result.stderr


def test_tls_and_starttls_together_are_an_error_at_their_line(site: Site):
    site.config(mail={"host": "smtp.example.org", "tls": True, "starttls": True})
    for command in ("check", "build"):
        result = site.run(command)
        assert result.returncode == 1, result.stdout
        assert_problem(result.stderr, "site.yml", mail_line(site, "starttls"), "`tls`", "cannot both")
        assert "Traceback" not in result.stderr


def test_a_password_is_never_sent_over_a_plain_connection(site: Site, plain_auth_server: Mailbox):
    mail_site(site, plain_auth_server.port, username="ed", password_env="TEST_SMTP_PW")
    result = run_roundup_env("cancel", "alpha", "--send", cwd=site.root, env={"TEST_SMTP_PW": PASSWORD})
    assert result.returncode == 1
    assert_problem(result.stderr, "site.yml", mail_line(site, "username"), "not encrypted", "nothing was sent",
                   "`mail: tls: true`", "`mail: starttls: true`", "`mail: allow_plain_password: true`")
    for cid in ("zoe", "sam"):
        assert re.search(rf"not sent: {cid}: .*unencrypted", result.stderr), result.stderr
    assert "Sent 0 of 3 messages." in result.stdout
    assert plain_auth_server.logins == [] and plain_auth_server.received == []
    assert PASSWORD not in result.stdout + result.stderr


def test_allow_plain_password_logs_in_over_a_plain_connection(site: Site, plain_auth_server: Mailbox):
    mail_site(site, plain_auth_server.port, username="ed", password_env="TEST_SMTP_PW", allow_plain_password=True)
    result = run_roundup_env("preview", "zoe", "--post", "alpha", "--send", cwd=site.root,
                             env={"TEST_SMTP_PW": PASSWORD})
    assert result.returncode == 0, result.stderr
    assert plain_auth_server.logins == [("ed", PASSWORD)]
    assert [r["rcpt_tos"] for r in plain_auth_server.received] == [["zoe@example.org"]]


def test_no_login_needs_no_encryption(mailed: Site, smtp_server: Mailbox):
    """Without `username` nothing secret travels: a plain server on this machine is fine, as before."""
    assert mailed.ok("preview", "zoe", "--post", "alpha", "--send").returncode == 0
    assert len(smtp_server.received) == 1


# ---- the previews folder is private: it holds everyone's approval codes ------------------------------

@pytest.fixture
def umask_022():
    """The usual umask, under which new files are readable by everyone unless roundup says otherwise."""
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_previews_folder_and_its_files_are_private(mailed: Site, umask_022):
    mailed.ok("preview", "zoe")
    mailed.ok("cancel", "alpha")
    previews = mailed.root / "_previews"
    folders = [previews, *sorted(p for p in previews.iterdir() if p.is_dir())]
    assert [p.name for p in folders] == ["_previews", "lee", "sam", "zoe"]
    assert {p.name: oct(mode(p)) for p in folders} == {p.name: "0o700" for p in folders}
    files = sorted(p for p in previews.rglob("*") if p.is_file())
    assert {p.name for p in files} >= {"alpha.html", "alpha.eml", "beta.html", "beta.eml", "alpha.cancelled.eml"}
    assert {p.relative_to(previews).as_posix(): oct(mode(p)) for p in files} == \
        {p.relative_to(previews).as_posix(): "0o600" for p in files}
    assert oct(mode(mailed.root / "site.yml")) == "0o644"  # the umask was the usual one


def test_a_previews_folder_open_to_others_is_tightened(mailed: Site, umask_022):
    mailed.config(mail={"host": "127.0.0.1", "port": 25}, previews="private/codes")
    codes = mailed.root / "private/codes"
    (codes / "zoe").mkdir(parents=True)
    (codes / "zoe" / "alpha.eml").write_text("an old message\n")
    for folder, wide in ((mailed.root / "private", 0o755), (codes, 0o755), (codes / "zoe", 0o777)):
        folder.chmod(wide)
    (codes / "zoe" / "alpha.eml").chmod(0o644)
    mailed.ok("preview", "zoe", "--post", "alpha")
    assert (oct(mode(codes)), oct(mode(codes / "zoe"))) == ("0o700", "0o700")
    assert oct(mode(mailed.root / "private")) == "0o755"  # above the previews folder: not roundup's to change
    assert (oct(mode(codes / "zoe" / "alpha.eml")), oct(mode(codes / "zoe" / "alpha.html"))) == ("0o600", "0o600")
