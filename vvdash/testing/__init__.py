"""Test support shipped with vvdash: local stand-ins for services that cannot run on this machine."""
