"""Fakes of outside services that speak their real protocol over real local HTTP."""
