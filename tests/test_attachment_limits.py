"""Attachments within bounds (issue 22, item 7): a message's files are read up to
`perception.max_attachments`, its images up to `max_message_pixels` together (from their
headers, before any OCR), and one user's files take at most their share of the workers, so
another user's screenshot is not queued behind a hundred of theirs. Real images, real Tesseract."""

from __future__ import annotations

import asyncio
import io

from PIL import Image, ImageDraw

from chatops.bot.config import PerceptionConfig
from chatops.bot.model import Attachment
from chatops.bot.perception.pipeline import Perceiver


def screenshot(label: str, size: tuple[int, int] = (360, 60)) -> bytes:
    image = Image.new("RGB", size, "white")
    ImageDraw.Draw(image).text((10, 20), label, fill="black")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def attachments(files: dict[str, bytes]) -> list[Attachment]:
    return [Attachment(name=name, mime_type="image/png", url=name) for name in files]


def fetcher(files: dict[str, bytes]):
    async def fetch(attachment: Attachment, max_bytes: int) -> bytes:
        return files[attachment.url]

    return fetch


def ocr_runs(perceiver: Perceiver) -> int:
    return len(perceiver.timings.seconds["image"])


async def test_a_message_of_twelve_images_reads_only_max_attachments_and_names_the_rest():
    perceiver = Perceiver(PerceptionConfig(max_attachments=3))
    files = {f"shot{n}.png": screenshot(f"ERROR {n}") for n in range(12)}
    try:
        text, parts = await perceiver.perceive_message("what are these?", attachments(files), fetcher(files))
    finally:
        perceiver.close()
    assert ocr_runs(perceiver) == 3  # main read all twelve
    assert [part.ok for part in parts] == [True, True, True, False]
    surplus = parts[-1]
    assert surplus.label == "[9 more files]" and "at most 3 files" in surplus.text
    assert "shot3.png" in surplus.text and "[9 more files]" in text


async def test_images_past_the_message_pixel_total_are_not_read():
    perceiver = Perceiver(PerceptionConfig(max_message_pixels=10_000_000))
    files = {f"big{n}.png": screenshot(f"BIG {n}", (2000, 2000)) for n in range(3)}  # 4 MP each
    try:
        _, parts = await perceiver.perceive_message("", attachments(files), fetcher(files))
    finally:
        perceiver.close()
    assert ocr_runs(perceiver) == 2
    assert [part.ok for part in parts] == [True, True, False]
    assert "more than 10 megapixels together" in parts[2].text and parts[2].label.startswith("[image: big2.png")


async def test_one_user_cannot_queue_ahead_of_another():
    perceiver = Perceiver(PerceptionConfig(workers=1))
    flood = {f"a{n}.png": screenshot(f"FLOOD {n} " + "x" * 30) for n in range(6)}
    single = {"b.png": screenshot("MY ONE SCREENSHOT")}
    try:
        first = asyncio.create_task(perceiver.perceive_message("", attachments(flood), fetcher(flood), user="a"))
        while ocr_runs(perceiver) == 0 and perceiver.queue._turns.get("a") is None:
            await asyncio.sleep(0.005)  # the flood is under way
        _, parts = await perceiver.perceive_message("", attachments(single), fetcher(single), user="b")
        assert parts[0].ok
        assert not first.done()  # main: b's one screenshot waited behind all six of a's
        assert ocr_runs(perceiver) <= 3
        _, flooded = await first
        assert all(part.ok for part in flooded) and ocr_runs(perceiver) == 7
    finally:
        perceiver.close()


async def test_one_users_files_in_flight_are_bounded():
    perceiver = Perceiver(PerceptionConfig(max_queued_per_user=2))
    files = {f"q{n}.png": screenshot(f"QUEUE {n}") for n in range(4)}
    try:
        _, parts = await perceiver.perceive_message("", attachments(files), fetcher(files), user="a")
        _, again = await perceiver.perceive_message("", attachments(files)[:2], fetcher(files), user="a")
    finally:
        perceiver.close()
    assert [part.ok for part in parts] == [True, True, False, False]
    assert "2 of your files are being read already" in parts[2].text
    assert all(part.ok for part in again)  # the places are given back
    assert perceiver.queue._admitted == {}
