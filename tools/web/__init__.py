"""Looking at web pages the way a person would: a headless browser (`browser.py`) and the read
tool that uses it (`web_snapshot.py`). Needs the `browser` extra (Playwright) and Debian's
`chromium`; imported only when `[tools.web_snapshot]` is configured."""
