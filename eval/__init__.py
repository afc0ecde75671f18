"""Batch evaluation of grounding: question sets, metrics, runner and report."""
