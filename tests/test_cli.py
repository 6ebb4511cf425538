import subprocess
import sys

from typer.testing import CliRunner

from pipeline import __version__
from pipeline.cli import STAGES, app

runner = CliRunner()


def test_help_lists_every_stage():
    result = runner.invoke(app, ["--help"])
    assert result.exit_code == 0
    for stage in STAGES:
        assert stage in result.output


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert __version__ in result.output


def test_bad_params_exit_nonzero_with_field(tmp_path):
    bad = tmp_path / "params.yaml"
    bad.write_text("trends:\n  freq: W\n")
    result = runner.invoke(app, ["trends", "--params", str(bad)])
    assert result.exit_code == 2
    assert "trends.freq" in result.output


def test_python_dash_m_entry_point():
    out = subprocess.run(
        [sys.executable, "-m", "pipeline", "--help"], capture_output=True, text=True, check=True
    )
    assert "ingest" in out.stdout


def test_import_is_cheap():
    # Heavy libraries load inside stages; importing the CLI must not pull them in.
    code = (
        "import sys, pipeline.cli, pipeline.config, pipeline.io; "
        "heavy = {'torch', 'bertopic', 'umap', 'plotly', 'sklearn', 'dask'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
