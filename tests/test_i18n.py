"""Languages: a pseudo-locale build over every page kind, preview and message (every word roundup writes comes
from a catalogue); the shipped catalogues complete; each contributor written to in their own language; plurals,
right-to-left pages, a quote's own language; unknown languages and broken catalogues refused at their line."""

from __future__ import annotations

import datetime as dt
import email
import email.policy
import re
from pathlib import Path

import lxml.html
import pytest
import yaml
from babel.messages.catalog import Catalog

from conftest import ANY, Mailbox, Site, assert_problem, plain_text
from roundup import catalogues, i18n

SOON = dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=10)
MARKED = re.compile(r"⟦[^⟦⟧]*⟧")
CONTENT = re.compile(r"(?i)\S*://\S*|mailto:\S*|\S*zq\S*")
"""What the editor and contributors wrote (every word of it starts with "zq"), and links."""


def pseudo_catalogue(path: Path) -> None:
    """Every message roundup has, translated as itself between ⟦ ⟧."""
    catalog = Catalog(locale="en", domain="roundup")
    for message in catalogues.extract():
        if not message.id:
            continue
        if isinstance(message.id, tuple):
            catalog.add(message.id, tuple(f"⟦{form}⟧" for form in message.id), flags=message.flags)
        else:
            catalog.add(message.id, f"⟦{message.id}⟧", flags=message.flags)
    catalogues.write(catalog, path)


def unmarked(text: str) -> str:
    """What is left of `text` once translated strings, contributor and editor content, digits and punctuation
    are taken out: roundup's own words that no catalogue translated."""
    while MARKED.search(text):
        text = MARKED.sub(" ", text)
    text = CONTENT.sub(" ", text)
    return re.sub(r"[\W\d_]+", " ", text).strip()


INLINE = {"a", "abbr", "b", "bdi", "bdo", "cite", "code", "em", "i", "ins", "del", "kbd", "mark", "q", "s", "small",
          "span", "strong", "sub", "sup", "u", "img", "picture", "source", "br", "time"}


def page_leftovers(html: str) -> list[str]:
    """The visible lines of text of a page (an inline element continues its line), and its alt, aria-label and
    title texts, that carry unmarked words; a date (<time>) is CLDR's, not a message."""
    doc = lxml.html.document_fromstring(html)
    flow: list[str] = []
    found = []

    def walk(el) -> None:
        if isinstance(el.tag, str) and el.tag not in ("script", "style"):
            found.extend(f"<{el.tag} {a}> {el.get(a)!r}" for a in ("alt", "aria-label", "title")
                         if el.get(a) and unmarked(el.get(a)) and (el.tag, a) != ("a", "title"))
            edge = "" if el.tag in INLINE else "\n"
            flow.append(edge + ("" if el.tag == "time" else el.text or ""))
            for child in el:
                walk(child)
            flow.append(edge)
        flow.append(el.tail or "")

    walk(doc)
    return found + [repr(line.strip()) for line in "".join(flow).splitlines() if unmarked(line)]


def message_leftovers(path: Path) -> list[str]:
    """The subject and every line of a message's text, and its HTML part, that carry unmarked words."""
    msg = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    lines = [str(msg["Subject"]), *plain_text(msg).splitlines()]
    found = [f"{path.name}: {line!r}" for line in lines if unmarked(line)]
    return found + [f"{path.name}: {t}" for t in page_leftovers(msg.get_body(("html",)).get_content())]


def test_the_marker_check_finds_an_unmarked_word():
    assert page_leftovers("<p>⟦Skip to content⟧ · Zqann Zqone <time>1 May</time></p>") == []
    assert page_leftovers('<p>⟦Page 2 of 3 · ⟦Tagged “zqtag”⟧⟧</p><img alt="Photo of Zqann">') == \
        ["<img alt> 'Photo of Zqann'"]
    assert page_leftovers("<p>⟦All voices by <bdi>Zqann</bdi>⟧</p><p>Draft <b>⟦Posts⟧</b></p>") == ["'Draft ⟦Posts⟧'"]
    assert unmarked("⟦Dear Zqann,⟧ and https://zq.example/x") == "and"


@pytest.fixture(scope="module")
def pseudo(tmp_path_factory) -> Site:
    """A site whose theme translates every message as itself between ⟦ ⟧, with every kind of page (a list of
    two pages, a tag, contributors, a draft), previews (new, stale, after a request for changes) and every
    message (invitation, preview, reminder, cancellation, thank-you)."""
    site = Site(tmp_path_factory.mktemp("pseudo"))
    site.config(title="Zqsite Zqroundups", editor={"name": "Zqed Zqitor", "email": "zqed@example.com"},
                theme="zqpseudo", paginate=1)
    pseudo_catalogue(site.root / "themes/zqpseudo/locales/en/LC_MESSAGES/roundup.po")
    for cid in ("zqa", "zqb", "zqc"):
        site.contributor(cid, f"Zq{cid[2]}name Zqsurname", email=f"{cid}@example.net", handle=f"@{cid}",
                         url=f"https://{cid}.example/", links={"Zqblog": f"https://{cid}.example/zqblog"},
                         bio="Zqbio *zqwords*.")
    body = "Zqintro zqwords.\n\n<!-- voices -->\n\nZqoutro.\n"
    for slug, voices in (("zqone", ["zqa", "zqb"]), ("zqtwo", ["zqa", "zqb", "zqc"]), ("zqold", ["zqa"]),
                         ("zqgone", ["zqb"]), ("zqdown", ["zqa", "zqb"])):
        for cid in voices[:2]:
            site.quote(slug, cid, f"Zqwords of {cid}.\n".replace(" of ", " zqof "), prompt="Zqprompt?")
        site.post(slug, title=f"Zqtitle {slug}", body=body, summary="Zqsummary.", tags=["zqtag"], voices=voices,
                  prompt="Zqquestion?", **({"deadline": SOON} if slug == "zqtwo" else {}),
                  date=dt.date(2026, 3, 1 + len(slug)))
    for slug in ("zqone", "zqold", "zqdown"):
        site.approve_all(slug)
    site.build()
    site.ok("cancel", "zqdown")  # taken down
    site.ok("cancel", "zqgone", "--reason", "Zqreason.")  # never online
    site.approve("zqa", "zqtwo")
    site.quote("zqtwo", "zqa", "Zqwords zqedited.\n", prompt="Zqprompt?")  # stale: the preview says what changed
    site.ok("preview", "zqb", "--post", "zqtwo")
    site.ok("decline", "zqb", "zqtwo", "--reason", "Zqshorter zqplease.")
    site.quote("zqtwo", "zqb", "Zqwords zqshorter.\n", prompt="Zqprompt?")
    site.ok("preview", "--post", "zqtwo")
    site.ok("invite", "zqtwo")
    site.ok("thank", "zqone")  # with company
    site.ok("thank", "zqold")  # alone
    approvals = site.root / "posts/zqtwo/approvals.yml"
    approvals.write_text(re.sub(r"(invited_at|previewed_at): '?(\d{4})", lambda m: f"{m[1]}: '{int(m[2]) - 1}",
                                approvals.read_text()))
    site.ok("remind", "zqtwo")
    site.build("--drafts")
    return site


def test_every_word_of_every_page_kind_comes_from_the_catalogue(pseudo: Site):
    pages = {path.relative_to(pseudo.out).as_posix(): path for path in pseudo.out.rglob("*.html")}
    kinds = ("index.html", "page/2/index.html", "posts/zqtwo/index.html", "posts/zqone/index.html",
             "contributors/index.html", "contributors/zqa/index.html", "tags/zqtag/index.html",
             "tags/zqtag/page/2/index.html", "404.html")
    assert set(kinds) <= set(pages), sorted(pages)
    assert "draft-banner" in pages["posts/zqtwo/index.html"].read_text()
    for name, path in pages.items():
        html = path.read_text(encoding="utf-8")
        assert html.count("⟦") > 8, name
        assert page_leftovers(html) == [], name


def test_every_preview_and_message_speaks_the_catalogue(pseudo: Site):
    previews = sorted((pseudo.root / "_previews").rglob("*.html"))
    messages = sorted((pseudo.root / "_previews").rglob("*.eml"))
    names = {p.name for p in messages}
    assert {"zqtwo-invitation.eml", "zqtwo-reminder.eml", "zqone.thanks.eml", "zqold.thanks.eml",
            "zqgone.cancelled.eml", "zqdown.cancelled.eml", "zqtwo.eml"} <= names, names
    preview = (pseudo.root / "_previews/zqb/zqtwo.html").read_text(encoding="utf-8")
    assert "preview-changes" in preview and "preview-request" in preview  # both frames of a second look
    assert "preview-changes" in (pseudo.root / "_previews/zqa/zqtwo.html").read_text(encoding="utf-8")
    for path in previews:
        assert page_leftovers(path.read_text(encoding="utf-8")) == [], path.name
    for path in messages:
        assert message_leftovers(path) == [], path.name


@pytest.mark.parametrize("language", i18n.shipped())
def test_every_shipped_catalogue_translates_every_message(language: str):
    template = catalogues.extract()
    assert len(template) > 100  # the theme's and the messages' strings were found
    path = catalogues.catalogue_path(language)
    catalog = catalogues.read(path, language.replace("-", "_"))
    assert catalogues.untranslated(catalog, template) == [], f"untranslated in {path}: run python -m roundup.catalogues"
    for message in catalog:
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.id and message.id in template:
            wanted = set().union(*map(i18n.placeholders, ids))
            assert i18n.placeholders(strings[-1]) | {"%(n)s", "{n}"} >= wanted, (language, message.id)
            assert all(i18n.placeholders(s) <= wanted for s in strings), (language, message.id)
    i18n.compile_po(path, language.replace("-", "_"))
    if language == "en":
        assert all(m.string == m.id for m in catalog if m.id)


def test_the_completeness_check_finds_a_missing_message(tmp_path: Path):
    template = catalogues.extract()
    catalog = catalogues.read(catalogues.catalogue_path("fr"), "fr")
    del catalog["Skip to content"]
    catalog["Atom feed"].string = ""
    assert catalogues.untranslated(catalog, template) == ["Skip to content", "Atom feed"]


def test_arabic_and_polish_plurals_come_right(tmp_path: Path):
    ar = i18n.translator(i18n.resolve("ar", []))
    counts = (0, 1, 2, 3, 11, 100)  # zero, one, two, few, many, other
    assert [ar.translations.plural(n) for n in counts] == [0, 1, 2, 3, 4, 5]
    forms = [ar.ngettext("%(n)s voice", "%(n)s voices", n) for n in counts]
    assert len(set(forms[:4])) == 4 and forms[3] != forms[4], forms  # 3 takes the plural, 11 the singular
    assert "%(n)s" not in forms[1] + forms[2] and "%(n)s" in forms[3] + forms[4] + forms[5]  # "one", a dual
    site = Site(tmp_path / "pl")
    site.config(language="pl", theme="polski")
    site.write("themes/polski/locales/pl/LC_MESSAGES/roundup.po",
               'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
               '"Plural-Forms: nplurals=3; plural=(n==1 ? 0 : n%10>=2 && n%10<=4 && (n%100<10 || n%100>=20) ? 1 : 2);\\n"\n'
               '\nmsgid "%(n)s voice"\nmsgid_plural "%(n)s voices"\n'
               'msgstr[0] "%(n)s głos"\nmsgstr[1] "%(n)s głosy"\nmsgstr[2] "%(n)s głosów"\n')
    for slug, count in (("one", 1), ("three", 3), ("five", 5), ("many", 22)):
        site.add_post(slug, [f"p{n}" for n in range(count)])
        site.approve_all(slug)
    site.build()
    meta = {slug: re.search(r"· (\d+ \w+)\s*</p>", site.page(f"posts/{slug}/index.html")).group(1)
            for slug in ("one", "three", "five", "many")}
    assert meta == {"one": "1 głos", "three": "3 głosy", "five": "5 głosów", "many": "22 głosy"}
    assert '<html lang="pl" dir="ltr">' in site.page("index.html")
    assert "Skip to content" in site.page("index.html")  # what the site's catalogue leaves out stays English


def test_an_unknown_language_is_an_error_at_its_line_naming_the_shipped_ones(site: Site):
    site.config(language="xx-Nowhere")
    site.add_post("alpha", ["zoe"])
    result = site.run("build")
    assert result.returncode == 1
    line = next(n for n, text in enumerate(site.read("site.yml").splitlines(), 1) if text.startswith("language"))
    message = assert_problem(result.stderr, "site.yml", line)
    assert "ar, de, en, es, fr, ja, pt, zh-Hans" in message and "themes/<theme>/locales/<lang>/roundup.po" in message
    assert not site.out.exists()
    site.config(language="nl")  # a real language roundup does not ship
    site.contributor("zoe", "Zoë", language="klingon")
    result = site.run("check")
    assert_problem(result.stderr, "site.yml", ANY, "'nl' has no translation")
    assert_problem(result.stderr, "contributors/zoe.yml", 2, "not a language tag roundup knows")


def test_a_broken_theme_catalogue_is_an_error_at_its_line(site: Site):
    po = "themes/mine/locales/fr/LC_MESSAGES/roundup.po"
    site.write(po, 'msgid ""\nmsgstr ""\n')
    site.config(theme="mine", language="fr")
    site.add_post("alpha", ["zoe"])
    site.approve_all("alpha")
    site.write(po, 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                   'msgid "Posts"\nmsgstr "Billets %(oops)s"\n')
    result = site.run("build")
    assert result.returncode == 1
    assert_problem(result.stderr, po, 5, "%(oops)s", "keep the placeholders")
    site.write(po, 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "Posts"\nmsgstrr "B"\n')
    assert_problem(site.run("build").stderr, po, 6, "not a valid gettext catalogue")
    site.write(po, 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n\nmsgid "Posts"\nmsgstr "Billets"\n')
    site.build()
    index = site.page("index.html")
    assert ">Billets</a>" in index and "Contributeurs" in index  # the theme's word, the shipped catalogue's others


def test_a_quote_in_another_language_says_so(site: Site):
    site.config(language="ar")
    site.add_post("alpha", {"zoe": "مرحبا بالعالم.\n", "sam": "Hello, world.\n"})
    site.quote("alpha", "sam", "Hello, world.\n", lang="en")
    site.approve_all("alpha")
    site.build()
    page = site.page("posts/alpha/index.html")
    assert page.startswith('<!doctype html>\n<html lang="ar" dir="rtl">')
    voices = lxml.html.document_fromstring(page).xpath("//blockquote[@class='voice__quote']")
    assert [(q.get("lang"), q.get("dir")) for q in voices] == [(None, "auto"), ("en", "auto")]
    site.quote("alpha", "sam", "Hello.\n", lang="english please")
    assert_problem(site.run("check").stderr, "posts/alpha/quotes/sam.md", 2, "not a language tag")


def test_a_french_contributor_hears_french_and_the_page_stays_english(site: Site, smtp_server: Mailbox):
    """Invitation, preview (message and frame), reminder and thank-you to a contributor whose profile says
    `language: fr`, on an English site, over SMTP; the others hear English; the post stays English."""
    fr = i18n.translator(i18n.resolve("fr", []))
    site.config(mail={"host": "127.0.0.1", "port": smtp_server.port})
    site.contributor("zoe", "Zoë Quill", email="zoe@example.org", language="fr")
    site.contributor("sam", "Sam Reed", email="sam@example.org")
    site.quote("alpha", "zoe", "")
    site.quote("alpha", "sam", "Sam's words.\n")
    site.post("alpha", title="Alpha Roundup", voices=["zoe", "sam"], prompt="What lasts?", deadline=SOON)
    site.ok("invite", "alpha", "--send")
    site.quote("alpha", "zoe", "Les mots de Zoë.\n", lang="fr")
    site.ok("preview", "--post", "alpha", "--send")
    approvals = site.root / "posts/alpha/approvals.yml"
    data = yaml.safe_load(approvals.read_text())
    for record in data.values():
        record.update({k: "2020-01-01T00:00:00Z" for k in ("invited_at", "previewed_at") if k in record})
    approvals.write_text(yaml.safe_dump(data))
    site.ok("remind", "alpha", "--send")
    site.approve_all("alpha")
    site.build()
    site.ok("thank", "alpha", "--send")

    zoe, sam = smtp_server.to("zoe@example.org"), smtp_server.to("sam@example.org")
    assert [m["Content-Language"] for m in zoe] == ["fr"] * 4 and {m["Content-Language"] for m in sam} == {"en"}
    subjects = [str(m["Subject"]) for m in zoe]
    english = "An invitation: your voice in “{title}”"
    french = fr.gettext(english).format(title="Alpha Roundup")
    assert french != english.format(title="Alpha Roundup")
    assert subjects == [french] + [f"Re: {french}"] * 3, subjects  # one conversation, in her language
    for message in zoe:
        text = plain_text(message)
        assert text.splitlines()[0] == fr.gettext("Dear {name},").format(name="Zoë Quill"), text
        assert "Dear " not in text and "Thank you" not in text
        html = message.get_body(("html",)).get_content()
        assert '<html lang="fr" dir="ltr">' in html
    assert fr.date(SOON) in plain_text(zoe[0])  # "le 13 décembre 2026" as French writes it
    assert plain_text(sam[0]).startswith("Dear Sam Reed,")

    frame = zoe[1].get_payload()[-1].get_content()
    frame = frame.decode() if isinstance(frame, bytes) else frame
    doc = lxml.html.document_fromstring(frame)
    assert doc.get("lang") == "en"  # the post as it will be published
    (aside,) = doc.xpath("//aside[@class='preview-banner']")
    assert aside.get("lang") == "fr" and fr.gettext("Approve") in aside.text_content()
    assert "Skip to content" in frame and "Private preview" not in aside.text_content()
    assert doc.xpath("//blockquote[@class='voice__quote'][@lang='fr']")

    page = site.page("posts/alpha/index.html")
    assert '<html lang="en" dir="ltr">' in page and "Skip to content" in page and "Les mots de Zoë." in page
    assert fr.gettext("Skip to content") not in page


def po(*pairs: tuple[str, str]) -> str:
    """A catalogue of these (English, translation) pairs."""
    head = 'msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=UTF-8\\n"\n'
    return head + "".join(f'\nmsgid "{en}"\nmsgstr "{tr}"\n' for en, tr in pairs)


def test_a_translation_is_text_and_one_that_would_break_a_page_is_refused(site: Site):
    site.write("themes/mine/locales/fr/LC_MESSAGES/roundup.po",
               po(("Main", 'Menu\\" onfocus=\\"alert(1)'), ("Atom feed", "Flux <b>Atom</b> & RSS")))
    site.config(theme="mine", language="fr")
    site.add_post("alpha", ["zoe"])
    site.approve_all("alpha")
    result = site.run("build")
    assert_problem(result.stderr, "themes/mine/locales/fr/LC_MESSAGES/roundup.po", 8, "markup other than")
    site.write("themes/mine/locales/fr/LC_MESSAGES/roundup.po", po(("Main", 'Menu\\" onfocus=\\"alert(1)')))
    site.build()
    nav = lxml.html.document_fromstring(site.page("index.html")).xpath("//nav[@class='site-nav']")[0]
    assert nav.get("aria-label") == 'Menu" onfocus="alert(1)' and nav.get("onfocus") is None
    for broken, line in ((("Posts", "Billets 100%"), None), (("Page %(number)s of %(count)s", "Page %(numero)s"), 5),
                         (("Dear {name},", "Bonjour {0},"), 5)):
        site.write("themes/mine/locales/fr/LC_MESSAGES/roundup.po", po(broken))
        result = site.run("build")
        if line is None:  # a % in a message without placeholders is text
            assert result.returncode == 0 and ">Billets 100%</a>" in site.page("index.html")
        else:
            assert_problem(result.stderr, "themes/mine/locales/fr/LC_MESSAGES/roundup.po", line, "keep the placeholders")


def test_a_region_overrides_its_language_message_by_message_and_check_compiles_every_language(site: Site):
    site.write("themes/mine/locales/fr-CA/roundup.po", po(("Posts", "Billets")))
    site.write("themes/mine/locales/nl/roundup.po", po(("Dear {name},", "Beste {name},")))
    site.config(theme="mine", language="fr-CA")
    site.contributor("zoe", "Zoë", language="nl")
    site.add_post("alpha", ["zoe"])
    site.approve_all("alpha")
    site.write("themes/mine/locales/nl/roundup.po", po(("Dear {name},", "Beste {naam},")))
    result = site.run("check")  # Dutch is only ever written to Zoë: check compiles it anyway
    assert_problem(result.stderr, "themes/mine/locales/nl/roundup.po", 5, "{naam}")
    site.write("themes/mine/locales/nl/roundup.po", po(("Dear {name},", "Beste {name},")))
    site.ok("check")
    site.build()
    index = site.page("index.html")
    assert '<html lang="fr-CA" dir="ltr">' in index and ">Billets</a>" in index and "Contributeurs" in index
