"""The workflow used as a Snakemake module, as snakedeploy deploys a catalog workflow.

A temporary folder holds only a host ``workflow/Snakefile`` (``module inpaint: ...;
use rule * from inpaint``), its own ``config/config.yaml`` (the project's config.yaml)
and the project's ``config/`` files; ``snakemake --configfile config/test.yaml`` there
runs the tiny config to the tables and the report. The jobs get no PYTHONPATH from the
test: ``python -m inpaint`` must find the package of the module's checkout by itself.
"""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

HOST_SNAKEFILE = """\
configfile: "config/config.yaml"


module inpaint:
    snakefile:
        {snakefile!r}
    config:
        config


use rule * from inpaint


rule which_package:
    output:
        "which_package.txt",
    shell:
        "python -c 'import inpaint; print(inpaint.__file__)' > {{output}}"
"""


def deploy(dest: Path) -> Path:
    """The deployed folder: workflow/Snakefile, config/config.yaml and config/*."""
    shutil.copytree(ROOT / "config", dest / "config")
    shutil.copyfile(ROOT / "config.yaml", dest / "config" / "config.yaml")
    (dest / "workflow").mkdir()
    (dest / "workflow" / "Snakefile").write_text(
        HOST_SNAKEFILE.format(snakefile=str(ROOT / "Snakefile")))
    return dest


def snakemake(workdir: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["TORCH_HOME"] = str(workdir / ".torch-home")  # the weights come from resources/
    # targets and options first: --configfile takes every word after it
    cmd = [sys.executable, "-m", "snakemake", *args, "--cores", "2", "--configfile",
           "config/test.yaml"]
    result = subprocess.run(cmd, cwd=workdir, env=env, capture_output=True, text=True,
                            timeout=1200)
    assert result.returncode == 0, f"{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def deployed(tmp_path_factory, imagenet_weights):
    workdir = deploy(tmp_path_factory.mktemp("deployed"))
    pretrained = workdir / "resources" / "pretrained"
    pretrained.mkdir(parents=True)
    for weights in imagenet_weights.values():
        for path in (weights.with_suffix(".pt"), weights.with_suffix(".json")):
            (pretrained / path.name).symlink_to(path)
    snakemake(workdir, "all", "which_package")
    return workdir


def test_the_module_runs_the_test_config_to_the_tables(deployed):
    config = yaml.safe_load((ROOT / "config" / "test.yaml").read_text())
    summary = pd.read_csv(deployed / "results" / "tables" / "summary.csv")
    cells = {(d, m, r) for d in config["datasets"] for m in config["masks"]
             for r in config["methods"]}
    assert set(zip(summary["dataset"], summary["maskset"], summary["method"],
                   strict=True)) == cells
    assert summary["psnr_hole_mean"].notna().all()
    for name in ("by_hole_ratio.csv", "paired.csv", "claims.html", "seeds.csv"):
        assert (deployed / "results" / "tables" / name).stat().st_size > 0, name
    # --configfile replaces the deployed config/config.yaml: none of its datasets ran
    assert sorted(p.name for p in (deployed / "results" / "data").iterdir()) == \
        sorted(config["datasets"])


def test_jobs_run_the_package_of_the_modules_checkout(deployed):
    used = Path((deployed / "which_package.txt").read_text().strip()).resolve()
    assert used == ROOT / "inpaint" / "__init__.py"


def test_the_module_writes_the_report(deployed):
    snakemake(deployed, "--report", "report.html")
    html = (deployed / "report.html").read_text(errors="replace")
    for name in ("summary.html", "paired.html", "claims.html", "center.png", "pixels.png"):
        assert name in html, name
