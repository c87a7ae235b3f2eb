"""Content written to attack visitors builds into pages that run only the site's own scripts.

One build of the fixture site plus hostile stories, a campaign and a page: every Markdown body
payload is a story of its own, every front matter payload a story whose text fields all carry
it, and the campaign and page carry everything at once. Every file the build writes is then
read with real parsers (HTML, XML, JSON) and checked for what could run or send a visitor away.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import pytest

from sitegen.errors import ContentError
from sitegen.incremental.builder import build_site
from sitegen.markdown.texts import converted as render_markdown
from sitegen.options import BuildOptions

FIXTURE = Path(__file__).resolve().parent / "fixture"
ATOM = "{http://www.w3.org/2005/Atom}"
ELSEWHERE = "https://elsewhere.example"

# Markdown bodies, one story each (`/en/stories/body-<name>/`).
BODIES: dict[str, str] = {
    "script-block": "<script>alert(1)</script>\n\nAfter the block.",
    "script-inline": "Before <script>alert(1)</script> after.",
    "script-uppercase": "<SCRIPT SRC=https://elsewhere.example/x.js></SCRIPT>",
    "script-split": "<scr<script>ipt>alert(1)</scr</script>ipt>",
    "javascript-link": "[x](javascript:alert(1))",
    "javascript-mixed-case": "[x](JaVaScRiPt:alert(1))",
    "javascript-entity-tab": "[x](java&#x09;script:alert(1))",
    "javascript-entity-colon": "[x](javascript&colon;alert(1))",
    "javascript-entity-letters": '<a href="&#106;&#97;vascript:alert(1)">x</a>',
    "javascript-named-tab": '<a href="java&Tab;script:alert(1)">x</a>',
    "javascript-raw-newline": '<a href="java\nscript:alert(1)">x</a>',
    "javascript-leading-control": '<a href="\x01 javascript:alert(1)">x</a>',
    "javascript-angle-brackets": "[x](<javascript:alert(1)>)",
    "javascript-link-title": '[x](https://elsewhere.example/ "a\\" onmouseover=\\"alert(1)")',
    "data-link": "[x](data:text/html,<script>alert(1)</script>)",
    "data-link-base64": "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "data-image": "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "vbscript-link": "[x](vbscript:msgbox(1))",
    "autolink-javascript": "<javascript:alert(1)>",
    "autolink-data": "<data:text/html,alert(1)>",
    "reference-link": "[x][evil]\n\n[evil]: javascript:alert(1)",
    "reference-image": "![x][evil]\n\n[evil]: javascript:alert(1)",
    "reference-data": "[x][evil]\n\n[evil]: data:text/html,alert(1)",
    "footnote-link": "Text.[^1]\n\n[^1]: [x](javascript:alert(1))",
    "img-onerror": f"<img src={ELSEWHERE}/x.png onerror=alert(1)>",
    "a-onmouseover": f'<a href="{ELSEWHERE}/" onmouseover="alert(1)">x</a>',
    "svg-onload": "<svg onload=alert(1)>",
    "svg-script": "<svg><script>alert(1)</script></svg>",
    "svg-foreign-object": (
        "<svg><foreignObject><iframe src=javascript:alert(1)></iframe></foreignObject></svg>"
    ),
    "svg-xlink": '<svg><a xlink:href="javascript:alert(1)"><text>x</text></a></svg>',
    "math-confusion": f"<math><mtext><table><mglyph><style><img src={ELSEWHERE}/ onerror=alert(1)>",
    "iframe": f'<iframe src="{ELSEWHERE}/"></iframe>',
    "iframe-srcdoc": '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
    "object": f'<object data="{ELSEWHERE}/x.swf"></object>',
    "embed": f'<embed src="{ELSEWHERE}/x.swf">',
    "form": (
        '<form action="javascript:alert(1)"><input name=q>'
        '<button formaction="javascript:alert(1)">Go</button></form>'
    ),
    "meta-refresh": '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "base-href": f'<base href="{ELSEWHERE}/">',
    "link-import": f'<link rel="stylesheet" href="{ELSEWHERE}/x.css">',
    "style-element": (
        "<style>body{background:url(javascript:alert(1))}p{width:expression(alert(1))}</style>"
    ),
    "style-attribute": '<p style="background:url(javascript:alert(1))">x</p>',
    "srcset": f'<img src="{ELSEWHERE}/a.png" srcset="javascript:alert(1) 1x">',
    "attr-list-paragraph": 'A paragraph.\n{: onclick="alert(1)" style="color:red" }',
    "attr-list-heading": "## Heading {: onmouseover=alert(1) }",
    "attr-list-link": f'[x]({ELSEWHERE}/){{: onclick=alert(1) href="javascript:alert(1)" }}',
    "attr-list-image": f'![x]({ELSEWHERE}/a.png){{: onerror=alert(1) src="javascript:1" }}',
    "comment-breakout": "<!--><script>alert(1)</script>-->",
    "comment-bang": "<!-- --!><script>alert(1)</script> -->",
    "noscript-breakout": f'<noscript><p title="</noscript><img src={ELSEWHERE} onerror=alert(1)>">',
    "template-syntax": "{{ 7*7 }} {% raw %} {# comment #}",
    "cdata": "<![CDATA[<script>alert(1)</script>]]>",
    "details-ontoggle": "<details open ontoggle=alert(1)><summary>x</summary></details>",
    # Written as text, not an element: nothing is taken from the page around it.
    "id-as-text": 'Write `<p id="main">` or id="ask-form" as text.',
    # Characters XML cannot hold, which the feed carries with the body.
    "control-characters": "Bell&#7; tab&#x0b; not&#xFFFE; escape\x1b end.",
}

# Bodies that show an image: a text shows only files of images/, so the build refuses these
# (see test_a_body_showing_an_image_from_elsewhere_is_refused) and builds the others.
REFUSED = sorted(name for name, body in BODIES.items() if "<img" in render_markdown(body))
BUILT = {name: body for name, body in BODIES.items() if name not in REFUSED}

# Front matter text, one story each (`/en/stories/front-<name>/`) in every text field.
FRONT: dict[str, str] = {
    "template-expression": "{{ 7*7 }}",
    "template-raw": "{% raw %}{{ 7*7 }}",
    "script-close": "</script><script>alert(1)</script>",
    "attribute-breakout": '"><img src=x onerror=alert(1)>',
    "single-quote-breakout": "'><svg onload=alert(1)>",
    "title-close": "</title><script>alert(1)</script>",
    "cdata-close": "]]><script>alert(1)</script>",
    "line-separators": "one\u2028two\u2029three",
    "comment-open": "<!-- <script>alert(1)</script>",
    "entities": "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &#60;",
    "backslashes": "C:\\files\\about \\u003c/script>",
}
# A title the pages must show as it was written, never evaluated.
EXPRESSION = FRONT["template-expression"]
EVERYTHING = FRONT["script-close"] + " " + FRONT["attribute-breakout"] + " " + EXPRESSION

# Attributes a browser follows as a URL (srcset is a list of them, meta refresh holds one).
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "xlink:href", "data", "poster", "cite"}
URL_ATTRIBUTES |= {"background", "ping", "manifest", "codebase", "longdesc"}
BAD_SCHEMES = ("javascript:", "vbscript:", "data:")
# Elements the site never makes itself (forms and meta refresh are checked apart).
FORBIDDEN = {"iframe", "frame", "frameset", "object", "embed", "applet", "base", "style"}
FORBIDDEN |= {"svg", "math", "foreignobject", "xmp", "plaintext", "noembed", "portal"}
# What a browser drops from a URL before it reads the scheme: C0 controls and spaces around
# it, tabs and line breaks anywhere.
URL_NOISE = re.compile(r"[\x00-\x20]")


def yaml_text(value: str) -> str:
    """A YAML double-quoted scalar: JSON's escapes are YAML's."""
    return json.dumps(value)


def story(title: str, body: str, *, tag: str) -> str:
    quoted = yaml_text(title)
    return (
        f"---\ntitle: {quoted}\ndate: 2019-11-29\nsummary: {quoted}\n"
        f"tags: [{yaml_text(title + ' ' + tag)}]\nlocation: {quoted}\n"
        f"image: photo.png\nimage_alt: {quoted}\n"
        f"source:\n  name: {quoted}\n  url: {yaml_text(ELSEWHERE + '/?q=' + title)}\n"
        f"---\n{body}\n"
    )


def page(title: str, body: str) -> str:
    quoted = yaml_text(title)
    return f"---\ntitle: {quoted}\nsummary: {quoted}\n---\n{body}\n"


def write_hostile_content(content: Path) -> None:
    stories = content / "stories"
    for name, body in BUILT.items():
        (stories / f"body-{name}.en.md").write_text(story(name, body, tag=name), "utf-8")
    for name, text in FRONT.items():
        (stories / f"front-{name}.en.md").write_text(story(text, "Plain.", tag=name), "utf-8")
    everything = "\n\n".join(BUILT.values())
    (content / "campaigns" / "hostile.en.md").write_text(page(EVERYTHING, everything), "utf-8")
    (content / "pages" / "hostile.en.md").write_text(page(EVERYTHING, everything), "utf-8")


@pytest.fixture(scope="module")
def public(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("hostile")
    shutil.copytree(FIXTURE, base / "content")
    write_hostile_content(base / "content")
    settings = base / "content" / "site.yaml"
    # Every story in the feed, so that the feed carries every hostile title.
    settings.write_text(settings.read_text("utf-8").replace("feed_entries: 3", "feed_entries: 500"))
    options = BuildOptions(
        content=base / "content",
        output=base / "public",
        cache=base / "cache",
        today=date(2024, 6, 1),
        jobs=1,
    )
    build_site(options)
    return options.output


@dataclass
class Element:
    """A start tag as a browser reads it: attribute values unescaped; a script's own text."""

    tag: str
    attributes: dict[str, str]
    text: str = ""


class Parsed(HTMLParser):
    """Every element and comment of an HTML text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[Element] = []
        self.comments: list[str] = []
        self.script: Element | None = None
        self.feed(text)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.elements.append(element)
        if tag == "script":
            self.script = element

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self.script = None

    def handle_data(self, data: str) -> None:
        # The parser reads a script's content as text up to the first `</script`.
        if self.script is not None:
            self.script.text += data

    def handle_comment(self, data: str) -> None:
        self.comments.append(data)

    def all(self, tag: str) -> list[Element]:
        return [element for element in self.elements if element.tag == tag]


def scheme_of(url: str) -> str:
    """The scheme a browser reads from an (unescaped) URL, lowercase with its colon."""
    found = re.match(r"[a-z][a-z0-9+.-]*:", URL_NOISE.sub("", url).lower())
    return found.group(0) if found else ""


def urls_of(element: Element) -> list[str]:
    """Every URL an element makes the browser follow."""
    attributes = element.attributes
    urls = [value for name, value in attributes.items() if name in URL_ATTRIBUTES]
    for name in ("srcset", "imagesrcset"):
        urls += [part.split()[0] for part in attributes.get(name, "").split(",") if part.split()]
    if element.tag == "meta" and "http-equiv" in attributes:
        urls.append(attributes.get("content", "").lower().partition("url=")[2])
    return urls


def is_own_script(script: Element) -> bool:
    """Structured data, or one of the site's script files with nothing inline."""
    attributes = script.attributes
    if attributes == {"type": "application/ld+json"}:
        return True
    own_file = re.fullmatch(r"/static/js/[\w-]+(?:\.[0-9a-f]+)?\.js", attributes.get("src", ""))
    return bool(own_file) and set(attributes) <= {"src", "defer"} and not script.text.strip()


def is_own_form(name: str, form: Element) -> bool:
    """The ask form, and the inbox's forms (no content is shown there)."""
    ask_form = {"id": "ask-form", "action": "/api/help-requests"}
    return name.startswith("admin/") or ask_form.items() <= form.attributes.items()


def is_own_meta(name: str, meta: Element) -> bool:
    """Only the root page refreshes, to the default language."""
    if "http-equiv" not in meta.attributes:
        return True
    return name == "index.html" and meta.attributes.get("content") == "0; url=/en/"


def problems(name: str, page: Parsed) -> list[str]:
    """Everything in a page that could run script, load a document or send a visitor away."""
    found = [f"comment {text!r}" for text in page.comments]
    for element in page.elements:
        tag, attributes = element.tag, element.attributes
        if tag == "script" and not is_own_script(element):
            found.append(f"script {attributes} {element.text!r}")
        found += [f"{tag} {key}={value!r}" for key, value in attributes.items() if key[:2] == "on"]
        found += [f"{tag} {url!r}" for url in urls_of(element) if scheme_of(url) in BAD_SCHEMES]
        if tag in FORBIDDEN or "style" in attributes:
            found.append(f"{tag} {attributes}")
        if (tag == "form" and not is_own_form(name, element)) or (
            tag == "meta" and not is_own_meta(name, element)
        ):
            found.append(f"{tag} {attributes}")
    return found


@pytest.mark.parametrize(
    "fragment",
    [
        "<script>alert(1)</script>",
        '<script src="/static/js/ask.js">alert(1)</script>',
        '<script src="/static/js/../../evil.js"></script>',
        '<script type="application/ld+json" src="/x.js"></script>',
        '<img src="/a.png" onerror="alert(1)">',
        '<a href=" &#x09;JaVa&#10;Script:alert(1)">x</a>',
        '<img srcset="/a.png 1x, data:image/svg+xml,x 2x">',
        '<svg><a xlink:href="vbscript:x">x</a></svg>',
        '<button formaction="javascript:alert(1)">x</button>',
        '<meta http-equiv="refresh" content="0; URL=javascript:alert(1)">',
        "<iframe></iframe>",
        '<p style="color: red">x</p>',
        '<form action="/api/help-requests"></form>',
        "<!-- x -->",
    ],
)
def test_the_checks_find_what_they_look_for(fragment: str) -> None:
    assert problems("en/page/index.html", Parsed(fragment)) != []


def test_a_body_showing_an_image_from_elsewhere_is_refused(tmp_path: Path) -> None:
    assert {"data-image", "img-onerror", "srcset", "attr-list-image"} <= set(REFUSED)
    shutil.copytree(FIXTURE, tmp_path / "content")
    for name in REFUSED:
        text = story(name, BODIES[name], tag=name)
        (tmp_path / "content" / "stories" / f"body-{name}.en.md").write_text(text, "utf-8")
    options = BuildOptions(
        content=tmp_path / "content", output=tmp_path / "public", cache=tmp_path / "cache"
    )
    with pytest.raises(ContentError) as caught:
        build_site(options)
    refused = {problem.path.name for problem in caught.value.problems}
    assert refused == {f"body-{name}.en.md" for name in REFUSED}
    assert not options.output.exists()


@pytest.fixture(scope="module")
def pages(public: Path) -> dict[str, Parsed]:
    """Every HTML file of the build, parsed, by its path."""
    return {
        path.relative_to(public).as_posix(): Parsed(path.read_text("utf-8"))
        for path in sorted(public.rglob("*.html"))
    }


def test_every_hostile_document_is_a_page(pages: dict[str, Parsed]) -> None:
    names = [f"en/stories/body-{name}/index.html" for name in BUILT]
    names += [f"en/stories/front-{name}/index.html" for name in FRONT]
    names += ["en/campaigns/hostile/index.html", "en/hostile/index.html"]
    assert set(names) <= pages.keys()


@pytest.mark.parametrize("name", BUILT)
def test_a_hostile_body_runs_nothing(pages: dict[str, Parsed], name: str) -> None:
    path = f"en/stories/body-{name}/index.html"
    assert problems(path, pages[path]) == []


@pytest.mark.parametrize("name", FRONT)
def test_hostile_front_matter_runs_nothing(pages: dict[str, Parsed], name: str) -> None:
    path = f"en/stories/front-{name}/index.html"
    assert problems(path, pages[path]) == []


def test_no_page_of_the_site_runs_anything_but_its_own_scripts(pages: dict[str, Parsed]) -> None:
    # Lists, tags, the home page and the campaign show the hostile titles too.
    found = {name: problems(name, page) for name, page in pages.items()}
    assert {name: items for name, items in found.items() if items} == {}


def test_the_site_keeps_its_own_scripts_forms_and_refresh(pages: dict[str, Parsed]) -> None:
    ask = pages["en/ask/index.html"]
    (script,) = ask.all("script")
    assert re.fullmatch(r"/static/js/ask\.[0-9a-f]+\.js", script.attributes["src"])
    assert [form.attributes["id"] for form in ask.all("form")] == ["ask-form"]
    assert pages["admin/en/index.html"].all("form")
    refresh = [
        m.attributes for m in pages["index.html"].all("meta") if "http-equiv" in m.attributes
    ]
    assert refresh == [{"http-equiv": "refresh", "content": "0; url=/en/"}]


def meta_contents(page: Parsed) -> dict[str, str]:
    metas = page.all("meta")
    return {
        m.attributes.get("property", m.attributes.get("name", "")): m.attributes.get("content", "")
        for m in metas
    }


@pytest.mark.parametrize("name", FRONT)
def test_front_matter_is_shown_as_written(
    public: Path, pages: dict[str, Parsed], name: str
) -> None:
    text = FRONT[name]
    path = f"en/stories/front-{name}/index.html"
    metas = meta_contents(pages[path])
    assert heading(public / path) == text
    assert metas["description"] == metas["og:title"] == metas["og:image:alt"] == text
    assert text in {img.attributes.get("alt") for img in pages[path].all("img")}


def heading(path: Path) -> str:
    found = re.search(r"<h1>(.*?)</h1>", path.read_text("utf-8"), re.S)
    assert found is not None
    return html.unescape(found.group(1))


def test_template_syntax_is_never_evaluated(public: Path) -> None:
    stories = public / "en" / "stories"
    assert heading(stories / "front-template-expression" / "index.html") == "{{ 7*7 }}"
    body = (stories / "body-template-syntax" / "index.html").read_text("utf-8")
    assert "<p>{{ 7*7 }} {% raw %} {# comment #}</p>" in body


STRUCTURED_DATA = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S | re.I)


@pytest.mark.parametrize("name", FRONT)
def test_structured_data_holds_front_matter_as_data(public: Path, name: str) -> None:
    text = (public / "en" / "stories" / f"front-{name}" / "index.html").read_text("utf-8")
    (data,) = STRUCTURED_DATA.findall(text)
    # Without `<` nothing can end the element or open a comment inside it.
    assert "<" not in data
    article = json.loads(data)
    assert article["headline"] == article["description"] == FRONT[name]
    assert article["isBasedOn"] == f"{ELSEWHERE}/?q={FRONT[name]}"


def test_every_block_of_structured_data_parses(pages: dict[str, Parsed]) -> None:
    # What the HTML parser takes for the element's content is the whole JSON text.
    blocks = [s.text for page in pages.values() for s in page.all("script") if s.text]
    assert len(blocks) >= len(BUILT) + len(FRONT)
    for block in blocks:
        assert isinstance(json.loads(block), dict)


def test_feeds_and_sitemap_are_xml_that_carries_the_titles(public: Path) -> None:
    ET.parse(public / "sitemap.xml")  # noqa: S314 - our own output
    feed = ET.parse(public / "en" / "feed.xml").getroot()  # noqa: S314 - our own output
    entries = {entry.findtext(f"{ATOM}title"): entry for entry in feed.iter(f"{ATOM}entry")}
    assert set(FRONT.values()) | set(BUILT) <= entries.keys()
    content = entries["control-characters"].findtext(f"{ATOM}content")
    assert content == "<p>Bell tab not escape end.</p>"


def test_the_build_writes_no_json_but_structured_data(public: Path) -> None:
    # A search index or other JSON written later must be checked here like the pages.
    assert list(public.rglob("*.json")) == []
