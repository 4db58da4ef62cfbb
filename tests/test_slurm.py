"""The workflow on a real single-node SLURM cluster on localhost, through the SLURM executor
plugin and profiles/slurm: the tiny end-to-end grid (one dataset, the paper's sources), and a
failing job that is retried.

The cluster (munge, slurmctld, slurmd from Debian packages, installed with apt-get when
missing) runs from a private directory with its own munge key, socket and ports, and is
stopped by the PIDs in its pid files. Its slurm.conf is also put at /etc/slurm/slurm.conf
for the test's duration (any file there is restored afterwards): the job-step executor clears
SLURM_* variables, SLURM_CONF included, before its nested `srun`. Needs root, like the CI.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from conftest import ROOT, WORK, snakemake

pytestmark = pytest.mark.slurm

SLURM_GRID = ROOT / "tests" / "data" / "slurm_config.yaml"
PACKAGES = ["munge", "slurmctld", "slurmd", "slurm-client"]
# Without slurmdbd there is no sacct: poll squeue instead (see profiles/slurm/profile.yaml).
NO_DBD = [
    "--slurm-status-command",
    "squeue",
    "--slurm-no-account",
    "--slurm-init-seconds-before-status-checks",
    "2",
    "--seconds-between-status-checks",
    "5",
]


def ensure_packages() -> None:
    if all(shutil.which(b) for b in ["munged", "slurmctld", "slurmd", "sbatch"]):
        return
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("SLURM is not installed and apt-get cannot install it (needs root)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    apt = ["apt-get", "-qq", "-o", "Dpkg::Use-Pty=0"]
    subprocess.run([*apt, "update"], check=True, env=env, capture_output=True)
    subprocess.run(
        [*apt, "install", "-y", "--no-install-recommends", *PACKAGES],
        check=True,
        env=env,
        capture_output=True,
    )


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def node_resources() -> tuple[int, int]:
    """CPUs and 90% of the memory (MB), as slurmd -C reports them."""
    out = subprocess.run(["slurmd", "-C"], capture_output=True, text=True, check=True).stdout
    cpus = int(re.search(r"CPUs=(\d+)", out).group(1))
    mem = int(re.search(r"RealMemory=(\d+)", out).group(1))
    return cpus, int(mem * 0.9)


def slurm_conf(base: Path, cpus: int, mem: int) -> str:
    return f"""\
ClusterName=labelrisk
SlurmctldHost=localhost
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket={base}/munge/munge.socket
StateSaveLocation={base}/state
SlurmdSpoolDir={base}/spool
SlurmctldPidFile={base}/slurmctld.pid
SlurmdPidFile={base}/slurmd.pid
SlurmctldLogFile={base}/log/slurmctld.log
SlurmdLogFile={base}/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
DefMemPerCPU=1024
ReturnToService=2
MinJobAge=300
MpiDefault=none
NodeName=localhost NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={mem} State=UNKNOWN
PartitionName=cpu Nodes=localhost Default=YES MaxTime=INFINITE State=UP
PartitionName=gpu Nodes=localhost MaxTime=INFINITE State=UP
"""


def start_munge(base: Path) -> None:
    """munged as the munge user, with its own key; its socket directory must be traversable."""
    sock, key = base / "munge", base / "munge-key"
    for d, mode in ((sock, 0o755), (key, 0o700)):
        d.mkdir(mode=mode)
        shutil.chown(d, "munge", "munge")
        d.chmod(mode)
    (key / "munge.key").write_bytes(os.urandom(1024))
    shutil.chown(key / "munge.key", "munge", "munge")
    (key / "munge.key").chmod(0o400)
    subprocess.run(
        [
            "runuser", "-u", "munge", "--", "munged",
            f"--socket={sock}/munge.socket",
            f"--key-file={key}/munge.key",
            f"--pid-file={sock}/munged.pid",
            f"--log-file={key}/munged.log",
            f"--seed-file={key}/munged.seed",
        ],
        check=True,
    )  # fmt: skip


def stop(pid_file: Path) -> None:
    if pid_file.exists():
        pid = int(pid_file.read_text().split()[0])
        try:
            os.kill(pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        for _ in range(50):
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.1)
        os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def cluster():
    """A running one-node cluster; yields the environment its clients need (SLURM_CONF)."""
    ensure_packages()
    base = Path(tempfile.mkdtemp(prefix="labelrisk-slurm-"))
    base.chmod(0o755)  # munge must reach its socket directory
    for d in ("state", "spool", "log"):
        (base / d).mkdir()
    cpus, mem = node_resources()
    (base / "slurm.conf").write_text(slurm_conf(base, cpus, mem))
    env = dict(os.environ, SLURM_CONF=str(base / "slurm.conf"))
    system_conf = Path("/etc/slurm/slurm.conf")
    saved = system_conf.read_bytes() if system_conf.exists() else None
    try:
        system_conf.parent.mkdir(exist_ok=True)
        shutil.copy(base / "slurm.conf", system_conf)
        start_munge(base)
        subprocess.run(["slurmctld"], env=env, check=True)
        # Jobs run below the priority of interactive work on a shared machine.
        subprocess.run(["nice", "-n", "5", "slurmd", "-N", "localhost"], env=env, check=True)
        for _ in range(60):
            out = subprocess.run(
                ["sinfo", "-h", "-o", "%t"], env=env, capture_output=True, text=True
            )
            if out.stdout.strip() == "idle":
                break
            time.sleep(0.5)
        else:
            pytest.fail(f"the SLURM node did not come up: {out.stdout} {out.stderr}")
        yield env
    finally:
        for pid_file in ("slurmd.pid", "slurmctld.pid", "munge/munged.pid"):
            stop(base / pid_file)
        if saved is None:
            system_conf.unlink(missing_ok=True)
        else:
            system_conf.write_bytes(saved)
        shutil.rmtree(base, ignore_errors=True)


def on_slurm(env, *args, cwd=ROOT, snakefile=ROOT / "Snakefile", check=True):
    cmd = ["--profile", str(ROOT / "profiles" / "slurm"), *NO_DBD, *args]
    res = subprocess.run(
        [*snakemake_cmd(snakefile), *cmd], cwd=cwd, env=env, capture_output=True, text=True
    )
    if check and res.returncode != 0:
        raise AssertionError(f"snakemake failed:\n{res.stdout[-3000:]}\n{res.stderr[-5000:]}")
    return res


def snakemake_cmd(snakefile):
    import sys

    return [sys.executable, "-m", "snakemake", "-s", str(snakefile)]


def test_a_failed_job_is_retried_with_more_memory(cluster, tmp_path):
    snakefile = ROOT / "tests" / "data" / "slurm_retry" / "Snakefile"
    res = on_slurm(cluster, "-d", str(tmp_path), "flaky.txt", snakefile=snakefile)
    log = res.stdout + res.stderr
    assert "Error in rule flaky" in log  # the first attempt was reported as failed ...
    job, mem = re.fullmatch(r"job (\d+) mem (\d+)\n", (tmp_path / "flaky.txt").read_text()).groups()
    assert mem == "800"  # ... and the retry ran with twice the memory, granted by SLURM
    assert int(job) > 1  # a second SLURM job


def test_a_broken_job_is_reported_as_failed(cluster, tmp_path):
    snakefile = ROOT / "tests" / "data" / "slurm_retry" / "Snakefile"
    res = on_slurm(cluster, "-d", str(tmp_path), "broken.txt", snakefile=snakefile, check=False)
    assert res.returncode != 0
    log = res.stdout + res.stderr
    jobs = set(re.findall(r"submitted with SLURM jobid (\d+)", log))
    assert len(jobs) == 2  # the first attempt and its retry, each its own SLURM job
    for job in jobs:
        assert f"SLURM-job '{job}' failed, SLURM status is: 'FAILED'" in log
    assert (tmp_path / "logs" / "broken.log").read_text() == "deliberate failure\n"


def test_tiny_workflow_on_slurm(cluster, models, tmp_path):
    (tmp_path / "resources").symlink_to(WORK / "resources", target_is_directory=True)
    configs = [ROOT / "config.yaml", ROOT / "tests/data/tiny_config.yaml", SLURM_GRID]
    targets = ["results/tables/summary.csv", "results/figures/figure2.png"]
    start = time.monotonic()
    # Targets before --configfile, which takes every path after it.
    res = on_slurm(cluster, *targets, "-d", str(tmp_path), "--configfile", *map(str, configs))
    minutes = (time.monotonic() - start) / 60
    summary = pd.read_csv(tmp_path / "results" / "tables" / "summary.csv")
    sources = 4  # gold, llm, entropy25, ensemble
    assert summary.source.nunique() == sources
    assert len(summary) == sources * 2 and (summary.seeds == 2).all()  # sources x sizes
    assert summary.acc_mean.between(0, 1).all() and summary.f1_mean.between(0, 1).all()
    assert (tmp_path / "results" / "figures" / "figure2.png").stat().st_size > 10_000
    log = res.stdout + res.stderr
    # Every job went through SLURM (a local rule would print "localrule"): the fine-tuning jobs
    # (16 runs, grouped as `training.runs_per_job` says), 2 annotations, ...
    # One predictions table per training job, its runs in the size and seed columns.
    tables = sorted((tmp_path / "results" / "runs").rglob("*.parquet"))
    runs = {
        (p.parent, *run)
        for p in tables
        for run in pd.read_parquet(p, columns=["size", "seed"]).itertuples(index=False)
    }
    assert len(runs) == sources * 2 * 2  # sources x sizes x seeds
    assert log.count("rule train_student:") == len(tables)
    assert log.count("rule annotate:") == 2  # the ensemble's two members
    jobs = set(re.findall(r"submitted with SLURM jobid (\d+)", log))
    assert len(jobs) == len(re.findall(r"^rule \w+:", log, flags=re.M))
    # The profile's partitions: training on `gpu`, every other rule on the default `cpu`.
    shown = subprocess.run(
        ["scontrol", "-o", "show", "job"], env=cluster, capture_output=True, text=True
    ).stdout
    partitions = {}
    for line in shown.splitlines():
        job = re.search(r"JobId=(\d+)", line).group(1)
        rule = re.search(r"Comment=rule_(\w+?)_wildcards", line)
        if job in jobs and rule:
            partitions.setdefault(rule.group(1), set()).add(re.search(r"Partition=(\S+)", line)[1])
    # Rules that can ask for a GPU (the profile's `gpu` list) go there, whatever this config asks.
    profile = yaml.safe_load((ROOT / "profiles" / "slurm" / "profile.yaml").read_text())
    to_gpu = {r for r, v in profile["set-resources"].items() if v.get("slurm_partition") == "gpu"}
    assert partitions["train_student"] == {"gpu"} and len(partitions) > 2
    for rule, used in partitions.items():
        assert used == ({"gpu"} if rule in to_gpu else {"cpu"}), (rule, used)
    print(f"tiny workflow on SLURM: {len(jobs)} jobs, {minutes:.1f} min")
    # Same as a local run: nothing left to do.
    res = snakemake("-n", *targets, "-d", str(tmp_path), "--configfile", *map(str, configs))
    assert "Nothing to be done" in res.stdout + res.stderr
