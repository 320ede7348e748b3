"""Two read-only tools every surface's tests use to check how a finished step is shown: `probe`
finds its target down (an outcome "problem", never a success), `disk_usage` prints a table whose
header and every line must reach the reader (not only its last line). One of its lines is hostile
HTML, which every surface must show as text."""

from __future__ import annotations

from chatops.tools import tool

HOSTILE = "<script>window.pwned = 1</script><img src=x onerror=\"window.pwned = 2\">"
DF_LINES = ["Filesystem      Size  Used Avail Use% Mounted on",
            *(f"/dev/sda{n}        20G   {n}G   {20 - n}G  {n * 5}% /mnt/{n}" for n in range(1, 8)),
            HOSTILE]


def finding_tools() -> list:
    @tool(risk="read")
    async def probe(target: str = "db") -> dict:
        """A check that finds its target down.

        Args:
            target: what to check
        """
        return {"target": target, "problem": f"{target} is down: connection refused"}

    @tool(risk="read")
    async def disk_usage() -> dict:
        """Disk usage, as a program prints it."""
        return {"argv": ["df", "-h"], "exit_code": 0, "stdout": "\n".join(DF_LINES) + "\n", "stderr": "",
                "duration_ms": 3.0}

    return [probe, disk_usage]
