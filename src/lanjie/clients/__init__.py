"""Clients for outside services (for now the 抖店 Open Platform, see doudian.py)."""
