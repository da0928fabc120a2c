"""The in-memory model the definitions build and the emitters and checks read."""
