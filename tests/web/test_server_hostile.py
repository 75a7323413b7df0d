"""`cancelkit serve` under attack: no token, a wrong or reused token, a foreign Host header
(DNS rebinding), a cross-origin POST, a POST without the CSRF token, an oversize upload, a
review workbook edited to approve a rejected row, two tabs approving different rows, the
server stopped in the middle of a download, hostile cell text (XSS) and hostile files."""

from __future__ import annotations

import csv
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import openpyxl
import pytest
from conftest import MESSY, ROOT, invoke
from web_serving import browser, served, serving, shoot, watched  # noqa: F401

from cancelkit.review.reader import REVIEW_HEADER

COL = {name: i + 1 for i, name in enumerate(REVIEW_HEADER)}
CORPUS = ROOT / "tests" / "corpus"
XSS = (
    "<script>alert('sku')</script>",
    '"><img src=x onerror=alert(1)>',
    "</td></tr><svg onload=alert(2)>",
    "{{7*7}} {% raw %}",
    "javascript:alert(3)",
)


def entered(server) -> httpx.Client:
    """A client holding the session cookie (the printed URL opened once)."""
    client = httpx.Client(base_url=server.base, timeout=60)
    answer = client.get(server.url, follow_redirects=False)
    assert answer.status_code == 303
    return client


def posting(server, **extra) -> dict:
    headers = {"Origin": server.base, "X-CSRF-Token": server.session.csrf}
    headers.update(extra)
    return headers


def load_via(client: httpx.Client, server, *paths: Path, **fields) -> str:
    files = [("inputs", (p.name, p.read_bytes())) for p in paths]
    answer = client.post("/load", files=files, data=fields, headers=posting(server))
    assert answer.status_code == 200, answer.text
    job = answer.json()["job"]
    while (state := client.get(f"/jobs/{job}").json())["state"] == "running":
        time.sleep(0.05)  # polling a condition, not timing
    return state


# -- the door -----------------------------------------------------------------------------


def test_no_token_and_wrong_token_get_403(served):  # noqa: F811
    client = httpx.Client(base_url=served.base)
    assert client.get("/").status_code == 403
    assert client.get("/?token=wrong").status_code == 403
    assert client.get("/history").status_code == 403
    assert client.get("/static/app.js").status_code == 403
    forged = httpx.Client(base_url=served.base, cookies={"cancelkit_session": "forged"})
    assert forged.get("/").status_code == 403
    answer = client.post("/load", headers=posting(served))
    assert answer.status_code == 403


def test_the_url_token_works_once(served):  # noqa: F811
    entered(served)
    other = httpx.Client(base_url=served.base)
    assert other.get(served.url, follow_redirects=False).status_code == 403


def test_foreign_host_header_is_refused_even_with_the_cookie(served):  # noqa: F811
    client = entered(served)
    for host in ("evil.example", f"evil.example:{served.port}", "127.0.0.1:1"):
        answer = client.get("/", headers={"Host": host})
        assert answer.status_code == 403
        assert "answers only to its own address" in answer.text
    assert client.get("/", headers={"Host": f"localhost:{served.port}"}).status_code == 200


def test_cross_origin_post_and_missing_csrf_are_refused(served):  # noqa: F811
    client = entered(served)
    load_via(client, served, MESSY)
    batch = served.session.batches["batch-1"]
    token = next(r.token for r in batch.rows if r.approvable)
    body = {"version": 0, "changes": {token: False}}
    for headers in (
        posting(served, Origin="http://evil.example"),
        posting(served, Origin="null"),
        {"X-CSRF-Token": served.session.csrf},  # no Origin at all
    ):
        answer = client.post("/b/batch-1/approvals", json=body, headers=headers)
        assert answer.status_code == 403
        assert "must come from this page" in answer.text
    answer = client.post("/b/batch-1/approvals", json=body, headers={"Origin": served.base})
    assert answer.status_code == 403 and "CSRF" in answer.text
    answer = client.post(
        "/b/batch-1/approvals", json=body, headers=posting(served, **{"X-CSRF-Token": "x"})
    )
    assert answer.status_code == 403
    assert batch.version == 0  # nothing changed
    answer = client.post("/b/batch-1/approvals", json=body, headers=posting(served))
    assert answer.status_code == 200 and batch.version == 1


def test_pages_carry_the_csp_and_no_secret(served, standin):  # noqa: F811
    from spapi_standin import SECRETS

    client = entered(served)
    load_via(client, served, MESSY)
    for path in ("/", "/b/batch-1", "/history"):
        answer = client.get(path)
        assert answer.status_code == 200
        policy = answer.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy
        for secret in SECRETS:
            assert secret not in answer.text
    report = client.get("/b/batch-1/report")
    assert report.headers["content-security-policy"].startswith("default-src 'none'")
    assert "script-src" not in report.headers["content-security-policy"]


# -- what is given to it ---------------------------------------------------------------------


def test_oversize_upload_is_refused_with_the_limit(browser, tmp_path):  # noqa: F811
    big = tmp_path / "big.csv"
    big.write_text("order-id,cancellation-reason-code\n" + "x" * 40_000 + "\n")
    with serving(max_upload_mb=0.02) as small:
        page = browser.new_page()
        page.goto(small.url)
        page.set_input_files("#inputs", str(big))
        page.click("#load-button")
        page.wait_for_selector("#load-error:not([hidden])")
        text = page.inner_text("#load-error")
        assert "larger than the limit of 0.02 MB" in text and "--max-upload-mb" in text
        assert small.session.batches == {}
        client = entered_again(small, page)
        answer = client.post(
            "/load", files=[("inputs", ("big.csv", big.read_bytes()))], headers=posting(small)
        )
        assert answer.status_code == 413
        # a body sent without a length (chunked) is counted as it arrives, and cut off too
        body = (
            b'--b\r\nContent-Disposition: form-data; name="inputs"; filename="big.csv"\r\n\r\n'
            + big.read_bytes()
            + b"\r\n--b--\r\n"
        )
        headers = posting(small, **{"Content-Type": "multipart/form-data; boundary=b"})
        answer = client.post("/load", content=iter([body[:1000], body[1000:]]), headers=headers)
        assert answer.status_code == 413 and "larger than the limit" in answer.text
        assert small.session.batches == {}


@pytest.mark.parametrize(
    "name, fragment",
    [
        ("binary-garbage.csv", "binary"),
        ("entity-bomb.xlsx", ""),
        ("ratio-bomb.xlsx", ""),
        ("nul-bytes.csv", ""),
    ],
)
def test_hostile_files_get_the_readers_refusal(served, name, fragment):  # noqa: F811
    client = entered(served)
    state = load_via(client, served, CORPUS / name)
    if state["state"] == "failed":
        assert state["error"] and "Traceback" not in state["error"]
        assert fragment in state["error"].lower()
    else:  # read with its rows rejected: the page shows them
        assert client.get(state["then"]).status_code == 200


def test_cell_text_is_escaped_everywhere(browser, served, tmp_path):  # noqa: F811
    source = tmp_path / "<img src=x onerror=alert(9)>.csv"
    with open(source, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["order-id", "cancellation-reason-code", "amazon-order-item-code", "sku"])
        writer.writerow(["113-4728391-2038475", "NoInventory", "62845173920562", XSS[0]])
        writer.writerow([XSS[1], "NoInventory", "62845173920571", XSS[2]])
        writer.writerow(["112-5550193-7782014", XSS[2], "27485019374652", XSS[3]])
        writer.writerow(["112-5550193-7782015", "BuyerCanceled", XSS[4], XSS[1]])
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    seen = watched(page)
    page.goto(served.url)
    page.set_input_files("#inputs", str(source))
    page.fill("#orders_7d", "4000")
    page.click("#load-button")
    page.wait_for_url(re.compile(r".*/b/batch-1$"))
    text = page.inner_text("#rows")
    for value in (XSS[0], XSS[2], XSS[3]):
        assert value in text
    assert page.locator("#rows script, #rows img, #rows svg").count() == 0
    assert "<img src=x onerror=alert(9)>.csv" in page.inner_text("h1")
    page.goto(served.base + "/b/batch-1/report")
    assert seen["dialogs"] == [] and seen["errors"] == []
    assert all(url.startswith(served.base) for url in seen["requests"])


# -- decisions -----------------------------------------------------------------------------


def test_review_edited_to_approve_a_rejected_row_is_refused(browser, served, tmp_path):  # noqa: F811
    review = tmp_path / "review.xlsx"
    run = invoke("review", MESSY, "--orders-7d", "4000", "-o", review)
    assert run.exit_code in (0, 1), run.output
    book = openpyxl.load_workbook(review)
    sheet = book["Review"]
    rejected = [
        n for n in range(2, sheet.max_row + 1) if sheet.cell(n, COL["result"]).value == "rejected"
    ]
    one, two = rejected[:2]
    sheet.cell(one, COL["approve"]).value = "yes"  # approve a rejected row
    sheet.cell(two, COL["approve"]).value = "yes"
    sheet.cell(two, COL["result"]).value = "accepted"  # and pretend it was accepted
    forged = {sheet.cell(n, COL["order-id"]).value for n in (one, two)}
    book.save(review)

    page = browser.new_page(viewport={"width": 1300, "height": 900}, accept_downloads=True)
    page.goto(served.url)
    page.set_input_files("#review", str(review))
    page.click("#load-button")
    page.wait_for_url(re.compile(r".*/b/batch-1$"))
    batch = served.session.batches["batch-1"]
    assert not any(batch.rows[i].order_id in forged for i in batch.approved)
    assert "refused:" in page.inner_text("#rows")  # the forged result cell, said on its row
    # nor can the page be asked to approve them
    client = entered_again(served, page)
    tokens = [r.token for r in batch.rows if r.sheet_row in (one, two)]
    for token in tokens:
        answer = client.post(
            "/b/batch-1/approvals",
            json={"version": batch.version, "changes": {token: True}},
            headers=posting(served),
        )
        assert answer.status_code == 400 and "cannot be approved" in answer.text
    page.click("#leave-button")
    page.wait_for_selector("#left")
    link = page.locator("#downloads a.download", has_text=re.compile(r"^cancellations-.*\.txt$"))
    with page.expect_download() as waiting:
        link.first.click()
    uploaded = Path(waiting.value.path()).read_text()
    assert not any(order and order in uploaded for order in forged)


def entered_again(server, page) -> httpx.Client:
    """A client with the browser's session cookie (the one-time token is used up)."""
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    return httpx.Client(base_url=server.base, cookies=cookies, timeout=60)


def test_two_tabs_last_saved_wins_and_the_page_says_so(browser, served):  # noqa: F811
    context = browser.new_context(viewport={"width": 1300, "height": 900})
    first = context.new_page()
    first.goto(served.url)
    first.set_input_files("#inputs", str(MESSY))
    first.fill("#orders_7d", "4000")
    first.click("#load-button")
    first.wait_for_url(re.compile(r".*/b/batch-1$"))
    url = first.url + "?status=accepted"
    first.goto(url)
    second = context.new_page()
    second.goto(url)
    boxes_one = first.locator("#rows input.approve")
    boxes_two = second.locator("#rows input.approve")
    # every accepted row starts approved (the plan's advice): each tab holds a different one
    checked = [i for i in range(boxes_one.count()) if boxes_one.nth(i).is_checked()]
    a, b = checked[:2]
    with first.expect_response(re.compile(r".*/approvals$")):
        boxes_one.nth(a).uncheck()
    assert first.locator("#notice").is_hidden()
    with second.expect_response(re.compile(r".*/approvals$")):
        boxes_two.nth(b).uncheck()
    notice = second.inner_text("#notice")
    assert "Another tab saved approvals" in notice and "last saved state wins" in notice
    assert boxes_two.nth(a).is_checked()  # the page shows the saved state: its own
    shoot(second, "two-tabs")
    first.reload()
    assert boxes_one.nth(a).is_checked() and not boxes_one.nth(b).is_checked()


# -- stopping --------------------------------------------------------------------------------


def stop(proc: subprocess.Popen) -> None:
    """The served process ended (killed if it still runs) and its pipes closed."""
    proc.kill()
    proc.wait()
    for stream in (proc.stdout, proc.stderr):
        if stream is not None:
            stream.close()


def spawn(tmp_path: Path, *options: str) -> tuple[subprocess.Popen, str, Path]:
    """`cancelkit serve --port 0 --no-browser` in a real process: it, its URL, its folder."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), NO_COLOR="1")
    proc = subprocess.Popen(
        [sys.executable, "-m", "cancelkit", "serve", "--port", "0", "--no-browser", *options],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    url = folder = None
    proc.said = []  # type: ignore[attr-defined]
    while url is None or folder is None:
        line = proc.stderr.readline()
        proc.said.append(line)  # type: ignore[attr-defined]
        assert line, f"serve ended: {proc.wait()} {proc.stderr.read()}"
        if "open http" in line:
            url = line.split("open ", 1)[1].strip()
        if line.startswith("working folder"):
            folder = Path(line.split(": ", 1)[1].strip())
    return proc, url, folder


def test_ctrl_c_exits_130_and_leaves_nothing_behind(tmp_path):
    proc, url, folder = spawn(tmp_path)
    try:
        assert url.startswith("http://127.0.0.1:") and "token=" in url
        assert folder.is_dir()
        assert httpx.get(url, follow_redirects=False).status_code == 303  # it serves
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 130
        assert "cancelkit: interrupted" in proc.stderr.read()
        assert not folder.exists()
        assert list(tmp_path.iterdir()) == []
    finally:
        stop(proc)


def test_another_host_warns_and_answers_only_to_its_name(tmp_path):
    proc, url, folder = spawn(tmp_path, "--host", "127.0.0.2")
    try:
        assert "warning: serving on 127.0.0.2" in "".join(proc.said)
        assert url.startswith("http://127.0.0.2:")
        client = httpx.Client()
        assert client.get(url, follow_redirects=False).status_code == 303
        port = url.split(":")[2].split("/")[0]
        answer = client.get(f"http://127.0.0.2:{port}/", headers={"Host": f"127.0.0.1:{port}"})
        assert answer.status_code == 403
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=120) == 130
        assert not folder.exists()
    finally:
        stop(proc)


def test_server_stopped_mid_download_leaves_an_incomplete_file_and_no_folder(tmp_path):
    """Also: a large file's reading progress, as the page's progress bar shows it."""
    source = tmp_path / "many.csv"
    with open(source, "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["order-id", "cancellation-reason-code", "note"])
        for n in range(70_000):  # past the rows after which reading reports its progress
            writer.writerow([f"bad-{n}", "NoInventory", "n" * 20])  # every row rejected
    data = tmp_path / "served"
    data.mkdir()
    proc, url, folder = spawn(data)
    try:
        base = url.split("/?", 1)[0]
        client = httpx.Client(base_url=base, timeout=120)
        assert client.get(url, follow_redirects=False).status_code == 303
        page = client.get("/").text
        csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        answer = client.post(
            "/load",
            files=[("inputs", (source.name, source.read_bytes()))],
            headers={"Origin": base, "X-CSRF-Token": csrf},
        )
        job = answer.json()["job"]
        while (state := client.get(f"/jobs/{job}").json())["state"] == "running":
            time.sleep(0.05)  # polling a condition, not timing
        assert state["state"] == "done", state
        # what the page's progress bar showed while the file was read
        assert state["progress"]["file"] == "many.csv" and state["progress"]["row"] >= 65_536
        port = int(base.rsplit(":", 1)[1])
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.connect(("127.0.0.1", port))
        sock.sendall(
            f"GET /b/batch-1/files/rejects.csv HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
            f"Cookie: cancelkit_session={client.cookies['cancelkit_session']}\r\n\r\n".encode()
        )
        received = sock.recv(4096)
        head = received.split(b"\r\n\r\n", 1)[0].decode()
        length = int(re.search(r"content-length: ([0-9]+)", head, re.I).group(1))
        assert length > 1_000_000
        proc.send_signal(signal.SIGINT)  # while the download is under way
        while chunk := sock.recv(65536):
            received += chunk
        sock.close()
        body = received.split(b"\r\n\r\n", 1)[1]
        assert len(body) < length  # the browser sees an incomplete download
        assert proc.wait(timeout=120) == 130
        assert not folder.exists()
        assert list(data.iterdir()) == []
    finally:
        stop(proc)
