ATTACK = {
    "title": "CAP_SYS_ADMIN: mount a filesystem",
    "category": "escape",
    "misconfiguration": "cap_sys_admin",
    "given": ["user", "seccomp"],
    "hardened": "root without capabilities cannot mount: EPERM",
    "ablated": "root with CAP_SYS_ADMIN mounts a tmpfs on /mnt",
    "expect": {
        "hardened": {"status": "ok", "report": {"achieved": False, "mount": "EPERM"}},
        "ablated": {"status": "ok", "report": {"achieved": True, "mount": "OK", "mounted": True}},
        "naive": {"status": "ok", "report": {"achieved": False, "mount": "EPERM"}},
    },
    "explain": """
        CAP_SYS_ADMIN is the catch-all capability: mounting filesystems, many device
        operations, namespaces, and the cgroup tricks behind famous escapes. Adding it 'to make
        FUSE work' gives the container most of what --privileged gives. This attack mounts an
        empty 1 MiB tmpfs on /mnt, which is harmless, but the same call mounts a cgroup
        hierarchy or a device. Three layers are involved, so the attack runs as root with
        Docker's default seccomp in both cases (user and seccomp are given away): with
        capabilities dropped the kernel says EPERM; add CAP_SYS_ADMIN and the mount works.
        With the kit's own seccomp profile in place, mount stays denied even then:
        defence in depth, one layer catching another's misconfiguration.
    """,
}

import ctypes
import errno
import json

libc = ctypes.CDLL(None, use_errno=True)
libc.mount.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_char_p, ctypes.c_ulong, ctypes.c_char_p]
libc.mount.restype = ctypes.c_int
libc.umount2.argtypes = [ctypes.c_char_p, ctypes.c_int]   # int umount2(const char *target, int flags)
libc.umount2.restype = ctypes.c_int
ctypes.set_errno(0)
done = libc.mount(b"attack", b"/mnt", b"tmpfs", 0, b"size=1m") == 0
facts = {"mount": "OK" if done else errno.errorcode.get(ctypes.get_errno(), str(ctypes.get_errno()))}
with open("/proc/self/mounts") as f:
    facts["mounted"] = any(line.split()[1:3] == ["/mnt", "tmpfs"] for line in f)
if done:
    libc.umount2(b"/mnt", 0)
facts["achieved"] = done and facts["mounted"]
print("ATTACK_REPORT " + json.dumps(facts))
