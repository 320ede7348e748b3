"""Perception: voice notes, screenshots, photos and video clips turned into text the planner can read."""
