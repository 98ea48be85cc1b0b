from sandbox import seccomp


def test_profile_denies_by_default_with_eperm():
    p = seccomp.profile()
    assert p["defaultAction"] == "SCMP_ACT_ERRNO" and p["defaultErrnoRet"] == seccomp.EPERM


def allowed_names():
    return {
        n
        for rule in seccomp.profile()["syscalls"]
        if rule["action"] == "SCMP_ACT_ALLOW" and "args" not in rule
        for n in rule["names"]
    }


def test_nothing_denied_on_purpose_is_allowed():
    leaked = allowed_names() & set(seccomp.DENIED_BEYOND_DOCKER + seccomp.DENIED_ALSO_BY_DOCKER)
    assert not leaked


def test_clone_only_without_namespace_flags_and_clone3_falls_back():
    rules = {tuple(r["names"]): r for r in seccomp.profile()["syscalls"]}
    clone = rules[("clone",)]
    assert clone["args"][0]["op"] == "SCMP_CMP_MASKED_EQ" and clone["args"][0]["value"] == 0x7E020000
    assert rules[("clone3",)]["errnoRet"] == seccomp.ENOSYS


def test_only_native_architectures():
    assert seccomp.profile()["architectures"] == ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"]


def socket_rules():
    return [
        {a["index"]: (a["op"], a["value"], a["valueTwo"]) for a in r["args"]}
        for r in seccomp.profile()["syscalls"]
        if r["names"] == ["socket"]
    ]


def test_socket_only_for_the_listed_families():
    families = {rule[0][1] for rule in socket_rules()}
    assert sorted(families) == sorted(seccomp.SOCKET_FAMILIES.values())
    assert "socket" not in allowed_names()


def test_netlink_only_for_route_and_ip_only_for_tcp_udp_and_raw():
    netlink = [r for r in socket_rules() if r[0][1] == seccomp.SOCKET_FAMILIES["AF_NETLINK"]]
    assert netlink == [{0: ("SCMP_CMP_EQ", 16, 0), 2: ("SCMP_CMP_EQ", seccomp.NETLINK_ROUTE, 0)}]
    for family in ("AF_INET", "AF_INET6"):
        rules = [r for r in socket_rules() if r[0][1] == seccomp.SOCKET_FAMILIES[family]]
        protocols = sorted(r[2][1] for r in rules if 2 in r)
        assert protocols == [0, 6, 17]  # not ICMP (ping), UDP-Lite, SCTP
        raw = [r for r in rules if 1 in r]
        assert raw == [
            {
                0: ("SCMP_CMP_EQ", seccomp.SOCKET_FAMILIES[family], 0),
                1: ("SCMP_CMP_MASKED_EQ", seccomp.SOCK_TYPE_MASK, seccomp.SOCK_RAW),
            }
        ]


def test_ioctl_only_for_the_listed_requests_and_no_sync():
    rules = [r for r in seccomp.profile()["syscalls"] if r["names"] == ["ioctl"]]
    assert sorted(r["args"][0]["value"] for r in rules) == sorted(seccomp.IOCTLS.values())
    assert all(r["args"][0]["index"] == 1 for r in rules)
    assert not {"ioctl", "sync", "syncfs"} & allowed_names()
