"""The TUNING sentences for the transcript's vocabulary correction (issue 26 item 3).

Written for `bench/voice_correction.py` before its first run, and used with bench/voice_bias.py's
sentences to choose the corrector's thresholds (`bot.perception.correction`). They share no
sentence and no operator term with the held-out set (bench/voice_jargon.py), which is measured
once, after the choice.

Each ops sentence says terms of `VOCABULARY` (an operator's `whisper.vocabulary` for a made-up
team) next to ordinary words. The plain sentences are everyday speech; several hold ordinary words
that sound like a term ("council" / consul, "prime" / prometheus, "castle" / kafka), the
rewrites a corrector must not make.
"""

from __future__ import annotations

VOCABULARY = ["elasticsearch", "rabbitmq", "kafka", "terraform", "memcached", "mysql", "prometheus",
              "jenkins", "etcd", "kubectl", "istio", "argocd", "consul", "node4", "queue2", "shard1",
              "api-gateway", "billing-api", "vault"]

OPS = [
    "restart elasticsearch on node four before the reindex",
    "the rabbitmq queue two is backing up again",
    "check the kafka consumer lag on shard one",
    "run terraform plan for the billing api",
    "flush memcached on the search servers",
    "is mysql replication healthy on node four",
    "show the prometheus alerts for the api gateway",
    "the jenkins build for argocd failed twice",
    "the etcd cluster lost a member overnight",
    "use kubectl to list the istio sidecars",
    "the consul health checks flap every minute",
    "seal the vault and restart the scheduler",
]

PLAIN = [
    "please water the plants while I am away this weekend",
    "the bakery on the corner sells fresh bread every morning",
    "the council meets in the town hall on tuesday",
    "the prime minister spoke about the budget today",
    "we visited an old castle by the sea last summer",
    "my brother is moving to a new flat in the spring",
    "remember to buy milk eggs and butter on the way home",
    "she sings in a choir every thursday evening",
]

VOICES = ["en-us", "en-gb"]
