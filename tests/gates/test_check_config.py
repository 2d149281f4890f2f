"""``.mltrl.toml`` parsing: defaults, valid overrides, and every mistake refused clearly."""

from __future__ import annotations

import pytest

from gates.checks.config import THRESHOLD_DEFAULTS, ConfigError, MltrlConfig, config_parse


def test_no_file_gives_defaults():
    config = config_parse(None)
    assert config == MltrlConfig()
    assert config.path("model_card") is None
    assert config.threshold("max_file_bytes") == THRESHOLD_DEFAULTS["max_file_bytes"]


def test_valid_file():
    config = config_parse(
        '[paths]\nmodel_card = "./docs/card.md"\ndatasheet = " data/DATASHEET.md "\n\n'
        "[thresholds]\nmin_test_functions = 5\nmax_file_bytes = 20_000_000\n"
    )
    assert config.path("model_card") == "docs/card.md"
    assert config.path("datasheet") == "data/DATASHEET.md"
    assert config.threshold("min_test_functions") == 5
    assert config.threshold("max_file_bytes") == 20_000_000
    assert config.threshold("min_shall_statements") == 1  # default kept


def test_empty_file_gives_defaults():
    assert config_parse("") == MltrlConfig()


@pytest.mark.parametrize(
    "text,words",
    [
        ("[paths\nreadme = 1", ".mltrl.toml is not valid TOML"),
        ('readme = "README.md"\n', "unknown sections: readme (use [paths] and [thresholds])"),
        ("[checks]\nx = 1\n", "unknown sections: checks"),
        ('paths = "README.md"\n', "[paths] and [thresholds] must be tables"),
        ('[paths]\nmodelcard = "x.md"\n', "[paths] has unknown keys: modelcard (known: readme,"),
        ("[thresholds]\nmin_tests = 3\n", "[thresholds] has unknown keys: min_tests"),
        ("[paths]\nreadme = 3\n", "[paths] readme must be a relative path inside the repository"),
        ('[paths]\nreadme = ""\n', "readme must be a relative path"),
        ('[paths]\nreadme = "/etc/passwd"\n', "readme must be a relative path"),
        ('[paths]\nreadme = "../other/README.md"\n', "readme must be a relative path"),
        ('[paths]\nreadme = "docs/../../x"\n', "readme must be a relative path"),
        ('[thresholds]\nmax_file_bytes = "10MB"\n', "max_file_bytes must be a whole number >= 0"),
        ("[thresholds]\nmax_file_bytes = 1.5\n", "max_file_bytes must be a whole number"),
        ("[thresholds]\nmin_test_functions = -1\n", "min_test_functions must be a whole number"),
        ("[thresholds]\nmin_test_functions = true\n", "min_test_functions must be a whole number"),
    ],
)
def test_mistakes_are_refused_with_a_clear_message(text, words):
    with pytest.raises(ConfigError) as info:
        config_parse(text)
    assert words in str(info.value)
    assert str(info.value).startswith(".mltrl.toml")


def test_absolute_path_behind_a_space_is_refused():
    with pytest.raises(ConfigError):
        config_parse('[paths]\nreadme = " /etc/passwd"\n')
