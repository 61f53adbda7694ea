"""Visage neural generator (after Zakharov et al. 2019): data, networks, losses, training, export."""
