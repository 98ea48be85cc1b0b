from sandbox import seccomp


def test_profile_denies_by_default_with_eperm():
    p = seccomp.profile()
    assert p["defaultAction"] == "SCMP_ACT_ERRNO" and p["defaultErrnoRet"] == seccomp.EPERM


def allowed_names():
    return {n for rule in seccomp.profile()["syscalls"] if rule["action"] == "SCMP_ACT_ALLOW"
            and "args" not in rule for n in rule["names"]}


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


def test_socket_only_for_the_listed_families():
    rules = [r for r in seccomp.profile()["syscalls"] if r["names"] == ["socket"]]
    assert sorted(r["args"][0]["value"] for r in rules) == sorted(seccomp.SOCKET_FAMILIES.values())
    assert "socket" not in allowed_names()
