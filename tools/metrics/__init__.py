"""Metrics the bot can see: Prometheus queries (`prometheus_query`) and their charts."""
