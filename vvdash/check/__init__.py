"""Checks over the built model: each `check_project(project)` returns Findings (vvdash/findings.py)
that name the place and the problem. vvdash/build.py lists the ones that gate a build."""
