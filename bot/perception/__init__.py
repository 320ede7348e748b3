"""Perception: voice notes, screenshots and photos turned into text the planner can read."""
