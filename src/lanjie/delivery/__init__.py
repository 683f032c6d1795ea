"""Delivering the work outside lanjie: courier lists to the couriers' group robots, and
interception requests to 快递100 with their results coming back by callback."""
