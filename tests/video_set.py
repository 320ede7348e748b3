"""The held-out video clips of issue 26: twelve generated screen recordings, each with known spoken
words and known on-screen changes (when each error line first appears), written before they were
measured and never tuned on.

Kinds, as the issue lists them: a terminal session (lines added as commands run), a browser page
(an address bar and a page that turns into an error), a dashboard (values going red, an alert
banner appearing), and an error dialog that appears mid-clip over a desktop. Screens are drawn by
Pillow (`tests.screens` and `browser_screenshot` below), speech by espeak-ng, the clip by ffmpeg
(`tests.clips`): H.264 + AAC mp4, webm (VP8 + Opus) for every third clip.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

from PIL import Image, ImageDraw

from tests.screens import (
    SANS,
    SANS_BOLD,
    dashboard_screenshot,
    encode,
    error_dialog_screenshot,
    font,
    terminal_screenshot,
)


@dataclass(frozen=True)
class HeldClip:
    name: str
    slides: tuple[tuple[bytes, int], ...]  # (screen PNG, seconds shown)
    speech: str
    speech_at: float
    errors: tuple[tuple[str, float], ...]  # (an error line as drawn, the second it first appears)
    fmt: str = "mp4"


def browser_screenshot(url: str, heading: str, lines: list[str], *, size: tuple[int, int] = (1280, 720)) -> bytes:
    """A browser window: tabs strip, an address bar showing `url`, then a page with a heading and
    paragraphs."""
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, size[0], 40), fill=(222, 225, 230))
    draw.rounded_rectangle((12, 6, 300, 40), radius=8, fill=(255, 255, 255))
    draw.text((26, 14), heading[:28], font=font(SANS, 14), fill=(60, 64, 67))
    draw.rectangle((0, 40, size[0], 84), fill=(255, 255, 255))
    draw.rounded_rectangle((90, 48, size[0] - 90, 78), radius=15, fill=(241, 243, 244))
    draw.text((110, 54), url, font=font(SANS, 16), fill=(32, 33, 36))
    draw.line((0, 84, size[0], 84), fill=(218, 220, 224))
    draw.text((60, 120), heading, font=font(SANS_BOLD, 30), fill=(32, 33, 36))
    for index, line in enumerate(lines):
        draw.text((60, 180 + index * 34), line, font=font(SANS, 20), fill=(60, 64, 67))
    return encode(image)


def _dialog_over(title: str, lines: list[str]) -> bytes:
    return error_dialog_screenshot(title, lines)


def _terminal(lines: list[str]) -> bytes:
    return terminal_screenshot(lines)


def held_out_clips() -> list[HeldClip]:
    clips: list[HeldClip] = []

    # 1-4: terminal sessions
    t1 = ["$ systemctl restart nginx", "$ systemctl status nginx --no-pager"]
    t1b = [*t1, "nginx.service: Failed with result 'exit-code'.",
           "ERROR nginx: [emerg] unknown directive \"proxy_passs\" in /etc/nginx/conf.d/api.conf:14"]
    clips.append(HeldClip("terminal-nginx", ((_terminal(t1), 3), (_terminal(t1b), 5)),
                          "I restarted the web server and it refuses to come back up", 0.5,
                          (("ERROR nginx: [emerg] unknown directive \"proxy_passs\" in /etc/nginx/conf.d/api.conf:14",
                            3.0),)))
    t2 = ["$ kubectl rollout status deploy/orders -n shop"]
    t2b = [*t2, "Waiting for deployment \"orders\" rollout to finish: 1 of 3 updated replicas are available..."]
    t2c = [*t2b, "ERROR deployment \"orders\" exceeded its progress deadline"]
    clips.append(HeldClip("terminal-rollout", ((_terminal(t2), 2), (_terminal(t2b), 3), (_terminal(t2c), 4)),
                          "the rollout of the orders service has been stuck for a while now", 1.0,
                          (("ERROR deployment \"orders\" exceeded its progress deadline", 5.0),)))
    t3 = ["$ psql -h db-main -U app -c 'select 1'"]
    t3b = [*t3, "psql: error: connection to server at \"db-main\" (10.0.4.12), port 5432 failed: timeout expired"]
    clips.append(HeldClip("terminal-psql", ((_terminal(t3), 4), (_terminal(t3b), 4)),
                          "the database does not answer from the application servers", 0.0,
                          (("psql: error: connection to server at \"db-main\" (10.0.4.12), port 5432 failed: "
                            "timeout expired", 4.0),), fmt="webm"))
    t4 = ["$ df -h /data", "Filesystem  Size  Used Avail Use% Mounted on", "/dev/sdb1   500G  498G  2.0G 100% /data"]
    t4b = [*t4, "$ tail -n 1 /var/log/app/worker.log",
           "ERROR OSError: [Errno 28] No space left on device: '/data/uploads/tmp'"]
    clips.append(HeldClip("terminal-disk", ((_terminal(t4), 3), (_terminal(t4b), 4)),
                          "look at the disk on the upload worker it is completely full", 0.5,
                          (("ERROR OSError: [Errno 28] No space left on device: '/data/uploads/tmp'", 3.0),)))

    # 5-7: browser pages
    ok = browser_screenshot("https://shop.example.com/cart", "Your cart", ["2 items", "Total: 84.90 EUR",
                                                                          "Proceed to checkout"])
    bad = browser_screenshot("https://shop.example.com/checkout", "502 Bad Gateway",
                             ["The server returned an invalid response.", "Request ID: c0ffee42-77"])
    clips.append(HeldClip("browser-checkout", ((ok, 3), (bad, 4)),
                          "when I click checkout the shop shows an error page", 0.5,
                          (("502 Bad Gateway", 3.0),)))
    login = browser_screenshot("https://admin.example.com/login", "Sign in", ["Email", "Password"])
    denied = browser_screenshot("https://admin.example.com/login", "Sign in",
                                ["Email", "Password", "Error: invalid SAML response from identity provider"])
    clips.append(HeldClip("browser-login", ((login, 4), (denied, 4)),
                          "nobody on the team can log in to the admin console this morning", 0.5,
                          (("Error: invalid SAML response from identity provider", 4.0),), fmt="webm"))
    status = browser_screenshot("https://status.example.com", "All systems operational", ["API", "Website"])
    outage = browser_screenshot("https://status.example.com", "Major outage",
                                ["API: Error rate above 40 percent since 09:12", "Website: operational"])
    clips.append(HeldClip("browser-status", ((status, 2), (outage, 5)),
                          "the public status page just switched to a major outage", 1.0,
                          (("Major outage", 2.0), ("API: Error rate above 40 percent since 09:12", 2.0))))

    # 8-10: dashboards
    calm = dashboard_screenshot("Orders service - production", [[("Requests per second", "912"),
                                                                  ("Error rate", "0.3 %"), ("p99 latency", "210 ms")]],
                                alert=None)
    hot = dashboard_screenshot("Orders service - production", [[("Requests per second", "904"),
                                                                 ("Error rate", "9.6 %"), ("p99 latency", "2310 ms")]],
                               alert="Alert firing: HighErrorRate on orders-api for 3 minutes")
    clips.append(HeldClip("dashboard-orders", ((calm, 3), (hot, 5)),
                          "watch the error rate on the orders dashboard it jumps right here", 0.5,
                          (("Alert firing: HighErrorRate on orders-api for 3 minutes", 3.0),)))
    queue = dashboard_screenshot("Mail queue - production", [[("Queued", "120"), ("Sent per minute", "4,210"),
                                                               ("Workers", "4 / 4")]], alert=None)
    stuck = dashboard_screenshot("Mail queue - production", [[("Queued", "58,204"), ("Sent per minute", "0"),
                                                               ("Workers", "0 / 4")]],
                                 alert="Alert firing: QueueBacklog on mail-outbound (no consumers)")
    clips.append(HeldClip("dashboard-queue", ((queue, 4), (stuck, 4)),
                          "the mail queue stopped draining and the workers are gone", 0.5,
                          (("Alert firing: QueueBacklog on mail-outbound (no consumers)", 4.0),), fmt="webm"))
    cpu = dashboard_screenshot("Search cluster - eu-west-1", [[("CPU usage", "41 %"), ("Heap used", "12.0 GB"),
                                                                ("Nodes", "6 / 6")]], alert=None)
    node = dashboard_screenshot("Search cluster - eu-west-1", [[("CPU usage", "97 %"), ("Heap used", "29.8 GB"),
                                                                 ("Nodes", "5 / 6")]],
                                alert="Alert firing: NodeDown on search-node-4 for 2 minutes")
    clips.append(HeldClip("dashboard-search", ((cpu, 2), (node, 2), (cpu, 1), (node, 3)),
                          "one of the search nodes keeps dropping out of the cluster", 0.5,
                          (("Alert firing: NodeDown on search-node-4 for 2 minutes", 2.0),)))

    # 11-12: an error dialog that appears mid-clip
    desk = _terminal(["$ ./deploy.sh billing v3.2.0", "building image billing:v3.2.0 ...", "pushing image ..."])
    dialog = _dialog_over("Deployment failed - Release Manager",
                          ["The release billing v3.2.0 could not be deployed.",
                           "Error code: IMAGE_PULL_BACKOFF (registry returned 401)"])
    clips.append(HeldClip("dialog-deploy", ((desk, 4), (dialog, 4)),
                          "the deploy script was fine until this dialog popped up", 0.5,
                          (("Error code: IMAGE_PULL_BACKOFF (registry returned 401)", 4.0),)))
    page = browser_screenshot("https://grafana.example.com/d/billing", "Billing overview", ["Invoices today: 1,204"])
    expired = _dialog_over("Session expired", ["Your session has expired after 8 hours.",
                                               "Error: token refresh failed (invalid_grant)"])
    clips.append(HeldClip("dialog-session", ((page, 3), (expired, 2), (page, 3)),
                          "the monitoring page keeps throwing me out with this message", 1.0,
                          (("Error: token refresh failed (invalid_grant)", 3.0),)))
    return clips


def png_size(png: bytes) -> tuple[int, int]:
    return Image.open(io.BytesIO(png)).size
