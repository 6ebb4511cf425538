"""The dashboard stage's HTML, without a browser (see test_dashboard_browser.py for that)."""

from __future__ import annotations

import json
import re

import pytest
from synthetic_outputs import XSS_TITLES, build

from pipeline.errors import StageInputError
from pipeline.stages import dashboard, trends

DIV_IDS = [
    "chart-theme-trends",
    "chart-topic-trends",
    "chart-topic-slopes",
    "chart-topic-map",
    "paper-rows",
    "chart-compare-themes",
    "chart-compare-topics",
    "chart-compare-sankey",
]


def _payload(html: str) -> dict:
    m = re.search(r'<script type="application/json" id="payload">(.*?)</script>', html, re.S)
    assert m, "payload block not found"
    return json.loads(m.group(1))


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    cfg = build(tmp_path_factory.mktemp("dash"))
    trends.run(cfg)
    path = dashboard.run(cfg)
    return cfg, path.read_text("utf-8")


def test_one_file_with_plotly_once_and_fixed_ids(page):
    _, html = page
    assert html.count("<script") == 3  # plotly.js, the payload, the page's own script
    assert html.count("* plotly.js v") == 1
    for div in DIV_IDS:
        assert f'id="{div}"' in html
    assert "cdn" not in html.split("<script>", 1)[0].lower()  # nothing fetched by the page head
    assert not re.search(r'<(script|link)[^>]+(src|href)="https?:', html)


def test_untrusted_text_cannot_close_the_script(page):
    _, html = page
    data = html.split('id="payload">', 1)[1].split("</script>", 1)[0]
    assert "<" not in data and ">" not in data and "\u2028" not in data
    assert "<img src=x" not in html
    for title in XSS_TITLES:
        assert title not in html
    payload = _payload(html)
    titles = [r[0] for r in payload["table"]["rows"]]
    for title in XSS_TITLES:
        assert title in titles  # shown, as text, in the table


def test_payload_content(page):
    cfg, html = page
    p = _payload(html)
    cards = dict(p["overview"]["cards"])
    assert cards["papers"] == "277" and cards["dumps"] == "2" and cards["themes"] == "3"
    assert cards["first date"] == "2024-01-01"
    assert any("3 of 277 papers have no date" in n for n in p["overview"]["notes"])
    assert [r["label"] for r in p["rising"]["topics"]] == ["1: anomaly_<i>zero</i>"]
    assert [r["label"] for r in p["rising"]["themes"]] == ["Anomaly detection"]
    assert set(p["figures"]) == {DIV_IDS[i] for i in range(4)}
    rows = p["table"]["rows"]
    assert len(rows) == 277
    assert rows[0][1] >= rows[1][1] and rows[-1][1] == ""  # newest first, undated last
    pair = p["compare"]["pairs"][0]
    assert pair["id"] == "d1__d2" and pair["papers"].startswith("80 → 90 papers: 10 added")
    assert set(pair["figures"]) == {"themes", "topics", "sankey"}


def test_same_inputs_same_bytes(page, tmp_path):
    _, html = page
    cfg = build(tmp_path)
    trends.run(cfg)
    assert dashboard.run(cfg).read_text("utf-8") == html


def test_placeholder_when_compare_has_not_run(tmp_path):
    cfg = build(tmp_path, compare=False)
    trends.run(cfg)
    html = dashboard.run(cfg).read_text("utf-8")
    assert _payload(html)["compare"] is None
    assert 'id="compare-placeholder"' in html and "once the <code>compare</code> stage" in html


def test_needs_trends_first(tmp_path):
    cfg = build(tmp_path)
    with pytest.raises(StageInputError, match="papertrends trends"):
        dashboard.run(cfg)


def test_cli_runs_trends_then_dashboard(tmp_path):
    import yaml
    from typer.testing import CliRunner

    from pipeline.cli import app

    cfg = build(tmp_path, compare=False)
    params = tmp_path / "params.yaml"
    params.write_text(yaml.safe_dump(json.loads(cfg.model_dump_json())), "utf-8")
    runner = CliRunner()
    missing = runner.invoke(app, ["dashboard", "--params", str(params)])
    assert missing.exit_code == StageInputError.exit_code
    trends.run(cfg)
    done = runner.invoke(app, ["dashboard", "--params", str(params)])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "outputs/dashboard/index.html").exists()


def test_topic_map_draws_a_seeded_sample_of_a_large_corpus(tmp_path):
    cfg = build(tmp_path)
    cfg = cfg.model_copy(update={"dashboard": cfg.dashboard.model_copy(update={"map_points": 50})})
    trends.run(cfg)
    fig = _payload(dashboard.run(cfg).read_text("utf-8"))["figures"]["chart-topic-map"]
    n_topic_view = sum(len(t["x"]) for t in fig["data"] if t.get("visible", True) is not False)
    assert n_topic_view == 50
    assert "a random 50 of 277" in json.dumps(fig["layout"]["title"])
    again = _payload(dashboard.run(cfg).read_text("utf-8"))["figures"]["chart-topic-map"]
    assert again == fig  # the sample is seeded


def test_a_pairs_figures_are_built_once(tmp_path, monkeypatch):
    """Each dump adds a pair; the figures of the pairs already there come from the cache,
    the same JSON as built fresh."""
    from pipeline.io import PickleStore

    cfg = build(tmp_path)
    labels = {"anomaly_detection": "Anomaly detection"}
    store = PickleStore(tmp_path / "cache" / "dashboard")
    fresh = dashboard.compare_payload(cfg.stage_dir("compare"), labels)
    first = dashboard.compare_payload(cfg.stage_dir("compare"), labels, store)
    assert first == fresh and first["pairs"]

    def never(*args):
        raise AssertionError("a cached pair's figures were built again")

    monkeypatch.setattr(dashboard, "pair_figures", never)
    assert dashboard.compare_payload(cfg.stage_dir("compare"), labels, store) == fresh
    # A pair whose comparison changed (a refit renamed a topic) is drawn again.
    pair = cfg.stage_dir("compare") / f"{first['pairs'][0]['id']}.json"
    pair.write_text(pair.read_text("utf-8").replace("2_medical", "2_radiology"), "utf-8")
    with pytest.raises(AssertionError, match="built again"):
        dashboard.compare_payload(cfg.stage_dir("compare"), labels, store)
