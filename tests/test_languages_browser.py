"""Sites in Arabic and Japanese, built with the real CLI (drafts and a private preview too): every page kind
valid for the Nu validator, free of axe-core violations in light and dark, no wider than a 375 px phone; the
Arabic site mirrored (skip link, header, voice frames) against the same site built in English, with
screenshots to look at; names in another script keeping their own direction (`dir="auto"`); and a quote's
`lang:` on its voice. The validator, the browser and the servers are test_quality's."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import Site
from quality_sites import Built, transparent_png
from test_quality import AXE_JS, NEEDS_NPM, axe_violations, document, open_page, servers, vnu_errors  # noqa: F401

KINDS = ("index", "post", "draft", "contributors", "contributor", "tag", "404", "preview")
CASES = [pytest.param(name, kind, id=f"{name}-{kind}") for name in ("ar", "ja") for kind in KINDS]
OTHER_SCRIPT = {"ar": ("daniel", "Daniel Weber", "ltr"), "ar-en": ("layla", "ليلى حدّاد", "rtl"),
                "ja": ("emma", "Emma Schulz", "ltr")}
"""Site → a contributor whose name is in another script than the page's language, and its direction."""


def make_site(root: Path, title: str, language: str, editor: str, people: dict, posts: list) -> Site:
    """A site of `people` (id → name, handle, bio, quote-language-or-None) and `posts` (slug, title, summary,
    tags, intro, prompt, {id: quote}); every voice approved but the first of a post whose slug ends in `!`."""
    site = Site(root)
    site.config(title=title, base_url="https://example.org/" + language + "/", language=language,
                editor={"name": editor, "email": "editor@example.org"})
    site.write("contributors/avatars/round.png", transparent_png())
    for n, (cid, (name, handle, bio, _)) in enumerate(people.items()):
        site.contributor(cid, name, handle=handle, bio=bio, url=f"https://example.org/{cid}/",
                         links={"Blog": f"https://example.org/{cid}/blog/"}, email=f"{cid}@example.org",
                         **({"avatar": "avatars/round.png"} if n % 2 == 0 else {}))
    for slug, title_, summary, tags, intro, prompt, quotes in posts:
        slug, withheld = slug.rstrip("!"), slug.endswith("!")
        for cid, text in quotes.items():
            lang = people[cid][3]
            site.quote(slug, cid, text, prompt=prompt, **({"lang": lang} if lang else {}))
        site.post(slug, title=title_, summary=summary, tags=tags, voices=list(quotes), body=intro)
        for cid in list(quotes)[1 if withheld else 0:]:
            site.approve(cid, slug)
    return site


def built_site(name: str, site: Site, published: str, draft: str, previewed: str, person: str) -> Built:
    site.build("--drafts")
    site.ok("preview", previewed)
    out, other = site.out, OTHER_SCRIPT[name][0]
    built = Built(name, site.root, "/" + name.split("-")[0] + "/")
    built.pages = {"index": out / "index.html", "post": out / f"posts/{published}/index.html",
                   "draft": out / f"posts/{draft}/index.html", "contributors": out / "contributors/index.html",
                   "contributor": out / f"contributors/{person}/index.html",
                   "tag": next(out.glob("tags/*/index.html")), "404": out / "404.html",
                   "preview": site.root / f"_previews/{previewed}/{draft}.html",
                   "other-script": out / f"contributors/{other}/index.html"}
    return built


AR_PEOPLE = {
    "layla": ("ليلى حدّاد", "@layla_haddad", "كاتبة ومترجمة من بيروت، تكتب عن المدن والذاكرة.", None),
    "omar": ("عمر الفاروقي", "@omar_lens", "مصوّر فوتوغرافي يعيش بين عمّان والقاهرة.", None),
    "daniel": ("Daniel Weber", "@dweber", "صحفي ألماني يتعلّم العربية منذ عشر سنوات.", "en"),
    "salma": ("سلمى يوسف", "@salma", "طاهية وكاتبة من حلب، تعيش اليوم في مرسيليا.", None)}
AR_PROMPT = "ما الأداة الصغيرة التي تعود إليها دائماً، ولماذا؟"
AR_POSTS = [
    ("tools", "الأدوات الصغيرة التي نعود إليها دائماً", "ثلاثة كتّاب ومصوّرين عن أدوات بسيطة صمدت أمام كل تطبيق جديد.",
     ["كتابة", "أدوات"],
     "كل بضعة أشهر يظهر تطبيق جديد يعدنا بأن يغيّر كل شيء، ثم نعود بعد أسبوع إلى ما كنّا نستعمله من قبل.\n\n"
     f"سألتُ ثلاثة أشخاص أحبّ أعمالهم سؤالاً واحداً: **{AR_PROMPT}**\n\n<!-- voices -->\n\n"
     "دفتر وعدسة وخريطة ورقية. لا شيء منها يصلح لإطلاق منتج جديد، لكنها كلّها صمدت عقداً كاملاً.\n", AR_PROMPT,
     {"layla": "دفتر صغير بغلاف أزرق أحمله في جيبي منذ سنوات. أكتب فيه كل كلمة أسمعها في الشارع ولا أعرف "
                "معناها، ثم أبحث عنها في المساء.\n\nصار الدفتر قاموسي الخاص، لأنه لا يحتوي إلا على ما لم أكن أعرفه.\n",
      "omar": "عدسة قديمة بطول خمسين مليمتراً ورثتها عن أبي. لا تقريب فيها ولا تركيز آلي، ولذلك عليّ أن أقترب من "
              "الناس وأن أتحدّث معهم قبل أن ألتقط الصورة.\n",
      "daniel": "A paper map of Cairo, folded so many times that the creases have worn through. My phone knows "
                "the city better than I do, but the map makes me look up and ask for directions, and that is "
                "how I learned most of my Arabic.\n"}),
    ("cities!", "مدن نحملها معنا", "عن الأماكن التي تركناها ولم تتركنا.", ["مدن", "ذاكرة"],
     "لكلّ منّا مدينة يحملها في صوته وفي مطبخه.\n\n<!-- voices -->\n", "ما المدينة التي تحملها معك أينما ذهبت؟",
     {"salma": "حلب كما كانت في صباحات الجمعة: رائحة الصابون والزعتر في السوق القديم، وصوت جدّتي وهي تساوم "
               "البائعين.\n\nلم أعد إليها منذ اثني عشر عاماً، لكنني أجدها في كل مطبخ أدخله.\n",
      "layla": "بيروت بكل ضجيجها. حين أكتب في مدينة هادئة أشغّل تسجيلاً لزحمة شارع الحمرا كي أستطيع التركيز.\n"})]
JA_PEOPLE = {
    "haruto": ("佐藤陽翔", "@haruto_sato", "東京在住の翻訳者。週末は古本屋を巡っている。", None),
    "yui": ("高橋結衣", "@yui_clay", "京都の陶芸家。器と言葉の関係について書いている。", None),
    "emma": ("Emma Schulz", "@emmadraws", "ベルリン出身のイラストレーター。大阪に住んで五年になる。", None),
    "ren": ("山本蓮", "@ren_y", "札幌の新聞記者。雪の日の取材が好き。", None)}
JA_POSTS = [
    ("tools", "何度も戻ってくる小さな道具", "三人の書き手と作り手が、新しいアプリより長く使い続けている道具を語る。",
     ["道具", "書くこと"],
     "数か月ごとに、すべてを変えると約束する新しいアプリが現れる。一週間は楽しく使うが、結局いつもの道具に戻ってしまう。"
     "\n\n<!-- voices -->\n\nノート、鉛筆、タイマー。どれも新製品にはならないが、十年を生き延びてきた。\n",
     "何度も戻ってくる小さな道具は何ですか。",
     {"haruto": "祖父から受け継いだ国語辞典。紙がすっかり黄ばんでいるが、引くたびに隣の言葉まで読んでしまう。\n",
      "yui": "竹のへら。二十年使って、私の指の形にすり減っている。\n",
      "emma": "青い色鉛筆。下書きはすべてこれで描く。消さなくていい線だと思えるので、思い切って描ける。\n"}),
    ("town!", "心の中の町", "離れても忘れられない場所について。", ["町"],
     "誰にでも、離れても心に残る町がある。\n\n<!-- voices -->\n", "いつも心にある町はどこですか。",
     {"ren": "小樽の坂道。冬の朝、運河から上がってくる霧の匂いを今でも覚えている。\n",
      "yui": "祖母の住んでいた尾道。坂の上から見える海が、いつも少しだけ違う色だった。\n"})]


@pytest.fixture(scope="session")
def built(tmp_path_factory) -> dict[str, Built]:
    """The Arabic site, the same site built in English, the Japanese site, and a copy of an Arabic page
    with an invalid `lang` on its body (what the validator and axe must report)."""
    root = tmp_path_factory.mktemp("languages")
    arabic = make_site(root / "ar", "المائدة الطويلة", "ar", "مريم الخطيب", AR_PEOPLE, AR_POSTS)
    shutil.copytree(arabic.root, root / "ar-en")
    english = Site(root / "ar-en")
    english.write("site.yml", arabic.read("site.yml").replace("language: ar", "language: en"))
    japanese = make_site(root / "ja", "長い食卓", "ja", "中村真理", JA_PEOPLE, JA_POSTS)
    sites = {"ar": built_site("ar", arabic, "tools", "cities", "salma", "omar"),
             "ar-en": built_site("ar-en", english, "tools", "cities", "salma", "omar"),
             "ja": built_site("ja", japanese, "tools", "town", "ren", "haruto")}
    broken = Built("broken", root / "broken", "/broken/", {"post": root / "broken/_site/post/index.html"})
    html = sites["ar"].pages["post"].read_text(encoding="utf-8")
    broken.pages["post"].parent.mkdir(parents=True)
    broken.pages["post"].write_text(html.replace("<body>", '<body lang="arabic">', 1), encoding="utf-8")
    return {**sites, "broken": broken}


def test_sites_speak_their_language_with_a_quote_in_english(built):
    ar, ja = document(built["ar"].pages["post"]), document(built["ja"].pages["post"])
    assert [ar.get("lang"), ar.get("dir"), ja.get("lang"), ja.get("dir")] == ["ar", "rtl", "ja", "ltr"]
    assert ar.xpath("string(//h1)") == AR_POSTS[0][1] and ja.xpath("string(//h1)") == JA_POSTS[0][1]
    assert ar.xpath("//a[@class='site-title']")[0].text == "المائدة الطويلة"
    assert [a.text for a in ar.xpath("//a[@class='tag']")] == ["كتابة", "أدوات"]
    quotes = {q.getparent().get("id"): q.get("lang") for q in ar.xpath("//blockquote[contains(@class, 'voice__quote')]")}
    assert quotes == {"voice-layla": None, "voice-omar": None, "voice-daniel": "en"}
    assert "Daniel Weber" in ar.xpath("string(//section[@id='voice-daniel']//h2)")
    assert "Emma Schulz" in ja.xpath("string(//section[@id='voice-emma']//h2)")
    for site in ("ar", "ja"):
        draft, preview = document(built[site].pages["draft"]), document(built[site].pages["preview"])
        assert draft.xpath("//div[@class='draft-banner']") and preview.xpath("//*[contains(@class, 'voice--highlighted')]")


# ---- the Nu validator (test_quality's single run, over these sites) ----------------------------------------

def test_the_validator_reports_an_invalid_lang_in_a_built_page(built, vnu_errors):
    found = vnu_errors[str(built["broken"].pages["post"])]
    assert any("arabic" in e for e in found), found


@pytest.mark.parametrize("name", ("ar", "ar-en", "ja"))
def test_every_page_passes_the_nu_html_validator(built, vnu_errors, name):
    files = built[name].html_files()
    assert set(built[name].pages.values()) <= set(files)
    bad = {str(f.relative_to(built[name].root)): vnu_errors[str(f)] for f in files if vnu_errors[str(f)]}
    assert not bad, json.dumps(bad, indent=1, ensure_ascii=False)


# ---- in Chromium: axe-core in light and dark, and a 375 px phone --------------------------------------------

def test_axe_reports_an_invalid_lang_in_a_built_page(open_page):
    assert AXE_JS.is_file(), f"{AXE_JS} is missing: {NEEDS_NPM}"
    assert "valid-lang" in " ".join(axe_violations(open_page("broken", "post", 375)))


LATIN_LETTERS = r"""() => { let n = 0; const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    while (walk.nextNode()) { const node = walk.currentNode;
        const text = node.nodeValue.replace(/[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]/g, 'x');
        if (text !== node.nodeValue) { node.nodeValue = text; n++; } }
    return n; }"""
"""Arabic letters → x. axe-core takes joined Arabic letters for an icon font's ligatures and leaves them out
of its contrast rule (`isIconLigature`), so an Arabic page is checked again with Latin letters in the same
places, colours, sizes and weights."""


@pytest.mark.parametrize("name,kind", CASES)
def test_no_axe_violations_in_light_and_dark(open_page, name, kind):
    page, found, backgrounds = open_page(name, kind, 375), {}, set()
    for text in ("as written", "Arabic letters as x"):
        if text != "as written" and not page.evaluate(LATIN_LETTERS):
            assert name != "ar", "no Arabic text to check the contrast of"
            break
        for scheme in ("light", "dark"):
            page.emulate_media(color_scheme=scheme)
            backgrounds.add(page.evaluate("getComputedStyle(document.body).backgroundColor"))
            found[f"{scheme}, {text}"] = axe_violations(page)
    assert len(backgrounds) == 2, f"the dark colours did not apply: {backgrounds}"
    assert not any(found.values()), json.dumps(found, indent=1, ensure_ascii=False)


OVERFLOW = """() => { const w = document.documentElement.clientWidth;
    return [document.documentElement.scrollWidth, w, [...document.querySelectorAll('body *')]
        .filter(e => { const r = e.getBoundingClientRect(); return (r.right > w + 1 || r.left < -1) && r.width > 0
                       && !e.closest('.visually-hidden, .skip-link, table, pre'); })
        .slice(0, 5).map(e => e.tagName + '.' + e.className)]; }"""


@pytest.mark.parametrize("name,kind", CASES)
def test_nothing_overflows_sideways_at_375(open_page, name, kind):
    page = open_page(name, kind, 375)
    scroll, client, wide = page.evaluate(OVERFLOW)
    assert scroll <= client and not wide, f"{scroll}px wide in a {client}px window; sticking out: {wide}"


# ---- mirroring: the Arabic site against the same site in English ---------------------------------------------

MEASURE = """() => {
    const rect = e => { const r = e.getBoundingClientRect(); return {left: r.left, right: r.right}; };
    const box = (s, within) => { const e = (within || document).querySelector(s);
        if (!e) throw new Error('no ' + s); return rect(e); };
    const w = document.documentElement.clientWidth, voice = document.querySelector('.voice:not(.voice--awaiting)');
    const quote = getComputedStyle(voice.querySelector('.voice__quote'));
    return {focused: document.activeElement.className, page: {left: 0, right: w}, skip: box('.skip-link'),
            header: box('.site-header__inner'), title: box('.site-title'), nav: box('.site-nav'),
            voice: rect(voice), avatar: box('.avatar', voice), who: box('.voice__who', voice),
            flag: voice.querySelector('.voice__flag') ? box('.voice__flag', voice) : null,
            tools: box('.voice__tools', voice), permalink: box('.voice__permalink', voice),
            links: box('.credit-links', voice), link: box('.credit-links li', voice),
            bar: [parseFloat(quote.borderLeftWidth), parseFloat(quote.borderRightWidth)]}; }"""
STARTS = {"skip": "page", "title": "header", "avatar": "voice", "flag": "voice", "permalink": "tools",
          "link": "links"}
"""Element → its container: the element sits at the container's start edge (left in English, right in Arabic)."""


def test_the_arabic_site_is_mirrored(open_page, tmp_path):
    seen = {}
    for name in ("ar-en", "ar"):
        for kind in ("post", "preview"):
            page = open_page(name, kind, 1024)
            page.keyboard.press("Tab")
            seen[name, kind] = got = page.evaluate(MEASURE)
            shot = tmp_path / f"{name}-{kind}.png"
            page.screenshot(path=str(shot), full_page=True)
            print("screenshot:", shot)
            assert got["focused"] == "skip-link"
    for kind in ("post", "preview"):
        en, ar = seen["ar-en", kind], seen["ar", kind]
        assert en["title"]["right"] <= en["nav"]["left"] and ar["title"]["left"] >= ar["nav"]["right"], (en, ar)
        assert en["avatar"]["right"] <= en["who"]["left"] and ar["avatar"]["left"] >= ar["who"]["right"], (en, ar)
        assert en["bar"] == ar["bar"] and en["bar"][0] == 0 < en["bar"][1]  # an Arabic quote's bar: at its right
        for part, box in STARTS.items():
            if en[part] is None or ar[part] is None:
                assert part == "flag" and kind == "post" and en[part] is ar[part] is None
                continue
            from_left = en[part]["left"] - en[box]["left"]
            from_right = ar[box]["right"] - ar[part]["right"]
            assert from_left < 60 and abs(from_left - from_right) < 1.5, (kind, part, en[part], ar[part])
    assert seen["ar", "preview"]["flag"] is not None


@pytest.mark.parametrize("name", OTHER_SCRIPT)
def test_names_in_another_script_keep_their_own_direction(open_page, name):
    _, person, direction = OTHER_SCRIPT[name]
    shown = []
    for kind in ("post", "contributors", "other-script"):
        page = open_page(name, kind, 1024)
        shown += page.evaluate("""(name) => [...document.body.querySelectorAll('*')]
            .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim() === name))
            .map(e => [location.pathname.split('/').slice(-2)[0], e.tagName, e.getAttribute('dir'),
                       getComputedStyle(e).direction])""", person)
    assert len({page for page, *_ in shown}) == 3 and len(shown) >= 5, shown  # voice, index, credit, card, profile
    assert all((dir_ == "auto" or tag == "BDI") and computed == direction for _, tag, dir_, computed in shown), shown
