"""The monitoring the bot can see and act on: Prometheus queries and their charts (`prometheus_query`),
Alertmanager silences (`silence_alert`)."""
