"""`vvdash pipeline run|process|verify|cron`: the bundled, instrumented VV pipeline."""

from __future__ import annotations

import importlib
from pathlib import Path


def _dispatch(module: str):
    def run(args):
        return importlib.import_module(module).run(args)
    return run


def register(sub):
    p = sub.add_parser("pipeline", help="run the instrumented VV pipeline")
    psub = p.add_subparsers(dest="pipeline_command", metavar="ACTION", required=True)

    run = psub.add_parser("run", help="start the pipeline services under a supervisor (Ctrl-C stops them)")
    run.add_argument("--only", metavar="NAMES", help="comma-separated services to start (default: all)")
    run.add_argument("--site", metavar="NAME", help="which inventory site to run for (default: the first)")
    run.add_argument("--storage-root", metavar="DIR", type=Path, help="override the site's VIDEO_STORAGE_ROOT")
    run.add_argument("--log-dir", metavar="DIR", type=Path, help="where service logs go (default: <root>/logs)")
    run.add_argument("--with-simulator", action="store_true",
                     help="also start the simulated DVR (pipeline.dvr_simulator) on services.dvr_simulator.port")
    run.set_defaults(func=_dispatch("pipeline.run"))

    proc = psub.add_parser("process", help="process everything in DIR/input once and print a summary")
    proc.add_argument("--once", action="store_true", required=True, help="process the current input and exit")
    proc.add_argument("--storage-root", metavar="DIR", type=Path, required=True)
    proc.set_defaults(func=_dispatch("pipeline.process_once"))

    verify = psub.add_parser("verify", help="check logline signatures; list tampered lines (exit 1 if any)")
    verify.add_argument("files", nargs="+", metavar="FILE", type=Path)
    verify.set_defaults(func=_dispatch("pipeline.verify"))

    cron = psub.add_parser("cron", help="run one cron-style job once (cleanup_old_files, log_exporter)")
    cron.add_argument("name", metavar="NAME")
    cron.add_argument("--dry-run", action="store_true", help="report what would be deleted; delete nothing")
    cron.add_argument("--storage-root", metavar="DIR", type=Path, help="override the site's VIDEO_STORAGE_ROOT")
    cron.add_argument("--pushgateway", metavar="URL", help="override the Pushgateway URL from the inventory")
    cron.add_argument("--site", metavar="NAME", help="which inventory site to run for (default: the first)")
    cron.set_defaults(func=_dispatch("pipeline.cron"))
