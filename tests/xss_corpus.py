"""Cross-site scripting payloads, drawn from the OWASP XSS filter-evasion cheat sheet and the mutation-XSS
and Markdown-link literature: markup for every text field, Markdown for the Markdown fields, URLs for the
URL fields."""

from __future__ import annotations

MARKUP = [
    # script tags, in the cheat sheet's spellings
    "<script>alert('XSS')</script>",
    "<SCRIPT SRC=https://xss.example/xss.js></SCRIPT>",
    '<SCRIPT/XSS SRC="https://xss.example/xss.js"></SCRIPT>',
    '<<SCRIPT>alert("XSS");//\\<</SCRIPT>',
    "<SCRIPT SRC=https://xss.example/xss.js?< B >",
    '</TITLE><SCRIPT>alert("XSS");</SCRIPT>',
    '<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\\>',
    # javascript: in image sources, every encoding
    "<IMG SRC=\"javascript:alert('XSS');\">",
    "<IMG SRC=JaVaScRiPt:alert('XSS')>",
    "<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
    "<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>",
    "<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>",
    "<IMG SRC=&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041>",
    "<IMG SRC=&#x6A&#x61&#x76&#x61&#x73&#x63&#x72&#x69&#x70&#x74&#x3A&#x61&#x6C&#x65&#x72&#x74&#x28&#x27&#x58&#x53&#x53&#x27&#x29>",
    "<IMG SRC=\"jav\tascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x09;ascript:alert('XSS');\">",
    "<IMG SRC=\"jav&#x0A;ascript:alert('XSS');\">",
    "<IMG SRC=\" &#14;  javascript:alert('XSS');\">",
    "<IMG SRC=\"`<javascript:alert>`('XSS')\"",
    # event handlers
    '<a onmouseover="alert(document.cookie)">xxs link</a>',
    "<IMG SRC=# onmouseover=\"alert('xxs')\">",
    '<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>',
    '<BODY onload!#$%&()*~+-_.,:;?@[/|\\]^`=alert("XSS")>',
    "<BODY ONLOAD=alert('XSS')>",
    "<details open ontoggle=alert(1)>",
    '<video><source onerror="alert(1)"></video>',
    "<x contenteditable onblur=alert(1)>lose focus!</x>",
    "<INPUT TYPE=\"IMAGE\" SRC=\"javascript:alert('XSS');\">",
    '<form><button formaction=javascript:alert(1)>X</button></form>',
    # SVG and MathML
    "<svg/onload=alert('XSS')>",
    "<svg><script>alert(1)</script></svg>",
    '<svg><a xlink:href="javascript:alert(1)"><text x="20" y="20">XSS</text></a></svg>',
    # frames, objects, base, meta
    "<IFRAME SRC=\"javascript:alert('XSS');\"></IFRAME>",
    '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "<FRAMESET><FRAME SRC=\"javascript:alert('XSS');\"></FRAMESET>",
    '<OBJECT TYPE="text/x-scriptlet" DATA="https://xss.example/scriptlet.html"></OBJECT>',
    '<EMBED SRC="data:image/svg+xml;base64,PHN2ZyB4bWxucz0iaHR0cDovL3d3dy53My5vcmcvMjAwMC9zdmciIG9ubG9hZD0iYWxlcnQoMSkiLz4=" type="image/svg+xml">',
    "<BASE HREF=\"javascript:alert('XSS');//\">",
    "<META HTTP-EQUIV=\"refresh\" CONTENT=\"0;url=javascript:alert('XSS');\">",
    '<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">',
    # CSS
    "<STYLE>li {list-style-image: url(\"javascript:alert('XSS')\");}</STYLE><UL><LI>XSS</br>",
    "<DIV STYLE=\"background-image: url(javascript:alert('XSS'))\">",
    "<DIV STYLE=\"width: expression(alert('XSS'));\">",
    "<IMG STYLE=\"xss:expr/*XSS*/ession(alert('XSS'))\">",
    "<TABLE BACKGROUND=\"javascript:alert('XSS')\">",
    "<BODY BACKGROUND=\"javascript:alert('XSS')\">",
    # attribute breakouts (titles, alt text, meta content)
    '"><script>alert(1)</script>',
    "' onmouseover='alert(1)",
    '" autofocus onfocus="alert(1)',
    '"/><img src=x onerror=alert(1)>',
    # mutation XSS
    '<noscript><p title="</noscript><img src=x onerror=alert(1)>">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<svg><style><img src=x onerror=alert(1)></style></svg>",
    "<listing>&lt;img src=x onerror=alert(1)&gt;</listing>",
    '<a href="&#x6A;avascript:alert(1)">entity link</a>',
]
"""Markup: shown as text wherever it is placed (names, handles, labels, tags, titles, summaries, prompts)."""

MARKDOWN = [
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    "[click](&#106;avascript:alert(1))",
    "[click](javascript&#58;alert(1))",
    "[click](JAVASCRIPT&colon;alert(1))",
    "[click](<javascript:alert(1)>)",
    "[click]( javascript:alert(1))",
    '[click](javascript:alert(1) "title")',
    "<javascript:alert(1)>",
    "![img](javascript:alert(1))",
    "![img](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[data](data:text/html,<script>alert(1)</script>)",
    "[vb](vbscript:msgbox(1))",
    '[title](https://ok.example/ "\\" onmouseover=\\"alert(1)")',
    '![alt" onerror="alert(1)](https://ok.example/a.png)',
    "[reference link][evil]\n\n[evil]: javascript:alert(1)",
    "![reference image][evil-img]\n\n[evil-img]: javascript:alert(1)",
    "[ok](https://ok.example/?q=<script>alert(1)</script>)",
]
"""Markdown: links and images that must be dropped or made harmless (quotes, bios, the editor's text)."""

URLS_REFUSED = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    " javascript:alert(1)",
    "java\tscript:alert(1)",
    "//xss.example/",
    "https:alert(1)",
]
"""URLs a profile may not hold: `check` names the file and line and refuses the site."""

URLS_ACCEPTED = [
    'https://ok.example/"><script>alert(1)</script>',
    "https://ok.example/?q=<img/src/onerror=alert(1)>",
    "https://ok.example/'onmouseover='alert(1)",
    "https://ok.example/#javascript:alert(1)",
    "https://javascript:alert(1)@ok.example/",
    "mailto:a@ok.example?body=<script>alert(1)</script>",
]
"""URLs that are valid http(s)/mailto: kept, but only ever as an attribute value, never as markup."""
