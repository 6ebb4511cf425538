from pathlib import Path

import pytest
import yaml

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


LIBRARY_SECTIONS = ["umap", "hdbscan", "vectorizer", "ctfidf", "bertopic", "coords", "nmf", "lda"]


def test_library_sections_pass_exactly_the_params_file_keys(repo: Path):
    """The constructors get the keys params.yaml states, no more (a None field is not passed)."""
    raw = yaml.safe_load((repo / "configs" / "params.yaml").read_text())["topics"]
    topics = load_config(repo / "configs" / "params.yaml").topics
    for name in LIBRARY_SECTIONS:
        expected = {k: tuple(v) if isinstance(v, list) else v for k, v in raw[name].items()}
        assert getattr(topics, name).kwargs() == expected, name


def test_code_defaults_are_the_params_file_values(repo: Path):
    # A params file that leaves a key out gets the same value as the repo's params.yaml.
    assert load_config(repo / "configs" / "params.yaml") == Config()


def test_a_partial_section_keeps_the_other_defaults(tmp_path: Path):
    params, empty = tmp_path / "params.yaml", tmp_path / "empty.yaml"
    params.write_text("topics:\n  umap:\n    n_neighbors: 30\n  hdbscan:\n    min_samples: 3\n")
    empty.write_text("{}\n")
    over = {"umap": {"n_neighbors": 30}, "hdbscan": {"min_samples": 3}}
    for topics in (load_config(params).topics, load_config(empty, topics=over).topics):
        assert topics.umap.kwargs() == {**Config().topics.umap.kwargs(), "n_neighbors": 30}
        assert topics.hdbscan.min_samples == 3
        assert (
            topics.hdbscan.prediction_data is True
            and topics.vectorizer == Config().topics.vectorizer
        )


def test_overrides_merge_into_the_file_section_by_section(repo: Path):
    params = repo / "configs" / "params.yaml"
    cfg = load_config(params, topics={"umap": {"n_neighbors": 30}}, seed=7)
    assert cfg.seed == 7 and cfg.topics.umap.n_neighbors == 30
    assert cfg.topics.umap.n_components == 5 and cfg.topics.umap.metric == "cosine"
    assert cfg.topics.hdbscan == load_config(params).topics.hdbscan
    # A mapping-valued param is one value: an override replaces it, it does not add to it.
    cfg = load_config(params, themes={"label_sets": {"arxiv": "arxiv.csv"}})
    assert cfg.themes.label_sets == {"arxiv": "arxiv.csv"}


@pytest.mark.parametrize(
    ("section", "reason"),
    [
        ("umap:\n    n_neighbours: 30", "topics.umap.n_neighbours: Extra inputs"),
        ("hdbscan:\n    min_cluster_sise: 9", "topics.hdbscan.min_cluster_sise: Extra inputs"),
        ("vectorizer:\n    ngram_range: [1, 2, 3]", "topics.vectorizer.ngram_range"),
        ("hdbscan:\n    min_cluster_size: big", "min_cluster_size: Input should be a valid int"),
        ("umap:\n    random_state: 1", "random_state (set the top-level `seed` instead)"),
        ("coords:\n    n_components: 3", "n_components (the topic map is 2-D)"),
        ("bertopic:\n    umap_model: x", "umap_model (built from its own params section)"),
        ("representation: mmr\n  representation_args:\n    nr_samples: 9", "nr_samples"),
    ],
)
def test_a_wrong_library_key_fails_at_load_naming_it(tmp_path: Path, section: str, reason: str):
    params = tmp_path / "params.yaml"
    params.write_text(f"topics:\n  {section}\n")
    with pytest.raises(ConfigError, match="1 invalid field") as e:
        load_config(params)
    assert reason in str(e.value)
