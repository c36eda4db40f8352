"""Ports: the interfaces the domain needs from the world, as typing.Protocols."""
