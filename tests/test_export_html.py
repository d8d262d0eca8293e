"""assessment.html: self-contained, escaped, bounded for big results, and rendered by headless
Chromium offline (not blank, complete, no network request)."""
from __future__ import annotations

import copy
import re
import shutil
import socket
import struct
import subprocess
import tempfile
import threading
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

from iwm_rules import api
from iwm_rules.exporters import export, html_export
from iwm_rules.exporters.labels import COLOURS, LEVEL_COLOURS

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def data(export_sample_data):
    return copy.deepcopy(export_sample_data)


@pytest.fixture(scope="module")
def page(data, tmp_path_factory):
    return export(data, tmp_path_factory.mktemp("html") / "assessment.html")


class _Refs(HTMLParser):
    """Every attribute that can make a browser fetch something, and every tag."""

    def __init__(self):
        super().__init__()
        self.refs: list[tuple[str, str, str]] = []
        self.tags: list[str] = []
        self.rows: dict[str, int] = {}
        self._table = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        for k, v in attrs:
            if k in ("src", "href", "srcset", "action", "poster", "data", "xlink:href", "background", "formaction"):
                self.refs.append((tag, k, v or ""))
        if tag == "table":
            self._table = dict(attrs).get("id")
        if tag == "tr" and self._table and dict(attrs).get("data-project") is not None:
            self.rows[self._table] = self.rows.get(self._table, 0) + 1


def _parse(text: str) -> _Refs:
    p = _Refs()
    p.feed(text)
    return p


def test_self_contained_no_external_resource(page):
    text = page.read_text(encoding="utf-8")
    refs = _parse(text)
    assert all(k == "href" and tag == "a" and v.startswith("#") for tag, k, v in refs.refs), refs.refs
    assert not {"link", "img", "iframe", "object", "embed", "video", "audio", "source"} & set(refs.tags)
    assert re.search(r"<script[^>]*\bsrc\s*=", text, re.I) is None
    assert "@import" not in text and "@font-face" not in text
    assert all(u.startswith(("data:", "#")) for u in re.findall(r"url\(\s*['\"]?([^)'\"]*)", text))
    assert "Content-Security-Policy" in text and "default-src 'none'" in text


def test_content_matches_the_result(page, data):
    text = page.read_text(encoding="utf-8")
    refs = _parse(text)
    gaps = sum(len(pr["gaps"]) for p in data["projects"] for pr in p["practices"])
    assert refs.rows["heat-table"] == len(data["projects"])
    assert refs.rows["gap-table"] == gaps
    assert f"Gaps ({gaps})" in text
    for r in data["input"]["rejected"]:
        assert r["reason"] in text
    for f in data["input"]["files"]:
        assert f["sha256"][:16] in text
    for label in ("NA", "NY", "LI", "PI", "NI", "FI"):
        assert f'class="c c-{label}"' in text
    assert "Atlas · IWM.SP1.3: NA, tailored NA: Customer-owned work environment" in text
    # heat map columns follow the catalogue (organization) order, whatever order projects list them in
    shuffled = copy.deepcopy(data)
    for p in shuffled["projects"]:
        p["practices"].reverse()
    heads = re.findall(r'<th class="pr" data-practice="([^"]+)"', html_export.render(shuffled))
    assert heads == [o["practice"] for o in data["organization"]["practices"]]
    assert data["input"]["warnings"]
    for w in data["input"]["warnings"]:
        assert w["message"] in text


def test_everything_is_escaped(page):
    text = page.read_text(encoding="utf-8")
    assert "<script>alert(1)</script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "Zeta &lt;b&gt;|x&lt;/b&gt; &amp; co" in text
    assert len(re.findall(r"<script\b", text)) == 1  # only the page's own filter script


def test_cmmi_v2_labels(tmp_path, data):
    text = export(api.relabel(data), tmp_path / "assessment.html").read_text(encoding="utf-8")
    assert 'class="c c-FM"' in text and 'class="c c-DM"' in text and 'class="c c-FI"' not in text
    assert "Fully meets" in text and "CMMI V2.0 scale" in text


def test_big_results_are_capped_and_say_so(tmp_path, data):
    big = copy.deepcopy(data)
    template = big["projects"][3]  # the project with every ruleset
    n = html_export.MAX_HEATMAP_PROJECTS + 300
    big["projects"] = []
    for i in range(n):
        p = copy.deepcopy(template)
        p["project"] = f"Project {i:04d}"
        p["coverage"] = (i % 97) / 100
        big["projects"].append(p)
    gaps = n * sum(len(pr["gaps"]) for pr in template["practices"])
    assert gaps > html_export.MAX_ROWS
    path = export(big, tmp_path / "assessment.html")
    text = path.read_text(encoding="utf-8")
    refs = _parse(text)
    assert refs.rows["heat-table"] == html_export.MAX_HEATMAP_PROJECTS
    assert refs.rows["gap-table"] == html_export.MAX_ROWS
    assert f"lowest coverage out of {n}" in text
    assert f"Showing {html_export.MAX_ROWS} of {gaps} gaps" in text
    assert path.stat().st_size < 8_000_000


# ----------------------------------------------------------------------------- Chromium

def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("Chromium is not installed (CI installs the Debian 'chromium' package)")


#: hosts Chromium itself contacts (component updates, sign-in, network time), not the page
BROWSER_HOSTS = ("update.googleapis.com", "accounts.google.com", "clients2.google.com", "clients1.google.com",
                 "edgedl.me.gvt1.com", "redirector.gvt1.com", "optimizationguide-pa.googleapis.com",
                 "safebrowsingohttpgateway.googleapis.com", "content-autofill.googleapis.com")


class _Recorder:
    """A proxy that answers nothing: records every request the browser sends through it."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests: list[str] = []
        self._stop = False
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self):
        while not self._stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(1)
            try:
                self.requests.append(conn.recv(300).decode("latin-1").split("\r\n")[0])
            except OSError:
                self.requests.append("?")
            conn.close()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop = True
        self._thread.join()
        self.sock.close()

    def page_requests(self) -> list[str]:
        return [r for r in self.requests if not any(h in r for h in BROWSER_HOSTS)]


def _run_chromium(url: str, *args: str, proxy_port: int) -> subprocess.CompletedProcess:
    with tempfile.TemporaryDirectory() as profile:
        return subprocess.run([_chromium(), "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={profile}",
                               f"--proxy-server=http://127.0.0.1:{proxy_port}", "--proxy-bypass-list=<-loopback>",
                               "--no-first-run", "--disable-background-networking", "--disable-component-update",
                               "--disable-sync", "--disable-extensions", "--hide-scrollbars", *args, url],
                              capture_output=True, text=True, timeout=120)


def _pixels(png: Path) -> tuple[int, int, list[tuple[int, int, int]]]:
    """(width, height, RGB pixels) of a PNG: Pillow when installed, else zlib and the PNG filters."""
    try:
        from PIL import Image
    except ImportError:
        return _decode_png(png.read_bytes())
    with Image.open(png) as im:
        rgb = im.convert("RGB")
        return rgb.width, rgb.height, list(rgb.get_flattened_data() if hasattr(rgb, "get_flattened_data") else rgb.getdata())


def _decode_png(raw: bytes) -> tuple[int, int, list[tuple[int, int, int]]]:
    assert raw[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, [], None
    while pos < len(raw):
        (n,), kind = struct.unpack(">I", raw[pos:pos + 4]), raw[pos + 4:pos + 8]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", raw[pos + 8:pos + 8 + 13])
        elif kind == b"IDAT":
            idat.append(raw[pos + 8:pos + 8 + n])
        pos += 12 + n
    width, height, depth, ctype, _, _, interlace = header
    assert depth == 8 and ctype in (2, 6) and interlace == 0, header
    bpp = 3 if ctype == 2 else 4
    data = zlib.decompress(b"".join(idat))
    stride = width * bpp
    prev = bytearray(stride)
    out = []
    for y in range(height):
        f = data[y * (stride + 1)]
        line = bytearray(data[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            if f == 1:
                line[i] = (line[i] + a) & 255
            elif f == 2:
                line[i] = (line[i] + b) & 255
            elif f == 3:
                line[i] = (line[i] + ((a + b) >> 1)) & 255
            elif f == 4:
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        out.extend(tuple(line[i:i + 3]) for i in range(0, stride, bpp))
        prev = line
    return width, height, out


def test_decode_png_matches_a_known_image(tmp_path):
    # 2 x 2 RGB image written with filter types 1 and 4 (the ones needing care)
    rows = [bytes([1]) + bytes([10, 20, 30, 5, 5, 5]), bytes([4]) + bytes([1, 1, 1, 0, 0, 0])]
    raw = b"".join(rows)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 2, 2, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    assert _decode_png(png) == (2, 2, [(10, 20, 30), (15, 25, 35), (11, 21, 31), (15, 25, 35)])


def test_chromium_renders_the_page_offline(page, tmp_path):
    url = page.resolve().as_uri()
    with _Recorder() as proxy:
        dom = _run_chromium(url, "--virtual-time-budget=5000", "--dump-dom", proxy_port=proxy.port)
        shot = tmp_path / "report.png"
        res = _run_chromium(url, "--force-device-scale-factor=0.5", "--window-size=1400,1800",
                            f"--screenshot={shot}", proxy_port=proxy.port)
    assert dom.returncode == 0, dom.stderr[-2000:]
    # the page is complete and its script ran, with the network unreachable
    assert 'data-ready="1"' in dom.stdout and "makes no network request.</footer>" in dom.stdout
    assert proxy.page_requests() == []
    assert res.returncode == 0 and shot.exists(), res.stderr[-2000:]
    width, height, px = _pixels(shot)
    assert width >= 600 and height >= 800
    dark = sum(1 for r, g, b in px if r + g + b < 300)
    assert dark > 0.005 * len(px), "the screenshot is blank"
    # the characterization colours of the distribution bar and the heat map are on screen
    colours = set(px)
    for label in ("FI", "NI", "PI"):
        fill = tuple(int(COLOURS[label][0][i:i + 2], 16) for i in (0, 2, 4))
        assert any(sum(abs(x - y) for x, y in zip(fill, c)) < 12 for c in colours), label


def test_the_offline_check_sees_a_page_that_fetches(tmp_path):
    """The proxy check is real: a page with an external image and script is caught."""
    bad = tmp_path / "bad.html"
    bad.write_text('<html><body><img src="http://cdn.example.invalid/logo.png">'
                   '<script src="https://cdn.example.invalid/chart.js"></script>x</body></html>', encoding="utf-8")
    with _Recorder() as proxy:
        _run_chromium(bad.resolve().as_uri(), "--virtual-time-budget=3000", "--dump-dom", proxy_port=proxy.port)
    assert any("cdn.example.invalid" in r for r in proxy.page_requests()), proxy.requests


def test_gap_filters_work_in_chromium(page, data, tmp_path):
    """Drive the page's own filter script in a real browser: a project filter, then a heat-map click."""
    probe = """<script>
(function () {
  var s = document.querySelector('select[data-filter="project"]');
  s.value = "Borealis"; s.dispatchEvent(new Event("change"));
  var visible = function () {
    return Array.prototype.filter.call(document.querySelectorAll("#gap-table tbody tr"), function (r) { return !r.hidden; });
  };
  document.body.setAttribute("data-project-shown", document.getElementById("gap-shown").textContent + "/" + visible().length);
  document.querySelector("#gap-reset").click();
  var cell = document.querySelector('#heat-table tr[data-project="Cygnus"] td.c-NI');
  var heads = document.querySelectorAll("#heat-table th[data-practice]");
  cell.click();
  document.body.setAttribute("data-cell", heads[cell.cellIndex - 2].getAttribute("data-practice") + "/" + visible().length);
}());
</script></body>"""
    probed = tmp_path / "probe.html"
    probed.write_text(page.read_text(encoding="utf-8").replace("</body>", probe), encoding="utf-8")
    with _Recorder() as proxy:
        res = _run_chromium(probed.resolve().as_uri(), "--virtual-time-budget=5000", "--dump-dom", proxy_port=proxy.port)
    assert res.returncode == 0, res.stderr[-2000:]
    gaps = {p["project"]: {pr["practice"]: len(pr["gaps"]) for pr in p["practices"]} for p in data["projects"]}
    n = sum(gaps["Borealis"].values())
    assert f'data-project-shown="{n}/{n}"' in res.stdout
    practice, shown = re.search(r'data-cell="([^"/]+)/(\d+)"', res.stdout).groups()
    assert int(shown) == gaps["Cygnus"][practice] > 0


def test_capability_levels_section(data):
    from .test_export_md import _with_levels, _without_levels

    assert 'id="levels"' not in html_export.render(_without_levels(data))
    text = html_export.render(_with_levels(data))
    section = text.split('<section id="levels">', 1)[1].split("</section>", 1)[0]
    # each level is a chip in its level colour (labels.LEVEL_COLOURS); the organization row is there,
    # a not-rated level says the level its satisfied goals already reach
    assert "<th>IWM</th>" in section and '<strong class="lab l-CL2">CL2</strong>' in section
    assert '<strong class="lab l-not_rated">not rated (at least CL1)</strong>*' in section
    assert '<tr class="org"><th>Organization</th>' in section
    assert f".l-CL2 {{ background: #{LEVEL_COLOURS['CL2'][0]}; color: #{LEVEL_COLOURS['CL2'][1]}; }}" in text
    assert 'class="lab r-satisfied" title="ML2 satisfied"' in section
