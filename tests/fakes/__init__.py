"""Small real servers for tests: they listen on 127.0.0.1 and speak the real protocol."""
