from pathlib import Path

import pytest

from pipeline.config import Config, load_config
from pipeline.errors import ConfigError


def test_repo_params_validate(repo: Path):
    cfg = load_config(repo / "configs" / "params.yaml")
    assert isinstance(cfg, Config)
    assert cfg.stage_dir("ingest") == Path("outputs/ingest")


def test_errors_are_reported_field_by_field(tmp_path: Path):
    bad = tmp_path / "params.yaml"
    bad.write_text("seed: x\nembed:\n  encoder: bogus\n  batch_size: -1\nnot_a_section: 1\n")
    with pytest.raises(ConfigError) as e:
        load_config(bad)
    msg = str(e.value)
    assert "4 invalid field(s)" in msg
    for field in ("seed", "embed.encoder", "embed.batch_size", "not_a_section"):
        assert f"  {field}:" in msg


def test_missing_and_malformed_files(tmp_path: Path):
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.yaml")
    (tmp_path / "p.yaml").write_text("[1, 2")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(tmp_path / "p.yaml")
