"""Personal messages from the editor: an invitation, a preview to review, a reminder, a cancellation
notice, a thank-you."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid

from markupsafe import escape

from roundup.errors import Problem, RoundupError
from roundup.model import Contributor, Post, Quote, Site
from roundup.viewtypes import display_date

if TYPE_CHECKING:
    from roundup.preview import PreviewInfo

_URL = re.compile(r"https?://[^\s<>\"]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")


@dataclass(frozen=True, slots=True)
class Button:
    """A link a contributor clicks to answer: a button in the HTML part, a labelled link in the text."""

    label: str
    href: str
    """A mailto: link that opens their reply, ready to send."""



def require_editor_email(site: Site) -> None:
    if not site.config.editor.email:
        raise RoundupError([Problem("site.yml", None, "`editor` needs an `email`: it is the From: of every "
                                                      "message roundup writes")])


def others(site: Site, post: Post, contributor_id: str, most: int = 3) -> str:
    """The other voices of a post, by name: "Sam, Lee and 3 others"."""
    names = [site.contributors[q.contributor_id].profile.name for q in (*post.quotes, *post.unanswered)
             if q.contributor_id != contributor_id and q.contributor_id in site.contributors]
    if not names:
        return ""
    if len(names) <= most:
        return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    rest = len(names) - most
    return ", ".join(names[:most]) + f" and {rest} other{'s' if rest > 1 else ''}"


def preview_message(site: Site, post: Post, person: Contributor, note: str | None, info: PreviewInfo,
                    attachment: bytes) -> EmailMessage:
    """Asking one contributor to review exactly what will appear under their name."""
    company = others(site, post, person.id)
    about = f": {post.summary}" if post.summary else "."
    request = []
    if info.declined_on:
        asked = f"On {info.declined_on} you asked for changes"
        request = [f"{asked}:", quoted(info.declined_reason)] if info.declined_reason else [f"{asked}."]
        if info.changes:
            request.append("Here is the new version, for you to look at again.")
    paragraphs = [
        f"Dear {person.profile.name},",
        *request,
        *([note] if note else []),
        f"I'm putting together “{post.title}” for {site.config.title}{about}"
        + (f" Your voice appears alongside {company}." if company else ""),
        "Attached is a preview of exactly how the post will appear, with your voice highlighted. "
        "Nothing is published under your name until you approve it.",
    ]
    if info.changes:
        changed = ", ".join(c.label.lower() for c in info.changes)
        paragraphs.append(f"Since you answered on {info.answered_on}, this changed: {changed}. "
                          "The preview marks every change.")
    if post.deadline:
        paragraphs.append(f"Could you answer by {display_date(post.deadline)}?")
    paragraphs += [
        "If everything is right, the Approve button writes your approval for you: just send that e-mail.",
        Button("Approve", info.approve_mailto),
        "If you'd like anything changed, reply to this e-mail and tell me what, or use this button:",
        Button("Ask for changes", info.changes_mailto),
        f"Thank you,\n{site.config.editor.name}",
    ]
    msg = _message(site, person, f"Please review your words in “{post.title}”", paragraphs)
    msg.add_attachment(attachment, maintype="text", subtype="html",
                       filename=f"{post.slug}-preview-{person.id}.html")
    return msg


def invitation_message(site: Site, post: Post, person: Contributor, quote: Quote) -> EmailMessage:
    """Asking one contributor for their answer to the post's question, in their own words."""
    company = others(site, post, person.id)
    question = quote.prompt or post.prompt
    paragraphs = [
        f"Dear {person.profile.name},",
        *([quote.note] if quote.note else []),
        f"I'm putting together “{post.title}” for {site.config.title}"
        + (f": {post.summary}" if post.summary else ".")
        + (f" I'm also asking {company}." if company else ""),
        *(["The question:", quoted(question)] if question else []),
        "Would you answer it? Just reply to this e-mail with your answer, a paragraph or two, in your own "
        "words.",
        "Before anything is published, I will send you a preview of exactly how your words will appear, "
        "and nothing goes out under your name until you approve it.",
        *([f"Could you answer by {display_date(post.deadline)}?"] if post.deadline else []),
        f"Thank you,\n{site.config.editor.name}",
    ]
    return _message(site, person, f"An invitation: your voice in “{post.title}”", paragraphs)


def reminder_message(site: Site, post: Post, person: Contributor, buttons: tuple[Button, ...]) -> EmailMessage:
    """A short, friendly reminder of what is waiting for them: their answer, or their look at the preview
    (with the same buttons as the preview)."""
    waiting = ("your look at the preview I sent, so I can publish with your approval" if buttons
               else "your answer to the question I sent; a paragraph or two is plenty")
    how = ("The buttons below answer in one click; your preview is in my earlier e-mail." if buttons
           else "Just reply to this e-mail with your answer.")
    paragraphs: list = [
        f"Dear {person.profile.name},",
        f"A gentle reminder about “{post.title}” for {site.config.title}: I'm still hoping for {waiting}.",
        *([f"The deadline is {display_date(post.deadline)}."] if post.deadline else []),
        how,
        *buttons,
        "If you can't take part after all, just tell me; that's fine too.",
        f"Thank you,\n{site.config.editor.name}",
    ]
    return _message(site, person, f"A reminder: “{post.title}”", paragraphs)


def cancel_message(site: Site, post: Post, person: Contributor, reason: str | None = None,
                   was_online: bool = False) -> EmailMessage:
    """Telling one contributor that the post will not run (or was taken down), why, and what happens to
    their words."""
    if was_online:
        news = (f"I'm sorry to tell you that I have taken “{post.title}” down from {site.config.title}: "
                "I have cancelled it.")
        words = "Your words are no longer published"
    else:
        news = f"I'm sorry to tell you that “{post.title}” will not run on {site.config.title}: I have cancelled it."
        words = "Your words will not be published"
    paragraphs = [
        f"Dear {person.profile.name},",
        news,
        *(["The reason:", quoted(reason)] if reason else []),
        f"Thank you for the time and thought you gave it. {words}, here or anywhere else; if I ever want "
        "to use them another way, I will ask you first.",
        f"With thanks,\n{site.config.editor.name}",
    ]
    subject = f"“{post.title}” has been taken down" if was_online else f"“{post.title}” will not be published"
    return _message(site, person, subject, paragraphs)


def thank_message(site: Site, post: Post, person: Contributor, voice_url: str) -> EmailMessage:
    """Thanking one contributor, with the link to their own voice and a line ready to share."""
    company = others(site, post, person.id)
    where = f"“{post.title}”, on {site.config.title}: {voice_url}"
    share = f"I joined {company} in {where}" if company else f"My voice is in {where}"
    paragraphs = [
        f"Dear {person.profile.name},",
        f"“{post.title}” is now published on {site.config.title}, and your voice is here:\n{voice_url}",
        *([f"You're in it alongside {company}."] if company else []),
        "If you'd like to share it, here is a line ready to post as your own:",
        f"    {share}",
        f"Thank you for being part of it.\n{site.config.editor.name}",
    ]
    return _message(site, person, f"“{post.title}” is published — thank you", paragraphs)


def one_line(text: str) -> str:
    """Text for a header or a mailto subject: line breaks and control characters become one space (a name
    or a title can never add a header)."""
    return _CONTROL.sub(" ", text).strip()


def _message(site: Site, person: Contributor, subject: str, paragraphs: list) -> EmailMessage:
    editor = site.config.editor
    msg = EmailMessage()
    msg["From"] = Address(one_line(editor.name), addr_spec=editor.email or "")
    if person.email:
        msg["To"] = Address(one_line(person.profile.name), addr_spec=person.email)
    msg["Subject"] = one_line(subject)
    msg["Date"] = format_datetime(dt.datetime.now(dt.timezone.utc))
    msg["Message-ID"] = make_msgid(domain=(editor.email or "roundup.invalid").rpartition("@")[2])
    text = [f"{p.label}: {p.href}" if isinstance(p, Button) else p for p in paragraphs]
    msg.set_content("\n\n".join(text) + "\n")
    msg.add_alternative(_html(paragraphs), subtype="html")
    return msg


def quoted(text: str) -> str:
    """Someone's words quoted in a plain-text message, each line behind "> "."""
    return "\n".join(f"> {line}".rstrip() for line in text.strip().splitlines())


STYLE = ("a.button{display:inline-block;padding:10px 20px;border-radius:6px;background:#1a5fb4;color:#ffffff;"
         "font-weight:bold;text-decoration:none}")
"""The buttons' look, in the head: no element carries a style of its own (nothing in a message is active)."""


def _html(paragraphs: list) -> str:
    """The same words as HTML: every paragraph escaped, web links made clickable, buttons as buttons."""
    parts = []
    for text in paragraphs:
        if isinstance(text, Button):
            parts.append(f'<p><a href="{escape(text.href)}" class="button">{escape(text.label)}</a></p>')
            continue
        if text.startswith("    "):
            parts.append(f"<pre><code>{escape(text.strip())}</code></pre>")
            continue
        if text.startswith(">"):
            lines = (line[2:] if line.startswith("> ") else line[1:] for line in text.splitlines())
            parts.append("<blockquote><p>" + str(escape("\n".join(lines))).replace("\n", "<br>\n")
                         + "</p></blockquote>")
            continue
        html = str(escape(text)).replace("\n", "<br>\n")
        html = _URL.sub(lambda m: f'<a href="{m.group(0)}">{m.group(0)}</a>', html)
        parts.append(f"<p>{html}</p>")
    head = f"<!doctype html>\n<html><head><style>{STYLE}</style></head><body>\n"
    return head + "\n".join(parts) + "\n</body></html>\n"
