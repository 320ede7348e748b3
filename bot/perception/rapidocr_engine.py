"""Building the RapidOCR engine (the `photos` extra) so it never downloads, never spins, and stays small.

RapidOCR 3.x on onnxruntime (`pip install 'chatops[photos]'`): the models are inside its wheel and
are loaded from there, so nothing is downloaded. Better than Tesseract on photos, but ~2.3 s on a
1280×720 terminal screenshot and ~0.8 GB resident (`bench/perception_image.py`), so it is imported
only when an image needs it; `rapidocr_installed` asks without importing it. `rapidocr_text` turns
its boxes into the bot's text lines.
"""

from __future__ import annotations

import contextlib
import functools
import logging
import os
from typing import Any

from chatops.bot.perception.image_file import short_reason
from chatops.bot.perception.ocr_text import reading_order, tidy
from chatops.bot.perception.types import PerceptionError

log = logging.getLogger("chatops.perception.image")

INSTALL_RAPIDOCR = "pip install 'chatops[photos]'"


def rapidocr_model_files() -> dict[str, str]:
    """The detection and recognition models inside the installed rapidocr wheel."""
    from pathlib import Path

    import rapidocr

    models = Path(rapidocr.__file__).resolve().parent / "models"
    found: dict[str, str] = {}
    for task in ("det", "rec"):
        candidates = sorted(models.glob(f"*_{task}_*.onnx"))
        if not candidates:
            raise PerceptionError(f"could not be read (the rapidocr wheel has no {task} model; "
                                  f"reinstall it: {INSTALL_RAPIDOCR})")
        found[task] = str(candidates[-1])
    return found


@functools.cache
def rapidocr_installed() -> bool:
    """Whether the `photos` extra's RapidOCR can be imported (found, not imported: it is heavy)."""
    import importlib.util

    return importlib.util.find_spec("rapidocr") is not None and importlib.util.find_spec("onnxruntime") is not None


# RapidOCR's detector scales a picture so its SHORT side is at least 736 px (`limit_type: min`): a
# corrected 1050×600 photo went in at 1312×736. Capping the LONG side at 800 instead (`max`) halved
# the detector's time. Chosen on the 15 tuning photos (`varied_tuning_photos`) with a scratch
# harness (mean character error 1.25 % → 0.95 %; 1024: 1.20 %, 640: 1.11 %; that harness handed
# RapidOCR the colours in the wrong order); through the bot's own path: 1.2 % → 1.1 %.
# Figures: bench/results/issue26-photos.txt.
RAPIDOCR_DET_LONG_SIDE = 800
# The recogniser reads text boxes in batches padded to the widest box's width; one box at a time
# pads nothing: on the tuning photos (the same harness, interleaved, load ~7) its CPU time per
# photo went from 0.86 s (batches of 6, the library's default) to 0.69 s, and the bot's tuning
# character error from 1.1 % to 1.0 %; a box's reading no longer depends on its batch-mates.
RAPIDOCR_REC_BATCH = 1


def rapidocr_threads() -> int:
    """onnxruntime threads per session: the cores this process may use, at most 4."""
    try:
        cores = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cores = os.cpu_count() or 1
    return max(1, min(4, cores))


def build_rapidocr() -> Any:
    """RapidOCR with the wheel's own models (named explicitly, so it never downloads), the angle
    classifier off (screenshots are upright), the detector's input capped (`RAPIDOCR_DET_LONG_SIDE`),
    text boxes recognised one at a time (`RAPIDOCR_REC_BATCH`),
    its sessions without spinning threads (`quiet_sessions`) and its INFO logging silenced."""
    try:
        logging.getLogger("RapidOCR").setLevel(logging.ERROR)
        from rapidocr import RapidOCR
    except ImportError as exc:
        raise PerceptionError(f"could not be read: the RapidOCR engine is not installed ({INSTALL_RAPIDOCR})") \
            from exc
    logging.getLogger("RapidOCR").setLevel(logging.ERROR)
    models = rapidocr_model_files()
    params = {"Global.use_cls": False, "Global.log_level": "error",
              "Det.model_path": models["det"], "Rec.model_path": models["rec"],
              "Det.limit_type": "max", "Det.limit_side_len": RAPIDOCR_DET_LONG_SIDE,
              "Rec.rec_batch_num": RAPIDOCR_REC_BATCH,
              "EngineConfig.onnxruntime.intra_op_num_threads": rapidocr_threads()}
    try:
        engine = RapidOCR(params=params)
    except Exception as exc:
        log.warning("RapidOCR could not start: %s", exc)
        raise PerceptionError(f"could not be read (RapidOCR could not start: {short_reason(exc)})") from None
    quiet_sessions(engine, models)
    return engine


def quiet_sessions(engine: Any, models: dict[str, str]) -> None:
    """Give RapidOCR two onnxruntime sessions whose idle threads sleep instead of spinning, before
    it builds its own. onnxruntime's worker threads spin between operators by default; on two
    cores shared with Whisper, Tesseract and the bot, the spinning thread takes the core the work
    needs: on the tuning photos (load ~7.5, interleaved) two spinning threads read a photo in 2.12 s
    median wall and 1.03 s of CPU, two sleeping ones in 1.12 s and 0.65 s (one thread: 1.02 s,
    0.57 s; but 0.48 s at best against 0.29 s, so two threads win when the cores are free).
    RapidOCR has no setting for spinning, but its config takes a ready session (`session`, rapidocr
    PR #451). Handing it over before the first image matters for memory: building RapidOCR's own
    sessions and then replacing them loaded each model twice (measured alone: the build's peak
    +119 → +91 MB, kept +97 → +85 MB; bench/results/issue23-memory-2.txt). If its internals
    differ (another version), the sessions it built are replaced instead; if that fails too, its
    own are kept and that is logged."""
    try:
        import onnxruntime
        from omegaconf import flag_override

        sessions = {}
        for task in ("det", "rec"):
            options = onnxruntime.SessionOptions()
            options.log_severity_level = 4
            options.enable_cpu_mem_arena = False
            options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
            options.intra_op_num_threads = rapidocr_threads()
            options.add_session_config_entry("session.intra_op.allow_spinning", "0")
            sessions[task] = onnxruntime.InferenceSession(models[task], sess_options=options,
                                                          providers=["CPUExecutionProvider"])
        for task, section in (("det", engine.cfg.Det), ("rec", engine.cfg.Rec)):
            with flag_override(section, "allow_objects", True):  # a session is not a config value
                section.session = sessions[task]
        for part, task in ((engine._load_det_model(), "det"), (engine._load_rec_model(), "rec")):
            if part.session.session is not sessions[task]:  # a version that ignores `session`
                part.session.session = sessions[task]
    except Exception as exc:  # another rapidocr layout: its own sessions still work, only spin
        log.info("RapidOCR keeps its own onnxruntime sessions (%s)", short_reason(exc))
        for name in ("Det", "Rec"):  # a session it could not take must not break every later image
            with contextlib.suppress(Exception):
                section = engine.cfg[name]
                with flag_override(section, "allow_objects", True):
                    section.pop("session", None)


def rapidocr_text(result: Any) -> str:
    """What RapidOCR found (its text boxes and their texts) as tidy lines in reading order."""
    boxes, texts = getattr(result, "boxes", None), getattr(result, "txts", None)
    if boxes is None or not texts:
        return ""
    words = []
    for box, text in zip(boxes, texts, strict=False):
        xs, ys = [float(p[0]) for p in box], [float(p[1]) for p in box]
        words.append((min(xs), min(ys), max(ys), str(text)))
    return tidy("\n".join(reading_order(words)))
