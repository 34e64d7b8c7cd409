"""One conversation per person and post, as a mail client threads it (JWZ's algorithm, by References and
In-Reply-To), over real SMTP; the private note said once; hand-edited thread values never reach a header."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import mailbox
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml

import mailclients as mc
from conftest import Site, assert_problem, plain_text
from roundup import i18n

SOON = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=10)
_ID = re.compile(r"<[^<>\s]+>")


# ---- a JWZ threader, as mail clients thread (https://www.jwz.org/doc/threading.html, steps 1 to 4) ---------

@dataclass(eq=False)
class Container:
    id: str
    message: object = None
    parent: Container | None = None
    children: list[Container] = field(default_factory=list)

    def reaches(self, other: Container) -> bool:
        """`other` is this container or one below it."""
        return self is other or any(child.reaches(other) for child in self.children)


def _link(parent: Container, child: Container) -> None:
    if child.parent is not None:
        child.parent.children.remove(child)
    child.parent = parent
    parent.children.append(child)


def jwz(messages: list) -> list[Container]:
    """The root set of the threads `messages` make, empty containers pruned (JWZ steps 1 to 4; no grouping
    by subject, so only the headers thread them)."""
    table: dict[str, Container] = {}

    def get(mid: str) -> Container:
        return table.setdefault(mid, Container(mid))

    for message in messages:
        this = get(str(message["Message-ID"]).strip())
        this.message = message
        refs = _ID.findall(str(message["References"] or ""))
        reply_to = _ID.findall(str(message["In-Reply-To"] or ""))
        if reply_to and (not refs or refs[-1] != reply_to[0]):
            refs.append(reply_to[0])
        for above, below in zip(refs, refs[1:]):  # 1B: link the references, never making a loop
            a, b = get(above), get(below)
            if b.parent is None and not b.reaches(a):
                _link(a, b)
        if refs and not this.reaches(get(refs[-1])):  # 1C: the last reference is this message's parent
            _link(get(refs[-1]), this)
        elif this.parent is not None:
            this.parent.children.remove(this)
            this.parent = None
    roots = [c for c in table.values() if c.parent is None]
    return [r for root in roots for r in _pruned(root)]


def _pruned(container: Container) -> list[Container]:
    """A root without its empty containers: one with no message gives its children its place."""
    kept = [c for child in list(container.children) for c in _pruned(child)]
    container.children = kept
    for child in kept:
        child.parent = container
    if container.message is None:
        return kept
    return [container]


def chain(root: Container) -> list:
    """The messages of a thread that is one line, first to last; an error when it branches."""
    found = []
    while root is not None:
        found.append(root.message)
        assert len(root.children) <= 1, [str(c.message["Subject"]) for c in root.children]
        root = root.children[0] if root.children else None
    return found


def one_conversation(messages: list) -> list:
    """`messages` make exactly one thread, one message after the other in the order they were sent; their
    subjects are the first one's, then "Re: " it. Returns the first subject."""
    (root,) = jwz(messages)
    assert [m["Message-ID"] for m in chain(root)] == [m["Message-ID"] for m in messages]
    first = str(messages[0]["Subject"])
    assert not first.startswith("Re:")
    assert [str(m["Subject"]) for m in messages[1:]] == [f"Re: {first}"] * (len(messages) - 1)
    return first


# ---- a round, over SMTP --------------------------------------------------------------------------------------

def shift(site: Site, slug: str, days: int) -> None:
    """Every date of every round trip `days` into the past, as if that much time had gone by."""
    path = site.root / f"posts/{slug}/approvals.yml"
    data = yaml.safe_load(path.read_text())
    for entry in data.values():
        for key in ("invited_at", "previewed_at", "reminded_at"):
            if key in entry:
                when = dt.datetime.fromisoformat(str(entry[key]).replace("Z", "+00:00"))
                entry[key] = (when - dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def entry(site: Site, slug: str, cid: str) -> dict:
    return yaml.safe_load(site.read(f"posts/{slug}/approvals.yml"))[cid]


@pytest.fixture
def asking(site: Site, smtp_server) -> Site:
    """alpha: zoe has answered (in French); sam's quote file has a prompt and a note but no words; lee has no
    file. Mail goes to a real SMTP server."""
    site.config(mail={"host": "127.0.0.1", "port": smtp_server.port})
    site.contributor("zoe", "Zoë Quill", email="zoe@example.net", language="fr")
    site.contributor("sam", "Sam Reyes", email="sam@example.net")
    site.contributor("lee", "Lee Park", email="lee@example.net")
    site.quote("alpha", "zoe")
    site.quote("alpha", "sam", "", prompt="What keeps a partnership alive?", note="Sam, your talk in May is why.")
    site.post("alpha", title="Alpha Roundup", deadline=SOON, voices=["zoe", "sam", "lee"],
              prompt="What makes a partnership last?")
    return site


def test_invite_preview_remind_thanks_is_one_conversation_per_person(asking: Site, smtp_server):
    site = asking
    site.ok("invite", "alpha", "--send")  # sam, lee
    site.quote("alpha", "sam", "Trust.\n", prompt="What keeps a partnership alive?",
               note="Sam, your talk in May is why.")
    site.ok("preview", "--post", "alpha", "--send")  # zoe, sam
    shift(site, "alpha", 5)
    site.ok("remind", "alpha", "--send")  # all three
    site.ok("approve", "zoe", "alpha")
    site.ok("approve", "sam", "alpha")
    site.ok("decline", "lee", "alpha", "--not-taking-part")
    site.post("alpha", title="Alpha Roundup", deadline=SOON, voices=["zoe", "sam"],
              prompt="What makes a partnership last?")
    site.build()
    site.ok("thank", "alpha", "--send")  # zoe, sam

    everything = [r["message"] for r in smtp_server.received]
    by_person = defaultdict(list)
    for message in everything:
        by_person[str(message["To"].addresses[0].addr_spec)].append(message)
    assert {a: len(m) for a, m in by_person.items()} == {"sam@example.net": 4, "lee@example.net": 2,
                                                        "zoe@example.net": 3}
    assert len(jwz(everything)) == 3  # nobody's messages join anyone else's conversation
    assert one_conversation(by_person["sam@example.net"]) == "An invitation: your voice in “Alpha Roundup”"
    assert one_conversation(by_person["lee@example.net"]) == "An invitation: your voice in “Alpha Roundup”"
    fr = i18n.translator(i18n.resolve("fr", []))  # her first message is the preview, in French
    assert one_conversation(by_person["zoe@example.net"]) == \
        fr.gettext("Please review your words in “{title}”").format(title="Alpha Roundup")
    assert plain_text(by_person["zoe@example.net"][1]).startswith(fr.gettext("Dear {name},").format(name="Zoë Quill"))
    sam = by_person["sam@example.net"]
    assert _ID.findall(str(sam[-1]["References"])) == [m["Message-ID"] for m in sam[:-1]]  # the whole chain
    assert entry(site, "alpha", "sam")["thread"] == [str(m["Message-ID"]) for m in sam]
    assert entry(site, "alpha", "sam")["thread_subject"] == str(sam[0]["Subject"])
    assert sam[0]["In-Reply-To"] is None and sam[0]["References"] is None  # the first one starts it


def test_invite_then_cancel_is_one_conversation_and_a_message_never_sent_is_no_part_of_it(asking: Site, smtp_server):
    site = asking
    site.ok("invite", "alpha", "--contributor", "sam", "--send")
    invitation = smtp_server.received[-1]["message"]
    shift(site, "alpha", 5)
    site.ok("remind", "alpha")  # written, not sent: no part of the conversation
    reminder = email.message_from_bytes((site.root / "_previews/sam/alpha-reminder.eml").read_bytes(),
                                        policy=email.policy.default)
    assert reminder["In-Reply-To"] == invitation["Message-ID"]
    assert entry(site, "alpha", "sam")["thread"] == [invitation["Message-ID"]]
    site.ok("invite", "alpha", "--contributor", "lee", "--send")
    site.ok("cancel", "alpha", "--send", "--reason", "The magazine folded.")
    for who in ("sam", "lee"):
        messages = smtp_server.to(f"{who}@example.net")
        assert len(messages) == 2 and "will not run" in plain_text(messages[1])
        assert one_conversation(messages) == "An invitation: your voice in “Alpha Roundup”"
    notice = smtp_server.to("sam@example.net")[1]
    assert notice["References"] == invitation["Message-ID"] and reminder["Message-ID"] not in str(notice)
    zoe = smtp_server.to("zoe@example.net")  # told too, though never written to before: it starts hers
    assert len(zoe) == 1 and zoe[0]["In-Reply-To"] is None


def test_a_long_message_id_threads_in_a_client_that_reads_the_headers_as_they_are(asking: Site, smtp_server):
    """An editor at a long domain makes Message-IDs longer than a line: In-Reply-To and References still carry
    them as they are (folded between them, never an encoded word, which no mail client decodes there), in the
    file written and in the mail delivered."""
    site = asking
    site.config(mail={"host": "127.0.0.1", "port": smtp_server.port},
                editor={"name": "Ed Itor", "email": "ed@newsletter.friends-of-the-community-garden.example.org"})
    site.ok("invite", "alpha", "--contributor", "sam", "--send")
    shift(site, "alpha", 5)
    site.ok("remind", "alpha", "--send")
    sent = [r["raw"] for r in smtp_server.received if "sam@example.net" in r["rcpt_tos"]]
    written = (site.root / "_previews/sam/alpha-reminder.eml").read_bytes()
    assert len(sent) == 2
    first = email.message_from_bytes(sent[0], policy=email.policy.compat32)["Message-ID"]
    assert len(first) > 78  # longer than a line
    for raw in (sent[1], written):
        headers = email.message_from_bytes(raw, policy=email.policy.compat32)  # no decoding, as a client reads them
        assert headers["In-Reply-To"].strip() == first and headers["References"].split() == [first]


def test_a_record_without_a_thread_starts_one_and_the_answer_keeps_it(asking: Site, smtp_server):
    site = asking
    site.ok("invite", "alpha", "--contributor", "sam", "--send")
    path = site.root / "posts/alpha/approvals.yml"
    data = yaml.safe_load(path.read_text())
    for key in ("thread", "thread_subject", "notes_sent"):  # as an older roundup wrote it
        del data["sam"][key]
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    site.quote("alpha", "sam", "Trust.\n", prompt="What keeps a partnership alive?",
               note="Sam, your talk in May is why.")
    site.ok("preview", "sam", "--send")
    preview = smtp_server.to("sam@example.net")[-1]
    assert preview["In-Reply-To"] is None and str(preview["Subject"]).startswith("Please review")
    assert "Sam, your talk in May is why." in plain_text(preview)  # no record of it said: said again
    site.ok("approve", "sam", "alpha")  # an answer keeps the conversation
    assert entry(site, "alpha", "sam")["thread"] == [preview["Message-ID"]]


@pytest.mark.parametrize("key, value, why", [
    ("thread", ["<1.invited@example.com>\r\nBcc: evil@example.org"], "must hold only Message-IDs written by roundup"),
    ("thread", ["<1.invited@example.com> <2@x>"], "must hold only Message-IDs written by roundup"),
    ("thread_subject", "Hello\nBcc: evil@example.org", "must be one line"),
    ("notes_sent", ["sha256:abc"], "must hold only digests written by roundup"),
])
def test_a_thread_edited_by_hand_never_adds_a_header(asking: Site, smtp_server, key, value, why):
    site = asking
    site.ok("invite", "alpha", "--contributor", "sam", "--send")
    path = site.root / "posts/alpha/approvals.yml"
    data = yaml.safe_load(path.read_text())
    data["sam"][key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    line = next(n for n, text in enumerate(path.read_text().splitlines(), 1) if text.strip().startswith(f"{key}:"))
    result = site.run("invite", "alpha", "--send")
    assert result.returncode == 1
    assert_problem(result.stderr, "posts/alpha/approvals.yml", line, f"`{key}`", why)
    assert len(smtp_server.received) == 1 and not (site.root / "_previews/lee").exists()


# ---- the inbox: a reply in the conversation is theirs ------------------------------------------------------

def test_a_reply_in_the_conversation_is_matched_to_its_person(asking: Site, smtp_server):
    site = asking
    site.ok("invite", "alpha", "--send")
    site.quote("alpha", "sam", "Trust.\n", prompt="What keeps a partnership alive?")
    site.ok("preview", "sam", "--send")
    shift(site, "alpha", 5)
    site.ok("remind", "alpha", "--send")
    raw = {who: [r["raw"] for r in smtp_server.received if r["rcpt_tos"] == [f"{who}@example.net"]]
           for who in ("sam", "lee")}
    preview, reminder = raw["sam"][1], raw["lee"][1]
    assert mc.read(preview).message["In-Reply-To"]  # the preview continues sam's conversation
    box = mailbox.Maildir(site.root.parent / "Maildir", create=True)
    box.add(mc.thunderbird(preview, "sam@example.net", "Sam Reyes", "Could you cut the word 'mostly'?"))
    box.add(mc.gmail(reminder, "lee@example.net", "Lee Park", "Showing up, every week."))
    out = site.ok("inbox", "--maildir", Path(box._path)).stdout
    assert re.search(r"^  comment\s+from sam in alpha, kept as their comment", out, re.M), out
    assert re.search(r"^  answer\s+lee answered for alpha", out, re.M), out
    assert entry(site, "alpha", "sam")["comment"] == "Could you cut the word 'mostly'?"
    assert site.read("posts/alpha/quotes/lee.md") == "Showing up, every week.\n"
    site.ok("cancel", "alpha", "--send")  # a notice roundup keeps no Message-ID of: its References name sam's
    notice = [r["raw"] for r in smtp_server.received if r["rcpt_tos"] == ["sam@example.net"]][-1]
    box = mailbox.Maildir(site.root.parent / "Later", create=True)
    box.add(mc.apple_mail(notice, "sam@example.net", "Sam Reyes", "Oh no, such a pity."))
    out = site.ok("inbox", "--maildir", Path(box._path)).stdout
    assert re.search(r"^  needs reading\s+from sam in alpha, but the post is cancelled", out, re.M), out


# ---- the private note: said once, again only when it changes; remind_note for the next reminder -------------

def test_the_private_note_is_said_once_and_again_only_when_it_changes(asking: Site, smtp_server):
    site = asking
    note, changed = "Sam, your talk in May is why.", "Sam, I trimmed one sentence: tell me if that is fine."
    site.ok("invite", "alpha", "--contributor", "sam")  # written, not sent: nothing is said yet
    site.ok("invite", "alpha", "--contributor", "sam", "--send")
    site.quote("alpha", "sam", "Trust.\n", prompt="What keeps a partnership alive?", note=note)
    site.ok("preview", "sam", "--send")
    site.quote("alpha", "sam", "Trust, always.\n", prompt="What keeps a partnership alive?", note=changed)
    site.ok("preview", "sam", "--send")
    site.quote("alpha", "sam", "Trust, always!\n", prompt="What keeps a partnership alive?", note=changed,
               remind_note="Sam, even a yes from your phone is plenty.")
    site.ok("preview", "sam", "--send")
    shift(site, "alpha", 5)
    site.ok("remind", "alpha", "--send")
    shift(site, "alpha", 5)
    site.ok("remind", "alpha", "--send")
    texts = [plain_text(m).replace("\r\n", "\n") for m in smtp_server.to("sam@example.net")]
    assert len(texts) == 6
    said = [[n for n in (note, changed, "even a yes from your phone") if n in text] for text in texts]
    assert said == [[note], [], [changed], [], ["even a yes from your phone"], []], said
    assert texts[4].startswith("Dear Sam Reyes,\n\nSam, even a yes from your phone is plenty.\n\nA gentle reminder")
    assert len(entry(site, "alpha", "sam")["notes_sent"]) == 3


def test_remind_note_is_a_private_quote_field_and_a_typo_of_it_is_named(asking: Site):
    site = asking
    site.quote("alpha", "zoe", "Zoë's words.\n", remind_note="PRIVATE-REMIND-q7")
    site.ok("check")
    site.ok("preview", "zoe")
    assert "PRIVATE-REMIND-q7" not in site.read("_previews/zoe/alpha.html")
    assert "PRIVATE-REMIND-q7" not in plain_text(email.message_from_bytes(
        (site.root / "_previews/zoe/alpha.eml").read_bytes(), policy=email.policy.default))
    site.quote("alpha", "zoe", "Zoë's words.\n", remind_notes="Typo.")
    assert_problem(site.run("check").stderr, "posts/alpha/quotes/zoe.md", 2, "unknown field `remind_notes`",
                   "did you mean 'remind_note'?")


# ---- the headers, in process -----------------------------------------------------------------------------------

def test_only_message_ids_roundup_writes_reach_the_headers_and_re_is_never_doubled():
    from email.message import EmailMessage

    from roundup.threads import Thread, continue_thread, fresh_note, note_digest

    def message() -> EmailMessage:
        made = EmailMessage()
        made["Subject"], made["Message-ID"] = "A reminder: “Alpha”", "<9.reminded@example.com>"
        return made

    alone = message()
    assert continue_thread(alone, Thread()) is alone and alone["In-Reply-To"] is None
    assert str(alone["Subject"]) == "A reminder: “Alpha”"
    sent = ("<1.invited@example.com>", "<2@example.com>\r\nBcc: evil@example.org", "<3 x@example.com>",
            "<4.previewed@example.com>")
    later = continue_thread(message(), Thread(sent, "An invitation:\n“Alpha”"))
    assert later["In-Reply-To"] == "<4.previewed@example.com>" and later["Bcc"] is None
    assert later["References"] == "<1.invited@example.com> <4.previewed@example.com>"
    assert str(later["Subject"]) == "Re: An invitation: “Alpha”"
    assert b"Bcc" not in bytes(later) and len(later.get_all("Subject")) == 1
    assert str(continue_thread(message(), Thread(sent[:1], "RE: Alpha"))["Subject"]) == "RE: Alpha"
    assert str(continue_thread(message(), Thread(sent[:1]))["Subject"]) == "Re: A reminder: “Alpha”"
    said = Thread(notes=(note_digest("Sam, thanks."),))
    assert fresh_note(said, " Sam, thanks.\n") is None and fresh_note(said, None) is None
    assert fresh_note(said, "Sam, thanks again.") == "Sam, thanks again." == fresh_note(Thread(), "Sam, thanks again.")
