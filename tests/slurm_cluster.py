"""A real single-node Slurm cluster on this machine, for the tests: munged, slurmctld and slurmd from
Debian's packages (``make system-deps`` installs them), configured in a temporary folder.

    with local_cluster(tmp_path) as env:     # env: os.environ plus SLURM_CONF
        subprocess.run(["sbatch", ...], env=env)

Also a command line, to try the Slurm path by hand:

    python tests/slurm_cluster.py start DIR     (prints: export SLURM_CONF=DIR/slurm.conf)
    python tests/slurm_cluster.py stop DIR
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

DAEMONS = ("munged", "slurmctld", "slurmd")
MUNGE_SOCKET = Path("/run/munge/munge.socket.2")


def missing() -> str | None:
    """Why this machine cannot run the cluster (``None`` when it can)."""
    absent = [d for d in DAEMONS if not shutil.which(d) and not Path("/usr/sbin", d).exists()]
    if absent:
        return f"{', '.join(absent)} not installed (make system-deps installs slurm-wlm and munge)"
    if os.geteuid() != 0:
        return "the test cluster's daemons need root"
    return None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _config(root: Path) -> str:
    host = socket.gethostname().split(".")[0]
    memory_mb = int(int(next(line for line in Path("/proc/meminfo").read_text().splitlines()
                             if line.startswith("MemTotal")).split()[1]) / 1024 * 0.8)
    lines = {
        "ClusterName": "rpt-test", "SlurmctldHost": host, "SlurmUser": "root", "SlurmdUser": "root",
        "AuthType": "auth/munge", "StateSaveLocation": root / "state", "SlurmdSpoolDir": root / "spool",
        "SlurmctldPidFile": root / "slurmctld.pid", "SlurmdPidFile": root / "slurmd.pid",
        "SlurmctldLogFile": root / "slurmctld.log", "SlurmdLogFile": root / "slurmd.log",
        "SlurmctldPort": _free_port(), "SlurmdPort": _free_port(), "ProctrackType": "proctrack/linuxproc",
        "TaskPlugin": "task/none", "SelectType": "select/cons_tres", "SelectTypeParameters": "CR_Core",
        "MpiDefault": "none", "JobAcctGatherType": "jobacct_gather/none", "ReturnToService": 2,
        "SchedulerType": "sched/backfill", "SchedulerParameters": "sched_interval=1",
        "MinJobAge": 600,   # keep finished jobs visible to squeue/scontrol for the tests' checks
    }
    text = "".join(f"{k}={v}\n" for k, v in lines.items())
    return text + (f"NodeName={host} CPUs={os.cpu_count()} RealMemory={memory_mb} State=UNKNOWN\n"
                   "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP\n")


def _munge_running() -> bool:
    if not MUNGE_SOCKET.exists():
        return False
    return subprocess.run("munge -n | unmunge", shell=True, capture_output=True).returncode == 0


def start(root: Path) -> dict:
    """Start the daemons (munged only if none answers); returns the environment for Slurm clients."""
    root = Path(root)
    for sub in ("state", "spool"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    conf = root / "slurm.conf"
    conf.write_text(_config(root))
    if not _munge_running():
        for folder in (MUNGE_SOCKET.parent, Path("/var/log/munge"), Path("/var/lib/munge")):
            folder.mkdir(parents=True, exist_ok=True)
            shutil.chown(folder, "munge", "munge")
        subprocess.run(["runuser", "-u", "munge", "--", "munged", "--num-threads=4"], check=True)
    env = {**os.environ, "SLURM_CONF": str(conf)}
    for daemon in ("slurmctld", "slurmd"):
        subprocess.run([daemon, "-f", str(conf)], env=env, check=True)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = subprocess.run(["sinfo", "--noheader", "--format", "%T"], env=env, capture_output=True, text=True)
        if state.returncode == 0 and state.stdout.strip() in ("idle", "mixed", "allocated"):
            return env
        time.sleep(0.5)
    raise RuntimeError(f"the test cluster did not come up; see {root}/slurmctld.log and {root}/slurmd.log")


def stop(root: Path) -> None:
    """Stop this cluster's slurmd and slurmctld (munged is left running for other clusters)."""
    for daemon in ("slurmd", "slurmctld"):
        pid_file = Path(root) / f"{daemon}.pid"
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text().strip()), 15)
    time.sleep(0.5)


@contextlib.contextmanager
def local_cluster(root: Path):
    env = start(root)
    try:
        yield env
    finally:
        stop(root)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] not in ("start", "stop"):
        sys.exit("usage: python tests/slurm_cluster.py start|stop DIR")
    if sys.argv[1] == "start":
        print(f"export SLURM_CONF={start(Path(sys.argv[2]))['SLURM_CONF']}")
    else:
        stop(Path(sys.argv[2]))
