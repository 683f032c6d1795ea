"""lanjie (拦截): turn a 抖店 after-sales export into interception work."""

__version__ = "0.1.0"
