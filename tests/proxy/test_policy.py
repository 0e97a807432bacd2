"""The proxy's keys in the policy file: `[gate] min_release_age`, `min_release_age_exclude`,
`fail_closed`, read like every other key (errors name the file and line)."""

from __future__ import annotations

import pytest

from chaingate.policy.interface import PolicyError
from chaingate.policy.policy import Policy, file_policy


def policy(text: str) -> Policy:
    return file_policy(("chaingate.toml", text), False)


def test_the_cooldown_keys_are_read() -> None:
    got = policy('[gate]\nmin_release_age = 72\nmin_release_age_exclude = ["Corp_Lib", "pypi:x"]\n')
    assert got.cooldown.min_release_age == 72.0
    assert got.cooldown.exempt("pypi", "corp-lib")
    assert got.cooldown.exempt("pypi", "x")
    assert not got.cooldown.exempt("pypi", "corp-lib2")
    assert got.cooldown.fail_closed == "young"
    assert Policy().cooldown.min_release_age == 0.0


@pytest.mark.parametrize(
    ("text", "said"),
    [
        (
            "[gate]\nmin_release_age = -1\n",
            "chaingate.toml:2: gate.min_release_age: must be between",
        ),
        ('[gate]\nmin_release_age = "2d"\n', "gate.min_release_age: must be a number of hours"),
        ("[gate]\nmin_release_age = nan\n", "gate.min_release_age: must be a number of hours"),
        ('[gate]\nmin_release_age_exclude = "x"\n', "min_release_age_exclude: must be an array"),
        ('[gate]\nfail_closed = "sometimes"\n', "chaingate.toml:2: gate.fail_closed: 'sometimes'"),
        ("[gate]\nmin_release_ages = 1\n", "unknown key (did you mean 'min_release_age'?)"),
    ],
)
def test_a_bad_cooldown_key_is_an_error_naming_file_and_line(text: str, said: str) -> None:
    with pytest.raises(PolicyError) as err:
        policy(text)
    assert said in str(err.value)
