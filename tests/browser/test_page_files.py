"""Files on the page, in a real Chromium against the real server and engine: a CSV picked and
read by pandas, the plot shown inline, an SVG offered only as a download, dropped files, the
page's own bounds, and names that stay text."""

from __future__ import annotations

import base64
import re

from playwright.sync_api import expect

CSV = "x,y\n1,1\n2,4\n3,9\n"
# The exercise a lesson gives: read the data, plot it, show it. show() comes back as
# out/figure-1.png (the image's matplotlib backend); the SVG is saved by the program itself.
EXERCISE = (
    "import pandas as pd\n"
    "import matplotlib.pyplot as plt\n"
    "df = pd.read_csv('data.csv')\n"
    "print(int(df['y'].sum()))\n"
    "plt.plot(df['x'], df['y'])\n"
    "plt.savefig('out/plot.svg')\n"
    "plt.show()\n"
)


def no_problems(page):
    assert [p for p in page.problems if "Content Security Policy" in p or "Refused to" in p] == []
    assert page.problems == []


def drop_file(page, name: str, text: str) -> None:
    """Drop a file on the editor as a person dragging it from their desktop would."""
    page.evaluate(
        """([name, text]) => {
            const transfer = new DataTransfer();
            transfer.items.add(new File([text], name, { type: "text/csv" }));
            const target = document.querySelector(".CodeMirror-lines");
            for (const kind of ["dragenter", "dragover", "drop"]) {
                target.dispatchEvent(new DragEvent(kind, { dataTransfer: transfer, bubbles: true, cancelable: true }));
            }
        }""",
        [name, text],
    )


def test_a_picked_csv_is_read_by_pandas_and_the_plot_comes_back_inline(patient_server, open_page, shots_dir):
    page = open_page(patient_server.url)
    page.set_input_files("#files", files=[{"name": "data.csv", "mimeType": "text/csv", "buffer": CSV.encode()}])
    expect(page.locator("#file-list")).to_contain_text("data.csv")
    expect(page.locator("#file-list")).to_contain_text(f"{len(CSV)} bytes")
    page.set_code(EXERCISE)
    sent, answer = page.run_and_answer()
    assert sent["files"] == {"data.csv": {"base64": base64.b64encode(CSV.encode()).decode()}}
    assert answer["status"] == "ok", answer.get("stderr")
    expect(page.locator("#badge")).to_have_text("OK")
    expect(page.locator("#stdout")).to_have_text("14\n")

    # The PNG is drawn: an <img> whose image decoded (a broken one has a natural width of 0).
    images = page.locator("#out-files img")
    expect(images).to_have_count(1)
    expect(images).to_have_attribute("alt", "out/figure-1.png")
    expect(images).to_have_attribute("src", re.compile(r"^data:image/png;base64,iVBORw0KGgo"))
    page.wait_for_function("() => document.querySelector('#out-files img').complete")
    assert images.evaluate("img => img.naturalWidth") > 0

    # The SVG is a download of opaque bytes, never an image of this origin.
    svg = page.locator("#out-files a[download='plot.svg']")
    expect(svg).to_have_text("plot.svg")
    expect(svg).to_have_attribute("href", re.compile(r"^blob:"))
    assert page.locator("#out-files img[src^='data:image/svg']").count() == 0
    with page.expect_download() as info:
        svg.click()
    download = info.value
    assert download.suggested_filename == "plot.svg"
    with open(download.path(), "rb") as saved:
        assert b"<svg" in saved.read()  # the file itself, fetched from the blob: URL
    page.screenshot(path=str(shots_dir / "page-files.png"), full_page=True)
    no_problems(page)  # no CSP refusal for the data: image or the blob: download


def test_dropped_files_the_pages_bounds_and_the_servers_refusal(server, open_page):
    page = open_page(server.url)
    drop_file(page, "drop.csv", "a,b\n")
    expect(page.locator("#file-list")).to_contain_text("drop.csv")
    assert page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()") == 'print("Hello World")\n'

    page.set_input_files(
        "#files", files=[{"name": "big.bin", "mimeType": "application/octet-stream", "buffer": b"\0" * (2**20 + 1)}]
    )
    expect(page.locator("#files-message")).to_have_text(
        "Not added: big.bin is 1048577 bytes; the limit is 1 MiB a file."
    )
    many = [{"name": f"f{i}.txt", "mimeType": "text/plain", "buffer": b"x"} for i in range(20)]
    page.set_input_files("#files", files=many)
    expect(page.locator("#files-message")).to_have_text("Not added: f19.txt: at most 20 files.")
    expect(page.locator("#file-list li")).to_have_count(20)

    page.click("button[aria-label='Remove drop.csv']")
    expect(page.locator("#file-list")).not_to_contain_text("drop.csv")
    expect(page.locator("#files")).to_be_focused()  # the focus stays nearby, not on <body>

    # A name the page lets through and the server refuses: the refusal says it was the files.
    for i in range(19):
        page.click(f"button[aria-label='Remove f{i}.txt']")
    page.set_input_files("#files", files=[{"name": "out", "mimeType": "text/plain", "buffer": b"x"}])
    expect(page.locator("#file-list li")).to_have_count(1)
    page.click("#run")
    page.finished()
    expect(page.locator("#badge")).to_have_text("Refused")
    expect(page.locator("#message")).to_contain_text("The input files were refused: The file name out is inside out/")
    # Chromium logs every 4xx answer to the console; that one, and nothing else, is expected.
    assert page.problems == [
        "Failed to load resource: the server responded with a status of 422 (Unprocessable Entity)"
    ]


def test_names_from_out_are_text_and_refusals_are_listed(server, open_page):
    page = open_page(server.url)
    page.set_code(
        "import os\n"
        "open('out/<img src=x id=injected onerror=alert(1)>.txt', 'w').write('hi')\n"
        "os.symlink('/proc/1/environ', 'out/<b id=bold>secret')\n"
    )
    page.click("#run")
    page.finished()
    expect(page.locator("#badge")).to_have_text("OK")
    link = page.locator("#out-files a")
    expect(link).to_have_text("<img src=x id=injected onerror=alert(1)>.txt")
    expect(page.locator("#out-refused")).to_contain_text("<b id=bold>secret did not come back:")
    assert page.locator("#injected").count() == 0 and page.locator("#bold").count() == 0
    expect(page.locator("#out-files img")).to_have_count(0)  # a .txt is never drawn
    # The next run starts from an empty list: nothing of this one is left on the page.
    page.set_code("print(1)")
    page.click("#run")
    page.finished()
    expect(page.locator("#out-section")).to_be_hidden()
    no_problems(page)
