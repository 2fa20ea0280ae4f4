"""Moved to :mod:`symcnn.evaluate`; :meth:`symcnn.Network.evaluate` still imports it from here."""

from ..evaluate import evaluate_network

__all__ = ["evaluate_network"]
