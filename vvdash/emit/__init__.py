"""Emitters: each module here defines `emit(project) -> {relative path: bytes}`.

vvdash/build.py lists them (EMITTERS) and writes the union under generated/.
"""
