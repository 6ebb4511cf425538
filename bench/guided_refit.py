"""The seeds' refit with and without guidance (`topics.history.guided_refit`, issue 12).

Runs the topics stage on copies of this project's ingest/clean/embed outputs (run `dvc repro`
first) with guidance off and on, and prints the last dump's retention figures and the model's
quality. Outputs go to /tmp/guided_refit/<on|off>/.

    python -m bench.guided_refit
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from pipeline.config import load_config
from pipeline.stages import topics


def main() -> None:
    for guided in (False, True):
        root = Path("/tmp/guided_refit") / ("on" if guided else "off")
        shutil.rmtree(root, ignore_errors=True)
        cfg = load_config(
            "configs/params.yaml",
            paths={"outputs": str(root / "outputs")},
            topics={"history": {"guided_refit": guided}},
        )
        for stage in ("ingest", "clean", "embed"):
            shutil.copytree(Path("outputs") / stage, cfg.stage_dir(stage))
        metrics = topics.run(cfg)
        b = metrics["bertopic"]
        row = {"guided": guided, **metrics["history"]["last_dump"], "n_topics": b["n_topics"],
               "npmi": b["npmi"], "stability": b["stability"]}  # fmt: skip
        print(json.dumps(row), flush=True)


if __name__ == "__main__":
    main()
