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
from urllib.parse import quote as urlquote

from markupsafe import escape

from roundup.codes import Codes
from roundup.errors import Problem, RoundupError
from roundup.i18n import Translator
from roundup.model import Contributor, Post, Quote, Site
from roundup.theme import words_of
from roundup.threads import POLICY, one_line

if TYPE_CHECKING:
    from roundup.preview import PreviewInfo

_URL = re.compile(r"https?://[^\s<>\"]+")


@dataclass(frozen=True, slots=True)
class Button:
    """A link a contributor clicks to answer: a button in the HTML part, a labelled link in the text."""

    label: str
    href: str
    """A mailto: link that opens their reply, ready to send."""


@dataclass(frozen=True, slots=True)
class Items:
    """A sentence ending in a colon and the list it introduces, one item a line (each item stands alone, so
    it reads right in every language: no label lands mid-sentence)."""

    lead: str
    items: tuple[str, ...]

    def text(self) -> str:
        return "\n".join([self.lead, *(f"- {item}" for item in self.items)])


def require_editor_email(site: Site) -> None:
    if not site.config.editor.email:
        raise RoundupError([Problem("site.yml", None, "`editor` needs an `email`: it is the From: of every "
                                                      "message roundup writes")])


def words_for(site: Site, person: Contributor) -> Translator:
    """The language of everything roundup writes to `person`: their profile's `language`, else the site's."""
    return words_of(person.language or site.config.language, site.config.root)


def others(site: Site, post: Post, contributor_id: str, words: Translator, most: int = 3) -> str:
    """The other voices of a post, answered or not, by name, as their reader's language lists them: "Sam, Lee and
    3 others"."""
    return listed([site.contributors[q.contributor_id].profile.name for q in (*post.quotes, *post.unanswered)
                   if q.contributor_id != contributor_id and q.contributor_id in site.contributors], words, most)


def listed(names: list[str], words: Translator, most: int = 3) -> str:
    """Names as their reader's language lists them, the ones past `most` counted: "Sam, Lee and 3 others"."""
    if len(names) > most:
        rest = len(names) - most
        names = [*names[:most], words.ngettext("{n} other", "{n} others", rest).format(n=words.number(rest))]
    return words.names(names) if names else ""


def answer_links(site: Site, post: Post, codes: Codes, words: Translator) -> dict[str, str]:
    """The mailto: links a contributor answers with, in their language, each carrying its signed code in the
    subject and the body, so that sending it is the whole answer: "approve", "changes" and "out"."""
    to, title = site.config.editor.email or "", one_line(post.title)

    def mailto(subject: str, body: str) -> str:
        return f"mailto:{urlquote(to, safe='@')}?subject={urlquote(subject)}&body={urlquote(body)}"

    t = words.gettext
    links = {}
    if codes.approve:
        links["approve"] = mailto(t("Approve: {title}").format(title=title) + f" {codes.approve}",
                                  t("I approve my words in “{title}” as the preview shows them.").format(title=title)
                                  + "\n\n" + t("Approval code: {code}").format(code=codes.approve) + "\n")
    if codes.changes:
        links["changes"] = mailto(t("Changes to my words in “{title}”").format(title=title) + f" {codes.changes}",
                                  t("What I would like changed:") + "\n\n\n\n"
                                  + t("Reference: {code}").format(code=codes.changes) + "\n")
    if codes.out:
        links["out"] = mailto(t("Count me out: {title}").format(title=title) + f" {codes.out}",
                              t("I can't take part in “{title}” after all.").format(title=title) + "\n\n"
                              + t("Reference: {code}").format(code=codes.out) + "\n")
    return links


def button_lines(site: Site, post: Post, person: Contributor) -> tuple[str, ...]:
    """The lines the buttons' messages start with, in their language: not their words when they send one."""
    t, title = words_for(site, person).gettext, one_line(post.title)
    return (t("What I would like changed:"),
            t("I approve my words in “{title}” as the preview shows them.").format(title=title),
            t("I can't take part in “{title}” after all.").format(title=title),
            t("Approval code: {code}").split("{code}")[0].strip(), t("Reference: {code}").split("{code}")[0].strip())


def preview_message(site: Site, post: Post, person: Contributor, note: str | None, info: PreviewInfo,
                    attachment: bytes) -> EmailMessage:
    """Asking one contributor, who has answered, to review exactly what will appear under their name: thanks
    for a first answer, or their last request or comment quoted back; the voices shown with theirs."""
    words = words_for(site, person)
    t, company = words.gettext, listed(list(info.alongside), words)
    request = []
    if info.comment_on:
        request = [t("On {day} you wrote:").format(day=info.comment_on), quoted(info.comment)]
    elif info.declined_on:
        if info.declined_reason:
            request = [t("On {day} you asked for changes:").format(day=info.declined_on), quoted(info.declined_reason)]
        else:
            request = [t("On {day} you asked for changes.").format(day=info.declined_on)]
        if info.changes:
            request.append(t("Here is the new version, for you to look at again."))
    paragraphs = [
        dear(person, words),
        *request,
        *([note] if note else []),
        _about(site, post, words) + (" " + t("Your voice appears alongside {others}.").format(others=company)
                                     if company else ""),
        t("Thank you for your answer. Attached is a preview of exactly how the post will appear, with your voice "
          "highlighted. Nothing is published under your name until you approve it.") if info.first_answer else
        t("Attached is a preview of exactly how the post will appear, with your voice highlighted. "
          "Nothing is published under your name until you approve it."),
    ]
    if info.changes:
        paragraphs.append(Items(t("What changed since you answered on {day} (the preview marks each change):")
                                .format(day=info.answered_on), tuple(t(c.label) for c in info.changes)))
    if post.deadline:
        paragraphs.append(t("Could you approve it, or tell me what you'd like changed, by {day}?")
                          .format(day=words.date(post.deadline)))
    paragraphs += [
        t("If everything is right, the Approve button writes your approval for you: just send that e-mail."),
        Button(t("Approve"), info.approve_mailto),
        t("If you'd like anything changed, use this button and tell me what:"),
        Button(t("Ask for changes"), info.changes_mailto),
        _signed(t("Thank you,"), site),
    ]
    msg = _message(site, person, words, t("Please review your words in “{title}”").format(title=post.title),
                   paragraphs)
    msg.add_attachment(attachment, maintype="text", subtype="html",
                       filename=f"{post.slug}-preview-{person.id}.html")
    msg["Content-Language"] = words.language.tag  # the attachment moved the first one into the letter's part
    return msg


def _about(site: Site, post: Post, words: Translator) -> str:
    """"I'm putting together “…” for …", with the post's summary."""
    if post.summary:
        return words.gettext("I'm putting together “{title}” for {site}: {summary}").format(
            title=post.title, site=site.config.title, summary=post.summary)
    return words.gettext("I'm putting together “{title}” for {site}.").format(title=post.title, site=site.config.title)


def dear(person: Contributor, words: Translator) -> str:
    """The greeting: by the name they go by (`short_name`), else by their full name."""
    return words.gettext("Dear {name},").format(name=person.profile.greeting_name)


def _signed(closing: str, site: Site) -> str:
    return f"{closing}\n{site.config.editor.name}"


def invitation_message(site: Site, post: Post, person: Contributor, quote: Quote,
                       codes: Codes = Codes()) -> EmailMessage:
    """Asking one contributor for their answer to the post's question, in their own words (with `codes.out`,
    a Count-me-out button)."""
    words = words_for(site, person)
    t, company = words.gettext, others(site, post, person.id, words)
    question = quote.prompt or post.prompt
    paragraphs = [
        dear(person, words),
        *([quote.note] if quote.note else []),
        _about(site, post, words) + (" " + t("I'm also asking {others}.").format(others=company) if company else ""),
        *([t("The question:"), quoted(question)] if question else []),
        t("Would you answer it? Just reply to this e-mail with your answer, a paragraph or two, in your own words."),
        t("Before anything is published, I will send you a preview of exactly how your words will appear, "
          "and nothing goes out under your name until you approve it."),
        *([t("Could you answer by {day}?").format(day=words.date(post.deadline))] if post.deadline else []),
        *_count_me_out(site, post, codes, words, t("If you can't take part, that's fine: this button tells me.")),
        _signed(t("Thank you,"), site),
    ]
    return _message(site, person, words, t("An invitation: your voice in “{title}”").format(title=post.title),
                    paragraphs)


@dataclass(frozen=True, slots=True)
class Said:
    """Something they wrote to the editor, and the day it was read."""

    day: dt.date
    text: str


def reminder_message(site: Site, post: Post, person: Contributor, quote: Quote, codes: Codes,
                     comment: Said | None = None, note: str | None = None) -> EmailMessage:
    """A short, friendly reminder of what is waiting for them: their answer to the question (asked again), or
    (with `codes.approve`, from their preview) their answer to the preview, with the same buttons as the
    preview and their `comment` since then quoted back; and Count me out. A private `note` comes right after
    the greeting, as in the invitation and the preview."""
    words = words_for(site, person)
    t = words.gettext
    if codes.approve is not None:
        about, how = _preview_waiting(site, post, codes, words, comment)
    else:
        about, how = _answer_waiting(site, post, quote, words)
    paragraphs: list = [
        dear(person, words),
        *([note] if note else []),
        *about,
        *([t("The deadline is {day}.").format(day=words.date(post.deadline))] if post.deadline else []),
        *how,
        *_count_me_out(site, post, codes, words,
                       t("If you can't take part after all, that's fine: this button tells me.")),
        _signed(t("Thank you,"), site),
    ]
    return _message(site, person, words, t("A reminder: “{title}”").format(title=post.title), paragraphs)


def _answer_waiting(site: Site, post: Post, quote: Quote, words: Translator) -> tuple[list, list]:
    """What a reminder of an invitation says (the question again: theirs, else the post's), and how to answer."""
    t, question = words.gettext, quote.prompt or post.prompt
    where = {"title": post.title, "site": site.config.title}
    how = [t("A paragraph or two is plenty: just reply to this e-mail with your answer.")]
    if question:
        return [t("A gentle reminder about “{title}” for {site}: I'm still hoping for your answer to this "
                  "question:").format(**where), quoted(question)], how
    return [t("A gentle reminder about “{title}” for {site}: I'm still hoping for your answer.").format(**where)], how


def _preview_waiting(site: Site, post: Post, codes: Codes, words: Translator,
                     comment: Said | None) -> tuple[list, list]:
    """What a reminder of a preview says (after their comment: that it was read, and what they can still do),
    and the preview's buttons."""
    t, links = words.gettext, answer_links(site, post, codes, words)
    where = {"title": post.title, "site": site.config.title}
    buttons = [Button(t("Approve"), links["approve"]), Button(t("Ask for changes"), links["changes"])]
    if comment is not None:
        return [t("On {day} you wrote about “{title}”:").format(day=words.date(comment.day), **where),
                quoted(comment.text),
                t("Thank you: I've read it. I can only publish your words once you approve them. If the preview is "
                  "right as it is, the Approve button below says so; if you'd like something changed, Ask for "
                  "changes tells me what, and I'll send you a new preview.")], \
            [t("Your preview is in my earlier e-mail."), *buttons]
    return [t("A gentle reminder about “{title}” for {site}: I'm still hoping for your look at the preview I "
              "sent, so I can publish with your approval.").format(**where)], \
        [t("The buttons below answer in one click; your preview is in my earlier e-mail."), *buttons]


def _count_me_out(site: Site, post: Post, codes: Codes, words: Translator, why: str) -> list:
    """The Count-me-out paragraph and button, when the message carries its code."""
    if codes.out is None:
        return []
    return [why, Button(words.gettext("Count me out"), answer_links(site, post, Codes(out=codes.out), words)["out"])]


def cancel_message(site: Site, post: Post, person: Contributor, reason: str | None = None,
                   was_online: bool = False, answered: bool = True) -> EmailMessage:
    """Telling one contributor that the post will not run (or was taken down), why, and (when they `answered`)
    what happens to their words, or (when they were only invited) that no answer is needed."""
    words = words_for(site, person)
    t, where = words.gettext, {"title": post.title, "site": site.config.title}
    if was_online:
        news = t("I'm sorry to tell you that I have taken “{title}” down from {site}: I have cancelled it.")
        after = t("Thank you for the time and thought you gave it. Your words are no longer published, here or "
                  "anywhere else; if I ever want to use them another way, I will ask you first.")
        subject = t("“{title}” has been taken down")
    else:
        news = t("I'm sorry to tell you that “{title}” will not run on {site}: I have cancelled it.")
        after = t("Thank you for the time and thought you gave it. Your words will not be published, here or "
                  "anywhere else; if I ever want to use them another way, I will ask you first.")
        subject = t("“{title}” will not be published")
    if not answered:
        after = t("So there's no need to answer my invitation.")
    paragraphs = [
        dear(person, words),
        news.format(**where),
        *([t("The reason:"), quoted(reason)] if reason else []),
        after,
        _signed(t("With thanks,"), site),
    ]
    return _message(site, person, words, subject.format(**where), paragraphs)


def thank_message(site: Site, post: Post, person: Contributor, voice_url: str) -> EmailMessage:
    """Thanking one contributor, with the link to their own voice and a line ready to share."""
    words = words_for(site, person)
    t, company = words.gettext, others(site, post, person.id, words)
    where = {"title": post.title, "site": site.config.title, "url": voice_url, "others": company}
    share = (t("I joined {others} in “{title}”, on {site}: {url}") if company
             else t("My voice is in “{title}”, on {site}: {url}"))
    paragraphs = [
        dear(person, words),
        t("“{title}” is now published on {site}, and your voice is here:").format(**where) + f"\n{voice_url}",
        *([t("You're in it alongside {others}.").format(others=company)] if company else []),
        t("If you'd like to share it, here is a line ready to post as your own:"),
        f"    {share.format(**where)}",
        _signed(t("Thank you for being part of it."), site),
    ]
    return _message(site, person, words, t("“{title}” is published — thank you").format(title=post.title),
                    paragraphs)


def _message(site: Site, person: Contributor, words: Translator, subject: str, paragraphs: list) -> EmailMessage:
    editor = site.config.editor
    msg = EmailMessage(policy=POLICY)
    msg["From"] = Address(one_line(editor.name), addr_spec=editor.email or "")
    if person.email:
        msg["To"] = Address(one_line(person.profile.name), addr_spec=person.email)
    msg["Subject"] = one_line(subject)
    msg["Date"] = format_datetime(dt.datetime.now(dt.timezone.utc))
    msg["Message-ID"] = make_msgid(domain=(editor.email or "roundup.invalid").rpartition("@")[2])
    text = [words.gettext("{label}: {link}").format(label=p.label, link=p.href) if isinstance(p, Button)
            else p.text() if isinstance(p, Items) else p for p in paragraphs]
    msg.set_content("\n\n".join(text) + "\n")
    msg.add_alternative(_html(paragraphs, words), subtype="html")
    msg["Content-Language"] = words.language.tag  # after the content: setting content clears Content-* headers
    return msg


def quoted(text: str) -> str:
    """Someone's words quoted in a plain-text message, each line behind "> "."""
    return "\n".join(f"> {line}".rstrip() for line in text.strip().splitlines())


STYLE = ("a.button{display:inline-block;padding:10px 20px;border-radius:6px;background:#1a5fb4;color:#ffffff;"
         "font-weight:bold;text-decoration:none}")
"""The buttons' look, in the head: no element carries a style of its own (nothing in a message is active)."""


def _html(paragraphs: list, words: Translator) -> str:
    """The same words as HTML: every paragraph escaped, web links made clickable, buttons as buttons."""
    parts = []
    for text in paragraphs:
        if isinstance(text, Button):
            parts.append(f'<p><a href="{escape(text.href)}" class="button">{escape(text.label)}</a></p>')
            continue
        if isinstance(text, Items):
            items = "".join(f"<li>{escape(item)}</li>" for item in text.items)
            parts.append(f"<p>{escape(text.lead)}</p>\n<ul>{items}</ul>")
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
    head = (f'<!doctype html>\n<html lang="{escape(words.language.tag)}" dir="{words.direction}"><head><style>{STYLE}'
            '</style></head><body>\n')
    return head + "\n".join(parts) + "\n</body></html>\n"
