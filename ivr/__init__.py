"""A bilingual voice and SMS information line for the NCI fact sheet "Metastatic Cancer"."""

from ivr.app import create_app

__all__ = ["create_app"]
