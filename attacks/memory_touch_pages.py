ATTACK = {
    "title": "Memory that is really used",
    "category": "memory",
    "control": "memory",
    "hardened": "bytes(256 MiB) succeeds without using memory; touching 256 MiB of pages gets it OOM-killed",
    "ablated": "it touches every page of 256 MiB and reports its resident size",
    "escape_record": {"oom_kills": 0, "peak_mib": {"min": 256}},
    "expect": {
        "hardened": {"status": "memory", "oom_killed": True, "report": None},
        "ablated": {"status": "ok", "report": {"achieved": True, "touched_mib": 256, "rss_mib": {"min": 250}}},
    },
    "explain": """
        Asking for memory is not using it. bytes(256 MiB) gets zeroed pages straight from the
        kernel and never writes to them, so none is really allocated: under a 128 MiB limit it
        succeeds, and a memory test built on it proves nothing. The kernel commits a page
        only when it is first written. This attack first shows that (its resident size barely
        moves after bytes(n)), then maps 256 MiB and writes one byte into every 4 KiB page.
        That is real memory, and the memory control's OOM kill arrives half-way.
    """,
}

import json
import mmap

SIZE = 256 * 1024 * 1024


def rss_mib():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) // 1024
    return -1


lazy = bytes(SIZE)  # calloc'd zero pages, never written: not yet memory
print(f"bytes({SIZE // 2**20} MiB) succeeded; resident size {rss_mib()} MiB", flush=True)
del lazy
area = mmap.mmap(-1, SIZE)
for offset in range(0, SIZE, mmap.PAGESIZE):
    area[offset] = 1  # the first write to a page makes the kernel commit it
print("ATTACK_REPORT " + json.dumps({"achieved": True, "touched_mib": SIZE // 2**20, "rss_mib": rss_mib()}))
