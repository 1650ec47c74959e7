import pytest

from scrlib.study.params import ParameterError, choose_flag, choose_many, choose_number, choose_one


def test_choose_one_accepts_allowed_and_lists_allowed_when_not():
    assert choose_one("rule", "a", ["a", "b"]) == "a"
    with pytest.raises(ParameterError, match=r"'rule' = 'c' is not allowed; allowed values: a, b"):
        choose_one("rule", "c", ["a", "b"])


def test_choose_many_takes_lists_and_comma_separated_text():
    assert choose_many("s", "a, b,a", ["a", "b"]) == ["a", "b"]
    assert choose_many("s", ["b"], ["a", "b"]) == ["b"]
    assert choose_many("s", "", ["a"], min_count=0) == []
    with pytest.raises(ParameterError, match="'x' not allowed; allowed values"):
        choose_many("s", "a,x", ["a", "b"])
    with pytest.raises(ParameterError, match="needs at least 1"):
        choose_many("s", "", ["a"])


def test_numbers_and_flags():
    assert choose_number("n", "2", low=1, high=3) == 2.0
    with pytest.raises(ParameterError, match="from 1 to 3"):
        choose_number("n", "nine", low=1, high=3)
    assert choose_flag("f", "yes") is True
    assert choose_flag("f", False) is False
    with pytest.raises(ParameterError):
        choose_flag("f", "maybe")
