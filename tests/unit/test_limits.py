import dataclasses

import pytest

from sandbox import CONTROLS, PROFILES, REGISTRY, InvalidLimits, Limits
from sandbox.limits import SEED_CONTROLS, WHEN_OFF

HARDENED = PROFILES["hardened"]


def test_hardened_has_every_control_on():
    assert HARDENED.controls() == list(CONTROLS)


@pytest.mark.parametrize("control", CONTROLS)
def test_without_removes_exactly_one_control(control):
    weaker = HARDENED.without(control)
    assert not weaker.is_on(control)
    assert weaker.controls() == [c for c in CONTROLS if c != control]
    assert control in weaker.name


def test_without_network_joins_the_internal_network_never_a_bridge():
    assert HARDENED.without("network").network == "internal"


def test_without_seccomp_falls_back_to_dockers_default_not_unconfined():
    assert HARDENED.without("seccomp").seccomp == "default"


def test_without_unknown_control_is_refused_with_the_known_list():
    with pytest.raises(InvalidLimits, match="Known controls: timeout"):
        HARDENED.without("firewall")


def test_replace_changes_one_value_and_keeps_the_rest():
    bigger = HARDENED.replace(memory_mib=256)
    assert bigger.memory_mib == 256
    assert bigger.memory_swap_mib == 256  # swap still equals memory
    assert bigger.controls() == HARDENED.controls()
    assert HARDENED.memory_mib == 128  # frozen original untouched


def test_replace_unknown_field_is_refused():
    with pytest.raises(InvalidLimits, match="memory_mb"):
        HARDENED.replace(memory_mb=256)


@pytest.mark.parametrize(
    "changes",
    [
        {"timeout_s": 0},
        {"timeout_s": "10"},
        {"memory_mib": 1},
        {"memory_mib": 12.5},
        {"pids": 0},
        {"cpus": -1},
        {"network": "bridge"},
        {"network": "host"},
        {"user": "admin"},
        {"seccomp": "off"},
        {"read_only": "yes"},
        {"output_cap_bytes": 0},
        {"swap_mib": None},
        {"ulimits": (("nofile", -1),)},
        {"memory_mib": True},
    ],
)
def test_bad_values_get_a_clear_error(changes):
    with pytest.raises(InvalidLimits) as info:
        HARDENED.replace(**changes)
    assert next(iter(changes)) in str(info.value)


def test_seed_profile_is_exactly_the_seeds_flags():
    seed = PROFILES["seed"]
    assert (seed.timeout_s, seed.memory_mib, seed.memory_swap_mib, seed.pids, seed.cpus) == (10, 128, 128, 64, 0.5)
    assert seed.network == "none" and seed.read_only and seed.user == "runner"
    # ...and nothing the seed did not have.
    assert not seed.cap_drop_all and not seed.no_new_privileges and seed.seccomp == "default"
    assert seed.ulimits is None and seed.output_cap_bytes is None and seed.tmpfs_mib is None


def test_naive_profile_has_no_control_and_no_way_out():
    naive = PROFILES["naive"]
    assert naive.controls() == []
    assert naive.network == "internal"


# Limits fields that are not controls: misconfigurations no profile has, and the name.
NOT_CONTROLS = {"privileged", "cap_add", "mounts", "name"}


def test_every_limits_field_belongs_to_a_control():
    """A field no control owns would keep its hardened default in naive, unseen."""
    owned = {key for spec in REGISTRY.values() for part in (spec.hardened, spec.off, spec.on or {}) for key in part}
    assert {f.name for f in dataclasses.fields(Limits)} - owned - NOT_CONTROLS == set()


def test_naive_sets_every_field_of_every_control_to_off_or_to_a_stated_exception():
    """A new control, or a new field of one, cannot be forgotten by naive: each field takes the
    control's `off`, or a value in WHEN_OFF with its reason."""
    naive, problems = PROFILES["naive"], []
    for control, spec in REGISTRY.items():
        for key in {**spec.hardened, **spec.off}:
            if key not in spec.off and key not in WHEN_OFF:
                problems.append(f"{control}: {key} is in neither its off nor WHEN_OFF")
                continue
            want = spec.off[key] if key in spec.off else WHEN_OFF[key][0]
            if getattr(naive, key) != want:
                problems.append(f"{control}: naive has {key}={getattr(naive, key)!r}, not {want!r}")
    assert problems == []
    assert all(reason for _, reason in WHEN_OFF.values())
    assert not any(naive.is_on(control) for control in REGISTRY)


def test_seed_has_exactly_the_seeds_controls():
    assert PROFILES["seed"].controls() == list(SEED_CONTROLS)


def test_profiles_are_ordered_by_strength():
    assert len(PROFILES["naive"].controls()) < len(PROFILES["seed"].controls()) < len(HARDENED.controls())


def test_to_dict_is_json_ready():
    import json

    data = json.loads(json.dumps(HARDENED.to_dict()))
    assert data["controls"] == list(CONTROLS)
    assert data["ulimits"]["nofile"] == 256


def test_limits_default_is_hardened():
    assert Limits() == HARDENED


@pytest.mark.parametrize("source, target", [("data", "/data"), ("/data", "data"), ("", "/x")])
def test_mounts_need_absolute_paths(source, target):
    from sandbox import Mount

    with pytest.raises(InvalidLimits, match="absolute path"):
        Mount(source, target)


def test_every_served_profile_harvests_by_the_kits_rules():
    """The naive harvester follows links out of out/: only an ablation (naive, the exact seed,
    or `without("harvest")`, all refused to a visitor unless --allow-ablation) has it."""
    from server.settings import SAFE_PROFILES

    assert {name for name, p in PROFILES.items() if p.harvest == "safe"} == set(SAFE_PROFILES)
    assert PROFILES["naive"].harvest == PROFILES["seed"].harvest == HARDENED.without("harvest").harvest == "naive"
