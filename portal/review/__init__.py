"""Idea review: estimates, objectives, pools and links."""
