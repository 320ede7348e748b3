"""The SECOND held-out set for Whisper on ops speech (issue 26 item 3), written before any run.

bench/voice_jargon.py's sentences had been measured twice when this set was written, so any
choice made after that (model, decoding, the correction's rules, the WER metric) is judged here,
on sentences nothing was tuned on: other tools and domains (document and column stores, paging,
error tracking, CDN, serverless, ingress, log search, CI runners), other hosts, and espeak-ng
voices the tuning sets never used (Scottish English, New York English) besides en-us.

It shares no sentence and no operator term with bench/data/jargon_tuning.py, bench/voice_bias.py
or bench/voice_jargon.py. `VOCABULARY` is an operator's `whisper.vocabulary` for a made-up team:
the hosts and services the sentences name, as a team would configure them. The plain sentences
are everyday speech (one with British spelling: "neighbours").

Run once per chosen setting, never to choose: `bench/voice_jargon.py --set heldout2`.
"""

from __future__ import annotations

VOCABULARY = ["mongodb", "mongo3", "oplog", "pagerduty", "search-api", "sentry", "celery", "worker5",
              "cloudflare", "cassandra", "rack2", "datadog", "lambda", "image-resize", "traefik", "loki",
              "edge1", "clickhouse", "analytics2", "gitlab", "build4"]

OPS = [
    "restart the mongodb primary on mongo three and watch the oplog",
    "silence the pagerduty alert for the search api until noon",
    "the sentry errors for the mobile backend doubled after the deploy",
    "scale the celery pool on worker five to eight processes",
    "purge the cloudflare cache for the marketing site",
    "the cassandra ring on rack two shows a node down",
    "open the datadog monitor for checkout latency",
    "roll back the lambda function for image resize to version three",
    "rotate the tls certificate on the traefik ingress",
    "search the loki logs for the auth service on edge one",
    "the clickhouse merges are stuck on analytics two",
    "the gitlab runner on build four ran out of disk",
]

PLAIN = [
    "the train to the coast leaves at half past nine",
    "my grandmother bakes apple pie every autumn",
    "we need new curtains for the living room",
    "the football match was cancelled because of the rain",
    "he forgot his umbrella at the dentist yesterday",
    "our neighbours adopted two kittens last month",
]

VOICES = ["en-us", "en-gb-scotland", "en-us-nyc"]
